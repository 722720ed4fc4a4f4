//! Sub-bar detail from a scenario: scenarios/btc_bracket_detail.yaml trades 1-minute bars resampled from the shipped
//! Binance capture and names the shipped 5-second bars of the same trades as their detail. On the minutes alone two
//! of its brackets fall in ambiguous bars; with the detail none does, and every exit is the one a hand replay of the
//! 5-second bars finds first.

mod common;

use rust_decimal::{Decimal, dec};

use cryptotradebot::config::Scenario;
use cryptotradebot::data::{DataFile, DataFormat, load_bar_series};
use cryptotradebot::model::{OrderType, Side, Symbol, Timestamp};
use cryptotradebot::runner::run_scenario;

const DETAIL_LINE: &str = "    detail: { path: ../data/binance/BTCUSDT-5s-2024-08-08.csv, format: csv }\n";

#[test]
fn detail_bars_resolve_the_ambiguous_minutes_as_a_hand_replay_of_the_five_second_bars_does() {
    let path = common::repo("scenarios/btc_bracket_detail.yaml");
    let scenario = Scenario::load(&path).unwrap();
    assert!(scenario.text.contains(DETAIL_LINE));

    // Without the detail: two ambiguous minutes, and the interval of final equities they leave.
    let plain = Scenario::parse(&path, scenario.text.replace(DETAIL_LINE, "")).unwrap();
    let plain = run_scenario(&plain, tempfile::tempdir().unwrap().path()).unwrap().summary.bar_path;
    assert_eq!(plain.ambiguous_bars, 2);
    assert_eq!(
        (plain.final_equity_adverse, plain.final_equity_optimistic),
        (dec!(9952.1143896344), dec!(9976.0235267806))
    );

    // With it: none, and one result (here both take-profits came first: the optimistic bound).
    let run = run_scenario(&scenario, tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(run.summary.bar_path.ambiguous_bars, 0);
    assert_eq!(run.result.portfolio.equity().normalize(), dec!(9976.0235267806));

    // The hand replay: each entry (a market buy at a minute's open) gets a stop 0.04 % below and a take-profit
    // 0.08 % above its price, on the tick (stop down, take-profit up); walking the 5-second bars from the entry's,
    // the first to reach one decides (never both); it fills at its level, or at the bar's open beyond it, stamped
    // with the bar's close (its open when at the open).
    let detail = DataFile { path: common::repo("data/binance/BTCUSDT-5s-2024-08-08.csv"), format: DataFormat::Csv };
    let (seconds, _) = load_bar_series(Symbol::new("BTCUSDT").unwrap(), &[detail]).unwrap();
    let seconds: Vec<_> = (0..seconds.len()).map(|i| seconds.bar(i)).collect();
    let fills: Vec<_> = run.result.log.fills.iter().map(|f| f.fill).collect();
    assert_eq!(fills.len(), 4, "two round trips");
    let tick = dec!(0.01);
    for pair in fills.chunks(2) {
        let (entry, exit) = (pair[0], pair[1]);
        assert_eq!((entry.side, exit.side), (Side::Buy, Side::Sell));
        let stop = (entry.price * dec!(0.9996) / tick).floor() * tick;
        let take = (entry.price * dec!(1.0008) / tick).ceil() * tick;
        let from = seconds.iter().position(|b| b.open_time == entry.time).unwrap();
        let first = seconds[from..].iter().find(|b| b.low <= stop || b.high >= take).unwrap();
        assert!(!(first.low <= stop && first.high >= take), "a 5-second bar reaching both at {}", first.open_time);
        let (kind, level) =
            if first.high >= take { (OrderType::TakeProfitMarket, take) } else { (OrderType::StopMarket, stop) };
        let at_open = if kind == OrderType::TakeProfitMarket { first.open >= take } else { first.open <= stop };
        let price = if at_open { first.open } else { level };
        let time = if at_open { first.open_time } else { first.close_time };
        let order = run.result.log.order(exit.order_id).unwrap().report.request;
        assert_eq!((order.order_type, exit.price, exit.time, exit.quantity), (kind, price, time, entry.quantity));
        assert_eq!(exit.fee, exit.price * exit.quantity * dec!(0.001));
    }
    // Hand-worked: 0.16194 BTC bought at 61686 at 00:00:00, take-profit 61735.35 reached in the 5-second bar of
    // 00:00:10 (stamped 00:00:15); 0.16188 bought at 61637.26 at 00:04:00, take-profit 61686.57 at 00:04:20 (00:04:25).
    let summary: Vec<(Decimal, Decimal, Timestamp)> = fills.iter().map(|f| (f.quantity, f.price, f.time)).collect();
    assert_eq!(
        summary,
        [
            (dec!(0.16194), dec!(61686), Timestamp(1_723_161_600_000_000_000)),
            (dec!(0.16194), dec!(61735.35), Timestamp(1_723_161_615_000_000_000)),
            (dec!(0.16188), dec!(61637.26), Timestamp(1_723_161_840_000_000_000)),
            (dec!(0.16188), dec!(61686.57), Timestamp(1_723_161_865_000_000_000)),
        ]
    );
}

#[test]
fn detail_bars_that_do_not_aggregate_to_the_main_bars_are_refused_naming_the_file_and_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::repo("data/binance/BTCUSDT-5s-2024-08-08.csv")).unwrap();
    // The 5-second bar of 23:58:05 gets a high above its minute's (61745.27).
    let line = original.lines().find(|l| l.starts_with("1723161485000,")).unwrap();
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[2] = "61800";
    let edited = original.replace(line, &fields.join(","));
    let detail = dir.path().join("seconds.csv");
    std::fs::write(&detail, edited).unwrap();
    let path = common::repo("scenarios/btc_bracket_detail.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("../data/binance/BTCUSDT-5s-2024-08-08.csv", &detail.display().to_string());
    let scenario = Scenario::parse(&path, text).unwrap();
    let error = scenario.load_market_data().unwrap_err().to_string();
    assert!(
        error.contains("seconds.csv")
            && error.contains("2024-08-08T23:58:00Z")
            && error.contains("high 61800, the main bar has 61745.27"),
        "{error}"
    );
}

#[test]
fn a_paper_session_refuses_detail_bars_which_live_bars_do_not_have() {
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_bracket_detail.yaml");
    let args = ["paper", scenario.to_str().unwrap(), "--exchange", "binance", "--max-messages", "1", "--quiet"];
    let (ok, out, err) = common::ctb(work.path(), &args);
    assert!(!ok && err.contains("detail: bars apply to backtests"), "{out}\n{err}");
}

//! Sub-bar detail from a scenario: scenarios/btc_bracket_detail.yaml trades 1-minute bars resampled from the shipped
//! Binance capture and names the shipped 5-second bars of the same trades as their detail. On the minutes alone two
//! of its brackets fall in ambiguous bars; with the detail none does, and every exit is the one a hand replay of the
//! 5-second bars finds first.

mod common;

use rust_decimal::{Decimal, dec};

use cryptotradebot::config::Scenario;
use cryptotradebot::data::{DataFile, DataFormat, load_bar_series, resample_bars};
use cryptotradebot::model::{Fill, OrderType, Side, Symbol, Timestamp};
use cryptotradebot::runner::{ScenarioRun, run_scenario};

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

    let fills = assert_exits_are_the_hand_replays(
        &run,
        "data/binance/BTCUSDT-5s-2024-08-08.csv",
        "BTCUSDT",
        (dec!(0.9996), dec!(1.0008)),
        dec!(0.01),
    );
    assert_eq!(fills.len(), 4, "two round trips");
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

/// Checks every exit of `run` (entry, exit pairs of a bracket strategy with a stop at `factors.0` and a take-profit
/// at `factors.1` times the entry price, fee 10 bps, prices on `tick`) against a hand replay of the detail bars in
/// `detail`, and returns the fills. The replay: each entry gets its stop and take-profit on the tick (stop down,
/// take-profit up);
/// walking the detail bars from the entry's, the first to reach one decides (never both); it fills at its level, or
/// at the bar's open beyond it, stamped with the bar's close (its open when at the open).
fn assert_exits_are_the_hand_replays(
    run: &ScenarioRun,
    detail: &str,
    symbol: &str,
    factors: (Decimal, Decimal),
    tick: Decimal,
) -> Vec<Fill> {
    let detail = DataFile { path: common::repo(detail), format: DataFormat::Csv };
    let (bars, _) = load_bar_series(Symbol::new(symbol).unwrap(), &[detail]).unwrap();
    let bars: Vec<_> = (0..bars.len()).map(|i| bars.bar(i)).collect();
    let fills: Vec<_> = run.result.log.fills.iter().map(|f| f.fill).collect();
    for pair in fills.chunks(2) {
        let (entry, exit) = (pair[0], pair[1]);
        assert_eq!((entry.side, exit.side), (Side::Buy, Side::Sell));
        let stop = (entry.price * factors.0 / tick).floor() * tick;
        let take = (entry.price * factors.1 / tick).ceil() * tick;
        let from = bars.iter().position(|b| b.open_time == entry.time).unwrap();
        let first = bars[from..].iter().find(|b| b.low <= stop || b.high >= take).unwrap();
        assert!(!(first.low <= stop && first.high >= take), "a detail bar reaching both at {}", first.open_time);
        let (kind, level) =
            if first.high >= take { (OrderType::TakeProfitMarket, take) } else { (OrderType::StopMarket, stop) };
        let at_open = if kind == OrderType::TakeProfitMarket { first.open >= take } else { first.open <= stop };
        let price = if at_open { first.open } else { level };
        let time = if at_open { first.open_time } else { first.close_time };
        let order = run.result.log.order(exit.order_id).unwrap().report.request;
        assert_eq!((order.order_type, exit.price, exit.time, exit.quantity), (kind, price, time, entry.quantity));
        assert_eq!(exit.fee, exit.price * exit.quantity * dec!(0.001));
    }
    fills
}

#[test]
fn one_minute_detail_resolves_the_ambiguous_hours_of_real_ftx_bars_as_a_hand_replay_of_the_minutes_does() {
    let path = common::repo("scenarios/btc_bracket_hourly_detail.yaml");
    let scenario = Scenario::load(&path).unwrap();
    let line = "    detail: { path: ../data/ftx/BTC-PERP-1m-2022-01-03.csv, format: csv }\n";
    assert!(scenario.text.contains(line));
    let plain = Scenario::parse(&path, scenario.text.replace(line, "")).unwrap();
    let plain = run_scenario(&plain, tempfile::tempdir().unwrap().path()).unwrap().summary.bar_path;
    assert_eq!(plain.ambiguous_bars, 2);
    assert!(!plain.detail);

    let run = run_scenario(&scenario, tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(run.summary.bar_path.ambiguous_bars, 0);
    assert!(run.summary.bar_path.detail);
    let equity = run.result.portfolio.equity();
    assert!(plain.final_equity_adverse <= equity && equity <= plain.final_equity_optimistic, "{equity} {plain:?}");
    let fills = assert_exits_are_the_hand_replays(
        &run,
        "data/ftx/BTC-PERP-1m-2022-01-03.csv",
        "BTCUSD",
        (dec!(0.998), dec!(1.004)),
        dec!(1),
    );
    // Four round trips, each exit the first level the minutes reach: e.g. 0.2121 BTC bought at hour 8's open 47079
    // gets a stop floor(47079 × 0.998) = 46984 and a take-profit ceil(47079 × 1.004) = 47268; the minute of 08:37
    // falls to the stop first (filled at 46984, stamped with its close, 08:38).
    let at = |seconds: i64| Timestamp(seconds * 1_000_000_000);
    let summary: Vec<(Decimal, Decimal, Timestamp)> = fills.iter().map(|f| (f.quantity, f.price, f.time)).collect();
    assert_eq!(
        summary,
        [
            (dec!(0.2121), dec!(47079), at(1_641_196_800)),
            (dec!(0.2121), dec!(46984), at(1_641_199_080)),
            (dec!(0.2153), dec!(46207), at(1_641_258_000)),
            (dec!(0.2153), dec!(46392), at(1_641_259_260)),
            (dec!(0.2159), dec!(46176), at(1_641_276_000)),
            (dec!(0.2159), dec!(46083), at(1_641_276_180)),
            (dec!(0.2154), dec!(46081), at(1_641_337_200)),
            (dec!(0.2154), dec!(45988), at(1_641_338_040)),
        ]
    );
    assert_eq!(equity, dec!(9899.9323923));
    assert_eq!((plain.final_equity_adverse, plain.final_equity_optimistic), (dec!(9840.6202721), dec!(9959.6519824)));
}

#[test]
fn the_shipped_hourly_ftx_bars_are_the_minutes_resampled() {
    let symbol = Symbol::new("BTCUSD").unwrap();
    let load = |file: &str| {
        let file = DataFile { path: common::repo(file), format: DataFormat::Csv };
        load_bar_series(symbol, &[file]).unwrap().0
    };
    let minutes = load("data/ftx/BTC-PERP-1m-2022-01-03.csv");
    let hours = load("data/ftx/BTC-PERP-1h-2022-01-03.csv");
    assert_eq!((minutes.len(), hours.len()), (2880, 48));
    assert_eq!(resample_bars(&minutes, 3_600_000_000_000).unwrap(), hours);
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

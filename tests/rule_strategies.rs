//! The shipped rule-strategy scenarios: `btc_sma_rules.yaml` writes the very bytes `btc_sma_cross.yaml` writes,
//! `btc_rsi_rules.yaml` reproduces spec `rsi_rules_v1` (numbers from a plain Python loop and TA-Lib), a rule
//! strategy sweeps like `sma_cross` (the same results.csv, the same bytes on 1 and 2 threads), the BTC + ETH example
//! trades each symbol on its own rules, and parse errors name the key and the column.

mod common;

use rust_decimal::Decimal;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::Side;
use cryptotradebot::runner::{ScenarioRun, plan_sweep, run_scenario};
use cryptotradebot::sweep::Shard;

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the shipped scenario `name` into `out`.
fn backtest(name: &str, out: &Path) -> ScenarioRun {
    let scenario = Scenario::load(&common::repo(&format!("scenarios/{name}.yaml"))).unwrap();
    run_scenario(&scenario, out).unwrap()
}

/// A shipped scenario's text with its data paths absolute and `sweep` appended.
fn with_sweep(name: &str, sweep: &str) -> String {
    let text = std::fs::read_to_string(common::repo(&format!("scenarios/{name}.yaml"))).unwrap();
    text.replace("../data", common::repo("data").to_str().unwrap()) + sweep
}

/// Sweeps scenario `text` on `threads` threads; returns results.csv.
fn sweep(text: &str, threads: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::parse(&dir.path().join("sweep.yaml"), text.to_string()).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| plan.run(dir.path(), Shard::ALL, &AtomicBool::new(false), &|| ())).unwrap();
    read(&dir.path().join("sweep/results.csv"))
}

#[test]
fn the_sma_cross_written_as_rules_writes_the_same_bytes_as_sma_cross() {
    let dir = tempfile::tempdir().unwrap();
    let (cross, rules) = (dir.path().join("cross"), dir.path().join("rules"));
    let run = backtest("btc_sma_cross", &cross);
    backtest("btc_sma_rules", &rules);
    assert!(run.result.log.round_trips.len() > 10, "a real comparison: {} trades", run.result.log.round_trips.len());
    for file in ["trades.csv", "fills.csv", "equity.csv", "orders.csv"] {
        assert!(read(&cross.join(file)) == read(&rules.join(file)), "{file} differs");
    }
}

#[test]
fn the_rsi_rules_reproduce_spec_rsi_rules_v1() {
    // Python loop and TA-Lib on the shipped hours: 3 closed trades, final equity 9,907.7518 USDT, return −0.9225 %,
    // max drawdown 8.0082 %.
    let dir = tempfile::tempdir().unwrap();
    let run = backtest("btc_rsi_rules", dir.path());
    let summary: serde_json::Value = serde_json::from_slice(&read(&dir.path().join("summary.json"))).unwrap();
    let metrics = &summary["metrics"];
    let equity: Decimal = metrics["final_equity"].as_str().unwrap().parse().unwrap();
    assert!((equity - Decimal::new(99_077_518, 4)).abs() <= Decimal::new(1, 2), "final equity {equity}");
    assert_eq!(run.result.log.round_trips.len(), 3);
    assert_eq!(metrics["trades"], 3);
    let percent = |x: &serde_json::Value| format!("{:.4}", x.as_f64().unwrap() * 100.0);
    assert_eq!(percent(&metrics["total_return"]), "-0.9225");
    assert_eq!(percent(&metrics["max_drawdown"]["depth"]), "8.0082");
}

#[test]
fn a_rule_strategy_sweeps_like_sma_cross_and_gives_the_same_bytes_on_one_and_two_threads() {
    let grid = "sweep:\n  params: { fast: [5, 10, 15], slow: [20, 30, 40] }\n  constraints: [\"fast < slow\"]\n";
    let rules_one = sweep(&with_sweep("btc_sma_rules", grid), 1);
    assert_eq!(rules_one, sweep(&with_sweep("btc_sma_rules", grid), 2));
    assert_eq!(String::from_utf8_lossy(&rules_one).lines().count(), 1 + 9);
    assert!(rules_one == sweep(&with_sweep("btc_sma_cross", grid), 2), "the rules' results.csv is sma_cross's");

    // thresholds and the RSI period are parameters too; the scenario's own combination is the spec's run
    let grid = "sweep:\n  params: { period: [10, 14], oversold: [25, 30], overbought: [70] }\n";
    let results = sweep(&with_sweep("btc_rsi_rules", grid), 2);
    assert_eq!(results, sweep(&with_sweep("btc_rsi_rules", grid), 1));
    let text = String::from_utf8(results).unwrap();
    let spec_row = text.lines().find(|l| l.split(',').skip(1).take(3).eq(["70", "30", "14"])).expect(&text);
    assert!(spec_row.split(',').nth(4).is_some_and(|e| e.starts_with("9907.75")), "{spec_row}");
}

/// Fill times and sides by an independent walk over the closes: flat and `up` at bar t → buy at the open of t + 1;
/// long and `down` → sell there.
fn expected_trades(closes: &[Decimal], times: &[i64], signal: impl Fn(usize) -> Option<bool>) -> Vec<(i64, Side)> {
    let (mut long, mut trades) = (false, Vec::new());
    for t in 0..closes.len() - 1 {
        match signal(t) {
            Some(true) if !long => {
                trades.push((times[t + 1], Side::Buy));
                long = true;
            }
            Some(false) if long => {
                trades.push((times[t + 1], Side::Sell));
                long = false;
            }
            _ => {}
        }
    }
    trades
}

/// The shipped 5-second bars of `symbol`: open times (ns) and closes.
fn bars(symbol: &str) -> (Vec<i64>, Vec<Decimal>) {
    let text = std::fs::read_to_string(common::repo(&format!("data/binance/{symbol}-5s-2024-08-08.csv"))).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[0].parse::<i64>().unwrap() * 1_000_000, cells[4].parse::<Decimal>().unwrap())
        })
        .unzip()
}

fn sma(closes: &[Decimal], t: usize, n: usize) -> Option<Decimal> {
    (t + 1 >= n).then(|| closes[t + 1 - n..=t].iter().sum::<Decimal>() / Decimal::from(n))
}

#[test]
fn each_symbol_trades_on_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = backtest("btc_eth_rules", dir.path());
    let traded = |symbol: &str| -> Vec<(i64, Side)> {
        let fills = run.result.log.fills.iter().filter(|f| f.fill.symbol.as_str() == symbol);
        fills.map(|f| (f.fill.time.0, f.fill.side)).collect()
    };
    // BTCUSDT, the shared rules: SMA(3) crossing SMA(8)
    let (times, closes) = bars("BTCUSDT");
    let cross = |t: usize, a: &dyn Fn(usize) -> Option<Decimal>, b: &dyn Fn(usize) -> Option<Decimal>| {
        let (now, before) = ((a(t)?, b(t)?), (a(t.checked_sub(1)?)?, b(t.checked_sub(1)?)?));
        if before.0 <= before.1 && now.0 > now.1 {
            Some(true)
        } else if before.0 >= before.1 && now.0 < now.1 {
            Some(false)
        } else {
            None
        }
    };
    let btc = expected_trades(&closes, &times, |t| cross(t, &|i| sma(&closes, i, 3), &|i| sma(&closes, i, 8)));
    assert!(btc.len() > 4);
    assert_eq!(traded("BTCUSDT"), btc);
    // ETHUSDT, its own: the close crossing its SMA(5)
    let (times, closes) = bars("ETHUSDT");
    let eth = expected_trades(&closes, &times, |t| cross(t, &|i| Some(closes[i]), &|i| sma(&closes, i, 5)));
    assert!(eth.len() > 4);
    assert_eq!(traded("ETHUSDT"), eth);
}

/// The error of the rule strategy `params` (YAML under `params:`) on the hand-worked bars.
fn error(params: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", common::ten_bars::BARS);
    let strategy = format!("strategy:\n  kind: rules\n  params:\n{params}");
    let text =
        common::ten_bars::SCENARIO.replace("strategy: { kind: sma_cross, params: { fast: 2, slow: 3 } }\n", &strategy);
    Scenario::load(&common::write(dir.path(), "scenario.yaml", &text)).unwrap_err().to_string()
}

#[test]
fn errors_name_the_key_and_the_column_inside_the_expression() {
    let ok = "    indicators: { ma: { kind: sma, period: 3 } }\n";
    let cases = [
        (
            format!("{ok}    entry: close > ma and (close[1] < ma[1]\n    exit: close < ma\n"),
            "strategy.params.entry: column 33: expected ')' after 'close > ma and (close[1] < ma[1]'",
        ),
        (
            format!("{ok}    entry: close > ma\n    exit: close < close[1\n"),
            "strategy.params.exit: column 16: expected ']' after 'close < close[1'",
        ),
        (
            format!("{ok}    entry: close > sma\n    exit: close < ma\n"),
            "strategy.params.entry: column 9: 'sma' is not an indicator",
        ),
        (
            format!("{ok}    entry: close > $level\n    exit: close < ma\n"),
            "strategy.params.entry: column 9: '$level' is not a parameter",
        ),
        (
            format!("{ok}    entry: close + ma\n    exit: close < ma\n"),
            "strategy.params.entry: column 1: expected a condition",
        ),
        (
            format!("    level: 3\n{ok}    entry: close > ma\n    exit: close < ma\n"),
            "strategy.params.level: a parameter no rule or indicator reads",
        ),
        (
            "    indicators: { ma: { kind: sma, perod: 3 } }\n    entry: close > ma\n    exit: close < ma\n".into(),
            "strategy.params.indicators.ma.period: missing",
        ),
        (
            "    indicators: { ma: { kind: smma, period: 3 } }\n    entry: close > ma\n    exit: close < ma\n".into(),
            "strategy.params.indicators.ma.kind: 'smma' is not an indicator kind",
        ),
        (
            format!("{ok}    entry: close > ma\n    exit: close < ma\n    stop_loss: 2\n"),
            "strategy.params.stop_loss: needs take_profit too",
        ),
        (
            format!("{ok}    entry: close > ma\n    exit: close < ma\n    sizing: {{ percent_of_equity: 150 }}\n"),
            "strategy.params.sizing.percent_of_equity: at most 100",
        ),
        (
            format!(
                "{ok}    entry: close > ma\n    exit: close < ma\n    symbols: {{ XRPUSDT: {{ entry: close > ma }} }}\n"
            ),
            "strategy.params.symbols.XRPUSDT: no data stream of the scenario trades this symbol",
        ),
    ];
    for (params, expected) in cases {
        let got = error(&params);
        assert!(got.contains(expected), "{params}\n→ {got}\nwanted {expected}");
    }
}

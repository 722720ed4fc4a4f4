//! A strategy a user writes in their own binary: `examples/breakout` registers `breakout` next to the built-ins and
//! hands the registry to the library's command line. Through it, `backtest` and `paper` (on a loopback Binance
//! streaming the shipped bars as live candles) run the user's strategy and agree with each other; the built-in
//! `ctb` does not know the kind.

mod common;

#[path = "../examples/breakout/strategy.rs"]
#[allow(dead_code)]
mod breakout;

use clap::Parser;
use rust_decimal::Decimal;
use std::path::Path;

use common::mock_candles::{config_for, serve_binance_klines, shipped_bars};
use cryptotradebot::cli::Cli;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `ctb ARGS` in this process with the user's registry (off the async runtime: the command starts its own).
async fn user_ctb(args: Vec<String>) -> cryptotradebot::Result<()> {
    tokio::task::spawn_blocking(move || {
        let cli = Cli::try_parse_from(std::iter::once("ctb".to_string()).chain(args)).expect("arguments");
        cli.run(&breakout::registry())
    })
    .await
    .expect("the command did not panic")
}

/// The first breakout of the shipped bars worked out here: the first bar whose close is above the highest high of
/// the 24 bars before it. The entry fills at the next bar's open.
fn first_entry_price() -> Decimal {
    let bars = shipped_bars();
    let dec = |s: &str| s.parse::<Decimal>().unwrap();
    let i = (24..bars.len())
        .find(|&i| {
            let high = bars[i - 24..i].iter().map(|b| dec(&b.ohlcv[1])).max().unwrap();
            dec(&bars[i].ohlcv[3]) > high
        })
        .expect("a breakout in two months");
    dec(&bars[i + 1].ohlcv[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_registered_by_a_user_binary_runs_in_backtest_and_paper_with_the_same_fills() {
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_breakout.yaml").display().to_string();
    let path = |p: &str| work.path().join(p).display().to_string();

    let (ok, _, err) = common::ctb(work.path(), &["backtest", &scenario, "--quiet"]);
    assert!(!ok && err.contains("strategy.kind 'breakout' is not known"), "{err}");

    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    user_ctb(args(&["backtest", &scenario, "--out", &path("backtest"), "--quiet"])).await.unwrap();
    let fills = read(&work.path().join("backtest/fills.csv"));
    let first: Vec<&str> = fills.lines().nth(1).expect("the strategy traded").split(',').collect();
    assert!(fills.lines().count() > 10, "{fills}");
    let price_column = fills.lines().next().unwrap().split(',').position(|c| c == "price").unwrap();
    assert_eq!(first[price_column].parse::<Decimal>().unwrap(), first_entry_price(), "{fills}");

    let (ws, _) = serve_binance_klines(&shipped_bars()).await;
    config_for(&work.path().join("config"), "binance", &ws);
    let paper = [
        "paper",
        &scenario,
        "--exchange",
        "binance",
        "--max-messages",
        "1416",
        "--metrics-port",
        "0",
        "--quiet",
        "--session",
        "u1",
        "--config-dir",
        &path("config"),
        "--recordings-dir",
        &path("recordings"),
        "--reports-dir",
        &path("reports"),
    ];
    user_ctb(args(&paper)).await.unwrap();
    for file in ["fills.csv", "trades.csv", "equity.csv"] {
        assert_eq!(
            read(&work.path().join("reports/u1").join(file)),
            read(&work.path().join("backtest").join(file)),
            "{file}"
        );
    }
}

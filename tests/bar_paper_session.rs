//! A paper session on a bar scenario against a loopback venue that streams the shipped January–February 2023
//! BTCUSDT hourly bars as live candles (an update of the open candle before each closed one): the session trades
//! exactly as the backtest of the same bars does, its recording replays to the same fills, and a session stopped
//! half-way and resumed ends the same.

mod common;

use std::path::Path;

use common::mock_candles::{config_for, serve_candles, serve_candles_paced, shipped_bars};
use rstest::rstest;

async fn ctb(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    common::ctb_async(cwd, args, &[]).await
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The final equity `summary.json` in `dir` reports.
fn final_equity(dir: &Path) -> String {
    let summary: serde_json::Value = serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    summary["metrics"]["final_equity"].to_string()
}

async fn backtest(work: &Path, scenario: &str) -> std::path::PathBuf {
    let out = work.join("backtest");
    let (ok, out_text, err) = ctb(work, &["backtest", scenario, "--out", out.to_str().unwrap(), "--quiet"]).await;
    assert!(ok, "{out_text}\n{err}");
    out
}

async fn paper(work: &Path, scenario: &str, venue: &str, session: &[&str], bars: &str) -> String {
    let mut args =
        vec!["paper", scenario, "--exchange", venue, "--max-messages", bars, "--metrics-port", "0", "--quiet"];
    args.extend_from_slice(session);
    let (ok, out, err) = ctb(work, &args).await;
    assert!(ok, "{out}\n{err}");
    out
}

#[rstest]
#[case::binance("binance")]
#[case::kraken("kraken")]
#[case::coinbase("coinbase")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_session_on_live_candles_trades_as_the_backtest_of_the_same_bars(#[case] venue: &str) {
    let bars = shipped_bars();
    assert_eq!(bars.len(), 1416, "744 hours of January and 672 of February");
    let work = tempfile::tempdir().unwrap();
    let (ws, connections) = serve_candles(venue, &bars).await;
    config_for(&work.path().join("config"), venue, &ws);
    let scenario = common::repo("scenarios/btc_sma_cross.yaml");
    let scenario = scenario.to_str().unwrap();
    let expected = backtest(work.path(), scenario).await;

    let out = paper(work.path(), scenario, venue, &["--session", "s1"], "1416").await;
    assert!(out.contains("session s1: 1416 messages live"), "{out}");
    let report = work.path().join("reports/s1");

    // The session asked for what the venue documents: hourly klines, the 60-minute ohlc channel, the trades.
    let connection = connections.lock().unwrap()[0].clone();
    let (path, sent) = (connection.path, connection.sent_by_client.join("\n"));
    match venue {
        "binance" => assert!(path.ends_with("/stream?streams=btcusdt@kline_1h"), "{path}"),
        "kraken" => assert!(
            sent.contains(r#""channel":"ohlc""#) && sent.contains(r#""interval":60"#) && sent.contains("BTC/USDT"),
            "{sent}"
        ),
        _ => assert!(sent.contains(r#""channels":["matches"]"#) && sent.contains("BTC-USDT"), "{sent}"),
    }
    for file in ["trades.csv", "fills.csv", "orders.csv", "equity.csv"] {
        assert_eq!(
            read(&report.join(file)),
            read(&expected.join(file)),
            "{file} of the session differs from the backtest's"
        );
    }
    assert_eq!(read(&report.join("trades.csv")).lines().count() - 1, 26, "26 round trips");
    assert_eq!(final_equity(&report), final_equity(&expected));
    let equity: rust_decimal::Decimal = final_equity(&report).trim_matches('"').parse().unwrap();
    assert_eq!(equity.round_dp(4), rust_decimal::dec!(12020.6013));

    // The recording holds every closed bar once, and replays to the same fills; reconcile agrees.
    let recording = read(&work.path().join("data/recordings/s1/BTCUSDT.csv"));
    assert_eq!(recording.lines().count(), 1 + 1416, "a header and one row per closed bar");
    let (ok, out, err) = ctb(work.path(), &["backtest", "--replay", "data/recordings/s1", "--quiet"]).await;
    assert!(ok, "{out}\n{err}");
    assert_eq!(read(&work.path().join("reports/s1-replay/fills.csv")), read(&report.join("fills.csv")));
    let (ok, out, err) = ctb(work.path(), &["reconcile", "s1"]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.trim().starts_with("identical:"), "{out}");
}

#[rstest]
#[case::binance("binance")]
#[case::kraken("kraken")]
#[case::coinbase("coinbase")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bar_session_stopped_half_way_and_resumed_ends_as_the_backtest_does(#[case] venue: &str) {
    let bars = shipped_bars();
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_sma_cross.yaml");
    let scenario = scenario.to_str().unwrap();
    let expected = backtest(work.path(), scenario).await;

    // The first run takes 700 bars; the venue then streams from the start again to the resumed session, which
    // replays its recording and takes only the bars after the last one it recorded.
    config_for(&work.path().join("config"), venue, &serve_candles(venue, &bars).await.0);
    paper(work.path(), scenario, venue, &["--session", "s2"], "700").await;
    config_for(&work.path().join("config"), venue, &serve_candles(venue, &bars).await.0);
    let out = paper(work.path(), scenario, venue, &["--resume", "s2"], "716").await;
    assert!(out.contains("716 messages live after 700 replayed"), "{out}");
    let report = work.path().join("reports/s2");
    for file in ["trades.csv", "fills.csv", "orders.csv", "equity.csv"] {
        assert_eq!(read(&report.join(file)), read(&expected.join(file)), "{file} after the resume");
    }
    assert_eq!(final_equity(&report), final_equity(&expected));
    let (ok, out, err) = ctb(work.path(), &["reconcile", "s2"]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.trim().starts_with("identical:"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bar_session_stopped_after_its_first_candle_reports_and_resumes_to_the_backtests_end() {
    let bars = shipped_bars();
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_sma_cross.yaml");
    let scenario = scenario.to_str().unwrap();
    let expected = backtest(work.path(), scenario).await;
    config_for(&work.path().join("config"), "binance", &serve_candles("binance", &bars).await.0);
    let out = paper(work.path(), scenario, "binance", &["--session", "s3"], "1").await;
    assert!(out.contains("session s3: 1 messages live"), "{out}");
    let equity = read(&work.path().join("reports/s3/equity.csv"));
    assert_eq!(equity.lines().count(), 2, "one mark, at the first close: {equity}");
    config_for(&work.path().join("config"), "binance", &serve_candles("binance", &bars).await.0);
    let out = paper(work.path(), scenario, "binance", &["--resume", "s3"], "1415").await;
    assert!(out.contains("1415 messages live after 1 replayed"), "{out}");
    for file in ["trades.csv", "fills.csv", "orders.csv", "equity.csv"] {
        assert_eq!(read(&work.path().join("reports/s3").join(file)), read(&expected.join(file)), "{file}");
    }
}

#[rstest]
#[case::binance("binance", 2)]
#[case::kraken("kraken", 2)]
#[case::coinbase("coinbase", 1)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bar_session_killed_mid_run_resumes_and_ends_as_the_backtest_does(
    #[case] venue: &str,
    #[case] pause_ms: u64,
) {
    let bars = shipped_bars();
    let work = tempfile::tempdir().unwrap();
    let scenario = common::repo("scenarios/btc_sma_cross.yaml");
    let scenario = scenario.to_str().unwrap();
    let expected = backtest(work.path(), scenario).await;
    let journal = work.path().join("reports/k1/journal.sqlite");
    let recording = work.path().join("data/recordings/k1/BTCUSDT.csv");

    // A venue streaming in real time (a message every few ms); the session is killed (SIGKILL) once it has journaled
    // ten fills, mid-run, with no chance to write anything more.
    let (ws, _) = serve_candles_paced(venue, &bars, std::time::Duration::from_millis(pause_ms)).await;
    config_for(&work.path().join("config"), venue, &ws);
    let args = ["paper", scenario, "--exchange", venue, "--session", "k1", "--max-messages", "1416"];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(args.iter().chain(&["--metrics-port", "0", "--quiet"]))
        .current_dir(work.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let fills = |journal: &Path| {
        let Ok(mut journal) = cryptotradebot::session::Journal::open_sqlite(journal, "k1") else { return 0 };
        journal.fills().map_or(0, |f| f.len())
    };
    let mut waited = 0;
    while !(journal.exists() && fills(&journal) >= 10) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 1500, "no ten fills journaled within 30 s");
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success(), "killed, not finished");
    let recorded = read(&recording).lines().count() - 1;
    assert!(recorded < 1416, "killed before the end: {recorded} bars recorded");

    // Resumed against the venue streaming from the start: the recording is replayed, the bars after it are live.
    config_for(&work.path().join("config"), venue, &serve_candles(venue, &bars).await.0);
    let rest = (1416 - recorded).to_string();
    let out = paper(work.path(), scenario, venue, &["--resume", "k1"], &rest).await;
    assert!(out.contains(&format!("{rest} messages live after {recorded} replayed")), "{out}");
    let report = work.path().join("reports/k1");
    for file in ["trades.csv", "fills.csv", "orders.csv", "equity.csv"] {
        assert_eq!(read(&report.join(file)), read(&expected.join(file)), "{file} after the kill and resume");
    }
    assert_eq!(final_equity(&report), final_equity(&expected));
    let (ok, out, err) = ctb(work.path(), &["reconcile", "k1"]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.trim().starts_with("identical:"), "{out}");
}

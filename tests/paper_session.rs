//! A paper session against a loopback Binance that replays the shipped BTCUSDT capture as if it were live: it
//! records every message, journals orders and fills, exits with a backtest's report — and replaying its recording
//! gives the same fills.

mod common;

use std::path::Path;

use common::mock_live_binance::{config_for, serve_live};
use cryptotradebot::session::Journal;

async fn ctb(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let (cwd, args): (std::path::PathBuf, Vec<String>) =
        (cwd.to_path_buf(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::ctb(&cwd, &args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_session_records_journals_and_reports_and_its_recording_replays_to_the_same_fills() {
    let venue = serve_live(4000).await;
    let work = tempfile::tempdir().unwrap();
    config_for(&work.path().join("config"), &venue);
    let scenario = common::repo("scenarios/btc_l2_market_maker.yaml");
    let (ok, out, err) = ctb(
        work.path(),
        &[
            "paper",
            scenario.to_str().unwrap(),
            "--exchange",
            "binance",
            "--session",
            "s1",
            "--max-messages",
            "3000",
            "--quiet",
        ],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("session s1: 3000 messages live"), "{out}");

    // The recording: the snapshot the session fetched, then the stream's messages — 3,000 lines in the capture
    // format (a snapshot counts as a message).
    let recording = work.path().join("data/recordings/s1/BTCUSDT.txt");
    let lines = std::fs::read_to_string(&recording).unwrap();
    assert_eq!(lines.lines().count(), 3000);
    assert!(lines.lines().next().unwrap().contains("lastUpdateId"));

    // The journal holds every fill of the report, once.
    let report = work.path().join("reports/s1");
    let journal = Journal::open_sqlite(&report.join("journal.sqlite"), "s1").unwrap();
    let fills = journal.fills().unwrap();
    let csv = std::fs::read_to_string(report.join("fills.csv")).unwrap();
    assert!(fills.len() > 20, "the quoter traded: {} fills", fills.len());
    assert_eq!(csv.lines().count() - 1, fills.len());
    assert_eq!(journal.schema_version().unwrap(), 1);
    assert!(journal.state().unwrap().unwrap().messages >= 3000);

    // Replaying the recording reproduces the session's orders and fills exactly.
    let (ok, out, err) = ctb(work.path(), &["backtest", "--replay", "data/recordings/s1", "--quiet"]).await;
    assert!(ok, "{out}\n{err}");
    let replay = work.path().join("reports/s1-replay");
    for file in ["fills.csv", "orders.csv", "equity.csv"] {
        let read = |dir: &Path| std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(read(&report), read(&replay), "{file} of the replay differs from the session's");
    }
}

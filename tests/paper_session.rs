//! A paper session against a loopback Binance that replays the shipped BTCUSDT capture as if it were live: it
//! records every message, journals orders and fills, exits with a backtest's report — and replaying its recording
//! gives the same fills.

mod common;

use std::path::Path;

use common::mock_live_binance::{config_for, serve_live};
use cryptotradebot::session::Journal;

async fn ctb(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    ctb_with_env(cwd, args, &[]).await
}

async fn ctb_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    common::ctb_async(cwd, args, env).await
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
            "--metrics-port",
            "0",
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
    let mut journal = Journal::open_sqlite(&report.join("journal.sqlite"), "s1").unwrap();
    let fills = journal.fills().unwrap();
    let csv = std::fs::read_to_string(report.join("fills.csv")).unwrap();
    assert!(fills.len() > 20, "the quoter traded: {} fills", fills.len());
    assert_eq!(csv.lines().count() - 1, fills.len());
    assert_eq!(journal.schema_version().unwrap(), 6);
    assert!(journal.state().unwrap().unwrap().messages >= 3000);

    // Replaying the recording reproduces the session's orders and fills exactly.
    let (ok, out, err) = ctb(work.path(), &["backtest", "--replay", "data/recordings/s1", "--quiet"]).await;
    assert!(ok, "{out}\n{err}");
    let replay = work.path().join("reports/s1-replay");
    for file in ["fills.csv", "orders.csv", "equity.csv"] {
        let read = |dir: &Path| std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(read(&report), read(&replay), "{file} of the replay differs from the session's");
    }

    // `ctb reconcile` agrees; with the maker fee altered in the replay it lists every fill's fee.
    let (ok, out, err) = ctb(work.path(), &["reconcile", "s1"]).await;
    assert!(ok, "{out}\n{err}");
    assert_eq!(
        out.trim(),
        format!("identical: {} fills of {} orders, journal and replay", fills.len(), csv_orders(&report))
    );
    let altered = std::fs::read_to_string(&scenario).unwrap().replace("maker: 1.2", "maker: 2.4").replace(
        "../data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz",
        common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz").to_str().unwrap(),
    );
    let altered_path = work.path().join("altered.yaml");
    std::fs::write(&altered_path, altered).unwrap();
    let (ok, out, err) = ctb(work.path(), &["reconcile", "s1", "--scenario", altered_path.to_str().unwrap()]).await;
    assert!(!ok, "differences fail the command");
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed.len(), fills.len(), "one line per fill whose fee changed: {out}");
    assert!(listed.iter().all(|l| l.contains("(journal vs replay): fee ")), "{out}");
    assert!(err.contains(&format!("ValidationError: session s1: {} difference(s)", fills.len())), "{err}");

    // The validation gate checks the scenario's thresholds and this session's parity, and records the outcome.
    let (ok, out, err) = ctb(work.path(), &["validate", scenario.to_str().unwrap(), "--session", "s1"]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("pass  paper_session: identical (threshold s1)"), "{out}");
    let record = std::fs::read_to_string(work.path().join("reports/btc_l2_market_maker/validation.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["passed"], true);
    assert_eq!(record["checks"].as_array().unwrap().len(), 3, "min_fills, max_drawdown_percent, paper_session");
}

/// Orders in a report's orders.csv.
fn csv_orders(report: &Path) -> usize {
    std::fs::read_to_string(report.join("orders.csv")).unwrap().lines().count() - 1
}

/// Fills as (seq, order, time, price, quantity, fee) from the journal at `path`.
fn journal_fills(path: &Path, session: &str) -> Vec<String> {
    let mut journal = Journal::open_sqlite(path, session).unwrap();
    journal.fills().unwrap().iter().map(|(seq, r)| format!("{seq} {:?}", r.fill)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_killed_mid_run_resumes_with_every_fill_once_and_ends_as_an_uninterrupted_one() {
    let venue = serve_live(1000).await;
    let work = tempfile::tempdir().unwrap();
    config_for(&work.path().join("config"), &venue);
    let scenario = common::repo("scenarios/btc_l2_market_maker.yaml");
    let args = |extra: &[&str]| {
        let mut args =
            vec!["paper", scenario.to_str().unwrap(), "--exchange", "binance", "--quiet", "--metrics-port", "0"];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let journal = work.path().join("reports/c1/journal.sqlite");
    let recording = work.path().join("data/recordings/c1/BTCUSDT.txt");

    // Start the session and kill it (SIGKILL) once it has journaled fills, mid-run.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(args(&["--session", "c1", "--max-messages", "100000"]))
        .current_dir(work.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut waited = 0;
    while !(journal.exists() && journal_fills(&journal, "c1").len() >= 20) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 600, "no fills journaled within 30 s");
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success(), "killed, not finished");
    let before = journal_fills(&journal, "c1");
    let recorded_before = std::fs::read_to_string(&recording).unwrap().lines().count();

    // Resume: the recording is replayed (re-deriving every journaled fill), then the session goes on live.
    let (ok, out, err) = ctb(
        work.path(),
        &args(&["--resume", "c1", "--max-messages", "1500"]).iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains(&format!("after {recorded_before} replayed")), "{out}");
    let after = journal_fills(&journal, "c1");
    assert_eq!(&after[..before.len()], &before[..], "the fills journaled before the crash are unchanged");
    let csv = std::fs::read_to_string(work.path().join("reports/c1/fills.csv")).unwrap();
    assert_eq!(csv.lines().count() - 1, after.len(), "every fill of the session is in the journal exactly once");
    assert!(after.len() > before.len(), "the resumed session traded on");

    // A session never interrupted on the same data (the replay of the whole recording) ends the same.
    let (ok, out, err) = ctb(work.path(), &["backtest", "--replay", "data/recordings/c1", "--quiet"]).await;
    assert!(ok, "{out}\n{err}");
    let read = |dir: &str, file: &str| std::fs::read_to_string(work.path().join(dir).join(file)).unwrap();
    assert_eq!(read("reports/c1", "fills.csv"), read("reports/c1-replay", "fills.csv"));
    let summary = |dir: &str| serde_json::from_str::<serde_json::Value>(&read(dir, "summary.json")).unwrap();
    let (session, replay) = (summary("reports/c1"), summary("reports/c1-replay"));
    assert_eq!(session["venue_balances"], replay["venue_balances"]);
    assert_eq!(session["open_positions"], replay["open_positions"]);
    let state = Journal::open_sqlite(&journal, "c1").unwrap().state().unwrap().unwrap();
    let balances: std::collections::BTreeMap<String, String> =
        state.balances.iter().map(|(k, v)| (k.clone(), v.normalize().to_string())).collect();
    assert_eq!(serde_json::to_value(&balances).unwrap(), replay["venue_balances"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_database_url_the_session_journals_to_postgresql_and_reconciles_from_there() {
    let test = "with_database_url_the_session_journals_to_postgresql_and_reconciles_from_there";
    let Some(url) = common::postgres::postgres_url(test) else { return };
    let session = common::postgres::fresh_session("paper");
    let venue = serve_live(4000).await;
    let work = tempfile::tempdir().unwrap();
    config_for(&work.path().join("config"), &venue);
    let scenario = common::repo("scenarios/btc_l2_market_maker.yaml");
    let env = [("DATABASE_URL", url.as_str())];
    let args = ["paper", scenario.to_str().unwrap(), "--session", &session, "--max-messages", "2000"];
    let (ok, out, err) =
        ctb_with_env(work.path(), &[&args[..], &["--metrics-port", "0", "--quiet"]].concat(), &env).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("journal PostgreSQL (DATABASE_URL)"), "{out}");
    assert!(!work.path().join("reports").join(&session).join("journal.sqlite").exists(), "no SQLite journal");
    let fills = Journal::open_postgres(&url, &session).unwrap().fills().unwrap();
    let csv = std::fs::read_to_string(work.path().join("reports").join(&session).join("fills.csv")).unwrap();
    assert!(!fills.is_empty());
    assert_eq!(csv.lines().count() - 1, fills.len());
    let (ok, out, err) = ctb_with_env(work.path(), &["reconcile", &session], &env).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.starts_with(&format!("identical: {} fills", fills.len())), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_risk_managers_emergency_stop_ends_the_session_on_its_own() {
    let venue = serve_live(2000).await;
    let work = tempfile::tempdir().unwrap();
    config_for(&work.path().join("config"), &venue);
    // The market maker with a drawdown limit of 0.002 % (0.20 USDT): its inventory loses that within minutes.
    let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let text = std::fs::read_to_string(common::repo("scenarios/btc_l2_market_maker.yaml"))
        .unwrap()
        .replace("../data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz", capture.to_str().unwrap())
        .replace("max_drawdown_percent: 100", "max_drawdown_percent: 0.002");
    std::fs::write(work.path().join("tight.yaml"), text).unwrap();
    let args = ["paper", "tight.yaml", "--session", "e1", "--max-messages", "25000", "--metrics-port", "0", "--quiet"];
    let (ok, out, err) = ctb(work.path(), &args).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("stopped by EmergencyStop"), "{out}");
    let live: u64 = out.split("session e1: ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(live < 25_000, "it stopped before the message limit: {live}");
    let risk = std::fs::read_to_string(work.path().join("reports/e1/risk_events.csv")).unwrap();
    assert!(risk.lines().any(|l| l.contains(",drawdown,halted,")), "{risk}");
}

//! `ctb live`: refused, one clear line each, without a current passing validation, without credentials, without
//! `--confirm-live`; and a session against a loopback Binance (market data replayed from the shipped capture, the
//! adapter tests' order endpoints with signatures checked) that places, tracks and cancels orders, and whose kill
//! switch (SIGTERM) cancels the orders still open.

mod common;

use std::path::{Path, PathBuf};

use common::mock_binance::{KEY, SECRET};
use common::mock_live_binance::{config_for, serve_live};

const CREDENTIALS: [(&str, &str); 2] = [("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", SECRET)];

/// A working folder holding the market-maker scenario (data path made absolute), optionally validated.
fn work(validated: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let text = std::fs::read_to_string(common::repo("scenarios/btc_l2_market_maker.yaml"))
        .unwrap()
        .replace("../data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz", capture.to_str().unwrap());
    let scenario = dir.path().join("mm.yaml");
    std::fs::write(&scenario, text).unwrap();
    if validated {
        let (ok, out, err) = common::ctb(dir.path(), &["validate", "mm.yaml"]);
        assert!(ok, "{out}\n{err}");
    }
    (dir, scenario)
}

fn live(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut args = vec!["live", "mm.yaml", "--exchange", "binance", "--session", "l1", "--quiet"];
    args.extend_from_slice(extra);
    common::ctb_with_env(dir, &args, env)
}

fn refusal(err: &str) -> &str {
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err.trim()
}

#[test]
fn live_refuses_a_scenario_that_was_never_validated() {
    let (dir, _) = work(false);
    let (ok, _, err) = live(dir.path(), &["--confirm-live"], &CREDENTIALS);
    assert!(!ok);
    assert!(
        refusal(&err).starts_with("error: ValidationError: live: btc_l2_market_maker has no validation record"),
        "{err}"
    );
}

#[test]
fn live_refuses_a_scenario_changed_since_its_validation() {
    let (dir, scenario) = work(true);
    let mut text = std::fs::read_to_string(&scenario).unwrap();
    text = text.replace("stale_ticks: 2", "stale_ticks: 3");
    std::fs::write(&scenario, text).unwrap();
    let (ok, _, err) = live(dir.path(), &["--confirm-live"], &CREDENTIALS);
    assert!(!ok);
    let line = refusal(&err);
    assert!(line.contains("live: btc_l2_market_maker changed since it was validated (sha256:"), "{line}");
    assert!(line.ends_with("run ctb validate again"), "{line}");
}

#[test]
fn live_refuses_to_start_without_credentials() {
    let (dir, _) = work(true);
    let (ok, _, err) = live(dir.path(), &["--confirm-live"], &[("BINANCE_API_KEY", ""), ("BINANCE_API_SECRET", "")]);
    assert!(!ok);
    assert_eq!(
        refusal(&err),
        "error: AuthenticationError: live: no credentials for binance: set BINANCE_API_KEY and BINANCE_API_SECRET (environment or .env)"
    );
}

#[test]
fn live_refuses_to_start_without_confirmation() {
    let (dir, _) = work(true);
    let (ok, _, err) = live(dir.path(), &[], &CREDENTIALS);
    assert!(!ok);
    assert_eq!(
        refusal(&err),
        "error: ValidationError: live: btc_l2_market_maker would send real orders to binance: add --confirm-live to go ahead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_places_tracks_and_cancels_orders_and_its_kill_switch_cancels_the_open_ones() {
    let (dir, _) = tokio::task::spawn_blocking(|| work(true)).await.unwrap();
    let venue = serve_live(200).await;
    config_for(&dir.path().join("config"), &venue);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(["live", "mm.yaml", "--exchange", "binance", "--session", "l1", "--quiet", "--confirm-live"])
        .args(["--metrics-port", &port])
        .current_dir(dir.path())
        .envs(CREDENTIALS)
        .env("LOG_LEVEL", "audit=info")
        .env("LOG_FILE", dir.path().join("logs/ctb.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let seen = |what: &str| venue.requests.lock().unwrap().iter().filter(|r| r.starts_with(what)).count();
    let mut waited = 0;
    while !(seen("POST /api/v3/order") >= 3 && seen("GET /api/v3/order") >= 1 && seen("DELETE /api/v3/order") >= 1) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(
            waited < 400,
            "no orders placed, tracked and canceled within 20 s: {:?}",
            venue.requests.lock().unwrap()
        );
    }
    // While it runs, /metrics and /health answer with the session's numbers.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let get = |path: &str| {
        let url = format!("http://127.0.0.1:{port}{path}");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let metrics = get("/metrics").await;
    let value = |name: &str| -> f64 {
        let line =
            metrics.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} missing:\n{metrics}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!((value("ctb_equity ") - 10_000.0).abs() < 100.0, "equity near the starting 10,000 USDT");
    assert_eq!(value("ctb_risk_level{level=\"normal\"}"), 1.0);
    assert!(value("ctb_orders{status=\"CANCELED\"}") >= 1.0);
    assert!(value("ctb_order_round_trip_seconds_count") >= 4.0, "placing, canceling and asking are timed");
    assert!(value("ctb_order_round_trip_seconds_sum") > 0.0);
    assert!(value("ctb_market_messages_total") > 10.0);
    let age = value("ctb_last_market_event_age_seconds");
    assert!((0.0..5.0).contains(&age), "the last message is fresh: {age} s");
    assert_eq!(value("ctb_websocket_reconnects_total"), 0.0);
    for name in ["ctb_pnl ", "ctb_drawdown_percent ", "ctb_rate_limit_refusals_total "] {
        value(name);
    }
    assert!(get("/health").await.starts_with(r#"{"status":"ok","session":"l1""#));

    // The kill switch.
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("(binance test endpoints)"), "{stdout}");
    assert!(stdout.contains("stopped by Signal; kill switch: 1 open order(s) canceled"), "{stdout}");
    // The venue holds 0.5 BTC the session does not start from: reported before trading.
    assert!(
        stdout.contains("reconcile at start: BTC: the venue holds 0.5 free, the session starts from 0"),
        "{stdout}"
    );

    // Every order the session placed ended; each canceled one was canceled at the venue.
    let orders = std::fs::read_to_string(dir.path().join("reports/l1/orders.csv")).unwrap();
    let rows: Vec<&str> = orders.lines().skip(1).collect();
    assert_eq!(rows.len(), seen("POST /api/v3/order"), "every order reached the venue");
    assert!(rows.iter().all(|r| r.contains("CANCELED")), "{orders}");
    assert_eq!(seen("DELETE /api/v3/order"), rows.len(), "each order canceled once at the venue");

    // LOG_FILE holds the audit trail of every order decision, and never a credential.
    let log = std::fs::read_to_string(dir.path().join("logs/ctb.log")).unwrap();
    for decision in
        ["order admitted by the risk manager", "order accepted by the venue", "kill switch: cancel answered"]
    {
        assert_eq!(
            log.matches(decision).count(),
            if decision.starts_with("kill") { 1 } else { rows.len() },
            "{decision}"
        );
    }
    assert!(!log.contains(KEY) && !log.contains(SECRET), "a credential reached the log");
}

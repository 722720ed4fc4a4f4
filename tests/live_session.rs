//! `ctb live`: refused, one clear line each, without a current passing validation, without credentials, without
//! `--confirm-live`; and a session against a loopback Binance (market data replayed from the shipped capture, the
//! adapter tests' order endpoints with signatures checked) that places, tracks and cancels orders, and whose kill
//! switch (SIGTERM) cancels the orders still open.

mod common;

use std::path::{Path, PathBuf};

use common::mock_binance::{KEY, SECRET};
use common::mock_live_binance::{LiveBinance, config_for, serve_live};

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

    // The kill switch, at a quiet moment when the session's quote is working at the venue.
    let out = terminate_while_quoting(&venue, child, &port).await;
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

/// The market messages the session on metrics `port` has taken (0 before its endpoint answers).
async fn messages_taken(port: &str) -> u64 {
    let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await else { return 0 };
    let text = answer.text().await.unwrap_or_default();
    let line = text.lines().find(|l| l.starts_with("ctb_market_messages_total ")).unwrap_or("x 0");
    line.rsplit(' ').next().unwrap().parse().unwrap_or(0)
}

/// Waits for a quiet moment — the market paused and every message the session received taken (its metrics stop
/// moving) — in which its quote is working at the venue (placed, not canceled); then sends SIGTERM and waits for
/// the session to end.
async fn terminate_while_quoting(venue: &LiveBinance, child: std::process::Child, port: &str) -> std::process::Output {
    let seen = |what: &str| venue.requests.lock().unwrap().iter().filter(|r| r.starts_with(what)).count();
    loop {
        venue.paused.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut taken = messages_taken(port).await;
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let now = messages_taken(port).await;
            if now == taken && now > 0 {
                break;
            }
            taken = now;
        }
        if seen("POST /api/v3/order") == seen("DELETE /api/v3/order") + 1 {
            break;
        }
        venue.paused.store(false, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    venue.paused.store(false, std::sync::atomic::Ordering::Relaxed);
    out
}

/// Starts `ctb live` on the working folder's scenario with `extra` arguments (credentials set).
fn spawn_live(dir: &Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(["live", "mm.yaml", "--exchange", "binance", "--quiet", "--confirm-live"])
        .args(extra)
        .current_dir(dir)
        .envs(CREDENTIALS)
        .env_remove("LOG_LEVEL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Cancels the order with client order id `client_id` at the mock venue as another client would (a signed DELETE),
/// behind the session's back.
async fn cancel_behind_the_sessions_back(rest: &str, client_id: &str) {
    use cryptotradebot::venue::Secret;
    use cryptotradebot::venue::signing::binance_signature;
    let query = format!("symbol=BTCUSDT&origClientOrderId={client_id}&timestamp=1700000000000&recvWindow=5000");
    let signature = binance_signature(&Secret::new(SECRET), &query).unwrap();
    let url = format!("{rest}/api/v3/order?{query}&signature={signature}");
    let answer = reqwest::Client::new().delete(url).header("X-MBX-APIKEY", KEY).send().await.unwrap();
    assert!(answer.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_resumes_from_its_journal_after_comparing_its_open_orders_with_the_venue() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, _) = tokio::task::spawn_blocking(|| work(true)).await.unwrap();
    let venue = serve_live(2000).await;
    config_for(&dir.path().join("config"), &venue);
    let run = |extra: &'static [&'static str]| {
        let cwd = dir.path().to_path_buf();
        async move {
            let mut args = vec!["live", "mm.yaml", "--exchange", "binance", "--quiet", "--confirm-live"];
            args.extend_from_slice(&["--metrics-port", "0"]);
            args.extend_from_slice(extra);
            common::ctb_async(&cwd, &args, &CREDENTIALS).await
        }
    };
    // A first run that leaves its quote working at the venue.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let child = spawn_live(dir.path(), &["--session", "r1", "--keep-orders", "--metrics-port", &port]);
    let out = terminate_while_quoting(&venue, child, &port).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("kill switch: 0 open order(s) canceled"), "{stdout}");
    let orders = |dir: &Path| std::fs::read_to_string(dir.join("reports/r1/orders.csv")).unwrap();
    let first = orders(dir.path());
    let open: Vec<u64> = first
        .lines()
        .skip(1)
        .filter(|l| l.contains(",NEW,"))
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(open.len(), 1, "one quote left working: {first}");

    // Someone cancels it at the venue meanwhile; the resumed session says so before trading, and goes on.
    let journal_path = dir.path().join("reports/r1/journal.sqlite");
    let tag = cryptotradebot::session::Journal::open_sqlite(&journal_path, "r1").unwrap().client_tag().unwrap();
    cancel_behind_the_sessions_back(&venue.rest, &tag.short_id(cryptotradebot::model::OrderId(open[0]))).await;
    *venue.journal.lock().unwrap() = Some((journal_path, "r1".into()));
    let (ok, out, err) = run(&["--resume", "r1", "--max-messages", "300"]).await;
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains(&format!("reconcile at start: order {}: NEW in the journal, CANCELED at the venue", open[0])),
        "{out}"
    );
    assert!(!out.contains("reconcile at start: BTC"), "the balances are as the journal recorded them: {out}");
    let resumed = orders(dir.path());
    let ids: Vec<u64> = resumed.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    let first_count = first.lines().count() - 1;
    assert!(ids.len() > first_count, "the resumed session placed orders of its own");
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "order ids continue, none repeated");
    assert!(resumed.lines().skip(1).all(|l| !l.contains(",NEW,")), "the kill switch ended every order: {resumed}");

    // Every order of the resumed session had its journal row when its POST reached the venue; every id sent, before
    // and after the resume, carries the session's tag and was sent once.
    let checked = venue.checked.lock().unwrap().clone();
    assert!(!checked.is_empty(), "the resumed session placed orders");
    assert_eq!(*venue.unjournaled.lock().unwrap(), Vec::<String>::new(), "POSTed before they were journaled");
    // And every cancel it sent (the quoter's replacements, the kill switch's) was journaled before it arrived.
    assert!(!venue.cancels_checked.lock().unwrap().is_empty(), "the resumed session canceled orders");
    let early = venue.cancels_unjournaled.lock().unwrap().clone();
    assert_eq!(early, Vec::<String>::new(), "DELETEd before the journal held the cancel request");
    let sent = client_ids(&venue);
    assert!(sent.iter().all(|id| tag.parse_short_id(id).is_some()), "{sent:?}");
    let mut distinct = sent.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), sent.len(), "a client order id was sent twice: {sent:?}");

    // Another session at the same venue sends ids of its own.
    *venue.journal.lock().unwrap() = None;
    let (ok, out, err) = run(&["--session", "r2", "--max-messages", "300"]).await;
    assert!(ok, "{out}\n{err}");
    let after = client_ids(&venue);
    let second: Vec<&String> = after[sent.len()..].iter().collect();
    assert!(!second.is_empty() && second.iter().all(|id| tag.parse_short_id(id).is_none()), "{second:?}");
}

/// The client order ids of every order POSTed to `venue`, in order.
fn client_ids(venue: &common::mock_live_binance::LiveBinance) -> Vec<String> {
    let requests = venue.requests.lock().unwrap();
    let posts = requests.iter().filter(|r| r.starts_with("POST /api/v3/order?"));
    posts.filter_map(|r| r.split('&').find_map(|p| p.strip_prefix("newClientOrderId=")).map(str::to_string)).collect()
}

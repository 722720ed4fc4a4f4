//! `ctb exchange …` against the loopback Binance mock, its base URL read from the config folder: the same adapter
//! the engine uses, credentials from the environment or `.env`, one typed error line on failure.

mod common;

use common::mock_binance::{KEY, SECRET, mock_binance};
use std::path::Path;

/// A working folder whose `config/exchanges.yaml` points Binance at `base`.
fn folder(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let yaml = format!("exchanges:\n  binance:\n    testnet: true\n    base_url: '{base}'\n");
    std::fs::write(dir.path().join("config/exchanges.yaml"), yaml).unwrap();
    dir
}

async fn ctb(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    common::ctb_async(cwd, args, env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctb_exchange_ticker_prints_the_mock_venues_ticker() {
    let base = mock_binance().await;
    let dir = folder(&base);
    let credentials = [("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", SECRET)];
    let (ok, stdout, stderr) =
        ctb(dir.path(), &["exchange", "ticker", "--exchange", "binance", "--symbol", "BTCUSDT"], &credentials).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("binance BTCUSDT: bid 61602.01 ask 61602.02 last 61602.02 at "), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_prints_one_authentication_error_line_and_fails() {
    let base = mock_binance().await;
    let dir = folder(&base);
    let wrong = [("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", "not-the-secret")];
    let (ok, stdout, stderr) =
        ctb(dir.path(), &["exchange", "ticker", "--exchange", "binance", "--symbol", "BTCUSDT"], &wrong).await;
    assert!(!ok && stdout.is_empty(), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: AuthenticationError: binance /api/v3/account: -1022"), "{stderr}");
    assert!(!stderr.contains("not-the-secret") && !stderr.contains(KEY), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_dotenv_place_check_and_cancel_an_order() {
    let base = mock_binance().await;
    let dir = folder(&base);
    std::fs::write(dir.path().join(".env"), format!("BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n")).unwrap();
    let venue = ["--exchange", "binance", "--symbol", "BTCUSDT"];
    let order = [
        &["exchange", "order"][..],
        &venue,
        &["--side", "buy", "--quantity", "0.0012345", "--price", "60000.004", "--id", "42"],
    ]
    .concat();
    let (ok, stdout, stderr) = ctb(dir.path(), &order, &[]).await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "order 42: NEW BUY LIMIT 0.00123 BTCUSDT @ 60000; filled 0, fee 0",
        "rounded to lot and tick"
    );
    let (ok, stdout, stderr) =
        ctb(dir.path(), &[&["exchange", "status"][..], &venue, &["--id", "42"]].concat(), &[]).await;
    assert!(ok && stdout.starts_with("order 42: NEW BUY LIMIT"), "{stdout}{stderr}");
    let (ok, stdout, stderr) =
        ctb(dir.path(), &[&["exchange", "cancel"][..], &venue, &["--id", "42"]].concat(), &[]).await;
    assert!(ok && stdout.starts_with("order 42: CANCELED"), "{stdout}{stderr}");
    let (ok, stdout, _) = ctb(dir.path(), &["exchange", "balance", "--exchange", "binance"], &[]).await;
    assert!(ok);
    assert_eq!(stdout, "BTC 0.5\nUSDT 10000\n");
    let (ok, _, stderr) = ctb(dir.path(), &[&["exchange", "status"][..], &venue, &["--id", "7"]].concat(), &[]).await;
    assert!(
        !ok && stderr.starts_with("error: OrderError: binance /api/v3/order: -2013 Order does not exist."),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn even_trace_logs_never_show_a_credential() {
    let base = mock_binance().await;
    let dir = folder(&base);
    let env = [("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", SECRET), ("LOG_LEVEL", "trace")];
    let venue = ["--exchange", "binance", "--symbol", "BTCUSDT"];
    let order =
        [&["exchange", "order"][..], &venue, &["--side", "buy", "--quantity", "0.01", "--price", "60000"]].concat();
    let (ok, _, stderr) = ctb(dir.path(), &order, &env).await;
    assert!(ok && stderr.lines().count() > 5, "trace logging is on: {stderr}");
    assert!(!stderr.contains(KEY) && !stderr.contains(SECRET), "{stderr}");
    assert!(!stderr.contains("signature="), "signed queries stay out of the logs: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_for_production_endpoints_is_sent_only_when_confirmed() {
    let base = mock_binance().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let yaml = format!("exchanges:\n  binance:\n    testnet: false\n    base_url: '{base}'\n");
    std::fs::write(dir.path().join("config/exchanges.yaml"), yaml).unwrap();
    let credentials = [("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", SECRET)];
    let venue = ["--exchange", "binance", "--symbol", "BTCUSDT"];
    let order = [
        &["exchange", "order"][..],
        &venue,
        &["--side", "buy", "--quantity", "0.001", "--price", "60000", "--id", "7"],
    ]
    .concat();
    // No terminal to answer (stdin closed): refused, and the venue never hears of it.
    let (ok, stdout, stderr) = ctb(dir.path(), &order, &credentials).await;
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("binance PRODUCTION endpoints: this LIMIT BUY of 0.001 BTCUSDT at 60000 is a real order"));
    assert!(stderr.contains("ValidationError: not confirmed: no order was sent to binance"), "{stderr}");
    let status = [&["exchange", "status"][..], &venue, &["--id", "7"]].concat();
    let (ok, _, stderr) = ctb(dir.path(), &status, &credentials).await;
    assert!(!ok && stderr.contains("-2013"), "the order never reached the venue: {stderr}");
    // Confirmed on the command line: sent.
    let confirmed = [&order[..], &["--confirm-live"]].concat();
    let (ok, stdout, stderr) = ctb(dir.path(), &confirmed, &credentials).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("order 7: NEW BUY LIMIT 0.001 BTCUSDT @ 60000"), "{stdout}");
}

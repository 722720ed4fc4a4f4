//! `ctb data fetch` against a loopback mock of Binance's `/api/v3/klines`: pages across the endpoint's 1,000-row
//! limit, resumes after an interruption without duplicating a bar, and writes a file the backtest loader accepts.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::mock_http::{Answer, Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::data::parse_timestamp;
use cryptotradebot::model::Symbol;
use cryptotradebot::venue::kline_history::{KlineRequest, fetch_binance_klines};
use cryptotradebot::venue::rest::RestClient;

/// 2023-01-01T00:00:00Z in ms, and the venue's history: 2,500 hourly bars from then.
const T0: i64 = 1_672_531_200_000;
const HOUR: i64 = 3_600_000;
const BARS: i64 = 2_500;

fn query(seen: &Seen, name: &str) -> Option<i64> {
    let query = seen.target.split_once('?')?.1;
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name)?.1.parse().ok()
}

/// The klines endpoint; from the request numbered `fail_at` (from 1, 0 for never) on, every request gets a 500: an
/// outage that outlasts the client's retries.
fn klines(seen: &Seen, fail_at: usize, calls: &AtomicUsize) -> Answer {
    let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
    if fail_at > 0 && call >= fail_at {
        return (500, vec![], r#"{"code":-1000,"msg":"An unknown error occurred"}"#.to_string());
    }
    let (start, end, limit) =
        (query(seen, "startTime").unwrap(), query(seen, "endTime").unwrap(), query(seen, "limit").unwrap());
    let rows: Vec<String> = (0..BARS)
        .map(|i| T0 + i * HOUR)
        .filter(|open| *open >= start && *open <= end)
        .take(limit as usize)
        .map(|open| {
            let price = 16_000 + (open - T0) / HOUR % 97;
            format!(
                r#"[{open},"{price}.00000000","{}.00000000","{}.00000000","{price}.50000000","12.5",{},"200000.0",100,"6.0","96000.0","0"]"#,
                price + 1,
                price - 1,
                open + HOUR - 1
            )
        })
        .collect();
    (200, vec![], format!("[{}]", rows.join(",")))
}

async fn mock_venue(fail_at: usize) -> String {
    let calls = Arc::new(AtomicUsize::new(0));
    serve(move |seen: Seen| {
        let calls = calls.clone();
        async move {
            assert!(seen.target.starts_with("/api/v3/klines?symbol=BTCUSDT&interval=1h&"), "{}", seen.target);
            klines(&seen, fail_at, &calls)
        }
    })
    .await
}

fn request() -> KlineRequest {
    KlineRequest {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        interval: "1h".into(),
        from: parse_timestamp("2023-01-01").unwrap(),
        to: parse_timestamp("2023-06-01").unwrap(),
    }
}

fn open_times(path: &std::path::Path) -> Vec<i64> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn a_download_pages_across_the_row_limit_into_a_file_the_loader_accepts() {
    let rest = RestClient::new("binance", &mock_venue(0).await, Duration::from_secs(5), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BTCUSDT-1h.csv");
    let summary = fetch_binance_klines(&rest, &request(), &out, &|_| {}).await.unwrap();
    // 1,000 + 1,000 + 500 rows; the venue's history ends before --to.
    assert_eq!((summary.already_had, summary.written, summary.pages), (0, 2500, 3));
    assert_eq!(summary.quality.gaps, 0);
    assert_eq!(open_times(&out), (0..BARS).map(|i| T0 + i * HOUR).collect::<Vec<_>>());
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("open_time,open,high,low,close,volume,close_time,"));
}

#[tokio::test]
async fn an_interrupted_download_keeps_its_pages_and_resumes_after_the_last_bar() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BTCUSDT-1h.csv");
    let failing = RestClient::new("binance", &mock_venue(2).await, Duration::from_secs(5), None).unwrap();
    let err = fetch_binance_klines(&failing, &request(), &out, &|_| {}).await.unwrap_err();
    assert!(matches!(&err, Error::Exchange(m) if m.contains("HTTP 500")), "{err:?}");
    assert_eq!(open_times(&out).len(), 1000, "the first page stays");
    let rest = RestClient::new("binance", &mock_venue(0).await, Duration::from_secs(5), None).unwrap();
    let summary = fetch_binance_klines(&rest, &request(), &out, &|_| {}).await.unwrap();
    assert_eq!((summary.already_had, summary.written, summary.pages), (1000, 1500, 2));
    assert_eq!(open_times(&out), (0..BARS).map(|i| T0 + i * HOUR).collect::<Vec<_>>(), "no bar twice, none missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctb_data_fetch_reads_the_base_url_from_the_config_folder() {
    let base = mock_venue(0).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("exchanges.yaml"), format!("exchanges:\n  binance:\n    base_url: '{base}'\n")).unwrap();
    let out = dir.path().join("klines.csv");
    let args =
        ["data", "fetch", "--symbol", "BTCUSDT", "--interval", "1h", "--from", "2023-01-01", "--to", "2023-06-01"];
    let (cwd, out_arg) = (dir.path().to_path_buf(), out.to_str().unwrap().to_string());
    let (ok, stdout, stderr) =
        tokio::task::spawn_blocking(move || common::ctb(&cwd, &[&args[..], &["--out", &out_arg]].concat()))
            .await
            .unwrap();
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2500 bars written in 3 request(s)"), "{stdout}");
    assert_eq!(open_times(&out).len(), 2500);
}

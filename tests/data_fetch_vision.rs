//! `ctb data fetch --source binance-vision` against a loopback mirror of data.binance.vision serving archives built
//! here, in the published layout (`<path>.zip` holding one CSV, `<path>.zip.CHECKSUM` holding `<sha256>  <name>`),
//! from the shipped BTCUSDT 1-hour klines of January and February 2023 and from trades of the shipped BTCUSDT
//! recording. This file: klines — monthly and daily archives joined into a file the loaders read, spot and USDⓈ-M,
//! 1-second bars, microsecond times normalised, gaps and duplicates reported, months without their archive read from
//! their days. `checks`: checksums and the cache, corrupt archives, failed runs. `trades`: aggregate trades, funding
//! rates and a large archive streamed.

#[path = "data_fetch_vision/checks.rs"]
mod checks;
mod common;
#[path = "data_fetch_vision/trades.rs"]
mod trades;

use std::path::{Path, PathBuf};

use common::vision_mirror::Mirror;
use cryptotradebot::data::{DataFile, DataFormat, load_bar_series};
use cryptotradebot::model::{BarSeries, Symbol};
use cryptotradebot::venue::vision::{Gap, MonthFromDays, VisionKind, VisionMarket, VisionRequest, fetch_vision};

const KLINES: &str = "data/spot/monthly/klines/BTCUSDT/1h";
const DAILY_KLINES: &str = "data/spot/daily/klines/BTCUSDT/1h";

/// The shipped kline rows (no header) of January and February 2023.
fn shipped_rows() -> Vec<String> {
    ["01", "02"]
        .iter()
        .flat_map(|month| {
            let text = std::fs::read_to_string(common::repo(&format!("data/binance/BTCUSDT-1h-2023-{month}.csv")))
                .expect("shipped klines");
            text.lines().skip(1).map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

/// The rows whose open time (ms) starts with a day `2023-MM-DD` or month `2023-MM`.
fn rows_of(rows: &[String], period: &str) -> Vec<String> {
    rows.iter()
        .filter(|row| {
            let open: i64 = row.split(',').next().unwrap().parse().unwrap();
            let day = chrono::DateTime::from_timestamp_millis(open).unwrap().format("%Y-%m-%d").to_string();
            day.starts_with(period)
        })
        .cloned()
        .collect()
}

fn lines(rows: &[String]) -> String {
    rows.iter().map(|row| format!("{row}\n")).collect()
}

/// January's monthly archive and the daily ones of 1 and 2 February, as Binance's spot dumps have them (no header
/// row, milliseconds).
fn january_and_two_days(rows: &[String]) -> Mirror {
    let mirror = Mirror::default();
    mirror.publish(KLINES, "BTCUSDT-1h-2023-01", &lines(&rows_of(rows, "2023-01")));
    for day in ["01", "02"] {
        mirror.publish(
            DAILY_KLINES,
            &format!("BTCUSDT-1h-2023-02-{day}"),
            &lines(&rows_of(rows, &format!("2023-02-{day}"))),
        );
    }
    mirror
}

/// Runs the `ctb` binary in `dir` on a blocking thread (the mirror keeps serving); exit code, stdout, stderr.
async fn ctb(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let (dir, args): (PathBuf, Vec<String>) = (dir.to_path_buf(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
            .args(&args)
            .current_dir(&dir)
            .env_remove("LOG_LEVEL")
            .output()
            .expect("run ctb");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// `ctb data fetch --source binance-vision` of BTCUSDT 1h over `[from, to)` into `out`.
async fn fetch(base: &str, dir: &Path, from: &str, to: &str, out: &str) -> (Option<i32>, String, String) {
    let args = [
        "data",
        "fetch",
        "--source",
        "binance-vision",
        "--symbol",
        "BTCUSDT",
        "--interval",
        "1h",
        "--from",
        from,
        "--to",
        to,
        "--out",
        out,
        "--base-url",
        base,
    ];
    ctb(dir, &args).await
}

fn load(path: &Path, format: DataFormat) -> BarSeries {
    load_bar_series(Symbol::new("BTCUSDT").unwrap(), &[DataFile { path: path.to_path_buf(), format }]).unwrap().0
}

const HEADER: &str =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

/// The shipped rows before 2023-02-03 as the output holds them.
fn expected_output(rows: &[String]) -> String {
    let mut expected = rows_of(rows, "2023-01");
    expected.extend(rows_of(rows, "2023-02-01"));
    expected.extend(rows_of(rows, "2023-02-02"));
    format!("{HEADER}\n{}", lines(&expected))
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_and_two_days_join_into_the_exact_shipped_rows_the_loaders_read() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    let out = dir.path().join("klines.csv");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected_output(&rows));
    assert!(
        stdout.contains("klines.csv: 792 rows of klines, 2023-01-01T00:00:00Z to 2023-02-02T23:00:00Z, from 3 archive(s) (3 downloaded, 0 verified"),
        "{stdout}"
    );
    assert!(stdout.contains("gaps: none"), "{stdout}");
    assert_eq!(
        mirror.take_seen(),
        [
            "/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01.zip.CHECKSUM",
            "/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01.zip",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02-01.zip.CHECKSUM",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02-01.zip",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02-02.zip.CHECKSUM",
            "/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02-02.zip",
        ]
    );
    // The bars the loader reads are the shipped files' first 792.
    let fetched = load(&out, DataFormat::BinanceKlines);
    let shipped = load_bar_series(
        Symbol::new("BTCUSDT").unwrap(),
        &["01", "02"].map(|m| DataFile {
            path: common::repo(&format!("data/binance/BTCUSDT-1h-2023-{m}.csv")),
            format: DataFormat::BinanceKlines,
        }),
    )
    .unwrap()
    .0;
    assert_eq!(fetched.len(), 792);
    assert_eq!(fetched.open_time, shipped.open_time[..792]);
    assert_eq!(
        (fetched.open, fetched.close, fetched.volume),
        (shipped.open[..792].to_vec(), shipped.close[..792].to_vec(), shipped.volume[..792].to_vec())
    );
    // The same request into Parquet: the generic columns, the same bars.
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.parquet").await;
    assert_eq!(code, Some(0), "{stderr}");
    let parquet = load(&dir.path().join("klines.parquet"), DataFormat::Parquet);
    assert_eq!((parquet.open_time, parquet.high, parquet.low), (fetched.open_time, fetched.high, fetched.low));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usd_m_futures_klines_with_their_header_row_land_in_the_default_file() {
    let rows = shipped_rows();
    let mirror = Mirror::default();
    let january = lines(&rows_of(&rows, "2023-01"));
    mirror.publish("data/futures/um/monthly/klines/BTCUSDT/1h", "BTCUSDT-1h-2023-01", &format!("{HEADER}\n{january}"));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "data",
        "fetch",
        "--source",
        "binance-vision",
        "--market",
        "um",
        "--symbol",
        "BTCUSDT",
        "--from",
        "2023-01-01",
        "--to",
        "2023-02-01",
        "--base-url",
        &base,
    ];
    let (code, stdout, stderr) = ctb(dir.path(), &args).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("BTCUSDT-um-1h.csv: 744 rows of klines"), "{stdout}");
    assert!(stdout.contains("gaps: none"), "{stdout}");
    assert_eq!(std::fs::read_to_string(dir.path().join("BTCUSDT-um-1h.csv")).unwrap(), format!("{HEADER}\n{january}"));
    assert_eq!(mirror.take_seen()[1], "/data/futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01.zip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_second_spot_klines_come_from_their_own_folder() {
    // Ten 1-second bars from the first 1-hour bar of 2023-02-01 (its prices; open and close times a second apart).
    let rows = shipped_rows();
    let first = rows_of(&rows, "2023-02-01")[0].clone();
    let open: i64 = first.split(',').next().unwrap().parse().unwrap();
    let second = |i: i64| {
        let mut fields: Vec<String> = first.split(',').map(str::to_string).collect();
        (fields[0], fields[6]) = ((open + i * 1000).to_string(), (open + i * 1000 + 999).to_string());
        fields.join(",")
    };
    let bars: Vec<String> = (0..10).map(second).collect();
    let mirror = Mirror::default();
    mirror.publish("data/spot/daily/klines/BTCUSDT/1s", "BTCUSDT-1s-2023-02-01", &lines(&bars));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let mut seconds = request(&base, VisionKind::Klines, VisionMarket::Spot, "2023-02-01", "2023-02-01T00:00:12Z");
    seconds.interval = "1s".into();
    let out = dir.path().join("seconds.csv");
    let summary = fetch_vision(&seconds, &out, &|_, _| {}).await.unwrap();
    assert_eq!(summary.rows, 10);
    assert_eq!(summary.gaps.iter().map(Gap::missing).collect::<Vec<_>>(), [2], "00:00:10 and 00:00:11");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{HEADER}\n{}", lines(&bars)));
    assert_eq!(load(&out, DataFormat::BinanceKlines).len(), 10);
}

/// `rows` with open and close times in microseconds, as Binance's spot dumps write them since 2025.
fn in_microseconds(rows: &[String]) -> Vec<String> {
    rows.iter()
        .map(|row| {
            let mut fields: Vec<String> = row.split(',').map(str::to_string).collect();
            fields[0] = format!("{}000", fields[0]);
            fields[6] = format!("{}999", fields[6]);
            fields.join(",")
        })
        .collect()
}

fn request(base: &str, kind: VisionKind, market: VisionMarket, from: &str, to: &str) -> VisionRequest {
    VisionRequest {
        base_url: base.to_string(),
        market,
        kind,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        interval: "1h".into(),
        from: cryptotradebot::data::parse_timestamp(from).unwrap(),
        to: cryptotradebot::data::parse_timestamp(to).unwrap(),
    }
}

#[tokio::test]
async fn microsecond_times_are_written_in_milliseconds_with_or_without_a_header_row() {
    let rows = shipped_rows();
    let mirror = Mirror::default();
    mirror.publish(KLINES, "BTCUSDT-1h-2023-01", &lines(&in_microseconds(&rows_of(&rows, "2023-01"))));
    for day in ["01", "02"] {
        let day_rows = rows_of(&rows, &format!("2023-02-{day}"));
        // One day with a header row (as the futures dumps have), one in microseconds without.
        let csv =
            if day == "01" { format!("{HEADER}\n{}", lines(&day_rows)) } else { lines(&in_microseconds(&day_rows)) };
        mirror.publish(DAILY_KLINES, &format!("BTCUSDT-1h-2023-02-{day}"), &csv);
    }
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("klines.csv");
    let klines = request(&base, VisionKind::Klines, VisionMarket::Spot, "2023-01-01", "2023-02-03");
    let summary = fetch_vision(&klines, &out, &|_, _| {}).await.unwrap();
    assert_eq!((summary.rows, summary.converted, summary.duplicates), (792, 744 + 24, 0));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected_output(&rows));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_and_duplicates_are_reported_and_the_first_of_each_duplicate_kept_in_time_order() {
    let rows = shipped_rows();
    // January's rows by hour: 2023-01-05T03:00 is row 99; rows 226..229, 10:00 to 12:00 of the 10th, are removed.
    let mut expected_january = rows_of(&rows, "2023-01");
    expected_january.drain(226..229);
    assert!(expected_january[99].starts_with("1672887600000,") && expected_january[226].starts_with("1673355600000,"));
    let mut january = expected_january.clone();
    let mut twin: Vec<&str> = january[99].split(',').collect();
    twin[4] = "1.00000000"; // another close, outside the bar's range: the loader would refuse the run if it were kept
    let twin = twin.join(",");
    january.insert(100, twin);
    january.swap(150, 151); // two rows out of order
    let mirror = Mirror::default();
    mirror.publish(KLINES, "BTCUSDT-1h-2023-01", &lines(&january));
    mirror.publish(DAILY_KLINES, "BTCUSDT-1h-2023-02-01", &lines(&rows_of(&rows, "2023-02-01")));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "a missing day is a gap, not a failure: {stderr}");
    let expected = [
        "duplicates: 1 row(s) dropped, the first row of each kept: 2023-01-05T03:00:00Z",
        &format!("missing (404), its rows are a gap: {base}/{DAILY_KLINES}/BTCUSDT-1h-2023-02-02.zip"),
        "gaps: 2, 27 row(s) missing in all",
        "  3 bar(s) missing from 2023-01-10T10:00:00Z to 2023-01-10T13:00:00Z",
        "  24 bar(s) missing from 2023-02-02T00:00:00Z to 2023-02-03T00:00:00Z",
    ];
    for line in expected {
        assert!(stdout.lines().any(|l| l == line), "'{line}' in:\n{stdout}");
    }
    let mut kept = expected_january;
    kept.extend(rows_of(&rows, "2023-02-01"));
    assert_eq!(std::fs::read_to_string(dir.path().join("klines.csv")).unwrap(), format!("{HEADER}\n{}", lines(&kept)));
}

#[tokio::test]
async fn a_month_not_published_yet_is_read_from_its_days_and_backtests_like_the_shipped_files() {
    let rows = shipped_rows();
    let mirror = Mirror::default();
    mirror.publish(KLINES, "BTCUSDT-1h-2023-01", &lines(&rows_of(&rows, "2023-01")));
    for day in 1..=28 {
        let name = format!("2023-02-{day:02}");
        mirror.publish(DAILY_KLINES, &format!("BTCUSDT-1h-{name}"), &lines(&rows_of(&rows, &name)));
    }
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BTCUSDT-1h.csv");
    let klines = request(&base, VisionKind::Klines, VisionMarket::Spot, "2023-01-01", "2023-03-01");
    let summary = fetch_vision(&klines, &out, &|_, _| {}).await.unwrap();
    assert_eq!((summary.rows, summary.archives, summary.gaps.len()), (1416, 29, 0));
    let february = MonthFromDays { url: format!("{base}/{KLINES}/BTCUSDT-1h-2023-02.zip"), found: 28, missing: 0 };
    assert_eq!(summary.months_from_days, [february]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{HEADER}\n{}", lines(&rows)));
    mirror.withdraw("/");

    // The shipped SMA scenario on the one fetched file trades exactly as on the two shipped files.
    let shipped = std::fs::read_to_string(common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let data = shipped.replace("../data", common::repo("data").to_str().unwrap());
    let start = shipped.find("data:\n").unwrap();
    let end = shipped.find("strategy:").unwrap();
    let fetched = format!(
        "{}data:\n  - {{ path: {}, format: binance_klines, symbol: BTCUSDT }}\n{}",
        &shipped[..start],
        out.display(),
        &shipped[end..]
    );
    let metrics = |name: &str, text: &str| {
        let scenario = common::write(dir.path(), &format!("{name}.yaml"), text);
        let report = dir.path().join(name);
        let (ok, stdout, stderr) = common::ctb(
            dir.path(),
            &["backtest", scenario.to_str().unwrap(), "--json", "--out", report.to_str().unwrap()],
        );
        assert!(ok, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["metrics"].clone()
    };
    assert_eq!(metrics("fetched", &fetched), metrics("shipped", &data));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_without_its_archive_says_how_many_days_were_found_and_lists_a_bounded_number_missing() {
    let rows = shipped_rows();
    let mirror = Mirror::default();
    for day in ["01", "02", "03"] {
        let name = format!("2023-02-{day}");
        mirror.publish(DAILY_KLINES, &format!("BTCUSDT-1h-{name}"), &lines(&rows_of(&rows, &name)));
    }
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-02-01", "2023-03-01", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    let month = format!(
        "monthly archive absent (404), its days read instead: 3 daily archive(s) found, 25 missing: \
         {base}/{KLINES}/BTCUSDT-1h-2023-02.zip"
    );
    assert!(stdout.lines().any(|l| l == month), "{stdout}");
    assert!(!stdout.contains("not published yet"), "said only once the days are known: {stdout}");
    let listed = stdout.lines().filter(|l| l.starts_with("missing (404), its rows are a gap: ")).count();
    assert_eq!(listed, 20, "{stdout}");
    assert!(stdout.lines().any(|l| l == "… and 5 more missing archive(s)"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "  600 bar(s) missing from 2023-02-04T00:00:00Z to 2023-03-01T00:00:00Z"));

    // A range reaching into the future or before Binance existed is refused before anything is requested.
    mirror.take_seen();
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-02-01", "2200-01-01", "klines.csv").await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--to 2200-01-01T00:00:00Z: data.binance.vision publishes past days only"), "{stderr}");
    let (code, _, stderr) = fetch(&base, dir.path(), "2010-01-01", "2023-03-01", "klines.csv").await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--from 2010-01-01T00:00:00Z: data.binance.vision holds nothing before 2017"), "{stderr}");
    assert!(mirror.take_seen().is_empty());
}

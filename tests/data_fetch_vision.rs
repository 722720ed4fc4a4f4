//! `ctb data fetch --source binance-vision` against a loopback mirror of data.binance.vision serving archives built
//! here, in the published layout (`<path>.zip` holding one CSV, `<path>.zip.CHECKSUM` holding `<sha256>  <name>`),
//! from the shipped BTCUSDT 1-hour klines of January and February 2023 and from trades of the shipped BTCUSDT
//! recording: monthly and daily archives joined into a file the loaders read, checksums enforced, a cut download
//! fetched again on the next run and nothing verified downloaded twice, microsecond times normalised, gaps and
//! duplicates reported.

mod common;

use std::path::{Path, PathBuf};

use common::vision_mirror::{Mirror, sha256, zip};
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
async fn an_archive_failing_its_checksum_is_refused_by_name_with_both_hashes_and_not_kept() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    let zip_path = format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-02.zip");
    let good = sha256(&mirror.bytes(&zip_path));
    let claimed = sha256(b"another file");
    mirror.replace(&format!("{zip_path}.CHECKSUM"), format!("{claimed}  BTCUSDT-1h-2023-02-02.zip\n").into_bytes());
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    assert!(stderr.starts_with(&format!("error: DataError: {base}{zip_path}: checksum mismatch")), "{stderr}");
    assert!(stderr.contains(&claimed) && stderr.contains(&good), "both hashes: {stderr}");
    let parts = dir.path().join("klines.csv.parts");
    let cached = |path: &str| parts.join(path.trim_start_matches('/')).exists();
    assert!(!cached(&zip_path) && !cached(&format!("{zip_path}.download")), "the bad file is not kept");
    assert!(cached(&format!("/{KLINES}/BTCUSDT-1h-2023-01.zip")), "the verified ones are");
    assert!(!dir.path().join("klines.csv").exists(), "no output from a failed run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_download_is_fetched_again_on_the_next_run_and_verified_archives_are_not() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    let day = format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-01.zip");
    let whole = mirror.bytes(&day);
    mirror.replace(&day, whole[..whole.len() / 2].to_vec());
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains(&format!("{base}{day}: checksum mismatch")), "{stderr}");
    assert_eq!(mirror.take_seen().len(), 6, "every archive was tried");

    // The mirror serves the whole file now: only it is fetched.
    mirror.replace(&day, whole);
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(mirror.take_seen(), [format!("{day}.CHECKSUM"), day.clone()]);
    assert!(stdout.contains("from 3 archive(s) (1 downloaded, 2 verified in klines.csv.parts and reused)"), "{stdout}");
    assert_eq!(std::fs::read_to_string(dir.path().join("klines.csv")).unwrap(), expected_output(&rows));

    // A cached archive cut short on disk fails its stored checksum and is fetched again; nothing else is.
    let month = format!("/{KLINES}/BTCUSDT-1h-2023-01.zip");
    let cached = dir.path().join("klines.csv.parts").join(month.trim_start_matches('/'));
    let bytes = std::fs::read(&cached).unwrap();
    std::fs::write(&cached, &bytes[..bytes.len() - 100]).unwrap();
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(mirror.take_seen(), [format!("{month}.CHECKSUM"), month]);
    assert_eq!(std::fs::read_to_string(dir.path().join("klines.csv")).unwrap(), expected_output(&rows));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_checksum_that_does_not_read_is_replaced_by_the_servers_without_downloading_again() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    mirror.take_seen();
    // One stored checksum emptied, one cut short (as a crash while writing it would have left them).
    let month = format!("/{KLINES}/BTCUSDT-1h-2023-01.zip");
    let day = format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-01.zip");
    let stored = |path: &str| dir.path().join("klines.csv.parts").join(format!("{}.CHECKSUM", &path[1..]));
    let whole = std::fs::read_to_string(stored(&month)).unwrap();
    std::fs::write(stored(&month), "").unwrap();
    std::fs::write(stored(&day), &std::fs::read(stored(&day)).unwrap()[..20]).unwrap();
    let (code, stdout, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("(0 downloaded, 3 verified in klines.csv.parts and reused)"), "{stdout}");
    assert_eq!(mirror.take_seen(), [format!("{month}.CHECKSUM"), format!("{day}.CHECKSUM")], "no archive again");
    assert_eq!(std::fs::read_to_string(stored(&month)).unwrap(), whole, "stored anew");
    assert_eq!(std::fs::read_to_string(dir.path().join("klines.csv")).unwrap(), expected_output(&rows));
    let left: Vec<_> =
        std::fs::read_dir(stored(&month).parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 2, "the archive and its checksum, no temporary file: {left:?}");
}

/// `zip` with the CRC-32 its local header and central directory record for its file changed: it opens, its rows
/// read, and the check at the end of the file fails.
fn with_wrong_crc(mut zip: Vec<u8>) -> Vec<u8> {
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    for at in [14, central + 16] {
        zip[at] ^= 0xff;
    }
    zip
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_archive_that_does_not_read_though_its_checksum_matches_is_reported_and_kept() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    // The 1st of February fails its CRC (found while reading), the 2nd is not a zip at all (found before), each as
    // the server publishes it: its checksum is theirs.
    let first = "BTCUSDT-1h-2023-02-01";
    mirror.publish_zip(DAILY_KLINES, first, with_wrong_crc(zip(first, &lines(&rows_of(&rows, "2023-02-01")))));
    mirror.publish_zip(DAILY_KLINES, "BTCUSDT-1h-2023-02-02", b"<html>maintenance</html>".to_vec());
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let url = |day: &str| format!("{base}/{DAILY_KLINES}/BTCUSDT-1h-2023-02-{day}.zip");
    let corrupt = |day: &str| format!("the published archive {} is corrupt (its checksum matches): ", url(day));
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!((code, stderr.lines().count()), (Some(1), 1), "{stderr}");
    assert!(stderr.contains(&corrupt("02")) && stderr.contains("not a readable zip archive"), "{stderr}");
    assert_eq!(mirror.take_seen().len(), 6);
    let cached =
        |day: &str| dir.path().join("klines.csv.parts").join(format!("{DAILY_KLINES}/BTCUSDT-1h-2023-02-{day}.zip"));
    assert!(cached("02").exists(), "kept: fetching it again would bring the same bytes");

    // The next run does not download it again: it compares it with the server's checksum, and reads the rest.
    mirror.withdraw(&format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-02"));
    mirror.publish(DAILY_KLINES, "BTCUSDT-1h-2023-02-02", &lines(&rows_of(&rows, "2023-02-02")));
    let republished = format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-02.zip");
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(1), "{stderr}");
    let error = stderr.lines().last().unwrap(); // after a warning that the replaced archive is fetched again
    assert!(error.starts_with(&format!("error: DataError: {}", corrupt("01"))), "{stderr}");
    assert!(stderr.contains("does not decompress"), "{stderr}");
    assert_eq!(mirror.take_seen(), [format!("{republished}.CHECKSUM"), republished], "a new checksum: fetched anew");
    assert!(cached("01").exists(), "kept: its hash matches the published one");

    // And again: the corrupt archive is compared with the server's checksum, not downloaded; no output.
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&corrupt("01")), "{stderr}");
    assert_eq!(mirror.take_seen(), [format!("/{DAILY_KLINES}/{first}.zip.CHECKSUM")]);
    assert!(cached("01").exists() && !dir.path().join("klines.csv").exists());
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_leaves_the_previous_output_as_it_was_and_no_temporary_file() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    // The 2nd of February has a bad row, found after January's rows were written.
    let mut second = rows_of(&rows, "2023-02-02");
    second[5] = second[5].replacen(',', ",x", 2);
    mirror.publish(DAILY_KLINES, "BTCUSDT-1h-2023-02-02", &lines(&second));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    for out in ["klines.csv", "klines.parquet"] {
        let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-02", out).await;
        assert_eq!(code, Some(0), "{stderr}");
        let before = std::fs::read(dir.path().join(out)).unwrap();
        let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", out).await;
        assert_eq!(code, Some(1));
        assert!(stderr.contains("BTCUSDT-1h-2023-02-02.zip: line 6, column 'open': 'x"), "{stderr}");
        assert_eq!(std::fs::read(dir.path().join(out)).unwrap(), before, "{out} as the first run wrote it");
    }
    let names = ["klines.csv", "klines.csv.parts", "klines.parquet", "klines.parquet.parts"];
    assert_eq!(listing(dir.path()), names.map(std::ffi::OsString::from), "no .partial, no .partial.parquet");

    // An output name that is not UTF-8: its temporary file is named after it byte for byte, and removed too.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let odd = std::ffi::OsStr::from_bytes(b"k\xff.csv").to_os_string();
        let run = |to: &'static str| {
            let (dir, base, odd) = (dir.path().to_path_buf(), base.clone(), odd.clone());
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
                    .args(["data", "fetch", "--source", "binance-vision", "--symbol", "BTCUSDT", "--from"])
                    .args(["2023-02-01", "--to", to, "--base-url", &base, "--out"])
                    .arg(&odd)
                    .current_dir(&dir)
                    .env_remove("LOG_LEVEL")
                    .output()
                    .unwrap()
                    .status
                    .code()
            })
        };
        assert_eq!(run("2023-02-02").await.unwrap(), Some(0));
        assert_eq!(run("2023-02-03").await.unwrap(), Some(1));
        let mut parts = odd.clone();
        parts.push(".parts");
        let names = listing(dir.path());
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(names.contains(&odd) && names.contains(&parts), "{names:?}");
    }
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

/// Trades of the shipped BTCUSDT recording (`data/binance/l2/`) around midnight 2024-08-09, as aggregate trades
/// (one trade each): id, price, quantity, time (ms), buyer is maker.
const TRADES: [(i64, &str, &str, i64, &str); 7] = [
    (3_735_692_994, "61685.99000000", "0.01990000", 1_723_161_599_717, "True"),
    (3_735_692_995, "61685.99000000", "0.01993000", 1_723_161_599_717, "True"),
    (3_735_692_996, "61685.99000000", "0.01801000", 1_723_161_599_717, "True"),
    (3_735_692_997, "61686.00000000", "0.00705000", 1_723_161_600_330, "False"),
    (3_735_692_998, "61685.99000000", "0.00041000", 1_723_161_600_384, "True"),
    (3_735_692_999, "61685.99000000", "0.00004000", 1_723_161_600_403, "True"),
    (3_735_693_000, "61685.99000000", "0.00034000", 1_723_161_600_403, "True"),
];

/// A spot aggTrades row (8 columns) of trade `i`, its time times `scale`.
fn agg_row(i: usize, scale: i64) -> String {
    let (id, price, quantity, time, maker) = TRADES[i];
    format!("{id},{price},{quantity},{id},{id},{},{maker},True\n", time * scale)
}

#[tokio::test]
async fn aggregate_trades_are_written_in_microseconds_in_id_order_with_duplicates_and_missing_ids_reported() {
    let mirror = Mirror::default();
    let folder = "data/spot/daily/aggTrades/BTCUSDT";
    // The 8th in milliseconds with trade 995 twice; the 9th in microseconds without trade 998.
    let eighth = [0, 1, 1, 2].iter().map(|&i| agg_row(i, 1)).collect::<String>();
    let ninth = [3, 5, 6].iter().map(|&i| agg_row(i, 1000)).collect::<String>();
    mirror.publish(folder, "BTCUSDT-aggTrades-2024-08-08", &eighth);
    mirror.publish(folder, "BTCUSDT-aggTrades-2024-08-09", &ninth);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trades.csv");
    let trades =
        request(&base, VisionKind::AggTrades, VisionMarket::Spot, "2024-08-08T23:59:00Z", "2024-08-09T00:01:00Z");
    let summary = fetch_vision(&trades, &out, &|_, _| {}).await.unwrap();
    // Three of the 8th's four rows written (the second 995 is dropped), all in milliseconds.
    assert_eq!((summary.rows, summary.duplicates, summary.converted), (6, 1, 3));
    assert_eq!(summary.named_duplicates, ["agg_trade_id 3735692995"]);
    assert_eq!(summary.gaps, [Gap::TradeIds { first: 3_735_692_998, last: 3_735_692_998 }]);
    let written = std::fs::read_to_string(&out).unwrap();
    let mut expected =
        String::from("agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time_us,is_buyer_maker\n");
    for i in [0, 1, 2, 3, 5, 6] {
        let (id, price, quantity, time, maker) = TRADES[i];
        expected.push_str(&format!("{id},{price},{quantity},{id},{id},{}000,{}\n", time, maker.to_lowercase()));
    }
    assert_eq!(written, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_trade_id_coming_again_after_a_later_one_is_dropped_and_reported() {
    // Trades 994, 995 and 996 of the 8th, and 994 again 183 ms later (ids 10, 11, 10 in the review's words).
    let again = agg_row(0, 1).replace("1723161599717", "1723161599900");
    let csv = [agg_row(0, 1), agg_row(1, 1), again, agg_row(2, 1)].concat();
    let mirror = Mirror::default();
    mirror.publish("data/spot/daily/aggTrades/BTCUSDT", "BTCUSDT-aggTrades-2024-08-08", &csv);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "data",
        "fetch",
        "--source",
        "binance-vision",
        "--symbol",
        "BTCUSDT",
        "--kind",
        "aggTrades",
        "--from",
        "2024-08-08",
        "--to",
        "2024-08-09",
        "--out",
        "trades.csv",
        "--base-url",
        &base,
    ];
    let (code, stdout, stderr) = ctb(dir.path(), &args).await;
    assert_eq!(code, Some(0), "{stderr}");
    let expected =
        "out of order: 1 row(s) dropped, each came after a later row had been written: agg_trade_id 3735692994";
    assert!(stdout.lines().any(|l| l == expected), "{stdout}");
    let written = std::fs::read_to_string(dir.path().join("trades.csv")).unwrap();
    let ids: Vec<&str> = written.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["3735692994", "3735692995", "3735692996"]);
}

#[tokio::test]
async fn funding_rates_come_from_monthly_archives_cut_to_the_range() {
    let mirror = Mirror::default();
    let folder = "data/futures/um/monthly/fundingRate/BTCUSDT";
    // Settlements every 8 hours from 2023-01-31T00:00Z, stamped a millisecond or two late as Binance's are.
    let settlement =
        |i: i64, late: i64| format!("{},8,0.000{:02}000\n", 1_675_123_200_000 + i * 28_800_000 + late, 10 + i);
    let january: String = (0..3).map(|i| settlement(i, 1)).collect();
    let february: String = [3, 4, 6].iter().map(|&i| settlement(i, 2)).collect();
    let header = "calc_time,funding_interval_hours,last_funding_rate\n";
    mirror.publish(folder, "BTCUSDT-fundingRate-2023-01", &format!("{header}{january}"));
    mirror.publish(folder, "BTCUSDT-fundingRate-2023-02", &format!("{header}{february}"));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("funding.csv");
    let funding = request(&base, VisionKind::FundingRate, VisionMarket::Um, "2023-01-31T08:00:00Z", "2023-02-03");
    let summary = fetch_vision(&funding, &out, &|_, _| {}).await.unwrap();
    assert_eq!(mirror.take_seen().len(), 4, "two monthly archives, no daily ones");
    let expected: String =
        [settlement(1, 1), settlement(2, 1), settlement(3, 2), settlement(4, 2), settlement(6, 2)].concat();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{header}{expected}"));
    assert_eq!(summary.rows, 5);
    let missing: Vec<(String, u64)> = summary
        .gaps
        .iter()
        .map(|gap| match gap {
            Gap::Settlements { from, missing, .. } => (from.to_string(), *missing),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        missing,
        [("2023-02-01T16:00:00.002Z".to_string(), 1), ("2023-02-02T08:00:00.002Z".to_string(), 2)],
        "the 16:00 settlement of the 1st, and the 2nd's last two before --to"
    );
}

/// A server that announces the whole archive and sends half of it before closing the connection.
async fn cut_connection(checksum: String, zip: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = vec![0_u8; 4096];
            let n = socket.read(&mut request).await.unwrap_or(0);
            let wants_checksum = String::from_utf8_lossy(&request[..n]).contains(".CHECKSUM ");
            let (body, announced) = if wants_checksum {
                (checksum.as_bytes().to_vec(), checksum.len())
            } else {
                (zip[..zip.len() / 2].to_vec(), zip.len())
            };
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {announced}\r\nconnection: close\r\n\r\n");
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_connection_closed_mid_download_keeps_nothing() {
    let rows = shipped_rows();
    let bytes = zip("BTCUSDT-1h-2023-02-01", &lines(&rows_of(&rows, "2023-02-01")));
    let base = cut_connection(format!("{}  BTCUSDT-1h-2023-02-01.zip", sha256(&bytes)), bytes).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("klines.csv");
    let day = request(&base, VisionKind::Klines, VisionMarket::Spot, "2023-02-01", "2023-02-02");
    let err = fetch_vision(&day, &out, &|_, _| {}).await.unwrap_err().to_string();
    let url = format!("{base}/{DAILY_KLINES}/BTCUSDT-1h-2023-02-01.zip");
    assert!(err.starts_with(&format!("DataError: {url}: ")) && err.contains("the file was not kept"), "{err}");
    let folder = dir.path().join("klines.csv.parts").join(DAILY_KLINES);
    let left: Vec<_> =
        std::fs::read_dir(&folder).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_server_that_cannot_be_reached_stops_the_run_at_the_first_archive() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener); // nothing listens there now
    let year = request(&base, VisionKind::Klines, VisionMarket::Spot, "2023-01-01", "2024-01-01");
    let err = fetch_vision(&year, &dir.path().join("k.csv"), &|_, _| {}).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!("ExchangeError: binance-vision GET {base}/{KLINES}/BTCUSDT-1h-2023-01.zip.CHECKSUM: cannot connect")
    );
}

/// The peak resident memory (kB) of a process while it runs, from its `/proc/<pid>/status`, polled until it exits;
/// and its exit status.
#[cfg(target_os = "linux")]
fn peak_memory_kb(mut child: std::process::Child) -> (u64, std::process::ExitStatus) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            peak = peak.max(kb);
        }
        if let Some(exit) = child.try_wait().unwrap() {
            return (peak, exit);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Aggregate trades `1..=count` from `start` (ms) as Binance's spot dumps write them, ten per millisecond.
fn many_trades(count: i64, start: i64) -> String {
    let mut csv = String::with_capacity(count as usize * 72);
    for id in 1..=count {
        csv.push_str(&format!("{id},61685.99000000,0.01990000,{id},{id},{},True,True\n", start + id / 10));
    }
    csv
}

/// A day of 600,000 aggregate trades (41 MB of CSV): its rows stream from the archive to the output, so the run
/// needs little more memory than a run of 1,000 trades (holding the text, its rewritten copy and the rows took
/// well over 100 MB more).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_archive_is_streamed_to_the_output_without_holding_its_rows() {
    let mirror = Mirror::default();
    let folder = "data/spot/daily/aggTrades/BTCUSDT";
    let (small, large) = ("BTCUSDT-aggTrades-2024-08-08", "BTCUSDT-aggTrades-2024-08-09");
    let day = 86_400_000;
    let eighth = 1_723_075_200_000; // 2024-08-08T00:00:00Z
    mirror.publish_zip(folder, small, common::vision_mirror::stored_zip(small, &many_trades(1_000, eighth)));
    let csv = many_trades(600_000, eighth + day);
    let csv_kb = csv.len() as u64 / 1024;
    mirror.publish_zip(folder, large, common::vision_mirror::stored_zip(large, &csv));
    drop(csv);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |from: &str, to: &str, out: &str| {
        let args = [
            "data",
            "fetch",
            "--source",
            "binance-vision",
            "--symbol",
            "BTCUSDT",
            "--kind",
            "aggTrades",
            "--from",
            from,
            "--to",
            to,
            "--out",
            out,
            "--base-url",
            base.as_str(),
        ]
        .map(str::to_string);
        let cwd = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
                .args(&args)
                .current_dir(&cwd)
                .env_remove("LOG_LEVEL")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("run ctb");
            peak_memory_kb(child)
        })
    };
    let (baseline_kb, status) = run("2024-08-08", "2024-08-09", "small.csv").await.unwrap();
    assert!(status.success());
    let (peak_kb, status) = run("2024-08-09", "2024-08-10", "large.csv").await.unwrap();
    assert!(status.success());
    let written = std::fs::metadata(dir.path().join("large.csv")).unwrap().len() / 1024;
    assert!(written > csv_kb * 9 / 10, "{written} kB written of {csv_kb}");
    let grown = peak_kb.saturating_sub(baseline_kb);
    assert!(grown < csv_kb / 2, "{grown} kB more than for 1,000 trades ({baseline_kb} kB), for a CSV of {csv_kb} kB");
}

//! Checks and the cache: checksums enforced, cut downloads fetched again, stored checksums that do not read,
//! archives corrupt as published kept and reported, failed runs leaving the output as it was, and connection
//! failures.

use crate::common::vision_mirror::{sha256, zip};
use crate::*;
use cryptotradebot::venue::vision::{VisionKind, VisionMarket, fetch_vision};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_naming_another_file_is_refused_and_the_archive_not_downloaded() {
    let rows = shipped_rows();
    let mirror = january_and_two_days(&rows);
    let day = format!("/{DAILY_KLINES}/BTCUSDT-1h-2023-02-01.zip");
    let hash = sha256(&mirror.bytes(&day));
    mirror.replace(&format!("{day}.CHECKSUM"), format!("{hash}  BTCUSDT-1h-2023-01-15.zip\n").into_bytes());
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fetch(&base, dir.path(), "2023-01-01", "2023-02-03", "klines.csv").await;
    assert_eq!((code, stderr.lines().count()), (Some(1), 1), "{stderr}");
    let expected = format!(
        "error: DataError: {base}{day}.CHECKSUM: the checksum is for 'BTCUSDT-1h-2023-01-15.zip', not \
         'BTCUSDT-1h-2023-02-01.zip'"
    );
    assert_eq!(stderr.trim_end(), expected);
    assert!(!mirror.take_seen().contains(&day), "the archive itself was not downloaded");
    let parts = dir.path().join("klines.csv.parts").join(DAILY_KLINES);
    assert_eq!(listing(&parts), ["BTCUSDT-1h-2023-02-02.zip", "BTCUSDT-1h-2023-02-02.zip.CHECKSUM"]);
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

//! A fuzz harness over the parsers a user's files reach: kline and generic CSV, Parquet, level-2 recordings and
//! scenarios. Seed inputs (shipped files, cut small) are mutated — bytes flipped, inserted and removed, lines
//! duplicated, swapped and cut, quotes and separators dropped in — and every parser must answer each with bars or
//! one error line, never a panic. `PROPTEST_CASES` bounds the time (CI runs the default, 96 cases a parser, in
//! seconds); failures proptest finds are kept in `tests/fuzz_parsers.proptest-regressions` and replayed first on
//! every run, and the crashes found (by the harness or by hand) are the named cases at the end, on fixed inputs.

mod common;

use proptest::prelude::*;
use std::path::Path;

use cryptotradebot::config::Scenario;
use cryptotradebot::data::{DataFile, DataFormat, load_bar_series, load_binance_capture, write_bars};
use cryptotradebot::model::Symbol;

/// One way of damaging an input.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Truncate { at: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(vec![
        b"\"".to_vec(),
        b",".to_vec(),
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"\xff\xfe".to_vec(),
        b"9223372036854775807".to_vec(),
        b"-1".to_vec(),
        b"1e400".to_vec(),
        b"0".to_vec(),
        b"{".to_vec(),
        b": ".to_vec(),
        b"\t".to_vec(),
        b"99999999999999999999999999999999".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), special).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip { at, byte } if !bytes.is_empty() => bytes[at % len] = *byte,
            Mutation::Insert { at, bytes: inserted } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Remove { at, len: n } if !bytes.is_empty() => {
                let at = at % len;
                bytes.drain(at..(at + n).min(bytes.len()));
            }
            Mutation::Truncate { at } => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::DuplicateLine { line } | Mutation::SwapLines { a: line, .. } => {
                let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let i = line % lines.len();
                match m {
                    Mutation::SwapLines { b, .. } => {
                        let j = b % lines.len();
                        lines.swap(i, j);
                    }
                    _ => lines.insert(i, lines[i].clone()),
                }
                bytes = lines.join(&b'\n');
            }
            _ => {}
        }
    }
    bytes
}

/// The first `lines` lines of a shipped file.
fn seed(path: &str, lines: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(common::repo(path)).expect("a shipped file");
    text.lines().take(lines).collect::<Vec<_>>().join("\n").into_bytes()
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// An error is one line naming the file; a success is simply fine.
fn one_line<T>(result: cryptotradebot::Result<T>, name: &str) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        let text = error.to_string();
        prop_assert!(!text.contains('\n'), "more than one line: {text}");
        prop_assert!(text.contains(name) || text.contains("scenario"), "the file is not named: {text}");
    }
    Ok(())
}

fn load(path: &Path, format: DataFormat) -> cryptotradebot::Result<()> {
    load_bar_series(btc(), &[DataFile { path: path.to_path_buf(), format }]).map(|_| ())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn damaged_kline_csv_is_read_or_refused_in_one_line(mutations in prop::collection::vec(mutation(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("klines.csv");
        std::fs::write(&path, apply(seed("data/binance/BTCUSDT-1h-2023-01.csv", 12), &mutations)).unwrap();
        one_line(load(&path, DataFormat::BinanceKlines), "klines.csv")?;
        one_line(load(&path, DataFormat::Csv), "klines.csv")?;
    }

    #[test]
    fn damaged_parquet_is_read_or_refused_in_one_line(mutations in prop::collection::vec(mutation(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.parquet");
        let series = cryptotradebot::data::RandomWalk::minute_bars(btc(), 8, 3).generate();
        write_bars(&series, &good, DataFormat::Parquet).unwrap();
        let path = dir.path().join("bars.parquet");
        std::fs::write(&path, apply(std::fs::read(&good).unwrap(), &mutations)).unwrap();
        one_line(load(&path, DataFormat::Parquet), "bars.parquet")?;
    }

    #[test]
    fn a_damaged_recording_is_read_or_refused_in_one_line(mutations in prop::collection::vec(mutation(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(capture).unwrap()), &mut text).unwrap();
        let seed = text.lines().take(6).collect::<Vec<_>>().join("\n").into_bytes();
        let path = dir.path().join("recording.txt");
        std::fs::write(&path, apply(seed, &mutations)).unwrap();
        one_line(load_binance_capture(&path, btc()).map(|_| ()), "recording.txt")?;
    }

    #[test]
    fn a_damaged_scenario_is_read_or_refused_in_one_line(mutations in prop::collection::vec(mutation(), 1..6)) {
        // Raw bytes, through the file reader (invalid UTF-8 included), with the data paths made absolute.
        let text = std::fs::read_to_string(common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
        let text = text.replace("../data/", &format!("{}/", common::repo("data").display()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzzed.yaml");
        std::fs::write(&path, apply(text.into_bytes(), &mutations)).unwrap();
        one_line(Scenario::load(&path).map(|_| ()), "fuzzed.yaml")?;
    }
}

/// Runs `ctb ARGS` in `dir` and returns its stderr, which must be exactly one line for a refused input.
fn refused_in_one_line(dir: &Path, args: &[&str]) -> String {
    let (ok, _, stderr) = common::ctb(dir, args);
    assert!(!ok, "accepted: {args:?}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

#[test]
fn a_parquet_file_cut_inside_a_dictionary_page_is_refused_in_one_line_with_no_panic_message() {
    // Found by the harness: polars' decoder panics on it (in its own threads); the panic is caught, and its
    // message, which used to reach stderr before the error line, is not printed.
    let fixture = common::repo("tests/fixtures/damaged-dictionary-page.parquet");
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused_in_one_line(dir.path(), &["data", "check", fixture.to_str().unwrap(), "--format", "parquet"]);
    assert!(stderr.contains("damaged-dictionary-page.parquet") && stderr.contains("do not decode"), "{stderr}");
}

#[test]
fn a_kline_file_holding_only_its_header_is_refused_in_one_line() {
    // Found by hand: it panicked.
    let dir = tempfile::tempdir().unwrap();
    let header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n";
    common::write(dir.path(), "klines.csv", header);
    let stderr = refused_in_one_line(dir.path(), &["data", "check", "klines.csv", "--format", "binance-klines"]);
    assert!(stderr.contains("klines.csv"), "{stderr}");
}

#[test]
fn a_scenario_file_that_is_not_utf8_is_refused_naming_it() {
    // Found by hand: invalid UTF-8 gave no file name.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, b"name: t\n\xff\xfe: 1\n").unwrap();
    let error = Scenario::load(&path).unwrap_err().to_string();
    assert!(error.contains("broken.yaml") && error.contains("not UTF-8"), "{error}");
}

#[test]
fn a_device_or_folder_named_as_a_risk_file_is_refused_in_one_line_instead_of_read_forever() {
    // Found by review: `risk: /dev/zero` read until the process ran out of memory.
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo("data/binance/BTCUSDT-1h-2023-01.csv");
    for risk in ["/dev/zero", "/tmp"] {
        let text = format!(
            "name: t
data:
  - {{ path: {}, format: binance_klines, symbol: BTCUSDT }}
strategy: {{ kind: sma_cross, params: {{ fast: 2, slow: 3 }} }}
exchange:
  instruments:
    BTCUSDT: {{ tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }}
portfolio: {{ quote: USDT, starting_cash: 1000 }}
risk: {risk}
",
            data.display()
        );
        common::write(dir.path(), "s.yaml", &text);
        let error = Scenario::load(&dir.path().join("s.yaml")).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains(risk) && error.contains("not a regular file"), "{error}");
    }
}

#[test]
fn a_kline_row_that_closes_before_it_opens_is_refused_naming_its_line() {
    // Found by review: close_time was never read, so a damaged row passed.
    let dir = tempfile::tempdir().unwrap();
    let rows = "1672531200000,100,101,99,100,1,1672534799999,100,1,0,0,0\n\
                1672534800000,100,101,99,100,1,1672534700000,100,1,0,0,0\n";
    common::write(dir.path(), "klines.csv", rows);
    let stderr = refused_in_one_line(dir.path(), &["data", "check", "klines.csv", "--format", "binance_klines"]);
    assert!(stderr.contains("klines.csv: line 2, column 'close_time'") && stderr.contains("before"), "{stderr}");
}

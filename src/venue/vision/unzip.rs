//! The one CSV file inside a data.binance.vision archive, streamed line by line with a bound on its decompressed
//! size: the size the archive declares is neither trusted nor used to reserve memory, the reader stops one byte
//! past the bound, and a line longer than [`MAX_LINE_BYTES`] is refused. Only the line being read is held.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// The most a CSV inside an archive may decompress to: 64 GiB. It is streamed, so the bound is on the time and the
/// disk a run may take, not on memory; a month of BTCUSDT aggregate trades decompresses to a few GiB, and an
/// archive is at most 4 GiB compressed.
pub(super) const MAX_CSV_BYTES: u64 = 64 << 30;
/// The longest line read (a data.binance.vision row is under 200 bytes).
pub(super) const MAX_LINE_BYTES: usize = 4096;

/// Why reading an archive's CSV stopped.
#[derive(Debug)]
pub(super) enum Failure {
    /// The archive itself: it does not open, holds no single CSV, does not decompress (or fails its CRC), or
    /// decompresses to more than the bound.
    Archive(Error),
    /// Its text: a line too long or not UTF-8, or what the caller's function returned for a line.
    Content(Error),
}

/// Checks that `path` opens as a zip archive holding exactly one `.csv` file that says it decompresses to at most
/// [`MAX_CSV_BYTES`], without decompressing it.
///
/// # Errors
/// [`Error::Data`] saying what is wrong.
pub(super) fn check(path: &Path) -> Result<()> {
    let mut archive = open(path)?;
    let index = csv_entry(path, &mut archive)?;
    let declared = archive.by_index_raw(index).map(|entry| entry.size()).unwrap_or(0);
    if declared > MAX_CSV_BYTES {
        return Err(Error::Data(format!(
            "{}: its CSV would decompress to {declared} bytes, more than the {MAX_CSV_BYTES} allowed",
            path.display()
        )));
    }
    Ok(())
}

/// Calls `each(line number, line)` for every line of the archive's CSV (the line with its end, `\n` or `\r\n`, as
/// read), in order, decompressing at most `limit` bytes; stops at the first error `each` returns.
///
/// # Errors
/// [`Failure::Archive`] naming the archive when it does not open, holds no single CSV, does not decompress, fails
/// its CRC or decompresses to more than `limit` bytes; [`Failure::Content`] naming the archive and line for a line
/// longer than [`MAX_LINE_BYTES`] or not UTF-8, and for what `each` returned.
pub(super) fn read_lines(
    path: &Path,
    limit: u64,
    mut each: impl FnMut(usize, &str) -> Result<()>,
) -> std::result::Result<(), Failure> {
    let mut archive = open(path).map_err(Failure::Archive)?;
    let index = csv_entry(path, &mut archive).map_err(Failure::Archive)?;
    let bad = |what: String| Error::Data(format!("{}: {what}", path.display()));
    let entry = archive.by_index(index).map_err(|e| Failure::Archive(bad(format!("cannot read its CSV: {e}"))))?;
    // The CRC is checked when the entry is read to its end, which `take` reaches unless the bound is passed.
    let mut reader = BufReader::with_capacity(1 << 16, entry.take(limit.saturating_add(1)));
    let mut line = Vec::with_capacity(256);
    let mut total: u64 = 0;
    let mut number: usize = 0;
    loop {
        line.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::Archive(bad(format!("its CSV does not decompress: {e}"))))?;
        if read == 0 {
            return Ok(());
        }
        total = total.saturating_add(read as u64);
        if total > limit {
            return Err(Failure::Archive(bad(format!("its CSV decompresses to more than the {limit} bytes allowed"))));
        }
        number = number.saturating_add(1);
        if read > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            return Err(Failure::Content(bad(format!("line {number} is longer than {MAX_LINE_BYTES} bytes"))));
        }
        let text = std::str::from_utf8(&line).map_err(|e| {
            Failure::Content(bad(format!("line {number} is not UTF-8 text (byte {})", e.valid_up_to() + 1)))
        })?;
        each(number, text).map_err(Failure::Content)?;
    }
}

fn open(path: &Path) -> Result<zip::ZipArchive<File>> {
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    zip::ZipArchive::new(file).map_err(|e| Error::Data(format!("{}: not a readable zip archive: {e}", path.display())))
}

/// The index of the one `.csv` file in the archive.
fn csv_entry(path: &Path, archive: &mut zip::ZipArchive<File>) -> Result<usize> {
    let mut found = None;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| Error::Data(format!("{}: entry {index} does not read: {e}", path.display())))?;
        let is_csv = entry.is_file() && entry.name().is_ok_and(|name| name.to_ascii_lowercase().ends_with(".csv"));
        if is_csv && found.replace(index).is_some() {
            return Err(Error::Data(format!("{}: holds more than one CSV file", path.display())));
        }
    }
    found.ok_or_else(|| Error::Data(format!("{}: holds no CSV file", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(dir: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
        let path = dir.join("a.zip");
        let mut writer = zip::ZipWriter::new(File::create(&path).unwrap());
        for (name, text) in files {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
        path
    }

    /// The lines `read_lines` delivers before it stops, and how it stopped.
    fn lines_of(path: &Path, limit: u64) -> (Vec<String>, std::result::Result<(), Failure>) {
        let mut seen = Vec::new();
        let outcome = read_lines(path, limit, |number, line| {
            seen.push(format!("{number}:{line}"));
            Ok(())
        });
        (seen, outcome)
    }

    #[test]
    fn the_csv_is_streamed_line_by_line_up_to_the_bound_and_no_further() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_of(dir.path(), &[("BTCUSDT-1h-2023-01.csv", "1,2\n3,4\r\n5,6")]);
        check(&path).unwrap();
        let (lines, outcome) = lines_of(&path, 12);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(lines, ["1:1,2\n", "2:3,4\r\n", "3:5,6"]);
        // Past the bound: the lines before it were delivered as they were read, then the archive is refused.
        let (lines, outcome) = lines_of(&path, 7);
        assert_eq!(lines, ["1:1,2\n"]);
        let Err(Failure::Archive(err)) = outcome else { panic!("{outcome:?}") };
        assert!(err.to_string().ends_with("a.zip: its CSV decompresses to more than the 7 bytes allowed"), "{err}");
    }

    #[test]
    fn a_line_too_long_or_not_utf8_is_named_by_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("1,2\n{}\n", "9".repeat(MAX_LINE_BYTES + 1));
        let path = zip_of(dir.path(), &[("a.csv", &long)]);
        let (lines, outcome) = lines_of(&path, MAX_CSV_BYTES);
        assert_eq!(lines.len(), 1);
        let Err(Failure::Content(err)) = outcome else { panic!("{outcome:?}") };
        assert!(err.to_string().ends_with(&format!("line 2 is longer than {MAX_LINE_BYTES} bytes")), "{err}");
        let exact = format!("{}\n", "9".repeat(MAX_LINE_BYTES - 1));
        let path = zip_of(dir.path(), &[("a.csv", &exact)]);
        assert!(lines_of(&path, MAX_CSV_BYTES).1.is_ok(), "a line of the bound with its newline is read");
        let mut writer = zip::ZipWriter::new(File::create(&path).unwrap());
        writer.start_file("a.csv", zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(b"1,2\n3,\xff\n").unwrap();
        writer.finish().unwrap();
        let Err(Failure::Content(err)) = lines_of(&path, MAX_CSV_BYTES).1 else { panic!() };
        assert!(err.to_string().ends_with("line 2 is not UTF-8 text (byte 3)"), "{err}");
    }

    #[test]
    fn an_error_of_the_callers_function_stops_the_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_of(dir.path(), &[("a.csv", "1\n2\n3\n")]);
        let mut seen = 0;
        let outcome = read_lines(&path, MAX_CSV_BYTES, |number, _| {
            seen += 1;
            if number == 2 { Err(Error::Data("no".into())) } else { Ok(()) }
        });
        assert!(matches!(outcome, Err(Failure::Content(Error::Data(m))) if m == "no"));
        assert_eq!(seen, 2);
    }

    #[test]
    fn an_archive_without_exactly_one_csv_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let none = zip_of(dir.path(), &[("readme.txt", "x")]);
        assert!(check(&none).unwrap_err().to_string().contains("holds no CSV file"));
        let two = zip_of(dir.path(), &[("a.csv", "1"), ("b.csv", "2")]);
        assert!(check(&two).unwrap_err().to_string().contains("more than one CSV"));
        std::fs::write(dir.path().join("cut.zip"), b"PK\x03\x04 not really").unwrap();
        assert!(check(&dir.path().join("cut.zip")).unwrap_err().to_string().contains("not a readable zip"));
    }
}

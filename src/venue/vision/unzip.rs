//! The one CSV file inside a data.binance.vision archive, read with a bound on its decompressed size: the size the
//! archive declares is not trusted (a crafted archive can lie), the reader stops one byte past the bound.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::data::MAX_DATA_FILE_BYTES;
use crate::error::{Error, Result};

/// The most a CSV inside an archive may decompress to: the same bound as a data file a loader reads.
pub(super) const MAX_CSV_BYTES: u64 = MAX_DATA_FILE_BYTES;

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

/// The decompressed text of the archive's CSV file, at most `limit` bytes.
///
/// # Errors
/// [`Error::Data`] naming the archive when it does not open, holds no single CSV, decompresses to more than
/// `limit` bytes, fails its CRC or is not UTF-8.
pub(super) fn read_csv(path: &Path, limit: u64) -> Result<String> {
    let mut archive = open(path)?;
    let index = csv_entry(path, &mut archive)?;
    let bad = |what: String| Error::Data(format!("{}: {what}", path.display()));
    let mut entry = archive.by_index(index).map_err(|e| bad(format!("cannot read its CSV: {e}")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size().min(limit)).unwrap_or(0));
    // The CRC is checked when the entry is read to its end, which `take` reaches unless the bound is passed.
    entry
        .by_ref()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("its CSV does not decompress: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(bad(format!("its CSV decompresses to more than the {limit} bytes allowed")));
    }
    String::from_utf8(bytes)
        .map_err(|e| bad(format!("its CSV is not UTF-8 text (byte {})", e.utf8_error().valid_up_to())))
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

    #[test]
    fn the_csv_inside_reads_up_to_the_bound_and_no_further() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_of(dir.path(), &[("BTCUSDT-1h-2023-01.csv", "1,2\n3,4\n")]);
        check(&path).unwrap();
        assert_eq!(read_csv(&path, 8).unwrap(), "1,2\n3,4\n");
        let err = read_csv(&path, 7).unwrap_err().to_string();
        assert!(err.contains("decompresses to more than the 7 bytes allowed"), "{err}");
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

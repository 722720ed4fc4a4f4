//! Files as inputs: a loader reads only a regular file (not a device such as `/dev/zero`, a FIFO or a folder, which
//! could block or never end) of at most [`MAX_DATA_FILE_BYTES`] (data) or [`MAX_SETTINGS_FILE_BYTES`] (a scenario,
//! a risk file, a fee ladder, venue settings), so a wrong path is one error line instead of a hang or the process
//! running out of memory.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest data file a loader reads: 4 GiB (a 1-minute kline CSV of 1,000,000 bars is about 85 MB). Larger
/// histories are split into files (by month, as Binance publishes them), which a scenario lists one by one.
pub const MAX_DATA_FILE_BYTES: u64 = 4 << 30;

/// The largest settings file (a scenario, a risk file, a fee ladder, venue settings) a loader reads: 16 MiB, far
/// above any real one.
pub const MAX_SETTINGS_FILE_BYTES: u64 = 16 << 20;

/// Opens the data file at `path` after checking that it is a regular file of at most [`MAX_DATA_FILE_BYTES`].
///
/// # Errors
/// [`Error::Io`] when it cannot be opened; [`Error::Data`] naming the path when it is not a regular file or is too
/// large.
pub(crate) fn open_data_file(path: &Path) -> Result<File> {
    open_checked(path, MAX_DATA_FILE_BYTES)
}

/// Opens `path` after checking that it is a regular file of at most `limit` bytes.
fn open_checked(path: &Path, limit: u64) -> Result<File> {
    // Checked before opening: opening a FIFO for reading blocks until something writes to it.
    let metadata = std::fs::metadata(path).map_err(|e| Error::io("opening", path, e))?;
    check(path, &metadata, limit)?;
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    // And again on what was opened, in case the path changed in between.
    check(path, &file.metadata().map_err(|e| Error::io("opening", path, e))?, limit)?;
    Ok(file)
}

/// Reads the whole data file at `path`, with [`open_data_file`]'s checks.
///
/// # Errors
/// As [`open_data_file`]; [`Error::Io`] when reading fails.
pub(crate) fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_DATA_FILE_BYTES)
}

/// Reads the settings file at `path` (a scenario, a risk file, a fee ladder, venue settings) as text: a regular file
/// of at most [`MAX_SETTINGS_FILE_BYTES`], in UTF-8.
///
/// # Errors
/// As [`open_data_file`], with the settings limit; [`Error::Config`] naming the file when it is not UTF-8.
pub fn read_settings_file(path: &Path) -> Result<String> {
    let bytes = read_bounded(path, MAX_SETTINGS_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::Config(format!("{}: not UTF-8 text (an invalid byte at offset {at})", path.display()))
    })
}

/// Feeds the data file at `path` to `sink` in pieces, with [`open_data_file`]'s checks, never holding it whole.
///
/// # Errors
/// As [`open_data_file`]; [`Error::Io`] when reading fails.
pub fn stream_data_file(path: &Path, sink: &mut dyn FnMut(&[u8])) -> Result<u64> {
    use std::io::Read;
    let mut file = open_data_file(path)?.take(MAX_DATA_FILE_BYTES + 1);
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(|e| Error::io("reading", path, e))?;
        if read == 0 {
            break;
        }
        total += read as u64;
        if total > MAX_DATA_FILE_BYTES {
            return Err(too_large(path, MAX_DATA_FILE_BYTES));
        }
        sink(&buffer[..read]);
    }
    Ok(total)
}

/// Reads all of `path`, a regular file of at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_checked(path, limit)?;
    let mut bytes = Vec::new();
    // `take` bounds the read even if the file grew after the size check.
    file.by_ref().take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::io("reading", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

fn check(path: &Path, metadata: &std::fs::Metadata, limit: u64) -> Result<()> {
    if !metadata.is_file() {
        return Err(Error::Data(format!(
            "{}: not a regular file (a path in a scenario must name a file, not a folder, device or pipe)",
            path.display()
        )));
    }
    if metadata.len() > limit {
        return Err(too_large(path, limit));
    }
    Ok(())
}

fn too_large(path: &Path, limit: u64) -> Error {
    if limit == MAX_DATA_FILE_BYTES {
        return Error::Data(format!(
            "{}: larger than the {} GiB a data file may hold; split it (by month, say) and list the parts",
            path.display(),
            MAX_DATA_FILE_BYTES >> 30
        ));
    }
    Error::Data(format!("{}: larger than the {} MiB a settings file may hold", path.display(), limit >> 20))
}

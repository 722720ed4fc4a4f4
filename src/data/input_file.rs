//! Data files as inputs: a loader reads only a regular file (not a device such as `/dev/zero`, a FIFO or a folder,
//! which could block or never end) of at most [`MAX_DATA_FILE_BYTES`], so a wrong path is one error line instead of a
//! hang or the process running out of memory.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest data file a loader reads: 4 GiB (a 1-minute kline CSV of 1,000,000 bars is about 85 MB). Larger
/// histories are split into files (by month, as Binance publishes them), which a scenario lists one by one.
pub const MAX_DATA_FILE_BYTES: u64 = 4 << 30;

/// Opens the data file at `path` after checking that it is a regular file of at most [`MAX_DATA_FILE_BYTES`].
///
/// # Errors
/// [`Error::Io`] when it cannot be opened; [`Error::Data`] naming the path when it is not a regular file or is too
/// large.
pub(crate) fn open_data_file(path: &Path) -> Result<File> {
    // Checked before opening: opening a FIFO for reading blocks until something writes to it.
    let metadata = std::fs::metadata(path).map_err(|e| Error::io("opening", path, e))?;
    check(path, &metadata)?;
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    // And again on what was opened, in case the path changed in between.
    check(path, &file.metadata().map_err(|e| Error::io("opening", path, e))?)?;
    Ok(file)
}

/// Reads the whole data file at `path`, with [`open_data_file`]'s checks.
///
/// # Errors
/// As [`open_data_file`]; [`Error::Io`] when reading fails.
pub(crate) fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_data_file(path)?;
    let mut bytes = Vec::new();
    // `take` bounds the read even if the file grew after the size check.
    file.by_ref().take(MAX_DATA_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| Error::io("reading", path, e))?;
    if bytes.len() as u64 > MAX_DATA_FILE_BYTES {
        return Err(too_large(path));
    }
    Ok(bytes)
}

fn check(path: &Path, metadata: &std::fs::Metadata) -> Result<()> {
    if !metadata.is_file() {
        return Err(Error::Data(format!(
            "{}: not a regular file (a data path must name a file, not a folder, device or pipe)",
            path.display()
        )));
    }
    if metadata.len() > MAX_DATA_FILE_BYTES {
        return Err(too_large(path));
    }
    Ok(())
}

fn too_large(path: &Path) -> Error {
    Error::Data(format!(
        "{}: larger than the {} GiB a data file may hold; split it (by month, say) and list the parts",
        path.display(),
        MAX_DATA_FILE_BYTES >> 30
    ))
}

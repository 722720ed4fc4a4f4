//! A session's recording: every market message as it arrived, one file per symbol in a format the backtest reads
//! — level-2 sessions in the capture format (`<local receive ns> <json>` lines; see
//! [`crate::data::load_binance_capture`]), bar sessions as kline CSV rows under a header — written before the
//! engine sees the message. Each line reaches the operating system before the next message is processed, so
//! killing the process loses at most the line being written — which a resume cuts off.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The recording of one symbol, open for appending.
#[derive(Debug)]
pub struct Recording {
    path: PathBuf,
    file: File,
    lines: u32,
}

impl Recording {
    /// Opens the recording at `path` (creating it and its folder; a new file starts with `header` when one is
    /// given), and returns the lines it already holds after the header — a resumed session replays them. A last
    /// line without its newline (the process died writing it) is cut off.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder or file cannot be made, read or cut.
    pub fn open(path: &Path, header: Option<&str>) -> Result<(Self, Vec<String>)> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let path = path.to_path_buf();
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        let complete = existing.rfind('\n').map_or(0, |end| end + 1);
        let file =
            OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io("opening", &path, e))?;
        if complete < existing.len() {
            tracing::warn!(path = %path.display(), "cutting off a line the previous run did not finish");
            file.set_len(complete as u64).map_err(|e| Error::io("cutting", &path, e))?;
        }
        let mut lines: Vec<String> = existing[..complete].lines().map(str::to_string).collect();
        let mut recording = Recording { path, file, lines: 0 };
        if let Some(header) = header {
            match lines.first() {
                None => recording.append(header)?,
                Some(first) if first == header => {
                    lines.remove(0);
                }
                Some(_) => {
                    return Err(Error::Data(format!(
                        "{}: line 1 is not the recording's header '{header}'",
                        recording.path.display()
                    )));
                }
            }
        }
        recording.lines = lines.len() as u32;
        Ok((recording, lines))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines recorded so far (the number of the next one minus one).
    pub fn lines(&self) -> u32 {
        self.lines
    }

    /// Appends `line` and hands it to the operating system.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be written.
    pub fn append(&mut self, line: &str) -> Result<()> {
        let io = |e| Error::io("writing", &self.path, e);
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.write_all(b"\n").map_err(io)?;
        self.file.flush().map_err(io)?;
        self.lines += 1;
        Ok(())
    }
}

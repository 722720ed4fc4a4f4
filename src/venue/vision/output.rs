//! The output of `ctb data fetch --source binance-vision`: the archives' CSVs streamed a line at a time through the
//! row parser and the merger into `<out>.partial`, which is renamed to `out` when everything succeeded (klines are
//! first validated by the backtest's loader, and for Parquet written from it to `<out>.partial.parquet`, which is
//! renamed instead). The temporary files are removed on every way out, so a failed run leaves `out` as it was.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use super::download;
use super::merge::Merger;
use super::rows::{self, RowParser};
use super::unzip::{self, Failure};
use super::{VisionKind, VisionRequest, VisionSummary, is_parquet, plan, with_suffix};
use crate::data::{DataFile, DataFormat, load_bar_series, write_bars};
use crate::error::{Error, Result};
use crate::model::Timestamp;

/// A verified archive to read.
pub(super) struct Source {
    /// What it holds.
    pub archive: plan::Archive,
    /// Where it is in the cache.
    pub path: PathBuf,
    /// Where it came from.
    pub url: String,
}

/// Joins the archives into `out`, through `<out>.partial` (and for Parquet `<out>.partial.parquet`), renamed into
/// place once everything succeeded; the temporary files are removed on every way out.
pub(super) fn write_output(
    request: &VisionRequest,
    step: i64,
    sources: &[Source],
    out: &Path,
    summary: &mut VisionSummary,
) -> Result<()> {
    // Aggregate trades are written in microseconds, the rest in milliseconds; a row is in the range when its instant
    // is, so the bounds are rounded up to the unit (a --from of 12:00:00.000500 excludes a trade at 12:00:00.000400).
    let scale = if request.kind == VisionKind::AggTrades { 1000 } else { 1 };
    let unit = 1_000_000 / scale;
    let (from, to) = (ceil_div(request.from.nanos(), unit), ceil_div(request.to.nanos(), unit));
    let partial = Temporary::new(with_suffix(out, ".partial"));
    let io = |e| Error::io("writing", &partial.path, e);
    let mut file = BufWriter::new(std::fs::File::create(&partial.path).map_err(io)?);
    writeln!(file, "{}", rows::header(request.kind)).map_err(io)?;
    let mut merger = Merger::new(request.kind, step, from, to, file);
    for source in sources {
        read_archive(request.kind, source, scale, &mut merger, &partial.path)?;
    }
    let (merged, file) = merger.finish().map_err(io)?;
    file.into_inner().map_err(|e| io(e.into_error()))?.sync_all().map_err(io)?;
    let time = |t: i64| if scale == 1 { Timestamp::from_millis(t) } else { Timestamp::from_micros(t) };
    (summary.rows, summary.first, summary.last) =
        (merged.rows, merged.first.and_then(time), merged.last.and_then(time));
    (summary.converted, summary.duplicates, summary.named_duplicates) =
        (merged.converted, merged.duplicates, merged.named_duplicates);
    (summary.out_of_order, summary.named_out_of_order) = (merged.out_of_order, merged.named_out_of_order);
    (summary.outside_period, summary.gaps) = (merged.outside_period, merged.gaps);
    if merged.rows == 0 {
        return Err(Error::Data(format!(
            "no {} of {} in [{}, {}) in the {} archive(s) found, {} missing (404): check the symbol, --market and the \
             dates",
            request.kind.name(),
            request.symbol,
            request.from,
            request.to,
            sources.len(),
            summary.missing_archives.len()
        )));
    }
    if request.kind == VisionKind::Klines {
        let csv = DataFile { path: partial.path.clone(), format: DataFormat::BinanceKlines };
        let (series, _) = load_bar_series(request.symbol, &[csv])?;
        if is_parquet(out) {
            let parquet = Temporary::new(with_suffix(out, ".partial.parquet"));
            write_bars(&series, &parquet.path, DataFormat::Parquet)?;
            return parquet.rename_to(out);
        }
    }
    partial.rename_to(out)
}

/// `n / d` rounded up (`d` > 0).
fn ceil_div(n: i64, d: i64) -> i64 {
    n.div_euclid(d) + i64::from(n.rem_euclid(d) != 0)
}

/// A temporary file, removed when dropped unless it was renamed into place.
struct Temporary {
    path: PathBuf,
    renamed: bool,
}

impl Temporary {
    fn new(path: PathBuf) -> Self {
        Temporary { path, renamed: false }
    }

    /// Renames the file to `target`, replacing what was there.
    fn rename_to(mut self, target: &Path) -> Result<()> {
        std::fs::rename(&self.path, target).map_err(|e| Error::io("renaming", &self.path, e))?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams the rows of one archive into the merger, a line at a time.
fn read_archive<W: std::io::Write>(
    kind: VisionKind,
    source: &Source,
    scale: i64,
    merger: &mut Merger<W>,
    partial: &Path,
) -> Result<()> {
    let (start, end) = (source.archive.start_ms.saturating_mul(scale), source.archive.end_ms.saturating_mul(scale));
    let mut parser = RowParser::new(kind, &source.path);
    let outcome = unzip::read_lines(&source.path, unzip::MAX_CSV_BYTES, |number, line| {
        if let Some(row) = parser.parse(number, line)? {
            merger.push(row, start, end).map_err(|e| Error::io("writing", partial, e))?;
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(Failure::Content(error)) => Err(error),
        Err(Failure::Archive(error)) => Err(download::unreadable(&source.path, &source.url, error)),
    }
}

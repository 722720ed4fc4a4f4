//! Static charts of a run, each as a PNG and an SVG beside it: the equity curve and the underwater (drawdown) curve,
//! drawn with plotters. The PNG uses the DejaVu Sans font compiled into the binary, so it renders the same on
//! machines without system fonts; the SVG names the `sans-serif` family and scales without loss.
//!
//! Long series are decimated for drawing, never truncated: each pixel column keeps the first, lowest and highest
//! point that falls into it, in time order, so every spike stays visible.

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// Chart size in pixels.
const WIDTH: u32 = 1200;
/// Chart height in pixels.
const HEIGHT: u32 = 600;
/// Plot area width in pixels (chart width minus the y label area and margins), the decimation target.
const PLOT_COLUMNS: usize = 1080;

/// Registers the embedded font under plotters' `sans-serif` family, once per process.
pub(super) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok { Ok(()) } else { Err(Error::Data("the embedded chart font could not be loaded".into())) }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartStyle {
    /// A line (equity).
    Line,
    /// A red area hanging from zero (drawdown).
    Underwater,
}

/// A chart to draw.
pub struct Chart<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Y axis description.
    pub y_label: &'a str,
    /// Points in time order.
    pub points: &'a [(Timestamp, f64)],
    /// Line or underwater area.
    pub style: ChartStyle,
}

/// Draws `chart` into a PNG at `path` and the same chart as an SVG beside it (`path` with the extension `svg`).
///
/// # Errors
/// [`Error::Data`] when there is nothing to draw or plotters fails; [`Error::Io`]-like failures are reported as
/// [`Error::Data`] with the path, since plotters does not expose them separately.
pub fn draw_chart(path: &Path, chart: &Chart<'_>) -> Result<()> {
    ensure_font()?;
    let svg = path.with_extension("svg");
    let fail = |path: &Path, e: String| Error::Data(format!("drawing {}: {e}", path.display()));
    let points = decimate(chart.points, PLOT_COLUMNS);
    plot(BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area(), chart, &points).map_err(|e| fail(path, e))?;
    plot(SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area(), chart, &points).map_err(|e| fail(&svg, e))
}

/// Draws `chart`'s decimated `points` on `root`, whatever the backend (PNG or SVG).
fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &Chart<'_>,
    points: &[(Timestamp, f64)],
) -> std::result::Result<(), String> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err("no points to draw".into());
    };
    let (t0, t1) =
        (first.0.to_datetime(), last.0.to_datetime().max(first.0.to_datetime() + chrono::Duration::seconds(1)));
    let (mut lo, mut hi) =
        points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    if chart.style == ChartStyle::Underwater {
        hi = 0.0;
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1.0) * 1e-6);
    lo -= pad;
    hi += if chart.style == ChartStyle::Underwater { 0.0 } else { pad };

    // One label format for the whole axis: whole numbers once the axis reaches the thousands.
    let whole_numbers = lo.abs().max(hi.abs()) >= 1000.0;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let span_days = (t1 - t0).num_days();
    let date_format = if span_days > 3 { "%Y-%m-%d" } else { "%m-%d %H:%M" };
    let mut ctx = ChartBuilder::on(&root)
        .caption(chart.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(t0..t1, lo..hi)
        .map_err(|e| e.to_string())?;
    ctx.configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|d: &DateTime<Utc>| d.format(date_format).to_string())
        .y_label_formatter(&|v: &f64| format_axis_value(*v, whole_numbers))
        .x_desc("Time (UTC)")
        .y_desc(chart.y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    let series = points.iter().map(|(t, v)| (t.to_datetime(), *v));
    match chart.style {
        ChartStyle::Line => {
            ctx.draw_series(LineSeries::new(series, RGBColor(31, 119, 180).stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        ChartStyle::Underwater => {
            let red = RGBColor(214, 39, 40);
            ctx.draw_series(AreaSeries::new(series, 0.0, red.mix(0.35)).border_style(red.stroke_width(1)))
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())
}

/// Axis numbers without float noise: whole numbers with thousands separators, or two decimals.
pub(super) fn format_axis_value(v: f64, whole_numbers: bool) -> String {
    if whole_numbers {
        let whole = v.round() as i64;
        let digits = whole.unsigned_abs().to_string();
        let grouped: Vec<&str> =
            digits.as_bytes().rchunks(3).rev().map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
        format!("{}{}", if whole < 0 { "-" } else { "" }, grouped.join(","))
    } else {
        format!("{v:.2}")
    }
}

/// Keeps, for each of `columns` equal time slices, the first, lowest and highest point (in time order, without
/// repeats), plus the last point. Series no longer than `3 × columns` are returned unchanged.
pub fn decimate(points: &[(Timestamp, f64)], columns: usize) -> Vec<(Timestamp, f64)> {
    if points.len() <= 3 * columns || columns == 0 {
        return points.to_vec();
    }
    let (t0, t1) = (points[0].0.0, points[points.len() - 1].0.0);
    let span = (t1 - t0).max(1) as i128;
    let column_of = |t: Timestamp| ((t.0 - t0) as i128 * (columns as i128 - 1) / span) as usize;
    let mut out = Vec::with_capacity(3 * columns + 1);
    let mut start = 0;
    while start < points.len() {
        let column = column_of(points[start].0);
        let mut end = start;
        let (mut lo, mut hi) = (start, start);
        while end < points.len() && column_of(points[end].0) == column {
            if points[end].1 < points[lo].1 {
                lo = end;
            }
            if points[end].1 > points[hi].1 {
                hi = end;
            }
            end += 1;
        }
        let mut keep = [start, lo, hi];
        keep.sort_unstable();
        let mut previous = None;
        for i in keep {
            if previous != Some(i) {
                out.push(points[i]);
                previous = Some(i);
            }
        }
        start = end;
    }
    if out.last() != points.last() {
        out.push(points[points.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_extremes_and_endpoints() {
        let mut points: Vec<(Timestamp, f64)> = (0..10_000).map(|i| (Timestamp(i), (i % 7) as f64)).collect();
        points[5_000].1 = 1_000.0;
        points[7_777].1 = -1_000.0;
        let d = decimate(&points, 100);
        assert!(d.len() <= 301);
        assert!(d.contains(&points[5_000]) && d.contains(&points[7_777]));
        assert_eq!((d.first(), d.last()), (points.first(), points.last()));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0), "time order is kept");
    }

    #[test]
    fn short_series_are_drawn_as_they_are() {
        let points: Vec<(Timestamp, f64)> = (0..50).map(|i| (Timestamp(i), i as f64)).collect();
        assert_eq!(decimate(&points, 100), points);
    }

    #[test]
    fn a_chart_is_written_as_png_and_as_svg_holding_every_drawn_point() {
        let dir = tempfile::tempdir().expect("tempdir");
        let points: Vec<(Timestamp, f64)> =
            (0..500).map(|i| (Timestamp(i * 60_000_000_000), 10_000.0 + (i % 13) as f64)).collect();
        let chart = Chart { title: "t — equity", y_label: "Equity (USDT)", points: &points, style: ChartStyle::Line };
        let png = dir.path().join("equity.png");
        draw_chart(&png, &chart).expect("drawn");
        let svg = std::fs::read_to_string(dir.path().join("equity.svg")).expect("svg beside the png");
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).expect("png")));
        let info = decoder.read_info().expect("a png");
        assert_eq!((info.info().width, info.info().height), (WIDTH, HEIGHT));
        assert!(svg.starts_with("<svg") && svg.contains("t — equity"), "an SVG with its title");
        // The line is the one polyline in the series colour; it holds one vertex per point (500 < 3 × columns).
        let line = svg.split("<polyline").find(|p| p.contains("#1F77B4")).expect("the equity line");
        let vertices = line.split("points=\"").nth(1).and_then(|p| p.split('"').next()).expect("points");
        assert_eq!(vertices.split_whitespace().count(), points.len());
        draw_chart(&png, &chart).expect("drawn again");
        assert_eq!(std::fs::read_to_string(dir.path().join("equity.svg")).expect("svg"), svg, "same chart, same bytes");
    }

    #[test]
    fn axis_values_read_cleanly() {
        assert_eq!(format_axis_value(12_020.6, true), "12,021");
        assert_eq!(format_axis_value(0.0, true), "0");
        assert_eq!(format_axis_value(-1.234, false), "-1.23");
    }
}

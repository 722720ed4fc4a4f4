//! SVG drawing primitives of the HTML report: a plot [`Frame`] mapping data to pixels, its axes and grid, lines
//! and areas of decimated series. Coordinates are written with one decimal, so the same data gives the same bytes.

use std::fmt::Write;

use super::series::Point;
use crate::model::Timestamp;

/// Width of every chart, in pixels.
pub const WIDTH: f64 = 1280.0;
/// Left margin (y labels).
const LEFT: f64 = 76.0;
/// Right margin.
const RIGHT: f64 = 16.0;
/// Top margin.
const TOP: f64 = 12.0;
/// Bottom margin (x labels).
const BOTTOM: f64 = 26.0;

/// Pixel columns of every chart's plot area.
pub fn plot_columns() -> usize {
    (WIDTH - LEFT - RIGHT) as usize
}

/// A number with one decimal: pixel coordinates.
pub fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// `text` with the characters HTML gives a meaning escaped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plot area: an x domain (time as nanoseconds, or any number) and a y domain mapped onto the chart's pixels.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Chart height in pixels.
    pub height: f64,
    x0: f64,
    x1: f64,
    lo: f64,
    hi: f64,
}

impl Frame {
    /// A frame of `height` pixels over `x` and `y` (each widened when empty; `y` padded by 4 %).
    pub fn new(height: f64, x: (f64, f64), y: (f64, f64)) -> Self {
        let (x0, mut x1) = x;
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        let (mut lo, mut hi) = if y.0.is_finite() && y.1.is_finite() { y } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.04).max(hi.abs().max(lo.abs()).max(1.0) * 1e-6);
        lo -= pad;
        hi += pad;
        Frame { height, x0, x1, lo, hi }
    }

    /// A frame over time from `t0` to `t1`.
    pub fn timed(height: f64, t0: Timestamp, t1: Timestamp, y: (f64, f64)) -> Self {
        Frame::new(height, (t0.0 as f64, t1.0 as f64), y)
    }

    /// Left edge of the plot area.
    pub fn left(&self) -> f64 {
        LEFT
    }

    /// Right edge of the plot area.
    pub fn right(&self) -> f64 {
        WIDTH - RIGHT
    }

    /// Pixel columns of the plot area: the decimation target.
    pub fn columns(&self) -> usize {
        plot_columns()
    }

    /// Pixel x of domain value `v`.
    pub fn x(&self, v: f64) -> f64 {
        LEFT + (v - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)
    }

    /// Pixel x of time `t`.
    pub fn xt(&self, t: Timestamp) -> f64 {
        self.x(t.0 as f64)
    }

    /// Pixel y of value `v`.
    pub fn y(&self, v: f64) -> f64 {
        TOP + (self.hi - v) / (self.hi - self.lo) * (self.height - TOP - BOTTOM)
    }

    /// Top edge of the plot area.
    pub fn top(&self) -> f64 {
        TOP
    }

    /// Bottom edge of the plot area.
    pub fn bottom(&self) -> f64 {
        self.height - BOTTOM
    }

    /// The `<svg>` start tag with `id` and an accessible `label`.
    pub fn open(&self, out: &mut String, id: &str, label: &str) {
        let _ = write!(
            out,
            r#"<svg id="{id}" class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">"#,
            WIDTH,
            self.height,
            WIDTH,
            self.height,
            esc(label)
        );
    }

    /// Grid lines and labels: about six y ticks at round values, labelled by `y_label`; the x ticks given.
    pub fn axes(&self, out: &mut String, x_ticks: &[(f64, String)], y_label: &dyn Fn(f64) -> String) {
        out.push_str(r#"<g class="axes">"#);
        for v in nice_ticks(self.lo, self.hi, 6) {
            let y = px(self.y(v));
            let _ = write!(
                out,
                r#"<line class="grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/><text class="yl" x="{}" y="{y}">{}</text>"#,
                px(LEFT),
                px(self.right()),
                px(LEFT - 6.0),
                esc(&y_label(v))
            );
        }
        for (i, (v, label)) in x_ticks.iter().enumerate() {
            let x = px(self.x(*v));
            // Labels at the edges stay inside the chart.
            let anchor = match i {
                0 => "start",
                i if i + 1 == x_ticks.len() => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                r#"<line class="grid" x1="{x}" x2="{x}" y1="{}" y2="{}"/><text class="xl" text-anchor="{anchor}" x="{x}" y="{}">{}</text>"#,
                px(TOP),
                px(self.bottom()),
                px(self.height - 8.0),
                esc(label)
            );
        }
        let _ = write!(
            out,
            r#"<rect class="frame" x="{}" y="{}" width="{}" height="{}"/></g>"#,
            px(LEFT),
            px(TOP),
            px(WIDTH - LEFT - RIGHT),
            px(self.bottom() - TOP)
        );
    }

    /// Seven dated x ticks evenly over the time domain (`YYYY-MM-DD`, or with the hour for spans under four days).
    pub fn time_ticks(&self) -> Vec<(f64, String)> {
        let span_days = (self.x1 - self.x0) / 86_400e9;
        let format = if span_days > 4.0 { "%Y-%m-%d" } else { "%m-%d %H:%M" };
        (0..7)
            .map(|i| {
                let v = self.x0 + (self.x1 - self.x0) * f64::from(i) / 6.0;
                (v, Timestamp(v as i64).to_datetime().format(format).to_string())
            })
            .collect()
    }

    /// Ticks at round values over the x domain (for charts whose x is not time).
    pub fn value_ticks(&self, label: &dyn Fn(f64) -> String) -> Vec<(f64, String)> {
        nice_ticks(self.x0, self.x1, 8).into_iter().map(|v| (v, label(v))).collect()
    }

    /// `points` (already decimated) as a polyline of `class`.
    pub fn line(&self, out: &mut String, points: &[Point], class: &str) {
        let _ = write!(out, r#"<polyline class="{class}" points=""#);
        for &(t, v) in points {
            let _ = write!(out, "{},{} ", px(self.xt(t)), px(self.y(v)));
        }
        out.push_str(r#""/>"#);
    }

    /// A closed polygon through `upper` left to right and `lower` right to left, of `class`.
    pub fn band(&self, out: &mut String, upper: &[Point], lower: &[Point], class: &str) {
        let _ = write!(out, r#"<polygon class="{class}" points=""#);
        for &(t, v) in upper.iter().chain(lower.iter().rev()) {
            let _ = write!(out, "{},{} ", px(self.xt(t)), px(self.y(v)));
        }
        out.push_str(r#""/>"#);
    }

    /// A vertical line at time `t` across the plot, of `class`, titled `title` (shown on hover).
    pub fn vertical(&self, out: &mut String, t: Timestamp, class: &str, title: &str) {
        let x = px(self.xt(t));
        let _ = write!(
            out,
            r#"<line class="{class}" x1="{x}" x2="{x}" y1="{}" y2="{}"><title>{}</title></line>"#,
            px(TOP),
            px(self.bottom()),
            esc(title)
        );
    }

    /// A horizontal line at `v` across the plot, of `class`.
    pub fn rule(&self, out: &mut String, v: f64, class: &str) {
        let y = px(self.y(v));
        let _ = write!(out, r#"<line class="{class}" x1="{}" x2="{}" y1="{y}" y2="{y}"/>"#, px(LEFT), px(self.right()));
    }
}

/// About `count` round tick values (1, 2 or 5 × a power of ten apart) inside `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if count == 0 || !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return Vec::new();
    }
    let raw = (hi - lo) / count as f64;
    let power = 10_f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    // Multiples of the step (not repeated additions), so -0.0 and float drift do not reach the labels.
    (first..=last).map(|i| if i == 0 { 0.0 } else { i as f64 * step }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_multiples_inside_the_range() {
        // 12.2 / 6 = 2.03 per tick: the next round step is 5.
        assert_eq!(nice_ticks(-11.8, 0.4, 6), vec![-10.0, -5.0, 0.0]);
        // 3,200 / 6 = 533 per tick: the next round step is 1,000.
        assert_eq!(nice_ticks(9_100.0, 12_300.0, 6), vec![10_000.0, 11_000.0, 12_000.0]);
        // 12 / 6 = 2 per tick exactly: a step of 2.
        assert_eq!(nice_ticks(-12.0, 0.0, 6), vec![-12.0, -10.0, -8.0, -6.0, -4.0, -2.0, 0.0]);
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(esc(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}

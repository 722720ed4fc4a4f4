//! The report's SVG charts: price (candles, or a high–low band and the close for long series), equity against
//! buy-and-hold with the bar-path band, the underwater curve with the worst drawdowns shaded, the distribution of
//! daily returns and the rolling Sharpe ratio. Long series are decimated per pixel column (first, lowest and
//! highest point of each), never cut.

use std::fmt::Write;

use super::data::{BandPoint, RiskMark, TradeRow};
use super::series::{Episode, Histogram, Point};
use super::svg::{Frame, esc, px};
use crate::model::BarSeries;
use crate::model::exact::to_f64;
use crate::report::charts::{decimate, format_axis_value};

/// Where a trade's entry and exit markers go on its symbol's price chart: `(x, y)` pixels of each.
pub type MarkerSpot = ((f64, f64), (f64, f64));

/// Axis labels for money on an axis reaching `hi`: whole numbers with separators from the thousands, else two
/// decimals.
pub(crate) fn money_label(hi: f64) -> impl Fn(f64) -> String {
    let whole = hi.abs() >= 1000.0;
    move |v| format_axis_value(v, whole)
}

/// Axis labels for percentages: one decimal and ` %`.
pub(crate) fn percent_label(v: f64) -> String {
    format!("{v:.1} %")
}

/// The price chart of `series` (element id `price-{index}`) and the marker spots of `trades` on it (`None` for
/// trades of other symbols). Candles while each gets three pixels, else the per-column high–low band and the close.
pub fn price_chart(index: usize, series: &BarSeries, trades: &[TradeRow]) -> (String, Vec<Option<MarkerSpot>>) {
    let n = series.len();
    let (lo, hi) = (0..n).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
        (lo.min(to_f64(series.low[i])), hi.max(to_f64(series.high[i])))
    });
    let (t0, t1) = match (series.open_time.first(), n.checked_sub(1)) {
        (Some(&first), Some(last)) => (first, series.close_time(last)),
        _ => Default::default(),
    };
    let frame = Frame::timed(420.0, t0, t1, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, &format!("price-{index}"), &format!("{} price", series.symbol));
    frame.axes(&mut out, &frame.time_ticks(), &money_label(hi));
    if candles_fit(n) {
        let body = ((frame.xt(crate::model::Timestamp(t0.0 + series.interval)) - frame.left()) * 0.7).max(1.0);
        out.push_str(r#"<g class="candles">"#);
        for i in 0..n {
            let (o, h, l, c) =
                (to_f64(series.open[i]), to_f64(series.high[i]), to_f64(series.low[i]), to_f64(series.close[i]));
            let x = frame.xt(crate::model::Timestamp(series.open_time[i].0 + series.interval / 2));
            let class = if c >= o { "up" } else { "down" };
            let (top, bottom) = (frame.y(o.max(c)), frame.y(o.min(c)));
            let _ = write!(
                out,
                r#"<g class="{class}"><line x1="{x}" x2="{x}" y1="{}" y2="{}"/><rect x="{}" y="{}" width="{}" height="{}"/></g>"#,
                px(frame.y(h)),
                px(frame.y(l)),
                px(x - body / 2.0),
                px(top),
                px(body),
                px((bottom - top).max(0.5)),
                x = px(x),
            );
        }
        out.push_str("</g>");
    } else {
        let (upper, lower) = column_ranges(&frame, series);
        frame.band(&mut out, &upper, &lower, "range");
        let closes: Vec<Point> = (0..n).map(|i| (series.close_time(i), to_f64(series.close[i]))).collect();
        frame.line(&mut out, &decimate(&closes, frame.columns()), "close");
    }
    let _ = write!(out, r#"<g class="markers" data-symbol="{}"></g></svg>"#, esc(series.symbol.as_str()));
    let spots = trades
        .iter()
        .map(|t| {
            (t.symbol == series.symbol).then(|| {
                let at = |time, price| (frame.xt(time), frame.y(to_f64(price)));
                (at(t.entry_time, t.entry_price), at(t.exit_time, t.exit_price))
            })
        })
        .collect();
    (out, spots)
}

/// Whether `bars` candles fit a chart with three pixels each (else the chart draws the high–low band).
pub fn candles_fit(bars: usize) -> bool {
    bars.saturating_mul(3) <= super::svg::plot_columns()
}

/// The highest high and lowest low of the bars in each pixel column, at the time of the column's first bar.
fn column_ranges(frame: &Frame, series: &BarSeries) -> (Vec<Point>, Vec<Point>) {
    let (mut upper, mut lower): (Vec<Point>, Vec<Point>) = (Vec::new(), Vec::new());
    let mut column = None;
    for i in 0..series.len() {
        let c = frame.xt(series.open_time[i]).floor() as i64;
        let (h, l) = (to_f64(series.high[i]), to_f64(series.low[i]));
        match (column == Some(c), upper.last_mut(), lower.last_mut()) {
            (true, Some(u), Some(d)) => {
                u.1 = u.1.max(h);
                d.1 = d.1.min(l);
            }
            _ => {
                upper.push((series.open_time[i], h));
                lower.push((series.open_time[i], l));
                column = Some(c);
            }
        }
    }
    (upper, lower)
}

/// What the equity chart draws.
pub struct EquityLines<'a> {
    /// The run's equity.
    pub equity: &'a [Point],
    /// Buy-and-hold of the same symbols at the same marks (may be empty).
    pub buy_and_hold: &'a [Point],
    /// Equity under the adverse and the optimistic bar-path rule (empty without ambiguous bars).
    pub band: &'a [BandPoint],
    /// Risk decisions and limits.
    pub risk: &'a [RiskMark],
}

/// Equity against buy-and-hold, risk events as vertical marks.
pub fn equity_chart(lines: &EquityLines<'_>, quote: &str) -> String {
    let all = lines.equity.iter().chain(lines.buy_and_hold).map(|p| p.1);
    let extra = lines.band.iter().flat_map(|p| [p.1, p.2]);
    let (lo, hi) = all.chain(extra).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (Some(first), Some(last)) = (lines.equity.first(), lines.equity.last()) else {
        return r#"<p class="none">No equity marks.</p>"#.into();
    };
    let frame = Frame::timed(360.0, first.0, last.0, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, "equity", &format!("equity in {quote} against buy-and-hold"));
    frame.axes(&mut out, &frame.time_ticks(), &money_label(hi));
    risk_marks(&mut out, &frame, lines.risk);
    if !lines.band.is_empty() {
        let adverse: Vec<Point> = lines.band.iter().map(|p| (p.0, p.1)).collect();
        let optimistic: Vec<Point> = lines.band.iter().map(|p| (p.0, p.2)).collect();
        let (adverse, optimistic) = (decimate(&adverse, frame.columns()), decimate(&optimistic, frame.columns()));
        frame.band(&mut out, &optimistic, &adverse, "ambiguity");
    }
    if !lines.buy_and_hold.is_empty() {
        frame.line(&mut out, &decimate(lines.buy_and_hold, frame.columns()), "hold");
    }
    frame.line(&mut out, &decimate(lines.equity, frame.columns()), "equity");
    out.push_str("</svg>");
    out
}

/// Risk events as vertical lines, one per pixel column, titled with what happened there.
fn risk_marks(out: &mut String, frame: &Frame, risk: &[RiskMark]) {
    out.push_str(r#"<g class="risk">"#);
    let mut i = 0;
    while i < risk.len() {
        let column = frame.xt(risk[i].time).floor();
        let end = i + risk[i..].iter().take_while(|e| frame.xt(e.time).floor() == column).count();
        let mut title: Vec<String> =
            risk[i..end].iter().take(3).map(|e| format!("{} {} {}: {}", e.time, e.rule, e.action, e.reason)).collect();
        if end - i > 3 {
            title.push(format!("and {} more", end - i - 3));
        }
        frame.vertical(out, risk[i].time, "risk-event", &title.join("\n"));
        i = end;
    }
    out.push_str("</g>");
}

/// The underwater curve (drawdown from the running peak, in percent, ≤ 0) with `episodes` shaded and ranked.
pub fn underwater_chart(drawdown: &[Point], episodes: &[Episode], risk: &[RiskMark]) -> String {
    let (Some(first), Some(last)) = (drawdown.first(), drawdown.last()) else {
        return r#"<p class="none">No equity marks.</p>"#.into();
    };
    let lo = drawdown.iter().map(|p| p.1).fold(0.0, f64::min);
    let frame = Frame::timed(260.0, first.0, last.0, (lo, 0.0));
    let mut out = String::new();
    frame.open(&mut out, "underwater", "drawdown from the running peak, percent");
    frame.axes(&mut out, &frame.time_ticks(), &percent_label);
    for (rank, e) in episodes.iter().enumerate() {
        let (x0, x1) = (frame.xt(e.peak), frame.xt(e.recovery.unwrap_or(last.0)));
        let recovered = e.recovery.map_or_else(|| "not recovered".to_string(), |t| format!("recovered {t}"));
        let _ = write!(
            out,
            r#"<g class="worst"><rect x="{}" y="{}" width="{}" height="{}"><title>#{} drawdown {:.2} %: peak {}, trough {}, {recovered}</title></rect><text x="{}" y="{}">#{}</text></g>"#,
            px(x0),
            px(frame.y(0.0)),
            px((x1 - x0).max(1.0)),
            px(frame.bottom() - frame.y(0.0)),
            rank + 1,
            e.depth * 100.0,
            e.peak,
            e.trough,
            px(x0 + 3.0),
            px(frame.bottom() - 6.0),
            rank + 1,
        );
    }
    risk_marks(&mut out, &frame, risk);
    let points = decimate(drawdown, frame.columns());
    let zero: Vec<Point> = [(first.0, 0.0), (last.0, 0.0)].into();
    frame.band(&mut out, &zero, &points, "underwater");
    out.push_str("</svg>");
    out
}

/// The histogram of daily returns (in percent).
pub fn distribution_chart(h: &Histogram) -> String {
    let top = h.counts.iter().copied().max().unwrap_or(0) as f64;
    let (x0, x1) = (h.low * 100.0, (h.low + h.width * h.counts.len() as f64) * 100.0);
    let frame = Frame::new(240.0, (x0, x1), (0.0, top));
    let mut out = String::new();
    frame.open(&mut out, "distribution", "distribution of daily returns");
    frame.axes(&mut out, &frame.value_ticks(&percent_label), &|v| format!("{v:.0}"));
    for (i, &count) in h.counts.iter().enumerate() {
        let left = (h.low + h.width * i as f64) * 100.0;
        let (a, b) = (frame.x(left), frame.x(left + h.width * 100.0));
        let class = if left + h.width * 50.0 < 0.0 { "loss" } else { "gain" };
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"><title>{:.2} % to {:.2} %: {count} day(s)</title></rect>"#,
            px(a + 0.5),
            px(frame.y(count as f64)),
            px((b - a - 1.0).max(0.5)),
            px(frame.y(0.0) - frame.y(count as f64)),
            left,
            left + h.width * 100.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// The rolling Sharpe ratio with its zero line.
pub fn rolling_sharpe_chart(points: &[Point]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let (lo, hi) = points.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let frame = Frame::timed(240.0, first.0, last.0, (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, "rolling-sharpe", "rolling Sharpe ratio");
    frame.axes(&mut out, &frame.time_ticks(), &|v| format!("{v:.1}"));
    frame.rule(&mut out, 0.0, "zero");
    frame.line(&mut out, &decimate(points, frame.columns()), "sharpe");
    out.push_str("</svg>");
    out
}

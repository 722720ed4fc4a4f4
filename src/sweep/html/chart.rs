//! The sweep page's chart of the objective over the parameters: for two parameters a heatmap (one cell per
//! combination, an axis per parameter, a colour scale), for one a bar per value, for more a note that there is no
//! such chart. Each combination is one `rect.cell` titled with its parameters and metrics and carrying its
//! objective's exact `results.csv` field; a combination whose run is kept is wrapped in a link to its report.

use rust_decimal::Decimal;
use std::fmt::Write;

use crate::report::heat_colour;
use crate::report::html::svg::{Frame, WIDTH, esc, px};
use crate::sweep::spec::Objective;

/// One combination as the page's chart draws it.
pub(super) struct Combination<'a> {
    pub(super) number: usize,
    pub(super) values: &'a [Decimal],
    /// Its score (larger is better), `None` when undefined or not run.
    pub(super) score: Option<f64>,
    /// The objective's field of `results.csv` (empty when undefined); `None` when the combination did not run.
    pub(super) raw: Option<String>,
    /// The link to its kept run.
    pub(super) link: Option<&'a str>,
    /// Its parameters and metrics, one per line.
    pub(super) tip: String,
}

/// Left margin of the heatmap (the second parameter's labels and name).
const LEFT: f64 = 120.0;
/// Right margin of the heatmap (the colour scale).
const SCALE: f64 = 130.0;
/// Top margin.
const TOP: f64 = 12.0;
/// Bottom margin (the first parameter's labels and name).
const BOTTOM: f64 = 46.0;
/// Steps of the colour scale.
const SCALE_STEPS: usize = 20;

/// The chart's title, legend and body (an SVG, or a note for three parameters or more).
pub(super) fn objective_chart(
    names: &[String],
    objective: Objective,
    combinations: &[Combination<'_>],
) -> (String, String, String) {
    let scores = combinations.iter().filter_map(|c| c.score);
    let range = scores.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| (lo.min(s), hi.max(s)));
    let states = "grey: objective undefined for that run; dashed: not run";
    match names {
        [x, y] => (
            format!("Heatmap of {} over {x} and {y}", objective.as_str()),
            format!(
                "one cell per combination of the grid, red (worst) to green (best); blank: excluded from the grid; {states}"
            ),
            heatmap(x, y, objective, combinations, range),
        ),
        [x] => (
            format!("{} over {x}", objective.as_str()),
            format!("one bar per combination, coloured red (worst) to green (best); {states}"),
            bars(x, objective, combinations, range),
        ),
        _ => (
            "No heatmap".to_string(),
            String::new(),
            format!(
                r#"<p class="none">A heatmap shows one or two parameters; this sweep has {} ({}). The ranking below holds every combination.</p>"#,
                names.len(),
                esc(&names.join(", "))
            ),
        ),
    }
}

/// The fill of a combination's cell: its score's place between the worst and the best, `None` without a score.
fn fill(score: Option<f64>, (lo, hi): (f64, f64)) -> Option<(u8, u8, u8)> {
    score.map(|s| heat_colour(if hi > lo { (s - lo) / (hi - lo) } else { 1.0 }))
}

/// The objective as shown of a score (the max drawdown as its positive depth).
fn value(objective: Objective, score: f64) -> f64 {
    if objective == Objective::MaxDrawdown { -score } else { score }
}

/// One combination's cell: a rectangle at `(x, y)` of `(w, h)` pixels, filled by its score, titled, linked when
/// its run is kept.
fn cell(out: &mut String, c: &Combination<'_>, (x, y, w, h): (f64, f64, f64, f64), colour: Option<(u8, u8, u8)>) {
    if let Some(href) = c.link {
        let _ = write!(out, r#"<a href="{}">"#, esc(href));
    }
    let state = match (&c.raw, colour) {
        (None, _) => " missing",
        (Some(_), None) => " undefined",
        (Some(_), Some(_)) => "",
    };
    let kept = if c.link.is_some() { " kept" } else { "" };
    let _ = write!(out, r#"<rect class="cell{state}{kept}" data-n="{}""#, c.number);
    if let Some(raw) = &c.raw {
        let _ = write!(out, r#" data-value="{}""#, esc(raw));
    }
    if let Some((r, g, b)) = colour {
        let _ = write!(out, r#" fill="rgb({r},{g},{b})""#);
    }
    let _ = write!(
        out,
        r#" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
        px(x),
        px(y),
        px(w),
        px(h),
        esc(&c.tip)
    );
    if c.link.is_some() {
        out.push_str("</a>");
    }
}

/// The sorted distinct values of parameter `k` over `combinations`.
fn axis(combinations: &[Combination<'_>], k: usize) -> Vec<Decimal> {
    let mut values: Vec<Decimal> = combinations.iter().filter_map(|c| c.values.get(k).copied()).collect();
    values.sort();
    values.dedup();
    values
}

/// Every `step`-th index of `count` labels, so that labels `size` pixels apart each get `room` pixels.
fn label_step(size: f64, room: f64) -> usize {
    if size >= room { 1 } else { (room / size.max(1e-9)).ceil() as usize }
}

/// The heatmap: the first parameter across, the second up, a colour scale at the right.
fn heatmap(
    x_name: &str,
    y_name: &str,
    objective: Objective,
    combinations: &[Combination<'_>],
    range: (f64, f64),
) -> String {
    let (xs, ys) = (axis(combinations, 0), axis(combinations, 1));
    let cw = (WIDTH - LEFT - SCALE) / xs.len().max(1) as f64;
    let ch = cw.clamp(8.0, 36.0);
    let plot = ch * ys.len() as f64;
    let height = TOP + plot.max(160.0) + BOTTOM;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg id="heatmap" class="chart" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" role="img" aria-label="{}">"#,
        esc(&format!("{} by {x_name} and {y_name}", objective.as_str())),
        h = px(height),
    );
    out.push_str(r#"<g class="cells">"#);
    let show_values = cw >= 48.0 && ch >= 16.0;
    for c in combinations {
        let (Ok(i), Ok(j)) = (xs.binary_search(&c.values[0]), ys.binary_search(&c.values[1])) else { continue };
        // The first value of the second parameter at the bottom.
        let (x, y) = (LEFT + cw * i as f64, TOP + plot - ch * (j + 1) as f64);
        let colour = fill(c.score, range);
        cell(&mut out, c, (x, y, cw, ch), colour);
        if let (true, Some(score)) = (show_values, c.score) {
            let _ = write!(
                out,
                r#"<text class="cv" x="{}" y="{}">{}</text>"#,
                px(x + cw / 2.0),
                px(y + ch / 2.0),
                esc(&objective.shown(Some(score)))
            );
        }
    }
    out.push_str(r#"</g><g class="axes">"#);
    let step = label_step(cw, 44.0);
    for (i, v) in xs.iter().enumerate().filter(|(i, _)| i % step == 0) {
        let x = px(LEFT + cw * (i as f64 + 0.5));
        let _ =
            write!(out, r#"<text class="xl" text-anchor="middle" x="{x}" y="{}">{v}</text>"#, px(TOP + plot + 16.0));
    }
    let step = label_step(ch, 14.0);
    for (j, v) in ys.iter().enumerate().filter(|(j, _)| j % step == 0) {
        let y = px(TOP + plot - ch * (j as f64 + 0.5));
        let _ = write!(out, r#"<text class="yl" x="{}" y="{y}">{v}</text>"#, px(LEFT - 6.0));
    }
    let (mx, my) = (LEFT + cw * xs.len() as f64 / 2.0, TOP + plot / 2.0);
    let _ = write!(
        out,
        r#"<text class="an" x="{}" y="{}">{}</text><text class="an" x="24" y="{}" transform="rotate(-90 24 {})">{}</text>"#,
        px(mx),
        px(TOP + plot + 38.0),
        esc(x_name),
        px(my),
        px(my),
        esc(y_name),
    );
    scale(&mut out, objective, range, WIDTH - SCALE + 30.0, plot.max(160.0));
    out.push_str("</g></svg>");
    out
}

/// The colour scale: the best score at the top, the worst at the bottom, `height` pixels tall at `left`.
fn scale(out: &mut String, objective: Objective, (lo, hi): (f64, f64), left: f64, height: f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    let step = height / SCALE_STEPS as f64;
    for k in 0..SCALE_STEPS {
        // From the top: the best colour first.
        let t = 1.0 - (k as f64 + 0.5) / SCALE_STEPS as f64;
        let (r, g, b) = heat_colour(t);
        let _ = write!(
            out,
            r#"<rect class="scale" x="{}" y="{}" width="16" height="{}" fill="rgb({r},{g},{b})"/>"#,
            px(left),
            px(TOP + step * k as f64),
            px(step + 0.5),
        );
    }
    for (y, score, word) in [(TOP + 6.0, hi, "best"), (TOP + height - 6.0, lo, "worst")] {
        let _ = write!(
            out,
            r#"<text class="xl" x="{}" y="{}">{} {word}</text>"#,
            px(left + 22.0),
            px(y + 4.0),
            esc(&objective.shown(Some(score)))
        );
    }
}

/// One bar per combination, in the order of the parameter's values.
fn bars(name: &str, objective: Objective, combinations: &[Combination<'_>], range: (f64, f64)) -> String {
    let mut order: Vec<&Combination<'_>> = combinations.iter().collect();
    order.sort_by_key(|c| (c.values.first().copied(), c.number));
    let shown: Vec<f64> = order.iter().filter_map(|c| c.score.map(|s| value(objective, s))).collect();
    let (lo, hi) = shown.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let frame = Frame::new(320.0, (0.0, order.len() as f64), (lo, hi));
    let mut out = String::new();
    frame.open(&mut out, "objective-bars", &format!("{} by {name}", objective.as_str()));
    let width = (frame.right() - frame.left()) / order.len().max(1) as f64;
    let step = label_step(width, 44.0);
    let ticks: Vec<(f64, String)> = order
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, c)| (i as f64 + 0.5, c.values.first().map(Decimal::to_string).unwrap_or_default()))
        .collect();
    frame.axes(&mut out, &ticks, &|v| objective.shown(Some(value(objective, v))));
    out.push_str(r#"<g class="cells">"#);
    for (i, c) in order.iter().enumerate() {
        let (x, w) = (frame.x(i as f64 + 0.1), width * 0.8);
        let bounds = match c.score.map(|s| value(objective, s)) {
            Some(v) => {
                let (top, bottom) = (frame.y(v.max(0.0)), frame.y(v.min(0.0)));
                (x, top, w, (bottom - top).max(1.0))
            }
            None => (x, frame.top(), w, frame.bottom() - frame.top()),
        };
        cell(&mut out, c, bounds, fill(c.score, range));
    }
    out.push_str("</g></svg>");
    out
}

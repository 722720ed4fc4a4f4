//! A heatmap of a two-parameter sweep, as a PNG and an SVG beside it: one cell per combination, coloured by the
//! objective from red (worst) through yellow to green (best), the value written in the cell; combinations the
//! constraints excluded, or whose objective is undefined, stay grey.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

use super::charts::ensure_font;
use crate::error::{Error, Result};

/// Picture size in pixels.
const SIZE: (u32, u32) = (1000, 760);

/// A heatmap to draw.
pub struct Heatmap<'a> {
    /// Title above the plot (the objective is appended).
    pub title: &'a str,
    /// Name of the value in the cells.
    pub objective: &'a str,
    /// X axis name and its values' labels, left to right.
    pub x: (&'a str, Vec<String>),
    /// Y axis name and its values' labels, bottom to top.
    pub y: (&'a str, Vec<String>),
    /// Cells as (x index, y index, value); cells not listed are drawn grey.
    pub cells: Vec<(usize, usize, f64)>,
    /// Whether a larger value is better (green); false for an objective to minimise, such as the max drawdown.
    pub larger_is_better: bool,
}

/// Draws `map` into a PNG at `path` and the same heatmap as an SVG beside it (`path` with the extension `svg`).
///
/// # Errors
/// [`Error::Data`] when an axis is empty or plotters fails.
pub fn draw_heatmap(path: &Path, map: &Heatmap<'_>) -> Result<()> {
    ensure_font()?;
    let svg = path.with_extension("svg");
    let fail = |path: &Path, e: String| Error::Data(format!("drawing {}: {e}", path.display()));
    plot(BitMapBackend::new(path, SIZE).into_drawing_area(), map).map_err(|e| fail(path, e))?;
    plot(SVGBackend::new(&svg, SIZE).into_drawing_area(), map).map_err(|e| fail(&svg, e))
}

/// Draws `map` on `root`, whatever the backend (PNG or SVG).
fn plot<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, map: &Heatmap<'_>) -> std::result::Result<(), String> {
    let (columns, rows) = (map.x.1.len(), map.y.1.len());
    if columns == 0 || rows == 0 {
        return Err("no cells to draw".into());
    }
    let (lo, hi) = map.cells.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.2), hi.max(c.2)));
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut ctx = ChartBuilder::on(&root)
        .caption(format!("{} — {}", map.title, map.objective), ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(72)
        // A segmented range a..b has a segment for each of a..=b.
        .build_cartesian_2d((0..columns - 1).into_segmented(), (0..rows - 1).into_segmented())
        .map_err(|e| e.to_string())?;
    let label = |labels: &[String], value: &SegmentValue<usize>| match value {
        SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    ctx.configure_mesh()
        .disable_mesh()
        .x_labels(columns)
        .y_labels(rows)
        .x_label_formatter(&|v| label(&map.x.1, v))
        .y_label_formatter(&|v| label(&map.y.1, v))
        .x_desc(map.x.0)
        .y_desc(map.y.0)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(|e| e.to_string())?;
    let cell = |x: usize, y: usize, style: ShapeStyle| {
        let corner = |x, y| (SegmentValue::Exact(x), SegmentValue::Exact(y));
        Rectangle::new([corner(x, y), corner(x + 1, y + 1)], style)
    };
    let grey = RGBColor(210, 210, 210).filled();
    let everywhere = (0..columns).flat_map(|x| (0..rows).map(move |y| (x, y)));
    ctx.draw_series(everywhere.map(|(x, y)| cell(x, y, grey))).map_err(|e| e.to_string())?;
    let colour = |v: f64| {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        let (r, g, b) = heat_colour(if map.larger_is_better { t } else { 1.0 - t });
        RGBColor(r, g, b).filled()
    };
    ctx.draw_series(map.cells.iter().map(|&(x, y, v)| cell(x, y, colour(v)))).map_err(|e| e.to_string())?;
    let centred = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
    ctx.draw_series(map.cells.iter().map(|&(x, y, v)| {
        Text::new(format!("{v:.2}"), (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)), centred.clone())
    }))
    .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The colour of a heatmap cell at `t` from 0 (worst) to 1 (best): red → yellow → green, as `(r, g, b)`. The PNG
/// heatmap and the sweep page's SVG heatmap share it.
pub fn heat_colour(t: f64) -> (u8, u8, u8) {
    let t = t.clamp(0.0, 1.0);
    let (r, g) = if t < 0.5 { (220.0, 60.0 + 340.0 * t) } else { (220.0 - 360.0 * (t - 0.5), 230.0) };
    (r as u8, g as u8, 70)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `x` of the first `<rect>` filled with `colour` in an SVG.
    fn x_of_rect_filled(svg: &str, (r, g, b): (u8, u8, u8)) -> f64 {
        let fill = format!("fill=\"#{r:02X}{g:02X}{b:02X}\"");
        let rect = svg.split("<rect").find(|r| r.contains(&fill)).unwrap_or_else(|| panic!("no rect {fill}"));
        let x = rect.split("x=\"").nth(1).and_then(|x| x.split('"').next()).expect("x");
        x.parse().expect("a number")
    }

    #[test]
    fn an_objective_to_minimise_colours_its_smallest_value_green() {
        let dir = tempfile::tempdir().expect("tempdir");
        for larger_is_better in [true, false] {
            let map = Heatmap {
                title: "t",
                objective: "max_drawdown",
                x: ("a", vec!["1".into(), "2".into()]),
                y: ("b", vec!["1".into()]),
                cells: vec![(0, 0, 0.1), (1, 0, 0.3)],
                larger_is_better,
            };
            let png = dir.path().join("heatmap.png");
            draw_heatmap(&png, &map).expect("drawn");
            let svg = std::fs::read_to_string(png.with_extension("svg")).expect("svg beside the png");
            let (green, red) = (x_of_rect_filled(&svg, heat_colour(1.0)), x_of_rect_filled(&svg, heat_colour(0.0)));
            // The cell of 0.1 is the left one.
            assert_eq!(green < red, !larger_is_better, "larger_is_better = {larger_is_better}");
        }
    }
}

//! [`Curve`]: the equity curve in the forms a report needs — exact points, `f64` values for statistics and
//! charts, and the running drawdown — converted once.

use rust_decimal::Decimal;

use crate::engine::EquityPoint;
use crate::model::exact::to_f64;

/// An equity curve and its derived series.
pub struct Curve<'a> {
    /// Starting equity (before the first mark).
    pub starting_equity: Decimal,
    /// The exact marks.
    pub points: &'a [EquityPoint],
    /// Each mark's equity as `f64`.
    pub values: Vec<f64>,
    /// Each mark's drawdown from the running peak (which starts at the starting equity), in percent.
    pub drawdown_pct: Vec<f64>,
}

impl<'a> Curve<'a> {
    /// Converts `points` and computes the running drawdown.
    pub fn new(starting_equity: Decimal, points: &'a [EquityPoint]) -> Self {
        Self::with_buffers(starting_equity, points, (Vec::new(), Vec::new()))
    }

    /// [`Curve::new`] writing into the memory of buffers from an earlier curve ([`Curve::into_buffers`]): a process
    /// that measures many runs (a sweep) then touches no fresh pages per run.
    pub fn with_buffers(starting_equity: Decimal, points: &'a [EquityPoint], buffers: (Vec<f64>, Vec<f64>)) -> Self {
        let (mut values, mut drawdown_pct) = buffers;
        values.clear();
        values.extend(points.iter().map(|p| p.value.to_f64()));
        let mut peak = to_f64(starting_equity);
        drawdown_pct.clear();
        drawdown_pct.extend(values.iter().map(|&equity| {
            peak = peak.max(equity);
            if peak > 0.0 { (1.0 - equity / peak) * 100.0 } else { 0.0 }
        }));
        Curve { starting_equity, points, values, drawdown_pct }
    }

    /// The curve's buffers, for [`Curve::with_buffers`].
    pub fn into_buffers(self) -> (Vec<f64>, Vec<f64>) {
        (self.values, self.drawdown_pct)
    }

    /// Equity at the last mark (the starting equity if there is none).
    pub fn final_equity(&self) -> Decimal {
        self.points.last().map_or(self.starting_equity, EquityPoint::equity)
    }
}

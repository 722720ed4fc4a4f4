//! [`Curve`]: the equity curve in the forms a report needs — exact points, `f64` values for statistics and
//! charts, and the running drawdown — converted once.

use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::engine::EquityPoint;

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
    /// Converts `points` (in parallel) and computes the running drawdown.
    pub fn new(starting_equity: Decimal, points: &'a [EquityPoint]) -> Self {
        let values: Vec<f64> = points.par_iter().map(|p| p.equity().to_f64().unwrap_or(f64::NAN)).collect();
        let mut peak = starting_equity.to_f64().unwrap_or(0.0);
        let drawdown_pct = values
            .iter()
            .map(|&equity| {
                peak = peak.max(equity);
                if peak > 0.0 { (1.0 - equity / peak) * 100.0 } else { 0.0 }
            })
            .collect();
        Curve { starting_equity, points, values, drawdown_pct }
    }

    /// Equity at the last mark (the starting equity if there is none).
    pub fn final_equity(&self) -> Decimal {
        self.points.last().map_or(self.starting_equity, EquityPoint::equity)
    }
}

//! Performance metrics of a run. Formulas (also in the README):
//!
//! * returns `r_i = E_i / E_{i-1} - 1` over the equity marks, starting from the starting cash;
//! * periods per year `P = 365 days / bar interval` (crypto trades every day);
//! * total return `E_n / E_0 - 1`; CAGR `(E_n / E_0)^(1 / years) - 1`, years = (last mark − first bar open) / 365 d;
//! * Sharpe `mean(r) / stdev(r) × √P` (sample stdev, risk-free rate 0);
//! * Sortino `mean(r) / √mean(min(r, 0)²) × √P`;
//! * max drawdown `max_t (1 - E_t / max_{s≤t} E_s)`; its duration runs from the peak before the deepest point to
//!   the first mark back at that peak (or to the last mark, if equity never recovered);
//! * Calmar `CAGR / max drawdown`;
//! * win rate: share of closed round trips with positive net PnL; profit factor: gross wins / gross losses (net PnL);
//! * exposure: share of marks at which positions had value (equity ≠ cash).
//!
//! Statistics are `f64` (they decide nothing); money stays `Decimal`.

use rust_decimal::Decimal;
use serde::Serialize;

use super::curve::Curve;
use crate::engine::{BacktestResult, EquityPoint, RunLog};
use crate::model::exact::{PackedDecimal, cmp_parts, to_f64};
use crate::model::{NANOS_PER_DAY, Timestamp, format_duration};
use crate::portfolio::RoundTrip;

/// Nanoseconds in the 365-day year used to annualize.
const YEAR_NS: f64 = 365.0 * NANOS_PER_DAY as f64;

/// The deepest drawdown and when it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Drawdown {
    /// Depth as a fraction (0.1137 = 11.37 %).
    pub depth: f64,
    /// Time of the peak before it.
    pub peak_time: Timestamp,
    /// Time of the deepest mark.
    pub trough_time: Timestamp,
    /// First mark back at the peak, if equity recovered.
    pub recovery_time: Option<Timestamp>,
    /// From peak to recovery (or to the last mark), in nanoseconds.
    pub duration_ns: i64,
    /// The same duration, readable (`12d 8h`).
    pub duration: String,
}

/// All metrics of one run. Ratios are fractions (0.2 = 20 %); `None` where a metric is undefined (no trades,
/// no variance, no losses).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Equity at the start.
    pub starting_equity: Decimal,
    /// Equity at the last mark.
    pub final_equity: Decimal,
    /// `final / start - 1`.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: Option<f64>,
    /// Annualized Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Annualized Sortino ratio.
    pub sortino: Option<f64>,
    /// CAGR / max drawdown.
    pub calmar: Option<f64>,
    /// Deepest drawdown.
    pub max_drawdown: Drawdown,
    /// Share of winning round trips.
    pub win_rate: Option<f64>,
    /// Gross wins / gross losses.
    pub profit_factor: Option<f64>,
    /// Share of marks at which positions had value.
    pub exposure: f64,
    /// Closed round trips.
    pub trades: usize,
    /// Fees paid, in the quote asset.
    pub fees: Decimal,
    /// Net PnL of all closed round trips.
    pub closed_trades_net_pnl: Decimal,
}

/// Computes the metrics of a run that started at `start` (the first bar's open) and was marked every `interval_ns`;
/// `exposed_marks` is the number of marks at which positions had value.
pub fn compute_metrics(
    curve: &Curve<'_>,
    start: Timestamp,
    interval_ns: i64,
    exposed_marks: usize,
    trips: &[RoundTrip],
    fees: Decimal,
) -> Metrics {
    let (starting_equity, final_equity) = (curve.starting_equity, curve.final_equity());
    let start_f = to_f64(starting_equity);
    let total_return = to_f64(final_equity) / start_f - 1.0;
    let years = curve.points.last().map_or(0.0, |p| (p.time.0 - start.0) as f64 / YEAR_NS);
    let cagr = (years > 0.0 && start_f > 0.0).then(|| (to_f64(final_equity) / start_f).powf(1.0 / years) - 1.0);
    let (sharpe, sortino) = risk_ratios(start_f, &curve.values, periods_per_year(interval_ns));
    let max_drawdown = deepest_drawdown(curve, start);
    let calmar = cagr.filter(|_| max_drawdown.depth > 0.0).map(|c| c / max_drawdown.depth);
    let wins: Vec<f64> = trips.iter().map(|t| to_f64(t.net_pnl)).filter(|&p| p > 0.0).collect();
    let losses: f64 = trips.iter().map(|t| to_f64(t.net_pnl)).filter(|&p| p < 0.0).sum();
    let win_rate = (!trips.is_empty()).then(|| wins.len() as f64 / trips.len() as f64);
    let profit_factor = (losses < 0.0).then(|| wins.iter().sum::<f64>() / -losses);
    let marks = curve.points.len();
    Metrics {
        starting_equity,
        final_equity,
        total_return,
        cagr,
        sharpe,
        sortino,
        calmar,
        max_drawdown,
        win_rate,
        profit_factor,
        exposure: if marks == 0 { 0.0 } else { exposed_marks as f64 / marks as f64 },
        trades: trips.len(),
        fees,
        closed_trades_net_pnl: trips.iter().map(|t| t.net_pnl).sum(),
    }
}

/// Periods per year `P = 365 days / interval` of a run marked every `interval_ns` (0 without an interval): what
/// Sharpe and Sortino ratios are annualised with.
pub fn periods_per_year(interval_ns: i64) -> f64 {
    if interval_ns > 0 { YEAR_NS / interval_ns as f64 } else { 0.0 }
}

/// The metrics of a backtest `result` whose equity curve is `curve`, that started at `start` and was marked every
/// `interval_ns`: what `summary.json` reports and sweeps rank by.
pub fn run_metrics(result: &BacktestResult, curve: &Curve<'_>, start: Timestamp, interval_ns: i64) -> Metrics {
    let log = &result.log;
    let exposed = exposed_marks(log, result.portfolio.starting_cash());
    compute_metrics(curve, start, interval_ns, exposed, &log.round_trips, result.portfolio.fees_paid())
}

/// The marks of `log` at which positions had value (equity ≠ cash), for a run that started with `starting_cash`.
/// Positions change only at fills, and every fill changes the cash: within a run of marks of equal cash the
/// positions are the same, so the first mark of each run says whether all of them held positions.
pub fn exposed_marks(log: &RunLog, starting_cash: Decimal) -> usize {
    log.cash_segments(starting_cash)
        .filter(|(marks, cash)| !exact_eq(log.equity[marks.start].value, *cash))
        .map(|(marks, _)| marks.len())
        .sum()
}

/// Whether the mark `value` equals `cash` exactly (integers at a common scale; `Decimal` only if that overflows).
fn exact_eq(value: PackedDecimal, cash: Decimal) -> bool {
    cmp_parts(value.parts(), (cash.mantissa(), cash.scale())).map_or_else(|| value.to_decimal() == cash, |o| o.is_eq())
}

/// Annualized Sharpe and Sortino of the per-period returns of `values` (the first from `start`), computed as they
/// are needed rather than stored: a sweep measures a million-mark curve per run.
fn risk_ratios(start: f64, values: &[f64], periods_per_year: f64) -> (Option<f64>, Option<f64>) {
    let returns = || {
        let mut previous = start;
        values.iter().map(move |&value| {
            let r = value / previous - 1.0;
            previous = value;
            r
        })
    };
    let n = values.len() as f64;
    if values.len() < 2 {
        return (None, None);
    }
    let mean = returns().sum::<f64>() / n;
    let (squares, downside_squares) =
        returns().fold((0.0, 0.0), |(sq, down), r| (sq + (r - mean) * (r - mean), down + r.min(0.0) * r.min(0.0)));
    let variance = squares / (n - 1.0);
    let downside = (downside_squares / n).sqrt();
    let annualize = periods_per_year.sqrt();
    let sharpe = (variance > 0.0).then(|| mean / variance.sqrt() * annualize);
    let sortino = (downside > 0.0).then(|| mean / downside * annualize);
    (sharpe, sortino)
}

/// The deepest drawdown of the curve (found on the `f64` drawdown series, its depth then computed exactly), with its
/// peak, trough and the first mark back at the peak's exact equity.
fn deepest_drawdown(curve: &Curve<'_>, start: Timestamp) -> Drawdown {
    let mut worst = Drawdown {
        depth: 0.0,
        peak_time: start,
        trough_time: start,
        recovery_time: None,
        duration_ns: 0,
        duration: String::new(),
    };
    let (mut peak_index, mut worst_peak_index, mut trough_index) = (None, None, None);
    let mut peak_value = to_f64(curve.starting_equity);
    for (i, (&value, &drawdown)) in curve.values.iter().zip(&curve.drawdown_pct).enumerate() {
        if value >= peak_value {
            peak_value = value;
            peak_index = Some(i);
        } else if drawdown / 100.0 > worst.depth {
            worst.depth = drawdown / 100.0;
            worst_peak_index = peak_index;
            trough_index = Some(i);
        }
    }
    let Some(trough) = trough_index else {
        worst.duration = format_duration(0);
        return worst;
    };
    let points = curve.points;
    let worst_peak = worst_peak_index.map_or(curve.starting_equity, |i| points[i].equity());
    // The scan found the deepest mark; its depth is computed exactly from the two Decimals.
    worst.depth = to_f64(Decimal::ONE - points[trough].equity() / worst_peak);
    worst.peak_time = worst_peak_index.map_or(start, |i| points[i].time);
    worst.trough_time = points[trough].time;
    let peak_parts = (worst_peak.mantissa(), worst_peak.scale());
    let recovered = |p: &&EquityPoint| {
        cmp_parts(p.value.parts(), peak_parts).map_or_else(|| p.equity() >= worst_peak, |o| o.is_ge())
    };
    worst.recovery_time = points[trough..].iter().find(recovered).map(|p| p.time);
    let end = worst.recovery_time.or(points.last().map(|p| p.time)).unwrap_or(start);
    worst.duration_ns = end.0 - worst.peak_time.0;
    worst.duration = format_duration(worst.duration_ns);
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EquityPoint;
    use rust_decimal::dec;

    fn curve(values: &[Decimal]) -> Vec<EquityPoint> {
        values.iter().enumerate().map(|(i, &equity)| EquityPoint::new(Timestamp((i as i64 + 1) * 10), equity)).collect()
    }

    #[test]
    fn drawdown_depth_and_duration_follow_the_deepest_episode() {
        // start 100 @0; marks 110@10 90@20 120@30 60@40 130@50: deepest is 120 -> 60 (50 %), recovered at 50
        let c = curve(&[dec!(110), dec!(90), dec!(120), dec!(60), dec!(130)]);
        let dd = deepest_drawdown(&Curve::new(dec!(100), &c), Timestamp(0));
        assert_eq!(dd.depth, 0.5);
        assert_eq!(
            (dd.peak_time, dd.trough_time, dd.recovery_time),
            (Timestamp(30), Timestamp(40), Some(Timestamp(50)))
        );
        assert_eq!(dd.duration_ns, 20);
    }

    #[test]
    fn an_unrecovered_drawdown_lasts_until_the_last_mark() {
        let c = curve(&[dec!(80), dec!(90)]);
        let dd = deepest_drawdown(&Curve::new(dec!(100), &c), Timestamp(0));
        assert_eq!((dd.depth, dd.recovery_time, dd.duration_ns), (0.2, None, 20));
    }

    #[test]
    fn sharpe_and_sortino_match_a_hand_computation() {
        // returns 0.1, -0.1, 0.2: mean 1/15, sample var = ((1/30)^2 + (1/6)^2 + (2/15)^2)/2 = 0.02333..,
        // downside = sqrt(0.01/3)
        // values 110, 99, 118.8 from 100
        let (sharpe, sortino) = risk_ratios(100.0, &[110.0, 99.0, 118.8], 4.0);
        let mean: f64 = 0.2 / 3.0;
        assert!((sharpe.unwrap() - mean / (0.07_f64 / 3.0).sqrt() * 2.0).abs() < 1e-9);
        assert!((sortino.unwrap() - mean / (0.01_f64 / 3.0).sqrt() * 2.0).abs() < 1e-9);
    }

    #[test]
    fn flat_runs_have_no_ratios_and_zero_drawdown() {
        let c = curve(&[dec!(100), dec!(100)]);
        let m = compute_metrics(&Curve::new(dec!(100), &c), Timestamp(0), 10, 1, &[], dec!(0));
        assert_eq!((m.sharpe, m.sortino, m.calmar, m.win_rate, m.profit_factor), (None, None, None, None, None));
        assert_eq!(m.max_drawdown.depth, 0.0);
        assert_eq!(m.exposure, 0.5);
    }
}

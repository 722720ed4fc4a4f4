//! The return series of a run that the robustness statistics resample and measure, each from the run's exact record:
//!
//! * trade returns: per closed round trip, its net PnL over the portfolio's equity at the last mark at or before
//!   the trade's entry (the starting equity when no mark precedes it);
//! * mark returns: `E_i / E_{i−1} − 1` over the equity marks, the first over the starting equity (as
//!   `report::Metrics` computes Sharpe ratios);
//! * daily returns: the same over the equity at the end of each UTC day that has marks. A mark belongs to the day
//!   of the instant just before it, so the mark at midnight (the close of the day's last bar) ends its day.

use rust_decimal::Decimal;

use crate::engine::EquityPoint;
use crate::model::NANOS_PER_DAY;
use crate::model::exact::to_f64;
use crate::portfolio::RoundTrip;

/// Each of `trips`' net PnL over the equity at the last of `marks` at or before its entry, or over
/// `starting_equity` when none is.
pub fn trade_returns(trips: &[RoundTrip], marks: &[EquityPoint], starting_equity: Decimal) -> Vec<f64> {
    trips
        .iter()
        .map(|trip| {
            let before = marks.partition_point(|m| m.time <= trip.entry_time);
            let equity = before.checked_sub(1).map_or(starting_equity, |i| marks[i].equity());
            to_f64(trip.net_pnl) / to_f64(equity)
        })
        .collect()
}

/// The returns of the equity `values`, the first over `starting_equity`.
pub fn mark_returns(starting_equity: f64, values: &[f64]) -> Vec<f64> {
    let previous = std::iter::once(starting_equity).chain(values.iter().copied());
    values.iter().zip(previous).map(|(value, before)| value / before - 1.0).collect()
}

/// The returns of the equity at the end of each UTC day of `marks` (with `values`, their equity as `f64`), the first
/// over `starting_equity`.
pub fn daily_returns(starting_equity: f64, marks: &[EquityPoint], values: &[f64]) -> Vec<f64> {
    let day = |m: &EquityPoint| (m.time.0 - 1).div_euclid(NANOS_PER_DAY);
    let day_ends: Vec<f64> = marks
        .iter()
        .zip(values)
        .enumerate()
        .filter(|(i, (mark, _))| marks.get(i + 1).is_none_or(|next| day(next) != day(mark)))
        .map(|(_, (_, &value))| value)
        .collect();
    mark_returns(starting_equity, &day_ends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Side, Symbol, Timestamp};
    use rust_decimal::dec;

    const HOUR: i64 = NANOS_PER_DAY / 24;

    fn marks(hours_and_equity: &[(i64, Decimal)]) -> Vec<EquityPoint> {
        hours_and_equity.iter().map(|&(h, e)| EquityPoint::new(Timestamp(h * HOUR), e)).collect()
    }

    fn trip(entry_hour: i64, net_pnl: Decimal) -> RoundTrip {
        RoundTrip {
            symbol: Symbol::new("BTCUSDT").expect("a valid symbol"),
            direction: Side::Buy,
            entry_time: Timestamp(entry_hour * HOUR),
            exit_time: Timestamp((entry_hour + 1) * HOUR),
            quantity: dec!(1),
            entry_notional: dec!(100),
            exit_notional: dec!(100) + net_pnl,
            gross_pnl: net_pnl,
            fees: dec!(0),
            net_pnl,
        }
    }

    #[test]
    fn a_trade_return_is_over_the_equity_at_the_last_mark_at_or_before_its_entry() {
        let curve = marks(&[(1, dec!(1000)), (2, dec!(1100)), (3, dec!(1250))]);
        let trips = [trip(0, dec!(50)), trip(2, dec!(-55)), trip(4, dec!(25))];
        // before the first mark: the starting equity 500; at the mark of hour 2: 1100; after the last: 1250
        assert_eq!(trade_returns(&trips, &curve, dec!(500)), [0.1, -0.05, 0.02]);
    }

    #[test]
    fn mark_returns_start_from_the_starting_equity() {
        assert_eq!(mark_returns(100.0, &[150.0, 75.0, 75.0]), [0.5, -0.5, 0.0]);
        assert!(mark_returns(100.0, &[]).is_empty());
    }

    #[test]
    fn a_day_ends_at_its_midnight_mark() {
        // marks at 12:00, 24:00 (day 0's close), 06:00 and 24:00 of day 1, 12:00 of day 2
        let curve = marks(&[(12, dec!(1)), (24, dec!(2)), (30, dec!(3)), (48, dec!(4)), (60, dec!(5))]);
        let values = [110.0, 120.0, 90.0, 132.0, 66.0];
        let daily = daily_returns(100.0, &curve, &values);
        let expected = [120.0 / 100.0 - 1.0, 132.0 / 120.0 - 1.0, 66.0 / 132.0 - 1.0];
        assert_eq!(daily, expected);
    }
}

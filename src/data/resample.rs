//! Trade prints into OHLCV bars of any interval: windows `[k × interval, (k + 1) × interval)` of the trade time
//! (aligned to the epoch), open = the window's first trade, high / low = its extremes, close = its last trade,
//! volume = the sum of its quantities. Trades are taken in time order, ties in the order given. Prices and
//! quantities stay exact integers (units of 10⁻⁸) and become `Decimal` at the end. Windows without a trade produce
//! no bar (the loader reports the gap).

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::model::l2::from_fixed;
use crate::model::{BarSeries, L2Row, Symbol, Timestamp};

/// Trades as columns: venue time (ns) and exact price and quantity (units of 10⁻⁸), in time order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TradePrints {
    /// Trade times, ns since the epoch.
    pub time: Vec<i64>,
    /// Prices, units of 10⁻⁸.
    pub price: Vec<i64>,
    /// Quantities, units of 10⁻⁸.
    pub quantity: Vec<i64>,
}

impl TradePrints {
    /// The trades among `rows` (a recorded capture), at their venue times.
    pub fn from_rows(rows: &[L2Row]) -> Self {
        let mut trades = TradePrints::default();
        for row in rows.iter().filter(|r| r.is_trade()) {
            trades.time.push(row.exchange_time.0);
            trades.price.push(row.price);
            trades.quantity.push(row.quantity);
        }
        trades
    }
}

/// Bars of `interval_ns` from `trades` (which need not be sorted: they are, stably, first).
///
/// # Errors
/// [`Error::Validation`] for an interval that is not positive or an empty trade list; [`Error::Data`] when the
/// columns differ in length or a window's volume does not fit 64 bits of 10⁻⁸.
pub fn resample_trades(trades: &TradePrints, symbol: Symbol, interval_ns: i64) -> Result<BarSeries> {
    if interval_ns <= 0 {
        return Err(Error::Validation(format!("the bar interval must be positive, got {interval_ns} ns")));
    }
    if trades.time.is_empty() {
        return Err(Error::Validation(format!("no trades of {symbol} to resample")));
    }
    let count = trades.time.len();
    if trades.price.len() != count || trades.quantity.len() != count {
        return Err(Error::Data(format!(
            "resampling {symbol} trades: the time, price and quantity columns differ in length"
        )));
    }
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&i| trades.time[i]);
    let mut bars = BarSeries::empty(symbol, interval_ns);
    let mut rest = order.as_slice();
    while let Some(&first) = rest.first() {
        let window = trades.time[first].div_euclid(interval_ns);
        let len = rest.iter().take_while(|&&i| trades.time[i].div_euclid(interval_ns) == window).count();
        let (these, after) = rest.split_at(len);
        let prices = these.iter().map(|&i| trades.price[i]);
        let (high, low) = prices.fold((i64::MIN, i64::MAX), |(hi, lo), p| (hi.max(p), lo.min(p)));
        let volume = these.iter().try_fold(0i64, |sum, &i| sum.checked_add(trades.quantity[i])).ok_or_else(|| {
            let at = Timestamp(trades.time[first]);
            Error::Data(format!("resampling {symbol} trades: the volume of the bar at {at} does not fit"))
        })?;
        let close = these.last().map_or(trades.price[first], |&i| trades.price[i]);
        let open_time = window.checked_mul(interval_ns).ok_or_else(|| {
            Error::Data(format!(
                "resampling {symbol} trades: a window before {} starts before 1677",
                Timestamp(trades.time[first])
            ))
        })?;
        bars.open_time.push(Timestamp(open_time));
        bars.open.push(from_fixed(trades.price[first]));
        bars.high.push(from_fixed(high));
        bars.low.push(from_fixed(low));
        bars.close.push(from_fixed(close));
        bars.volume.push(from_fixed(volume));
        rest = after;
    }
    Ok(bars)
}

/// Bars (in time order, as the loaders give them) into bars of a coarser `interval_ns` (a whole multiple of
/// theirs): windows aligned to the epoch as for
/// trades, open = the window's first bar's open, high / low = the extremes, close = its last bar's close, volume =
/// the exact sum. A window missing some of its bars (a gap in the data) still makes a bar of the ones it has.
///
/// # Errors
/// [`Error::Validation`] for an interval that is not a positive whole multiple of the series' own, or an empty
/// series; [`Error::Data`] when a window's volume does not fit a decimal or a window starts before 1677.
pub fn resample_bars(bars: &BarSeries, interval_ns: i64) -> Result<BarSeries> {
    let symbol = bars.symbol;
    if interval_ns <= 0 || bars.interval <= 0 || interval_ns % bars.interval != 0 {
        return Err(Error::Validation(format!(
            "{symbol}: bars of {} ns resample only into a whole multiple of that interval, not {interval_ns} ns",
            bars.interval
        )));
    }
    if bars.is_empty() {
        return Err(Error::Validation(format!("no bars of {symbol} to resample")));
    }
    let mut out = BarSeries::empty(symbol, interval_ns);
    let mut first = 0;
    while first < bars.len() {
        let window = bars.open_time[first].0.div_euclid(interval_ns);
        let end = first + bars.open_time[first..].iter().take_while(|t| t.0.div_euclid(interval_ns) == window).count();
        let open_time = window.checked_mul(interval_ns).ok_or_else(|| {
            Error::Data(format!(
                "resampling {symbol} bars: a window before {} starts before 1677",
                bars.open_time[first]
            ))
        })?;
        let volume =
            bars.volume[first..end].iter().try_fold(Decimal::ZERO, |sum, v| sum.checked_add(*v)).ok_or_else(|| {
                Error::Data(format!(
                    "resampling {symbol} bars: the volume of the bar at {} does not fit",
                    Timestamp(open_time)
                ))
            })?;
        out.open_time.push(Timestamp(open_time));
        out.open.push(bars.open[first]);
        out.high.push(bars.high[first..end].iter().copied().fold(bars.high[first], Decimal::max));
        out.low.push(bars.low[first..end].iter().copied().fold(bars.low[first], Decimal::min));
        out.close.push(bars.close[end - 1]);
        out.volume.push(volume);
        first = end;
    }
    Ok(out)
}

/// A duration such as `500ms`, `5s`, `1m`, `4h`, `1d`, `1w` in nanoseconds.
///
/// # Errors
/// [`Error::Config`] naming the text when it is not a positive whole number with one of those units.
pub fn parse_interval(text: &str) -> Result<i64> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_ns: i64 = match unit {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        "w" => 7 * 86_400_000_000_000,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 && unit_ns > 0 => {
            n.checked_mul(unit_ns).ok_or_else(|| Error::Config(format!("interval '{text}' is too long")))
        }
        _ => Err(Error::Config(format!(
            "interval '{text}': write a whole number and a unit: ms, s, m, h, d or w (5s, 1h)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn seven_trades_make_three_five_second_bars_worked_by_hand() {
        let s = 1_000_000_000;
        let e8 = 100_000_000;
        // Times (s): 0.2, 1, 4.9 | 5, 5 | 12.5, 14.999 — the window [10, 15) holds the last two; [5, 10) the middle two.
        let trades = TradePrints {
            time: vec![s / 5, s, 49 * s / 10, 5 * s, 5 * s, 125 * s / 10, 15 * s - 1],
            price: vec![100 * e8, 102 * e8, 99 * e8, 101 * e8, 100 * e8 + e8 / 2, 97 * e8, 98 * e8],
            quantity: vec![e8, e8 / 2, 2 * e8, e8 / 4, e8 / 4, 3 * e8, 1],
        };
        let bars = resample_trades(&trades, Symbol::new("BTCUSDT").unwrap(), 5 * s).unwrap();
        assert_eq!(bars.open_time, [Timestamp(0), Timestamp(5 * s), Timestamp(10 * s)]);
        assert_eq!(bars.open, [dec!(100), dec!(101), dec!(97)]);
        assert_eq!(bars.high, [dec!(102), dec!(101), dec!(98)]);
        assert_eq!(bars.low, [dec!(99), dec!(100.5), dec!(97)]);
        assert_eq!(bars.close, [dec!(99), dec!(100.5), dec!(98)]);
        assert_eq!(bars.volume, [dec!(3.5), dec!(0.5), dec!(3.00000001)]);
    }

    #[test]
    fn one_minute_bars_make_three_minute_bars_worked_by_hand_and_a_gap_leaves_a_shorter_bar() {
        let m = 60_000_000_000;
        // Minutes 0, 1, 2 | 3, (4 missing), 5 | 7: windows [0, 3), [3, 6), [6, 9).
        let minutes = [0, 1, 2, 3, 5, 7];
        let bars = BarSeries {
            symbol: Symbol::new("BTCUSD").unwrap(),
            interval: m,
            open_time: minutes.iter().map(|&k| Timestamp(k * m)).collect(),
            open: vec![dec!(100), dec!(101), dec!(99), dec!(98), dec!(97.5), dec!(96)],
            high: vec![dec!(101.5), dec!(102), dec!(100), dec!(99), dec!(99.25), dec!(96)],
            low: vec![dec!(99.5), dec!(100.5), dec!(98.5), dec!(97), dec!(97.25), dec!(95)],
            close: vec![dec!(101), dec!(99), dec!(98.25), dec!(97.5), dec!(99), dec!(95.5)],
            volume: vec![dec!(1.5), dec!(2), dec!(0.25), dec!(3), dec!(0.125), dec!(0)],
        };
        let out = resample_bars(&bars, 3 * m).unwrap();
        assert_eq!(out.interval, 3 * m);
        assert_eq!(out.open_time, [Timestamp(0), Timestamp(3 * m), Timestamp(6 * m)]);
        assert_eq!(out.open, [dec!(100), dec!(98), dec!(96)]);
        assert_eq!(out.high, [dec!(102), dec!(99.25), dec!(96)]);
        assert_eq!(out.low, [dec!(98.5), dec!(97), dec!(95)]);
        assert_eq!(out.close, [dec!(98.25), dec!(99), dec!(95.5)]);
        assert_eq!(out.volume, [dec!(3.75), dec!(3.125), dec!(0)]);
        for bad in [0, -3 * m, m + 1, m / 2] {
            assert!(resample_bars(&bars, bad).unwrap_err().to_string().contains("whole multiple"), "{bad}");
        }
    }

    #[test]
    fn intervals_read_as_written_and_mistakes_name_the_text() {
        assert_eq!(parse_interval("5s").unwrap(), 5_000_000_000);
        assert_eq!(parse_interval("250ms").unwrap(), 250_000_000);
        assert_eq!(parse_interval("1h").unwrap(), 3_600_000_000_000);
        for bad in ["5", "s", "0s", "-5s", "5y", "1.5h"] {
            assert!(parse_interval(bad).unwrap_err().to_string().contains(&format!("'{bad}'")), "{bad}");
        }
    }
}

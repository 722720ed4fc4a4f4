//! Liquidity on bars: how much of a bar's traded volume one order may take (the participation cap) and how far
//! taking it moves the price (square-root market impact). The settings and the pure arithmetic, worked by hand in
//! the tests below; the fills that apply them are in `bar_fill.rs`.
//!
//! All of it is exact decimal arithmetic except where stated: the square root is taken in integers (no floating
//! point), to 12 decimal places and rounded up, so the same inputs give the same price on every machine.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::exact::{div_floor, positive};
use crate::model::{Bar, Instrument, Side};

/// How orders meet a bar's volume. Both parts are off by default: an order then fills in full at the bar's price,
/// as if the bar had unlimited depth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BarLiquidity {
    /// The most one order may fill in one bar, as a percentage of the bar's volume (in (0, 100]); `None`: no cap.
    pub max_volume_percent: Option<Decimal>,
    /// How taking fills move the price; `None`: they do not.
    pub impact: Option<MarketImpact>,
}

/// A market-impact model for taking fills on bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum MarketImpact {
    /// The square-root law: a taking fill of `q` in a bar of volume `V` moves the price against the order by the
    /// fraction `coefficient × σ × √(q / V)`, where σ is the bar's range over its open, `(high − low) / open`.
    SquareRoot {
        /// The law's constant (positive; empirical values are of the order of 0.1 to 1).
        coefficient: Decimal,
    },
}

impl BarLiquidity {
    /// Whether neither the cap nor the impact is set: every fill is as without these rules.
    #[inline]
    pub fn is_off(&self) -> bool {
        self.max_volume_percent.is_none() && self.impact.is_none()
    }

    /// The most base quantity one order may fill in a bar of `volume`: `volume × max_volume_percent / 100` rounded
    /// down to the instrument's lot (exact for any volume and percentage whose product fits 28 digits; beyond, the
    /// product is rounded to 28 digits first). `None` without a cap.
    pub fn cap(&self, instrument: &Instrument, volume: Decimal) -> Option<Decimal> {
        let percent = self.max_volume_percent?;
        if !positive(volume) {
            return Some(Decimal::ZERO);
        }
        // percent ≤ 100, so the share is at most the volume: only the intermediate product can overflow.
        let share = match volume.checked_mul(percent) {
            Some(product) => product / Decimal::ONE_HUNDRED,
            None => (volume / Decimal::ONE_HUNDRED) * percent,
        };
        Some(instrument.round_quantity_down(share))
    }
}

/// The price of a taking fill of `quantity` at `price` (the price it would have without impact: the open, a
/// trigger, after any slippage) in `bar`, under the square-root law with `coefficient`: moved against the order by
/// [`impact_fraction`], rounded to the tick against the trader, and kept within the bar's range and the order's
/// `limit` (a limit order never fills beyond it). The result is never better for the trader than `price`.
///
/// Where the law has no finite value — a bar without volume but with a range, or a quantity above ~79,000 times the
/// bar's volume — the fill is at the bar's worst price for the order (its high for a buy, its low for a sell).
pub fn impact_price(
    instrument: &Instrument,
    bar: &Bar,
    side: Side,
    (price, quantity): (Decimal, Decimal),
    coefficient: Decimal,
    limit: Option<Decimal>,
) -> Decimal {
    let keep = |p: Decimal| match side {
        Side::Buy => limit.map_or(p.min(bar.high), |l| p.min(bar.high).min(l)).max(price),
        Side::Sell => limit.map_or(p.max(bar.low), |l| p.max(bar.low).max(l)).min(price),
    };
    let worst = match side {
        Side::Buy => bar.high,
        Side::Sell => bar.low,
    };
    let Some(fraction) = impact_fraction(bar, quantity, coefficient) else { return keep(worst) };
    if fraction.is_zero() {
        return price;
    }
    let moved = match side {
        Side::Buy => Decimal::ONE.checked_add(fraction).and_then(|f| price.checked_mul(f)),
        Side::Sell => price.checked_mul(Decimal::ONE - fraction.min(Decimal::ONE)),
    };
    match moved {
        Some(moved) => keep(instrument.round_price(moved, side == Side::Buy)),
        None => keep(worst),
    }
}

/// `coefficient × σ × √(quantity / volume)`, σ = `(high − low) / open` of `bar`: the fraction of the price a taking
/// fill of `quantity` moves against the order. Zero when the bar has no range or the quantity is zero; `None` when
/// it has no finite value (no volume, or a ratio too large for the integer square root) or overflows.
pub fn impact_fraction(bar: &Bar, quantity: Decimal, coefficient: Decimal) -> Option<Decimal> {
    let range = bar.high - bar.low;
    if !positive(range) || !positive(quantity) || !positive(bar.open) {
        return Some(Decimal::ZERO);
    }
    if !positive(bar.volume) {
        return None;
    }
    let sigma = range.checked_div(bar.open)?;
    let root = sqrt_ratio_up(quantity, bar.volume)?;
    coefficient.checked_mul(sigma)?.checked_mul(root)
}

/// Decimal places of the square root.
const ROOT_PLACES: u32 = 12;

/// `√(a / b)` for `a ≥ 0`, `b > 0`, to [`ROOT_PLACES`] decimal places, rounded up: the ratio is taken to twice as
/// many places (rounded up), its integer square root computed exactly and rounded up, so the result is never below
/// the true root and at most 10⁻¹² above it. `None` when the ratio does not fit (above ~79,000).
pub fn sqrt_ratio_up(a: Decimal, b: Decimal) -> Option<Decimal> {
    let places = 2 * ROOT_PLACES;
    let floor = div_floor(a, b, places)?;
    let exact = floor.checked_mul(b) == Some(a);
    let widen = 10u128.checked_pow(places.checked_sub(floor.scale())?)?;
    let units = u128::try_from(floor.mantissa()).ok()?.checked_mul(widen)?.checked_add(u128::from(!exact))?;
    let root = units.isqrt();
    let root = if root.checked_mul(root)? < units { root + 1 } else { root };
    Decimal::try_from_i128_with_scale(i128::try_from(root).ok()?, ROOT_PLACES).ok()
}

/// What the liquidity rules did during a run, summed over the bars and orders of a venue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LiquidityStats {
    /// Fills the cap cut short of their order's rest (the rest kept working, or expired by its time in force).
    pub partial_fills: u64,
    /// Orders the cap limited in at least one bar (a fill-or-kill it expired included).
    pub capped_orders: u64,
    /// Taking fills whose price the impact model moved.
    pub impact_fills: u64,
    /// Σ |fill price − price without impact| × quantity over those fills, in the quote asset: what impact cost.
    pub impact_cost: Decimal,
}

impl LiquidityStats {
    /// The counts of two venues together.
    pub fn merged(self, other: LiquidityStats) -> LiquidityStats {
        LiquidityStats {
            partial_fills: self.partial_fills + other.partial_fills,
            capped_orders: self.capped_orders + other.capped_orders,
            impact_fills: self.impact_fills + other.impact_fills,
            impact_cost: self.impact_cost + other.impact_cost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Symbol, Timestamp};
    use rust_decimal::dec;

    fn instrument() -> Instrument {
        Instrument {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: dec!(0.01),
            lot_size: dec!(0.001),
            min_notional: dec!(5),
            min_quantity: None,
            max_quantity: None,
        }
    }

    fn bar(open: Decimal, high: Decimal, low: Decimal, volume: Decimal) -> Bar {
        Bar { open_time: Timestamp(0), close_time: Timestamp(60), open, high, low, close: open, volume }
    }

    #[test]
    fn the_cap_is_the_share_of_the_volume_rounded_down_to_the_lot() {
        let ten = BarLiquidity { max_volume_percent: Some(dec!(10)), impact: None };
        // 10 % of 12.3456 = 1.23456 → 1.234
        assert_eq!(ten.cap(&instrument(), dec!(12.3456)), Some(dec!(1.234)));
        assert_eq!(ten.cap(&instrument(), dec!(0.005)), Some(dec!(0)), "half a lot is no lot");
        assert_eq!(ten.cap(&instrument(), dec!(0)), Some(dec!(0)));
        assert_eq!(BarLiquidity::default().cap(&instrument(), dec!(5)), None);
        let all = BarLiquidity { max_volume_percent: Some(dec!(100)), impact: None };
        assert_eq!(all.cap(&instrument(), Decimal::MAX), Some(Decimal::MAX.trunc()));
    }

    #[test]
    fn square_roots_are_exact_when_the_ratio_is_a_square_and_rounded_up_otherwise() {
        assert_eq!(sqrt_ratio_up(dec!(4), dec!(100)), Some(dec!(0.2)));
        assert_eq!(sqrt_ratio_up(dec!(9), dec!(4)), Some(dec!(1.5)));
        // √0.02 = 0.14142135623730950…: up at the 12th place
        assert_eq!(sqrt_ratio_up(dec!(2), dec!(100)), Some(dec!(0.141421356238)));
        // 1/3 is not exact at 24 places: the root of its ceiling, rounded up (√(1/3) = 0.57735026918962576…)
        assert_eq!(sqrt_ratio_up(dec!(1), dec!(3)), Some(dec!(0.577350269190)));
        assert_eq!(sqrt_ratio_up(dec!(0), dec!(3)), Some(dec!(0)));
        assert_eq!(sqrt_ratio_up(dec!(1_000_000), dec!(1)), None, "beyond the integer root's range");
    }

    #[test]
    fn impact_moves_the_price_against_the_order_by_the_square_root_law() {
        let b = bar(dec!(100), dec!(105), dec!(95), dec!(100));
        // σ = 10 / 100 = 0.1; √(4 / 100) = 0.2; 0.1 × 0.1 × 0.2 = 0.002 → 100.2 and 99.8
        assert_eq!(impact_fraction(&b, dec!(4), dec!(0.1)), Some(dec!(0.002)));
        let at = |side, q| impact_price(&instrument(), &b, side, (dec!(100), q), dec!(0.1), None);
        assert_eq!(at(Side::Buy, dec!(4)), dec!(100.2));
        assert_eq!(at(Side::Sell, dec!(4)), dec!(99.8));
        // √0.02 → 0.141421356238; × 0.01 → 0.00141421356238; 100.141421… rounds up to 100.15 for a buyer and
        // 99.858578… down to 99.85 for a seller
        assert_eq!(at(Side::Buy, dec!(2)), dec!(100.15));
        assert_eq!(at(Side::Sell, dec!(2)), dec!(99.85));
    }

    #[test]
    fn impact_stays_in_the_bar_and_within_the_limit() {
        let b = bar(dec!(100), dec!(100.1), dec!(99.9), dec!(1));
        // σ = 0.002, √(1/1) = 1, coefficient 1: 0.2 % → 100.2, above the high of 100.1
        let buy = impact_price(&instrument(), &b, Side::Buy, (dec!(100), dec!(1)), dec!(1), None);
        assert_eq!(buy, dec!(100.1));
        let limited = impact_price(&instrument(), &b, Side::Buy, (dec!(100), dec!(1)), dec!(1), Some(dec!(100.05)));
        assert_eq!(limited, dec!(100.05));
        let sell = impact_price(&instrument(), &b, Side::Sell, (dec!(100), dec!(1)), dec!(1), None);
        assert_eq!(sell, dec!(99.9));
        // no volume: the worst price of the bar; no range: no move
        let dry = bar(dec!(100), dec!(101), dec!(99), dec!(0));
        assert_eq!(impact_price(&instrument(), &dry, Side::Buy, (dec!(100), dec!(1)), dec!(0.1), None), dec!(101));
        let flat = bar(dec!(100), dec!(100), dec!(100), dec!(0));
        assert_eq!(impact_price(&instrument(), &flat, Side::Buy, (dec!(100), dec!(1)), dec!(0.1), None), dec!(100));
    }
}

//! [`Instrument`]: a venue's rules for one symbol (tick size, lot step, minimum notional, maximum quantity) and
//! explicit rounding to them.

use rust_decimal::Decimal;

use super::Symbol;
use crate::error::{Error, Result};

/// A tradable symbol on one venue and the filters the venue applies to its orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instrument {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: Symbol,
    /// Base asset, e.g. `BTC`.
    pub base: String,
    /// Quote asset, e.g. `USDT`; fees and cash are in this asset.
    pub quote: String,
    /// Price increment.
    pub tick_size: Decimal,
    /// Quantity increment.
    pub lot_size: Decimal,
    /// Smallest quantity × price the venue accepts.
    pub min_notional: Decimal,
    /// Smallest base quantity one order may have (Binance `LOT_SIZE.minQty`, Kraken `ordermin`, Coinbase
    /// `base_min_size`), when the venue sets one.
    pub min_quantity: Option<Decimal>,
    /// Largest base quantity one order may have (Binance `LOT_SIZE.maxQty`), when the venue sets one.
    pub max_quantity: Option<Decimal>,
}

impl Instrument {
    /// Checks the filters are usable: positive tick and lot, non-negative minimum notional, distinct assets.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, why: &str| Err(Error::Validation(format!("instrument {}: {field} {why}", self.symbol)));
        if self.tick_size <= Decimal::ZERO {
            return bad("tick_size", "must be positive");
        }
        if self.lot_size <= Decimal::ZERO {
            return bad("lot_size", "must be positive");
        }
        if self.min_notional < Decimal::ZERO {
            return bad("min_notional", "must not be negative");
        }
        if self.base.is_empty() || self.quote.is_empty() || self.base == self.quote {
            return bad("base/quote", "must be two different, non-empty assets");
        }
        if self.max_quantity.is_some_and(|max| max < self.lot_size) {
            return bad("max_quantity", "must be at least one lot");
        }
        if let Some(min) = self.min_quantity
            && (min <= Decimal::ZERO || self.max_quantity.is_some_and(|max| max < min))
        {
            return bad("min_quantity", "must be positive and not above max_quantity");
        }
        Ok(())
    }

    /// `quantity` rounded down to a whole number of lots: a venue never fills more than was asked for.
    pub fn round_quantity_down(&self, quantity: Decimal) -> Decimal {
        round_down_to_step(quantity, self.lot_size)
    }

    /// The largest whole number of lots whose cost at `unit_cost` (price plus fee per unit) fits in `amount`.
    pub fn quantity_for_amount(&self, amount: Decimal, unit_cost: Decimal) -> Decimal {
        lots_for_amount(amount, unit_cost, self.lot_size)
    }

    /// `order` as a venue with these filters takes it: a base quantity rounded down to the lot step, a limit
    /// rounded to the tick away from the market (a buy's down, a sell's up: never a worse price than asked), a
    /// stop rounded so that it triggers no earlier than asked. Quote-sized quantities go as they are.
    pub fn rounded(&self, mut order: super::OrderRequest) -> super::OrderRequest {
        use super::{OrderQty, OrderType, Side};
        if let OrderQty::Base(quantity) = order.quantity {
            order.quantity = OrderQty::Base(self.round_quantity_down(quantity));
        }
        order.price = order.price.map(|p| self.round_price(p, order.side == Side::Sell));
        let up = (order.order_type == OrderType::StopMarket) == (order.side == Side::Buy);
        order.stop_price = order.stop_price.map(|p| self.round_price(p, up));
        order
    }

    /// `price` rounded to the tick in the direction that never makes it better for the trader:
    /// up when `up` is true (a price we pay), down otherwise (a price we receive).
    pub fn round_price(&self, price: Decimal, up: bool) -> Decimal {
        let down = round_down_to_step(price, self.tick_size);
        if up && down < price { down + self.tick_size } else { down }
    }
}

/// The largest multiple of `lot` (> 0) whose cost at `unit_cost` (> 0) fits in `amount` (≥ 0), exactly; lots that
/// are powers of ten (`0.001`) divide in integers.
pub fn lots_for_amount(amount: Decimal, unit_cost: Decimal, lot: Decimal) -> Decimal {
    if lot.mantissa() == 1
        && let Some(q) = super::exact::div_floor(amount, unit_cost, lot.scale())
    {
        return q;
    }
    // ⌊amount / (unit_cost · lot)⌋ whole lots, exactly; none when no Decimal holds the answer (an amount no
    // order could spend), rather than a division that rounds at 28 digits or panics on overflow.
    let lots = unit_cost.checked_mul(lot).and_then(|lot_cost| super::exact::div_floor(amount, lot_cost, 0));
    lots.and_then(|n| n.checked_mul(lot)).map_or(Decimal::ZERO, |q| q.normalize())
}

/// `value` (≥ 0) rounded down to a multiple of `step` (`step` > 0), exactly. Steps that are powers of ten
/// (`0.01`, `1`) truncate digits instead of dividing.
fn round_down_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step.mantissa() == 1 && !super::exact::negative(value) {
        return value.trunc_with_scale(step.scale());
    }
    ((value / step).floor() * step).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn btc() -> Instrument {
        Instrument {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: dec!(0.01),
            lot_size: dec!(0.00001),
            min_notional: dec!(5),
            min_quantity: None,
            max_quantity: None,
        }
    }

    #[test]
    fn lots_for_an_amount_are_exact_and_an_amount_no_decimal_can_divide_buys_none() {
        // 10 / (3 · 0.5) = 6.67 lots of 0.5: 6 lots
        assert_eq!(lots_for_amount(dec!(10), dec!(3), dec!(0.5)), dec!(3));
        // a power-of-ten lot whose quotient overflows a Decimal, and an odd lot: none, not a panic
        assert_eq!(lots_for_amount(dec!(10000000000), dec!(0.00000000000000000001), dec!(0.00000001)), dec!(0));
        assert_eq!(lots_for_amount(Decimal::MAX, dec!(0.00000000000000000001), dec!(0.5)), dec!(0));
    }

    #[test]
    fn quantities_round_down_to_the_lot() {
        assert_eq!(btc().round_quantity_down(dec!(0.123456789)), dec!(0.12345));
        assert_eq!(btc().round_quantity_down(dec!(0.00000999)), dec!(0));
        assert_eq!(btc().round_quantity_down(dec!(2)), dec!(2));
        let odd = Instrument { lot_size: dec!(0.5), ..btc() };
        assert_eq!(odd.round_quantity_down(dec!(1.74)), dec!(1.5));
    }

    #[test]
    fn an_amount_buys_whole_lots_at_most() {
        // 1000 / 102.102 = 9.79412...: 9.79412 lots of 0.00001 fit, one more would cost 1000.00011
        assert_eq!(btc().quantity_for_amount(dec!(1000), dec!(102.102)), dec!(9.79412));
        let odd = Instrument { lot_size: dec!(0.5), ..btc() };
        assert_eq!(odd.quantity_for_amount(dec!(10), dec!(3)), dec!(3));
    }

    #[test]
    fn prices_round_against_the_trader() {
        assert_eq!(btc().round_price(dec!(100.001), true), dec!(100.01));
        assert_eq!(btc().round_price(dec!(100.009), false), dec!(100.00));
        assert_eq!(btc().round_price(dec!(100.01), true), dec!(100.01));
    }

    #[test]
    fn zero_tick_is_rejected_naming_the_field() {
        let mut i = btc();
        i.tick_size = Decimal::ZERO;
        assert!(i.validate().unwrap_err().to_string().contains("tick_size"));
    }
}

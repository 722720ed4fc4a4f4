//! [`RiskManager`]: decides, for every order, whether it may go out and at what size (the seed's `RiskManager`).
//!
//! This first cut enforces the position-size limit and the available balance, resizing an order down rather than
//! refusing it whenever a smaller order fits. It keeps its own view of positions, fed by the engine after each fill,
//! so that reducing orders can always pass.

use rust_decimal::Decimal;
use std::borrow::Cow;

use super::RiskLimits;
use crate::model::exact::positive;
use crate::model::{OrderQty, Side, Symbol};

/// Outcome of [`RiskManager::validate_order`]: `(accepted, reason, adjusted_quantity)` as in the seed. The reason
/// of an order that passes unchanged is a static text, so the common case allocates nothing.
pub type OrderDecision = (bool, Cow<'static, str>, Decimal);

/// The risk manager. One instance type serves backtest, paper and live wiring.
#[derive(Clone, Debug)]
pub struct RiskManager {
    limits: RiskLimits,
    /// `max_position_size_percent / 100`, computed once.
    max_position_fraction: Decimal,
    daily_start_value: Option<Decimal>,
    /// Signed quantity per symbol; a handful of entries, so a vector beats a map.
    positions: Vec<(Symbol, Decimal)>,
}

impl RiskManager {
    /// A risk manager enforcing `limits` (validate them first with [`RiskLimits::validate`]).
    pub fn new(limits: RiskLimits) -> Self {
        let max_position_fraction = limits.max_position_size_percent / Decimal::ONE_HUNDRED;
        RiskManager { limits, max_position_fraction, daily_start_value: None, positions: Vec::new() }
    }

    /// The limits in force.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// Sets the portfolio value the day's loss is measured from.
    pub fn set_daily_start_value(&mut self, value: Decimal) {
        self.daily_start_value = Some(value);
    }

    /// The day's start value, once set.
    pub fn daily_start_value(&self) -> Option<Decimal> {
        self.daily_start_value
    }

    /// Records the current signed base quantity held in `symbol` (the engine calls this after every fill).
    pub fn update_position(&mut self, symbol: Symbol, quantity: Decimal) {
        match self.positions.iter_mut().find(|(s, _)| *s == symbol) {
            Some(entry) => entry.1 = quantity,
            None => self.positions.push((symbol, quantity)),
        }
    }

    /// Signed base quantity held in `symbol`, as last reported.
    pub fn position(&self, symbol: Symbol) -> Decimal {
        self.positions.iter().find(|(s, _)| *s == symbol).map_or(Decimal::ZERO, |(_, q)| *q)
    }

    /// Checks an order of `quantity` at `price` against the limits (the seed's `validate_order`).
    ///
    /// Orders that only reduce a position always pass. Orders that add risk are cut to the largest quantity for which
    /// the position's notional stays within `max_position_size_percent` of `portfolio_value` and, for buys, the cost
    /// stays within `available_balance`; if nothing fits, they are refused. The reason names the rule that decided.
    pub async fn validate_order(
        &self,
        symbol: Symbol,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> OrderDecision {
        self.check_order(symbol, side, OrderQty::Base(quantity), price, portfolio_value, available_balance)
    }

    /// The same rules for an order sized as an amount of the quote asset (a "spend this much" market order); the
    /// third element of the answer is the adjusted amount.
    pub async fn validate_quote_order(
        &self,
        symbol: Symbol,
        side: Side,
        amount: Decimal,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> OrderDecision {
        self.check_order(symbol, side, OrderQty::Quote(amount), price, portfolio_value, available_balance)
    }

    /// The rules behind [`RiskManager::validate_order`] and [`RiskManager::validate_quote_order`], for an order of
    /// either size, synchronously (the engine's replay loop calls this). They work in notional terms, so that
    /// quote-sized orders need no division.
    pub fn check_order(
        &self,
        symbol: Symbol,
        side: Side,
        size: OrderQty,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> OrderDecision {
        let (requested, notional) = match size {
            OrderQty::Base(quantity) => (quantity, quantity * price),
            OrderQty::Quote(amount) => (amount, amount),
        };
        if !positive(requested) || !positive(price) {
            return (
                false,
                Cow::Owned(format!("size ({requested}) and price ({price}) must be positive")),
                Decimal::ZERO,
            );
        }
        let held = self.position(symbol);
        let held_notional = if held.is_zero() { Decimal::ZERO } else { held.abs() * price };
        let against_position = match side {
            Side::Buy => held.is_sign_negative() && !held.is_zero(),
            Side::Sell => held.is_sign_positive() && !held.is_zero(),
        };
        if against_position && notional <= held_notional {
            return (true, Cow::Borrowed("reduces an open position"), requested);
        }
        if !positive(portfolio_value) {
            return (
                false,
                Cow::Owned(format!("portfolio value {portfolio_value} leaves no room for new risk")),
                Decimal::ZERO,
            );
        }
        let max_notional = portfolio_value * self.max_position_fraction;
        // Notional already held this way counts against the limit; an opposite position is closed first.
        let room_by_size = if against_position { held_notional + max_notional } else { max_notional - held_notional };
        let room_by_balance = if side == Side::Buy { available_balance } else { notional };
        if notional <= room_by_size && notional <= room_by_balance {
            return (true, Cow::Borrowed("within limits"), requested);
        }
        let room = room_by_size.min(room_by_balance).max(Decimal::ZERO);
        let adjusted = match size {
            OrderQty::Base(_) => (room / price).normalize(),
            OrderQty::Quote(_) => room.normalize(),
        };
        let binding = if room_by_size <= room_by_balance {
            format!(
                "max_position_size_percent {}% of portfolio value {portfolio_value} allows {} notional at {price}",
                self.limits.max_position_size_percent,
                max_notional.normalize()
            )
        } else {
            format!("available balance {available_balance} at {price}")
        };
        if !positive(adjusted) {
            (false, Cow::Owned(format!("rejected: {binding}")), Decimal::ZERO)
        } else {
            (true, Cow::Owned(format!("resized from {requested} to {adjusted}: {binding}")), adjusted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn btc() -> Symbol {
        Symbol::new("BTCUSD").unwrap()
    }

    async fn check(rm: &RiskManager, side: Side, qty: Decimal, balance: Decimal) -> OrderDecision {
        rm.validate_order(btc(), side, qty, dec!(50000), dec!(10000), balance).await
    }

    #[tokio::test]
    async fn a_buy_above_the_position_limit_is_resized_to_the_limit() {
        // 10 % of 10,000 = 1,000 USD at 50,000 = 0.02 BTC
        let (ok, reason, qty) = check(&RiskManager::new(RiskLimits::default()), Side::Buy, dec!(0.1), dec!(6000)).await;
        assert!(ok);
        assert_eq!(qty, dec!(0.02));
        assert!(reason.contains("max_position_size_percent"), "{reason}");
    }

    #[tokio::test]
    async fn a_buy_above_the_balance_is_resized_to_the_balance() {
        let limits = RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() };
        // 100 % allows 0.2 BTC, but 6,000 USD only buys 0.12
        let (ok, reason, qty) = check(&RiskManager::new(limits), Side::Buy, dec!(0.15), dec!(6000)).await;
        assert!(ok);
        assert_eq!(qty, dec!(0.12));
        assert!(reason.contains("available balance"), "{reason}");
    }

    #[tokio::test]
    async fn a_buy_is_refused_when_the_position_is_already_at_the_limit() {
        let mut rm = RiskManager::new(RiskLimits::default());
        rm.update_position(btc(), dec!(0.02));
        let (ok, reason, qty) = check(&rm, Side::Buy, dec!(0.01), dec!(6000)).await;
        assert!(!ok);
        assert_eq!(qty, dec!(0));
        assert!(reason.starts_with("rejected: max_position_size_percent"), "{reason}");
    }

    #[tokio::test]
    async fn a_sell_that_reduces_a_position_always_passes() {
        let mut rm = RiskManager::new(RiskLimits::default());
        rm.update_position(btc(), dec!(0.5)); // far above the limit, e.g. after a price rise
        let (ok, _, qty) = check(&rm, Side::Sell, dec!(0.5), dec!(0)).await;
        assert!(ok);
        assert_eq!(qty, dec!(0.5));
    }

    #[tokio::test]
    async fn a_quote_sized_buy_is_resized_in_quote_terms() {
        // 10 % of 10,000 = 1,000 USD may be spent; asking for 2,500 gives 1,000
        let rm = RiskManager::new(RiskLimits::default());
        let (ok, reason, amount) =
            rm.validate_quote_order(btc(), Side::Buy, dec!(2500), dec!(50000), dec!(10000), dec!(6000)).await;
        assert!(ok, "{reason}");
        assert_eq!(amount, dec!(1000));
    }

    #[tokio::test]
    async fn an_order_within_limits_keeps_its_quantity() {
        let (ok, reason, qty) =
            check(&RiskManager::new(RiskLimits::default()), Side::Buy, dec!(0.01), dec!(6000)).await;
        assert_eq!((ok, reason.as_ref(), qty), (true, "within limits", dec!(0.01)));
    }
}

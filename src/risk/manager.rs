//! [`RiskManager`]: decides, for every order, whether it may go out and at what size (the seed's `RiskManager`).
//!
//! This first cut enforces the position-size limit and the available balance, resizing an order down rather than
//! refusing it whenever a smaller order fits. It keeps its own view of positions, fed by the engine after each fill,
//! so that reducing orders can always pass.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

use super::RiskLimits;
use crate::model::{Side, Symbol};

/// Outcome of [`RiskManager::validate_order`]: `(accepted, reason, adjusted_quantity)` as in the seed.
pub type OrderDecision = (bool, String, Decimal);

/// The risk manager. One instance type serves backtest, paper and live wiring.
#[derive(Clone, Debug)]
pub struct RiskManager {
    limits: RiskLimits,
    daily_start_value: Option<Decimal>,
    positions: BTreeMap<Symbol, Decimal>,
}

impl RiskManager {
    /// A risk manager enforcing `limits` (validate them first with [`RiskLimits::validate`]).
    pub fn new(limits: RiskLimits) -> Self {
        RiskManager { limits, daily_start_value: None, positions: BTreeMap::new() }
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
        if quantity.is_zero() {
            self.positions.remove(&symbol);
        } else {
            self.positions.insert(symbol, quantity);
        }
    }

    /// Signed base quantity held in `symbol`, as last reported.
    pub fn position(&self, symbol: Symbol) -> Decimal {
        self.positions.get(&symbol).copied().unwrap_or_default()
    }

    /// Checks an order of `quantity` at `price` against the limits.
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
        if quantity <= Decimal::ZERO || price <= Decimal::ZERO {
            return (false, format!("quantity ({quantity}) and price ({price}) must be positive"), Decimal::ZERO);
        }
        let held = self.position(symbol);
        let direction = side.sign();
        let reducing = held * direction < Decimal::ZERO && quantity <= held.abs();
        if reducing {
            return (true, "reduces an open position".into(), quantity);
        }
        if portfolio_value <= Decimal::ZERO {
            return (false, format!("portfolio value {portfolio_value} leaves no room for new risk"), Decimal::ZERO);
        }
        let max_notional = portfolio_value * self.limits.max_position_size_percent / Decimal::ONE_HUNDRED;
        // Quantity already held in this direction counts against the limit; an opposite position is closed first.
        let same = if held * direction > Decimal::ZERO { held.abs() } else { Decimal::ZERO };
        let opposite = if held * direction < Decimal::ZERO { held.abs() } else { Decimal::ZERO };
        let fits_size = (same + quantity - opposite) * price <= max_notional;
        let fits_balance = side == Side::Sell || quantity * price <= available_balance;
        if fits_size && fits_balance {
            return (true, "within limits".into(), quantity);
        }
        // Too big: the largest quantity that fits both limits (divisions only on this rarer path).
        let room_by_size = (opposite + max_notional / price - same).max(Decimal::ZERO);
        let room_by_balance = if side == Side::Buy { (available_balance / price).max(Decimal::ZERO) } else { quantity };
        let adjusted = quantity.min(room_by_size).min(room_by_balance);
        if adjusted >= quantity {
            // Only the last digit of a rounded product was over the limit (e.g. a quote amount divided by the price
            // and multiplied back): the order fits.
            return (true, "within limits".into(), quantity);
        }
        let adjusted = adjusted.normalize();
        let binding = if room_by_size <= room_by_balance {
            format!(
                "max_position_size_percent {}% of portfolio value {portfolio_value} allows {} at {price}",
                self.limits.max_position_size_percent,
                (max_notional / price).normalize()
            )
        } else {
            format!("available balance {available_balance} buys {} at {price}", room_by_balance.normalize())
        };
        if adjusted <= Decimal::ZERO {
            (false, format!("rejected: {binding}"), Decimal::ZERO)
        } else {
            (true, format!("resized from {quantity} to {adjusted}: {binding}"), adjusted)
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
    async fn an_order_within_limits_keeps_its_quantity() {
        let (ok, reason, qty) =
            check(&RiskManager::new(RiskLimits::default()), Side::Buy, dec!(0.01), dec!(6000)).await;
        assert_eq!((ok, reason.as_str(), qty), (true, "within limits", dec!(0.01)));
    }
}

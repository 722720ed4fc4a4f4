//! Stop-loss and take-profit: distances from the entry (the seed's defaults in percent, or a multiple of a
//! volatility such as ATR), the price levels they give, and their reward-to-risk ratio.

use rust_decimal::Decimal;

use super::RiskLimits;
use crate::model::Side;

/// Distances of the stop-loss and the take-profit from the entry price, in price units (both positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitDistances {
    /// Entry to stop-loss.
    pub stop: Decimal,
    /// Entry to take-profit.
    pub take: Decimal,
}

impl ExitDistances {
    /// The distances for an entry at `entry_price`: `stop_loss_percent` and `take_profit_percent` of the price; or,
    /// with a `volatility` (such as ATR), the stop at `volatility_multiple × volatility` and the take-profit still
    /// at `take_profit_percent` — so that in a volatile market the reward-to-risk ratio falls, and an entry whose
    /// stop must sit too far away for its target fails `min_risk_reward_ratio`.
    pub fn new(
        limits: &RiskLimits,
        volatility_multiple: Decimal,
        entry_price: Decimal,
        volatility: Option<Decimal>,
    ) -> Self {
        let percent_of_entry = |percent: Decimal| entry_price * percent / Decimal::ONE_HUNDRED;
        let stop = match volatility.filter(|v| *v > Decimal::ZERO) {
            Some(v) => volatility_multiple * v,
            None => percent_of_entry(limits.stop_loss_percent),
        };
        ExitDistances { stop, take: percent_of_entry(limits.take_profit_percent) }
    }

    /// Reward ÷ risk: the take-profit distance over the stop distance.
    pub fn reward_to_risk(&self) -> Decimal {
        if self.stop.is_zero() { Decimal::ZERO } else { self.take / self.stop }
    }

    /// `(stop_loss, take_profit)` prices for an entry of `side` at `entry_price`: below and above it for a buy,
    /// above and below for a sell.
    pub fn levels(&self, side: Side, entry_price: Decimal) -> (Decimal, Decimal) {
        match side {
            Side::Buy => (entry_price - self.stop, entry_price + self.take),
            Side::Sell => (entry_price + self.stop, entry_price - self.take),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn defaults_are_two_and_six_percent_of_the_entry() {
        let d = ExitDistances::new(&RiskLimits::default(), dec!(2), dec!(50000), None);
        assert_eq!(d.levels(Side::Buy, dec!(50000)), (dec!(49000), dec!(53000)));
        assert_eq!(d.levels(Side::Sell, dec!(50000)), (dec!(51000), dec!(47000)));
        assert_eq!(d.reward_to_risk(), dec!(3));
    }

    #[test]
    fn with_volatility_the_stop_sits_at_a_multiple_of_it_and_the_target_stays() {
        // ATR 400, multiple 2: stop 800 away; take-profit 6 % of 50,000 = 3,000 away; ratio 3,000 / 800 = 3.75
        let d = ExitDistances::new(&RiskLimits::default(), dec!(2), dec!(50000), Some(dec!(400)));
        assert_eq!(d.levels(Side::Buy, dec!(50000)), (dec!(49200), dec!(53000)));
        assert_eq!(d.reward_to_risk(), dec!(3.75));
        // ATR 1,000: stop 2,000 away, ratio 1.5, below the default minimum of 2
        let wide = ExitDistances::new(&RiskLimits::default(), dec!(2), dec!(50000), Some(dec!(1000)));
        assert_eq!(wide.reward_to_risk(), dec!(1.5));
    }
}

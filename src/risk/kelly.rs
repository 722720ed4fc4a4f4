//! Kelly sizing from the strategy's own closed trades: `f* = W − (1 − W) / R`, with `W` the share of winning
//! trades and `R` the payoff ratio (average win ÷ average loss, as returns on entry notional), over the latest
//! `window` trades, and never below the policy's floor once in use (so that a losing streak cannot stop entries
//! for good: the trades that follow revise the estimate).

use rust_decimal::Decimal;
use std::collections::VecDeque;

use super::policy::KellyPolicy;

/// The latest closed trades' returns, and their sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeStats {
    /// Returns on entry notional, oldest first; at most `window`.
    returns: VecDeque<Decimal>,
    window: usize,
    wins: u32,
    losses: u32,
    win_returns: Decimal,
    loss_returns: Decimal,
}

impl Default for TradeStats {
    /// Every trade counts (no window).
    fn default() -> Self {
        TradeStats::with_window(usize::MAX)
    }
}

impl TradeStats {
    /// Statistics over the latest `window` trades (at least one).
    pub fn with_window(window: usize) -> Self {
        TradeStats {
            returns: VecDeque::with_capacity(window.clamp(1, 1024)),
            window: window.max(1),
            wins: 0,
            losses: 0,
            win_returns: Decimal::ZERO,
            loss_returns: Decimal::ZERO,
        }
    }

    /// Adds a closed trade with net PnL `net_pnl` on `entry_notional`; the oldest leaves once `window` are held.
    /// The sums are taken again from the trades held (trades are few; sums kept by adding and taking away
    /// 28-digit quotients would drift).
    pub fn record(&mut self, net_pnl: Decimal, entry_notional: Decimal) {
        if entry_notional.is_zero() {
            return;
        }
        if self.returns.len() >= self.window {
            self.returns.pop_front();
        }
        self.returns.push_back(net_pnl / entry_notional);
        (self.wins, self.losses, self.win_returns, self.loss_returns) = (0, 0, Decimal::ZERO, Decimal::ZERO);
        for &r in &self.returns {
            if r.is_sign_positive() && !r.is_zero() {
                self.wins += 1;
                self.win_returns += r;
            } else {
                self.losses += 1;
                self.loss_returns -= r;
            }
        }
    }

    /// Closed trades counted (those in the window).
    pub fn trades(&self) -> u32 {
        self.wins + self.losses
    }

    /// The full Kelly fraction `W − (1 − W) / R`, or `None` while it is undefined (no trades, no losses with a
    /// loss of zero, or no wins). Negative when the edge is negative.
    pub fn full_kelly(&self) -> Option<Decimal> {
        let n = Decimal::from(self.trades());
        if self.wins == 0 {
            return (self.losses > 0).then_some(Decimal::NEGATIVE_ONE);
        }
        if self.losses == 0 || self.loss_returns.is_zero() {
            return None;
        }
        let w = Decimal::from(self.wins) / n;
        let payoff = (self.win_returns / Decimal::from(self.wins)) / (self.loss_returns / Decimal::from(self.losses));
        Some(w - (Decimal::ONE - w) / payoff)
    }

    /// The share of equity an entry may take under `policy`: the fallback until `min_trades` trades exist, then
    /// `fraction ×` the full Kelly fraction, at least `floor_percent`.
    pub fn sizing(&self, policy: &KellyPolicy) -> Decimal {
        match self.kelly_in_use(policy) {
            None => policy.fallback_percent / Decimal::ONE_HUNDRED,
            Some(full) => (full * policy.fraction).max(policy.floor_percent / Decimal::ONE_HUNDRED),
        }
    }

    /// How [`TradeStats::sizing`] decided, for a risk decision's reason.
    pub fn describe_sizing(&self, policy: &KellyPolicy) -> String {
        match self.kelly_in_use(policy) {
            Some(full) if full * policy.fraction < policy.floor_percent / Decimal::ONE_HUNDRED => format!(
                "Kelly {} × {:.4} = {:.2} % of equity is below floor_percent {} %: {} %",
                policy.fraction,
                full,
                full * policy.fraction * Decimal::ONE_HUNDRED,
                policy.floor_percent,
                policy.floor_percent
            ),
            Some(full) => format!(
                "Kelly {} × {:.4} = {:.2} % of equity",
                policy.fraction,
                full,
                self.sizing(policy) * Decimal::ONE_HUNDRED
            ),
            None if self.trades() < policy.min_trades => format!(
                "{} of {} trades needed for Kelly: fixed {} %",
                self.trades(),
                policy.min_trades,
                policy.fallback_percent
            ),
            None => format!("Kelly undefined without losses: fixed {} %", policy.fallback_percent),
        }
    }

    /// The full Kelly fraction when enough trades exist for it to be used.
    fn kelly_in_use(&self, policy: &KellyPolicy) -> Option<Decimal> {
        if self.trades() < policy.min_trades { None } else { self.full_kelly() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn kelly_fraction_matches_a_hand_computation() {
        // 3 wins of +4 % and 2 losses of −2 %: W = 0.6, R = 4 / 2 = 2, f* = 0.6 − 0.4 / 2 = 0.4; half Kelly 0.2
        let mut s = TradeStats::default();
        for (pnl, notional) in [
            (dec!(4), dec!(100)),
            (dec!(-2), dec!(100)),
            (dec!(8), dec!(200)),
            (dec!(-4), dec!(200)),
            (dec!(2), dec!(50)),
        ] {
            s.record(pnl, notional);
        }
        assert_eq!(s.full_kelly(), Some(dec!(0.4)));
        let policy =
            KellyPolicy { fraction: dec!(0.5), min_trades: 5, fallback_percent: dec!(1), ..KellyPolicy::default() };
        assert_eq!(s.sizing(&policy), dec!(0.2));
        assert!(s.describe_sizing(&policy).contains("Kelly 0.5 × 0.4000 = 20.00 % of equity"));
        let strict = KellyPolicy { min_trades: 6, ..policy };
        assert_eq!(s.sizing(&strict), dec!(0.01), "fixed fallback until enough trades");
    }

    #[test]
    fn a_negative_edge_sizes_to_the_floor() {
        let mut s = TradeStats::default();
        s.record(dec!(1), dec!(100));
        s.record(dec!(-3), dec!(100));
        s.record(dec!(-3), dec!(100));
        // W = 1/3, R = 1/3: f* = 1/3 − (2/3) × 3 < 0: the floor of 0.5 %
        let policy =
            KellyPolicy { fraction: dec!(0.5), min_trades: 3, fallback_percent: dec!(1), ..KellyPolicy::default() };
        assert_eq!(s.sizing(&policy), dec!(0.005));
        assert!(
            s.describe_sizing(&policy).contains("is below floor_percent 0.5 %: 0.5 %"),
            "{}",
            s.describe_sizing(&policy)
        );
    }

    #[test]
    fn the_window_keeps_only_the_latest_trades() {
        // window 2: a loss, then two wins of +2 % and +4 %: the loss has left, so Kelly is undefined again
        let mut s = TradeStats::with_window(2);
        for (pnl, notional) in [(dec!(-1), dec!(100)), (dec!(2), dec!(100)), (dec!(4), dec!(100))] {
            s.record(pnl, notional);
        }
        assert_eq!((s.trades(), s.full_kelly()), (2, None));
        s.record(dec!(-2), dec!(100)); // [+4 %, −2 %]: W = 1/2, R = 2, f* = 0.5 − 0.5 / 2 = 0.25
        assert_eq!(s.full_kelly(), Some(dec!(0.25)));
    }
}

//! The order check of the [`RiskManager`]: which rule refuses an order, or the largest size every limit allows
//! (position size or Kelly, balance, leverage, correlated exposure), and the words that explain a resize.

use rust_decimal::Decimal;
use std::borrow::Cow;

use super::{Holding, RiskDecision, RiskManager};
use crate::model::exact::positive;
use crate::model::{OrderQty, Side, Symbol};
use crate::risk::RiskRule;

impl RiskManager {
    /// The rules behind [`RiskManager::validate_order`], for an order of either size, synchronously (the engine's
    /// replay loop calls this). They work in notional terms, so that quote-sized orders need no division.
    pub fn check_order(
        &self,
        symbol: Symbol,
        side: Side,
        size: OrderQty,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> RiskDecision {
        let (requested, notional) = match size {
            OrderQty::Base(quantity) => (quantity, quantity * price),
            OrderQty::Quote(amount) => (amount, amount),
        };
        if !positive(requested) || !positive(price) {
            return RiskDecision::refuse(
                RiskRule::InvalidOrder,
                format!("size ({requested}) and price ({price}) must be positive"),
            );
        }
        let held = self.position(symbol, side);
        let held_notional = if held.is_zero() { Decimal::ZERO } else { held.abs() * price };
        let against = !held.is_zero() && (held.is_sign_negative() == (side == Side::Buy));
        if against && notional <= held_notional {
            return RiskDecision { reduces: true, ..RiskDecision::pass("reduces an open position", requested) };
        }
        let opens = against || !self.holdings.iter().any(|h| h.symbol == symbol && h.is_open());
        if let Some(refusal) = self.refuse_new_risk(opens) {
            return refusal;
        }
        if !positive(portfolio_value) {
            return RiskDecision::refuse(
                RiskRule::PositionSize,
                format!("portfolio value {portfolio_value} leaves no room for new risk"),
            );
        }
        let (same, opposite) = if against { (Decimal::ZERO, held_notional) } else { (held_notional, Decimal::ZERO) };
        // A base-sized buy pays its fee on top of its notional; a quote-sized one spends its amount, fee included.
        let fee = match size {
            OrderQty::Base(_) if side == Side::Buy => self.fee_rate(symbol),
            _ => Decimal::ZERO,
        };
        let spendable = before_fee(available_balance, fee);
        let (room, rule) = self.room(symbol, side, portfolio_value, spendable, same, opposite);
        if notional <= room {
            return RiskDecision::pass("within limits", requested);
        }
        let why = self.explain(rule, symbol, portfolio_value, available_balance, fee);
        self.resize(symbol, size, price, room, rule, why)
    }

    /// The refusals that do not depend on size: halted, daily limit, cool-off, too many positions.
    fn refuse_new_risk(&self, opens_position: bool) -> Option<RiskDecision> {
        if let Some(halt) = self.guard.halt() {
            return Some(RiskDecision::refuse(
                RiskRule::Drawdown,
                format!("emergency stop since {}: {}; only reducing orders pass", halt.time, halt.reason),
            ));
        }
        if self.guard.daily_limit_hit() {
            return Some(RiskDecision::refuse(
                RiskRule::DailyLoss,
                format!(
                    "max_daily_loss_percent {} % reached today: no new risk until the next UTC day",
                    self.limits.max_daily_loss_percent
                ),
            ));
        }
        if let Some(until) = self.guard.cooling_until() {
            return Some(RiskDecision::refuse(
                RiskRule::ConsecutiveLosses,
                format!(
                    "cooling off after {} losing trades in a row until {until}",
                    self.limits.max_consecutive_losses
                ),
            ));
        }
        let limit = self.limits.max_open_positions as usize;
        if opens_position && self.open_positions() >= limit {
            return Some(RiskDecision::refuse(
                RiskRule::OpenPositions,
                format!("max_open_positions {limit} reached: a new position is not allowed"),
            ));
        }
        None
    }

    /// The tightest size limit on the order: the largest notional it may have under it, and its rule; a buy's
    /// notional may be at most `spendable` (the balance less the order's fee). Only numbers here;
    /// [`RiskManager::explain`] writes the words when an order is actually resized or refused.
    fn room(
        &self,
        symbol: Symbol,
        side: Side,
        portfolio_value: Decimal,
        spendable: Decimal,
        same: Decimal,
        opposite: Decimal,
    ) -> (Decimal, RiskRule) {
        let mut best = (opposite + self.max_position_fraction * portfolio_value - same, RiskRule::PositionSize);
        let mut consider = |room: Decimal, rule: RiskRule| {
            if room < best.0 {
                best = (room, rule);
            }
        };
        if let Some(kelly) = &self.policy.kelly {
            consider(opposite + self.trades.sizing(kelly) * portfolio_value - same, RiskRule::Kelly);
        }
        if side == Side::Buy {
            consider(spendable, RiskRule::Balance);
        }
        let gross = self.gross_exposure_except(symbol);
        consider(self.limits.max_leverage * portfolio_value - gross - same + opposite, RiskRule::Leverage);
        if let Some(exposure) = self.correlated_exposure_sum(symbol) {
            let cap = self.limits.max_correlation_exposure / Decimal::ONE_HUNDRED * portfolio_value;
            consider(cap - exposure - same + opposite, RiskRule::Correlation);
        }
        best
    }

    /// Why `rule` limits an order of `symbol` (paying `fee` on top of its notional), with the numbers.
    fn explain(
        &self,
        rule: RiskRule,
        symbol: Symbol,
        portfolio_value: Decimal,
        available_balance: Decimal,
        fee: Decimal,
    ) -> String {
        let limits = &self.limits;
        match rule {
            RiskRule::Kelly => self.policy.kelly.map(|kelly| self.trades.describe_sizing(&kelly)).unwrap_or_default(),
            RiskRule::Balance if positive(fee) => format!(
                "available balance {available_balance} with a fee of {} %",
                (fee * Decimal::ONE_HUNDRED).normalize()
            ),
            RiskRule::Balance => format!("available balance {available_balance}"),
            RiskRule::Leverage => format!(
                "max_leverage {} × {portfolio_value} with {} held elsewhere",
                limits.max_leverage,
                self.gross_exposure_except(symbol).normalize()
            ),
            RiskRule::Correlation => {
                let (group, exposure) = self.correlated_exposure(symbol).unwrap_or_default();
                let names: Vec<&str> = group.iter().map(Symbol::as_str).collect();
                format!(
                    "max_correlation_exposure {} % of {portfolio_value}, with {} in {} correlated ≥ {}",
                    limits.max_correlation_exposure,
                    exposure.normalize(),
                    names.join("+"),
                    self.policy.correlation.map_or(0.0, |c| c.threshold)
                )
            }
            _ => format!(
                "max_position_size_percent {} % of portfolio value {portfolio_value}",
                limits.max_position_size_percent
            ),
        }
    }

    /// Σ |position value| of every symbol but `symbol`.
    fn gross_exposure_except(&self, symbol: Symbol) -> Decimal {
        self.holdings.iter().filter(|h| h.symbol != symbol).map(Holding::exposure).sum()
    }

    /// The held symbols correlated with `symbol` at or above the threshold, and their summed exposure; `None` when
    /// the rule is off or no held symbol is correlated.
    pub(super) fn correlated_exposure(&self, symbol: Symbol) -> Option<(Vec<Symbol>, Decimal)> {
        let group: Vec<&Holding> = self.correlated_holdings(symbol).collect();
        (!group.is_empty())
            .then(|| (group.iter().map(|h| h.symbol).collect(), group.iter().map(|h| h.exposure()).sum()))
    }

    /// The summed exposure of the held symbols correlated with `symbol` (what [`Self::correlated_exposure`] sums,
    /// without naming them: the order check's path, which must not allocate).
    fn correlated_exposure_sum(&self, symbol: Symbol) -> Option<Decimal> {
        let mut held = self.correlated_holdings(symbol).peekable();
        held.peek().is_some().then(|| held.map(Holding::exposure).sum())
    }

    /// The held positions (other than `symbol`'s) whose returns correlate with `symbol`'s at or above the
    /// threshold; none when the rule is off.
    fn correlated_holdings(&self, symbol: Symbol) -> impl Iterator<Item = &Holding> {
        let rule = self.returns.as_ref().zip(self.policy.correlation.as_ref());
        self.holdings.iter().filter(move |h| {
            rule.is_some_and(|(returns, policy)| {
                h.is_open()
                    && h.symbol != symbol
                    && returns.correlation(symbol, h.symbol).is_some_and(|c| c >= policy.threshold)
            })
        })
    }

    /// Cuts an order to `room` notional; refuses it when nothing the exchange accepts fits.
    fn resize(
        &self,
        symbol: Symbol,
        size: OrderQty,
        price: Decimal,
        room: Decimal,
        rule: RiskRule,
        why: String,
    ) -> RiskDecision {
        let room = room.max(Decimal::ZERO);
        let minimum = self.minimums.iter().find(|m| m.symbol == symbol);
        let (requested, adjusted, adjusted_notional) = match size {
            OrderQty::Base(quantity) => {
                let q = self.quantity_for_amount(symbol, room, price).normalize();
                (quantity, q, q * price)
            }
            OrderQty::Quote(amount) => (amount, room.normalize(), room),
        };
        let below_minimum = minimum.is_some_and(|m| adjusted_notional < m.min_notional);
        if !positive(adjusted) {
            return RiskDecision::refuse(rule, format!("rejected: {why} leaves no room"));
        }
        if below_minimum {
            return RiskDecision::refuse(
                RiskRule::ExchangeMinimum,
                format!(
                    "rejected: {why} allows {adjusted} ({adjusted_notional} notional), below the exchange minimum {}",
                    minimum.map_or(Decimal::ZERO, |m| m.min_notional)
                ),
            );
        }
        RiskDecision {
            accepted: true,
            rule: Some(rule),
            reason: Cow::Owned(format!("resized from {requested} to {adjusted}: {why}")),
            adjusted,
            reduces: false,
        }
    }
}

/// The largest notional whose cost with a fee of `fee_rate` on top fits in `balance`: `balance / (1 + fee_rate)`,
/// rounded down at its last digit, so that notional plus fee never exceeds the balance.
fn before_fee(balance: Decimal, fee_rate: Decimal) -> Decimal {
    if !positive(fee_rate) || !positive(balance) {
        return balance;
    }
    let factor = Decimal::ONE + fee_rate;
    let Some(notional) = balance.checked_div(factor) else { return Decimal::ZERO };
    if notional.checked_mul(factor).is_none_or(|cost| cost > balance) {
        return notional - Decimal::new(1, notional.scale());
    }
    notional
}

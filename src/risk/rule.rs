//! [`RiskRule`]: the names of the rules, as decisions, events and reports call them.

use serde::Serialize;

/// The rule behind a risk decision or event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskRule {
    /// Size or price not positive.
    InvalidOrder,
    /// `max_position_size_percent`.
    PositionSize,
    /// Kelly sizing (tighter than the position limit).
    Kelly,
    /// Available balance.
    Balance,
    /// `max_leverage`.
    Leverage,
    /// `max_open_positions`.
    OpenPositions,
    /// `max_correlation_exposure`.
    Correlation,
    /// The instrument's minimum order (lot or notional) after resizing.
    ExchangeMinimum,
    /// `max_daily_loss_percent`.
    DailyLoss,
    /// `max_drawdown_percent` (the emergency stop).
    Drawdown,
    /// `max_consecutive_losses` and `cooling_off_period_hours`.
    ConsecutiveLosses,
    /// `min_risk_reward_ratio` of an entry's stop-loss / take-profit pair.
    RiskReward,
}

impl RiskRule {
    /// The rule's name in reports (`position_size`, `daily_loss`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RiskRule::InvalidOrder => "invalid_order",
            RiskRule::PositionSize => "position_size",
            RiskRule::Kelly => "kelly",
            RiskRule::Balance => "balance",
            RiskRule::Leverage => "leverage",
            RiskRule::OpenPositions => "open_positions",
            RiskRule::Correlation => "correlation",
            RiskRule::ExchangeMinimum => "exchange_minimum",
            RiskRule::DailyLoss => "daily_loss",
            RiskRule::Drawdown => "drawdown",
            RiskRule::ConsecutiveLosses => "consecutive_losses",
            RiskRule::RiskReward => "risk_reward",
        }
    }
}

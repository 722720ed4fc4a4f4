//! Risk: the seed's [`RiskLimits`], the [`RiskPolicy`] that says how the engine applies them, and the
//! [`RiskManager`] every order passes through — the same type in backtest, paper and live wiring.

mod assessment;
mod correlation;
mod exits;
mod guard;
mod kelly;
mod limits;
mod manager;
mod policy;
mod rule;

pub use assessment::{PortfolioRisk, RiskLevel};
pub use correlation::ReturnWindows;
pub use exits::ExitDistances;
pub use guard::{EquityGuard, Halt, MarkOutcome};
pub use kelly::TradeStats;
pub use limits::{ENV_OVERRIDES, RiskLimits};
pub use manager::{OrderDecision, RiskDecision, RiskManager};
pub use policy::{CorrelationPolicy, ExitPolicy, KellyPolicy, RiskPolicy};
pub use rule::RiskRule;

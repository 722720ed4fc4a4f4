//! Risk: the seed's [`RiskLimits`] and the [`RiskManager`] every order passes through.

mod limits;
mod manager;

pub use limits::RiskLimits;
pub use manager::{OrderDecision, RiskManager};

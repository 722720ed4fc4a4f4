//! Execution: the one owner of an order's life. [`Orders`] holds every order of a run and is the only code that
//! changes one, each change a transition of its [`OrderState`] (created → risk-checked → journaled → sent →
//! acknowledged → partially filled → filled / canceled / rejected / expired, with a journaled cancel request in
//! between); what leaves the process is journaled first through the session's [`JournalHooks`]. Backtests, paper
//! and live sessions use it identically; a backtest's journal is none. The orders still working, with
//! what they would add to a position and the cash buys would spend, are kept apart for the risk checks.

mod journal;
mod lifecycle;
mod orders;
mod records;
mod seen_trades;
mod working;

pub use journal::{FillJournal, JournalHooks, OrderJournal};
pub use lifecycle::OrderState;
pub use orders::Orders;
pub use records::{FillRecord, OrderRecord};
pub(crate) use working::{Purpose, WorkingOrders};

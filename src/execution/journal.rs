//! [`JournalHooks`]: where a session journals what the order owner is about to do. A backtest has none: its
//! journal is a no-op sink, and the orders go through the same transitions.

use super::records::{FillRecord, OrderRecord};
use crate::error::Result;

/// Called with each fill (its number among the run's fills) before it is booked: a session journals it there, so
/// that no fill the engine acted on is missing from the journal. An error stops the run.
pub type FillJournal = Box<dyn FnMut(u64, &FillRecord) -> Result<()> + Send>;

/// Called with an order's record before something leaves the process on its behalf — the order itself, a cancel
/// — and after a venue changed it: a session journals it there, so that nothing reaches a venue without its
/// journal row. An error stops the run, and what was to be sent is not.
pub type OrderJournal = Box<dyn FnMut(&OrderRecord) -> Result<()> + Send>;

/// Where a session journals orders and fills.
pub struct JournalHooks {
    /// Each order, before it is sent, before a cancel of it is sent, and after it changed.
    pub orders: OrderJournal,
    /// Each fill, before it is booked.
    pub fills: FillJournal,
}

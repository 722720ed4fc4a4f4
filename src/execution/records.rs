//! [`OrderRecord`] and [`FillRecord`]: what a run keeps of each order and each fill.

use super::lifecycle::OrderState;
use crate::model::{Fill, OrderReport, Timestamp, VenueId};

/// An order and what became of it: where and when it was created, where it is in its life, and its report (the
/// request as the venue accepted it, status, fills, fee, and the reason of a rejection by the risk manager or the
/// venue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    /// Venue it was sent (or meant) to.
    pub venue: VenueId,
    /// Engine time it was created.
    pub created: Timestamp,
    /// Where it is in its life.
    pub state: OrderState,
    /// Its current state as a venue reports it.
    pub report: OrderReport,
}

impl OrderRecord {
    /// The record of an order whose life so far is told by `report` (read back from a journal or built by a
    /// test): working orders are at their venue, ended ones in the state of their status.
    pub fn from_report(venue: VenueId, created: Timestamp, report: OrderReport) -> Self {
        OrderRecord { venue, created, state: OrderState::of_status(report.status), report }
    }
}

/// A fill and the venue it happened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillRecord {
    /// Venue of the fill.
    pub venue: VenueId,
    /// The fill.
    pub fill: Fill,
}

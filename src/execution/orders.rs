//! [`Orders`]: every order of a run and the only code that changes one. Each change is a transition of the
//! order's [`OrderState`], checked against the state machine's table; the two that let something leave the
//! process — an order going to its venue, a cancel going after it — are journaled first.

use rust_decimal::Decimal;
use std::ops::Deref;

use super::journal::JournalHooks;
use super::lifecycle::OrderState;
use super::records::OrderRecord;
use crate::error::{Error, Result};
use crate::model::{Fill, OrderId, OrderReport, OrderRequest, OrderStatus, Timestamp, VenueId};

/// Every order of a run, indexed by `OrderId - 1`. Reading is open to all (it derefs to a slice of records);
/// changing an order is not: the engine moves orders through their life with the transitions below.
#[derive(Clone, Debug, Default)]
pub struct Orders {
    records: Vec<OrderRecord>,
}

impl Deref for Orders {
    type Target = [OrderRecord];

    fn deref(&self) -> &[OrderRecord] {
        &self.records
    }
}

impl<'a> IntoIterator for &'a Orders {
    type Item = &'a OrderRecord;
    type IntoIter = std::slice::Iter<'a, OrderRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.records.iter()
    }
}

impl Orders {
    /// The record of order `id`.
    pub fn get(&self, id: OrderId) -> Option<&OrderRecord> {
        index_of(id).and_then(|i| self.records.get(i))
    }

    /// The id the next created order gets.
    pub fn next_id(&self) -> OrderId {
        OrderId(self.records.len() as u64 + 1)
    }

    /// Forgets every order but keeps the memory.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }

    /// A new order of `request` (whose client id must be [`Orders::next_id`]) for `venue`, created at `time`.
    pub(crate) fn create(&mut self, venue: VenueId, time: Timestamp, request: OrderRequest) -> OrderId {
        debug_assert_eq!(request.client_order_id, self.next_id(), "orders are created in id order");
        let id = request.client_order_id;
        self.records.push(OrderRecord {
            venue,
            created: time,
            state: OrderState::Created,
            report: OrderReport::new(request),
        });
        id
    }

    /// An order read back from a journal, in id order. One the journal holds as journaled but not as sent may
    /// have left before the session stopped: it counts as sent, and asking its venue settles which it was.
    pub(crate) fn restore(&mut self, mut record: OrderRecord) {
        if record.state == OrderState::Journaled {
            record.state = OrderState::Sent;
        }
        self.records.push(record);
    }

    /// The risk manager let order `id` through, as `request` (resized, when it was).
    pub(crate) fn risk_checked(&mut self, id: OrderId, request: OrderRequest) {
        if let Some(record) = self.advance(id, OrderState::RiskChecked) {
            record.report.request = request;
        }
    }

    /// Journals risk-checked order `id` (when the run keeps a journal): only then may it be sent. An order the
    /// journal could not record is rejected, and the failure returned.
    ///
    /// # Errors
    /// The journal's failure.
    pub(crate) fn journal_before_send(&mut self, id: OrderId, journal: Option<&mut JournalHooks>) -> Result<()> {
        self.advance(id, OrderState::Journaled);
        if let Err(failure) = self.journal(id, journal) {
            self.end(id, OrderStatus::Rejected, format!("not sent: the journal could not record it: {failure}"));
            return Err(failure);
        }
        Ok(())
    }

    /// Order `id` leaves for its venue.
    pub(crate) fn sent(&mut self, id: OrderId) {
        self.advance(id, OrderState::Sent);
    }

    /// The venue accepted order `id` as `request` (rounded to its rules).
    pub(crate) fn accepted(&mut self, id: OrderId, request: OrderRequest) {
        let Some(record) = self.record_mut(id) else { return };
        record.report.request = request;
        if record.state == OrderState::Sent {
            record.state = OrderState::Acknowledged;
        }
    }

    /// The venue changed order `id` to `request` (an amendment it accepted).
    pub(crate) fn amended(&mut self, id: OrderId, request: OrderRequest) {
        if let Some(record) = self.record_mut(id) {
            record.report.request = request;
        }
    }

    /// Journals that order `id` is to be canceled (when the run keeps a journal), before the cancel leaves.
    ///
    /// # Errors
    /// [`Error::Order`] for an order that is not working at its venue; the journal's failure (then the cancel must
    /// not be sent, and the order stays as it was).
    pub(crate) fn request_cancel(&mut self, id: OrderId, journal: Option<&mut JournalHooks>) -> Result<()> {
        let Some(record) = self.record_mut(id) else {
            return Err(Error::Order(format!("order {id} is not an order of this run")));
        };
        let before = record.state;
        if !before.can_become(OrderState::CancelRequested) {
            return Err(Error::Order(format!("order {id} is {before}: there is nothing to cancel")));
        }
        record.state = OrderState::CancelRequested;
        if let Err(failure) = self.journal(id, journal) {
            if let Some(record) = self.record_mut(id) {
                record.state = before;
            }
            return Err(failure);
        }
        Ok(())
    }

    /// The venue refused to cancel order `id`: unless something ended it meanwhile, it works on as before.
    pub(crate) fn cancel_refused(&mut self, id: OrderId) {
        let Some(record) = self.record_mut(id) else { return };
        if record.state == OrderState::CancelRequested {
            record.state = working_state(record.report.filled_quantity);
        }
    }

    /// Whether a fill that leaves order `id` in `status` may be booked: the order is this run's and at its venue.
    pub fn may_fill(&self, id: OrderId, status: OrderStatus) -> bool {
        self.get(id).is_some_and(|record| record.state.can_become(fill_state(record.state, status)))
    }

    /// Books `fill` of order `id`, which leaves the order in `status`: filled quantity, average price, fee.
    /// Returns `false` (and changes nothing) for an order that is not at a venue.
    pub(crate) fn fill(&mut self, id: OrderId, fill: &Fill, status: OrderStatus) -> bool {
        let Some(record) = self.record_mut(id) else { return false };
        let next = fill_state(record.state, status);
        if !allowed(id, record.state, next) {
            return false;
        }
        let report = &mut record.report;
        let filled = report.filled_quantity + fill.quantity;
        report.average_price = Some(match report.average_price {
            None => fill.price,
            Some(average) => (average * report.filled_quantity + fill.notional()) / filled,
        });
        report.filled_quantity = filled;
        report.fee += fill.fee;
        report.status = status;
        record.state = next;
        true
    }

    /// Order `id` ended with `status` (canceled, rejected, expired) for `reason`. Returns `false` (and changes
    /// nothing) when it had ended already: the first end stands.
    pub(crate) fn end(&mut self, id: OrderId, status: OrderStatus, reason: String) -> bool {
        let Some(record) = self.record_mut(id) else { return false };
        if record.state.is_final() || !allowed(id, record.state, OrderState::of_status(status)) {
            return false;
        }
        record.state = OrderState::of_status(status);
        record.report.status = status;
        record.report.reason = Some(reason);
        true
    }

    /// Hands order `id`'s record to the journal, when the run keeps one.
    ///
    /// # Errors
    /// The journal's failure.
    pub(crate) fn journal(&self, id: OrderId, journal: Option<&mut JournalHooks>) -> Result<()> {
        match (journal, self.get(id)) {
            (Some(journal), Some(record)) => (journal.orders)(record),
            _ => Ok(()),
        }
    }

    /// Moves order `id` to `next` when the table allows it; returns its record then.
    fn advance(&mut self, id: OrderId, next: OrderState) -> Option<&mut OrderRecord> {
        let record = self.record_mut(id)?;
        if !allowed(id, record.state, next) {
            return None;
        }
        record.state = next;
        Some(record)
    }

    fn record_mut(&mut self, id: OrderId) -> Option<&mut OrderRecord> {
        index_of(id).and_then(|i| self.records.get_mut(i))
    }
}

/// Whether order `id` may go from `from` to `next`; a transition the table forbids is a bug of the engine, logged
/// (and caught by the tests' debug assertions), never acted on.
fn allowed(id: OrderId, from: OrderState, next: OrderState) -> bool {
    let ok = from.can_become(next);
    if !ok {
        tracing::error!(order = %id, %from, to = %next, "order transition refused");
        debug_assert!(ok, "order {id}: {from} cannot become {next}");
    }
    ok
}

/// The state a fill leaving the order in `status` moves an order in state `from` to: a cancel still on its way
/// stays requested while the rest works.
fn fill_state(from: OrderState, status: OrderStatus) -> OrderState {
    match OrderState::of_status(status) {
        working if !working.is_final() && from == OrderState::CancelRequested => from,
        next => next,
    }
}

/// The state of a working order with `filled` of it done.
fn working_state(filled: Decimal) -> OrderState {
    if filled.is_zero() { OrderState::Acknowledged } else { OrderState::PartiallyFilled }
}

fn index_of(id: OrderId) -> Option<usize> {
    usize::try_from(id.0).ok().and_then(|i| i.checked_sub(1))
}

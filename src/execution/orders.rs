//! [`Orders`]: every order of a run and the only code that changes one. Each change is a transition of the
//! order's [`OrderState`], checked against the state machine's table; the two that let something leave the
//! process — an order going to its venue, a cancel going after it — are journaled first.

use rust_decimal::Decimal;
use std::ops::Deref;

use super::journal::JournalHooks;
use super::lifecycle::OrderState;
use super::records::OrderRecord;
use super::seen_trades::SeenTrades;
use crate::error::{Error, Result};
use crate::model::{Fill, OrderId, OrderReport, OrderRequest, OrderStatus, Symbol, Timestamp, TradeId, VenueId};

/// Every order of a run, indexed by `OrderId - 1`. Reading is open to all (it derefs to a slice of records);
/// changing an order is not: the engine moves orders through their life with the transitions below.
#[derive(Clone, Debug, Default)]
pub struct Orders {
    records: Vec<OrderRecord>,
    /// The venues' ids of every trade booked, per venue and symbol (Binance numbers trades per symbol), so that a
    /// fill reported twice (a stream and a status answer, a replayed message, a resumed session) is booked once.
    /// Only looked up, never listed, so its order does not matter.
    trades: SeenTrades,
    /// The state each order with a cancel on its way had before it: a refused cancel returns the order to it, so an
    /// order its venue never acknowledged stays unacknowledged (a venue that does not know it may then end it).
    cancel_from: Vec<(OrderId, OrderState)>,
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
        self.trades.clear();
        self.cancel_from.clear();
    }

    /// Whether the trade `trade` of `symbol` at `venue` was booked already.
    pub fn has_trade(&self, venue: VenueId, symbol: Symbol, trade: TradeId) -> bool {
        self.trades.contains(venue, symbol, trade)
    }

    /// A fill of `venue` read back from a journal was booked before: its trade id is known. Returns `false` when
    /// the journal held that trade already (booking it again would count it twice).
    pub(crate) fn restore_fill(&mut self, venue: VenueId, fill: &Fill) -> bool {
        fill.trade_id.is_none_or(|trade| self.trades.insert(venue, fill.symbol, trade))
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
    ///
    /// # Errors
    /// [`Error::Data`] when the record's id is not the next one: orders are looked up by id, so a journal missing
    /// one cannot be resumed from.
    pub(crate) fn restore(&mut self, mut record: OrderRecord) -> Result<()> {
        let (id, expected) = (record.report.request.client_order_id, self.next_id());
        if id != expected {
            return Err(Error::Data(format!("the journal holds order {id} where order {expected} should be")));
        }
        if record.state == OrderState::Journaled {
            record.state = OrderState::Sent;
        }
        self.records.push(record);
        Ok(())
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

    /// The venue reported order `id`, which it had not acknowledged (its request went unanswered, or it was restored
    /// from a journal as sent): it knows the order, so the order is acknowledged — also as what a pending cancel
    /// returns it to.
    pub(crate) fn acknowledged(&mut self, id: OrderId) {
        let Some(record) = self.record_mut(id) else { return };
        match record.state {
            OrderState::Sent => record.state = OrderState::Acknowledged,
            OrderState::CancelRequested => {
                for (_, before) in self.cancel_from.iter_mut().filter(|(order, _)| *order == id) {
                    if *before == OrderState::Sent {
                        *before = OrderState::Acknowledged;
                    }
                }
            }
            _ => {}
        }
    }

    /// The state order `id` had before the cancel now on its way was requested (`None` when none is, or when it
    /// was requested before a resume).
    pub fn state_before_cancel(&self, id: OrderId) -> Option<OrderState> {
        self.cancel_from.iter().find(|(order, _)| *order == id).map(|(_, state)| *state)
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
        // A second request (the kill switch after a strategy's cancel) keeps what the order was before the first.
        if before != OrderState::CancelRequested {
            self.cancel_from.retain(|(order, _)| *order != id);
            self.cancel_from.push((id, before));
        }
        Ok(())
    }

    /// The venue refused to cancel order `id`: unless something ended it meanwhile, it works on as before, and the
    /// journal (when the run keeps one) says so again.
    ///
    /// # Errors
    /// The journal's failure.
    pub(crate) fn cancel_refused(&mut self, id: OrderId, journal: Option<&mut JournalHooks>) -> Result<()> {
        let before = self.cancel_from.iter().find(|(order, _)| *order == id).map(|(_, state)| *state);
        self.forget_cancel(id);
        let Some(record) = self.record_mut(id) else { return Ok(()) };
        if record.state != OrderState::CancelRequested {
            return Ok(());
        }
        record.state = match before {
            Some(state) if record.report.filled_quantity.is_zero() => state,
            _ => working_state(record.report.filled_quantity),
        };
        self.journal(id, journal)
    }

    /// Whether a fill that leaves order `id` in `status` may be booked: the order is this run's and at its venue.
    pub fn may_fill(&self, id: OrderId, status: OrderStatus) -> bool {
        self.get(id).is_some_and(|record| record.state.can_become(fill_state(record.state, status)))
    }

    /// Books `fill` of order `id`, which leaves the order in `status`: filled quantity, average price, fee.
    /// Returns `false` (and changes nothing) for an order that is not at a venue and for a trade booked before.
    pub(crate) fn fill(&mut self, id: OrderId, fill: &Fill, status: OrderStatus) -> bool {
        let Some(record) = self.record_mut(id) else { return false };
        let (venue, next) = (record.venue, fill_state(record.state, status));
        if !allowed(id, record.state, next) {
            return false;
        }
        if let Some(trade) = fill.trade_id
            && !self.trades.insert(venue, fill.symbol, trade)
        {
            return false;
        }
        let Some(record) = self.record_mut(id) else { return false };
        let report = &mut record.report;
        let filled = report.filled_quantity + fill.quantity;
        report.average_price = Some(match report.average_price {
            None => fill.price,
            Some(average) => (average * report.filled_quantity + fill.notional()) / filled,
        });
        report.filled_quantity = filled;
        report.fee += fill.fee;
        report.status = status;
        let from = std::mem::replace(&mut record.state, next);
        if from == OrderState::CancelRequested && next.is_final() {
            self.forget_cancel(id);
        }
        true
    }

    /// Order `id` ended with `status` (canceled, rejected, expired) for `reason`. Returns `false` (and changes
    /// nothing) when it had ended already: the first end stands.
    pub(crate) fn end(&mut self, id: OrderId, status: OrderStatus, reason: String) -> bool {
        let Some(record) = self.record_mut(id) else { return false };
        if record.state.is_final() || !allowed(id, record.state, OrderState::of_status(status)) {
            return false;
        }
        let from = std::mem::replace(&mut record.state, OrderState::of_status(status));
        record.report.status = status;
        record.report.reason = Some(reason);
        if from == OrderState::CancelRequested {
            self.forget_cancel(id);
        }
        true
    }

    /// Order `id`'s cancel is no longer on its way (the order ended).
    fn forget_cancel(&mut self, id: OrderId) {
        self.cancel_from.retain(|(order, _)| *order != id);
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

#[cfg(test)]
mod tests {
    use rust_decimal::dec;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::model::{Liquidity, OrderQty, Side};

    fn btc() -> Symbol {
        Symbol::new("BTCUSDT").expect("symbol")
    }

    /// An order of 2 at 100, sent and acknowledged.
    fn working() -> (Orders, OrderId) {
        let (mut orders, id) = sent();
        let request = orders.get(id).expect("order").report.request;
        orders.accepted(id, request);
        (orders, id)
    }

    /// An order of 2 at 100, sent, with no answer yet.
    fn sent() -> (Orders, OrderId) {
        let mut orders = Orders::default();
        let request = OrderRequest::new(orders.next_id(), btc(), Side::Buy, OrderQty::Base(dec!(2)), Some(dec!(100)));
        let id = orders.create(VenueId(0), Timestamp(1), request);
        orders.risk_checked(id, request);
        orders.journal_before_send(id, None).expect("no journal");
        orders.sent(id);
        (orders, id)
    }

    fn fill(id: OrderId, quantity: Decimal, price: Decimal) -> Fill {
        let (symbol, side, liquidity) = (btc(), Side::Buy, Liquidity::Maker);
        Fill {
            order_id: id,
            time: Timestamp(2),
            symbol,
            side,
            quantity,
            price,
            fee: dec!(0.1),
            liquidity,
            trade_id: None,
        }
    }

    #[test]
    fn a_trade_reported_twice_is_booked_once_and_a_restored_trade_not_again() {
        let (mut orders, id) = working();
        let first = Fill { trade_id: Some(TradeId::number(7)), ..fill(id, dec!(1), dec!(100)) };
        assert!(orders.fill(id, &first, OrderStatus::PartiallyFilled));
        assert!(!orders.fill(id, &first, OrderStatus::PartiallyFilled), "the same trade id again");
        assert_eq!(orders.get(id).map(|r| r.report.filled_quantity), Some(dec!(1)));
        // The same id at another venue, or of another symbol, is another trade.
        assert!(orders.has_trade(VenueId(0), btc(), TradeId::number(7)));
        assert!(!orders.has_trade(VenueId(1), btc(), TradeId::number(7)));
        assert!(!orders.has_trade(VenueId(0), Symbol::new("ETHUSDT").expect("symbol"), TradeId::number(7)));
        let restored = Fill { trade_id: Some(TradeId::number(8)), ..fill(id, dec!(1), dec!(100)) };
        assert!(orders.restore_fill(VenueId(0), &restored));
        assert!(!orders.restore_fill(VenueId(0), &restored), "a journal holding one trade twice");
        assert!(!orders.fill(id, &restored, OrderStatus::Filled), "a trade the journal held");
        let second = Fill { trade_id: Some(TradeId::number(9)), ..fill(id, dec!(1), dec!(102)) };
        assert!(orders.fill(id, &second, OrderStatus::Filled));
        assert_eq!(
            orders.get(id).map(|r| (r.report.filled_quantity, r.report.average_price)),
            Some((dec!(2), Some(dec!(101))))
        );
    }

    /// Journal hooks that keep the state of every order record they are given.
    fn recording() -> (JournalHooks, Arc<Mutex<Vec<OrderState>>>) {
        let seen: Arc<Mutex<Vec<OrderState>>> = Arc::default();
        let kept = Arc::clone(&seen);
        let hooks = JournalHooks {
            orders: Box::new(move |record| {
                kept.lock().map_err(|_| Error::Journal("poisoned".into()))?.push(record.state);
                Ok(())
            }),
            fills: Box::new(|_, _| Ok(())),
        };
        (hooks, seen)
    }

    #[test]
    fn fills_add_up_to_the_average_price_and_the_fee_and_the_last_one_fills_the_order() {
        let (mut orders, id) = working();
        assert!(orders.fill(id, &fill(id, dec!(1), dec!(100)), OrderStatus::PartiallyFilled));
        assert!(orders.fill(id, &fill(id, dec!(1), dec!(102)), OrderStatus::Filled));
        let record = orders.get(id).expect("order");
        assert_eq!((record.state, record.report.filled_quantity), (OrderState::Filled, dec!(2)));
        assert_eq!((record.report.average_price, record.report.fee), (Some(dec!(101)), dec!(0.2)));
        assert!(!orders.may_fill(id, OrderStatus::Filled), "an order that filled takes no more fills");
        assert!(!orders.may_fill(OrderId(9), OrderStatus::Filled), "nor does an order of no run");
    }

    #[test]
    fn a_venue_may_refuse_the_rest_of_a_partly_filled_order_and_its_fills_stay() {
        let (mut orders, id) = working();
        orders.fill(id, &fill(id, dec!(1), dec!(100)), OrderStatus::PartiallyFilled);
        assert!(orders.end(id, OrderStatus::Rejected, "insufficient balance for the rest".into()));
        let record = orders.get(id).expect("order");
        assert_eq!((record.state, record.report.filled_quantity), (OrderState::Rejected, dec!(1)));
        assert!(!orders.end(id, OrderStatus::Canceled, "later".into()), "the first end stands");
    }

    #[test]
    fn a_refused_cancel_returns_an_order_its_venue_never_acknowledged_to_sent_and_an_acknowledged_one_to_working() {
        let (mut orders, unanswered) = sent();
        orders.request_cancel(unanswered, None).expect("requested");
        orders.cancel_refused(unanswered, None).expect("no journal");
        assert_eq!(orders.get(unanswered).map(|r| r.state), Some(OrderState::Sent), "still unacknowledged");
        let (mut orders, acknowledged) = working();
        orders.request_cancel(acknowledged, None).expect("requested");
        orders.cancel_refused(acknowledged, None).expect("no journal");
        assert_eq!(orders.get(acknowledged).map(|r| r.state), Some(OrderState::Acknowledged));
        // A second request keeps what the order was before the first; a report of the venue acknowledges an order
        // whose cancel is on its way, and a refusal then returns it to acknowledged.
        let (mut orders, id) = sent();
        orders.request_cancel(id, None).expect("requested");
        orders.request_cancel(id, None).expect("requested again");
        assert_eq!(orders.state_before_cancel(id), Some(OrderState::Sent));
        orders.acknowledged(id);
        assert_eq!(orders.state_before_cancel(id), Some(OrderState::Acknowledged));
        orders.cancel_refused(id, None).expect("no journal");
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::Acknowledged));
        // A cancel that ended the order leaves nothing behind to restore.
        let (mut orders, acknowledged) = working();
        orders.request_cancel(acknowledged, None).expect("requested");
        assert!(orders.end(acknowledged, OrderStatus::Canceled, "canceled".into()));
        assert!(orders.cancel_from.is_empty());
    }

    #[test]
    fn a_cancel_is_journaled_before_it_leaves_and_a_refused_one_is_journaled_back() {
        let (mut orders, id) = working();
        let (mut hooks, seen) = recording();
        orders.request_cancel(id, Some(&mut hooks)).expect("requested");
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::CancelRequested));
        // A fill before the answer: the rest stays requested.
        orders.fill(id, &fill(id, dec!(1), dec!(100)), OrderStatus::PartiallyFilled);
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::CancelRequested));
        orders.cancel_refused(id, Some(&mut hooks)).expect("journaled");
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::PartiallyFilled));
        let journaled = seen.lock().expect("journal").clone();
        assert_eq!(journaled, [OrderState::CancelRequested, OrderState::PartiallyFilled]);
    }

    #[test]
    fn a_cancel_the_journal_cannot_record_leaves_the_order_as_it_was() {
        let (mut orders, id) = working();
        let mut failing = JournalHooks {
            orders: Box::new(|_| Err(Error::Journal("disk full".into()))),
            fills: Box::new(|_, _| Ok(())),
        };
        assert!(matches!(orders.request_cancel(id, Some(&mut failing)), Err(Error::Journal(_))));
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::Acknowledged));
    }

    #[test]
    fn an_ended_order_has_nothing_to_cancel() {
        let (mut orders, id) = working();
        orders.end(id, OrderStatus::Canceled, "by its partner".into());
        assert!(matches!(orders.request_cancel(id, None), Err(Error::Order(m)) if m.contains("is canceled")));
    }

    #[test]
    fn a_restored_order_journaled_but_not_answered_counts_as_sent_and_ids_must_follow_one_another() {
        let (sent, id) = working();
        let mut record = sent.get(id).cloned().expect("order");
        record.state = OrderState::Journaled;
        let mut orders = Orders::default();
        orders.restore(record.clone()).expect("first");
        assert_eq!(orders.get(id).map(|r| r.state), Some(OrderState::Sent));
        let gap = orders.restore(OrderRecord {
            report: OrderReport::new(OrderRequest { client_order_id: OrderId(5), ..record.report.request }),
            ..record
        });
        assert!(matches!(gap, Err(Error::Data(m)) if m.contains("order 5 where order 2 should be")));
    }
}

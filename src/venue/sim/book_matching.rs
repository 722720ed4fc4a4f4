//! Matching on a level-2 venue: orders meet a book rebuilt from the venue's snapshot and diff stream
//! ([`BinanceBookSync`]) and its trade prints, all in the exact fixed-point units of [`L2Row`].
//!
//! Rules, in the order a message is handled:
//! - **Latency.** An order or a cancel sent after a message of venue time `t` reaches the book at `t + latency`
//!   (the whole round trip: recorded local clocks are not the venue's) and is handled before the first message
//!   whose venue time is at or after that: it sees the market of that moment. A cancel that arrives after its order
//!   filled finds nothing to cancel.
//! - **Taking.** A market order, and the marketable part of a limit order, walk the other side of the book from its
//!   best level: each level fills what it shows (one fill per level, at the level's price), up to the limit. The
//!   replayed book is not depleted by our fills (the market's own messages say what it held; our impact is not
//!   modelled). A market order the book cannot fill completely expires with what it got; IOC expires its rest; FOK
//!   fills completely or expires untouched; post-only is rejected when it would take.
//! - **Resting.** A limit that rests joins the back of its level: its queue ahead is the quantity the book shows at
//!   its price when it arrives. A trade print at its price first consumes the queue ahead, then fills the order
//!   (`QueueModel::Print` fills on the print instead, ignoring the queue); a print through its price fills it up to
//!   the print's quantity, at the order's own price (maker). A level that shrinks by more than the trades seen at it
//!   lost the difference to cancels, assumed spread evenly over the queue (pro rata): the part ahead of the order
//!   shrinks by the same fraction. The queue ahead never exceeds what the level shows. When the other side of the
//!   book moves to the order's price or through it, the orders that came there would have met it first: it fills
//!   (maker, at its price) up to what that side shows within its limit.
//! - **Without a book** (trades only, or before the first snapshot), a resting limit has no queue ahead and fills
//!   on prints, and a market order fills on the next print, up to its quantity, at the print's price.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::market::{BinanceBookSync, BookSide, L2Book};
use crate::model::l2::from_fixed;
use crate::model::{L2Row, Liquidity, OrderId, OrderStatus, RowKind, Side, TimeInForce, Timestamp};

/// What a resting limit waits for at its own price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueModel {
    /// Behind the quantity the book showed at its price when it arrived (default; needs book data).
    #[default]
    Queue,
    /// Nothing: any print at its price fills it (optimistic; what trade-only data allows).
    Print,
}

/// Time from sending an order or a cancel to its arrival at the book, in nanoseconds: constant when `min_ns` =
/// `max_ns`, otherwise drawn uniformly from `[min_ns, max_ns]` by a generator seeded with `seed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    /// Shortest latency.
    pub min_ns: i64,
    /// Longest latency.
    pub max_ns: i64,
    /// Seed of the draws.
    pub seed: u64,
}

/// Draws latencies of a [`Latency`] setting, in a reproducible sequence.
pub(super) struct LatencyDraws {
    latency: Latency,
    rng: ChaCha8Rng,
}

impl LatencyDraws {
    pub(super) fn new(latency: Latency) -> Self {
        LatencyDraws { latency, rng: ChaCha8Rng::seed_from_u64(latency.seed) }
    }

    /// The next latency.
    pub(super) fn next(&mut self) -> i64 {
        let Latency { min_ns, max_ns, .. } = self.latency;
        if max_ns <= min_ns { min_ns } else { self.rng.random_range(min_ns..=max_ns) }
    }
}

/// An order as the book sees it: fixed-point price and quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BookOrder {
    pub(super) id: OrderId,
    pub(super) side: Side,
    /// Limit price; `None` for a market order.
    pub(super) limit: Option<i64>,
    /// Base quantity not yet filled.
    pub(super) quantity: i64,
    pub(super) time_in_force: TimeInForce,
}

/// What the book did to an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// `quantity` of order `id` filled at `price`.
    Fill { id: OrderId, price: i64, quantity: i64, liquidity: Liquidity, time: Timestamp },
    /// Order `id` ended without (further) fills.
    End { id: OrderId, status: OrderStatus, reason: String, time: Timestamp },
}

/// Counts of a book venue's matching, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookFillStats {
    /// Fills of resting orders.
    pub maker_fills: u64,
    /// Fills of orders that took liquidity (one per book level walked).
    pub taker_fills: u64,
    /// For each resting order that filled: nanoseconds from its arrival at the book to its first fill.
    pub queue_waits_ns: Vec<i64>,
    /// Σ |fill price − best price on arrival| × quantity over taking fills, in units of 10⁻¹⁶ of the quote asset.
    pub slippage_units: i128,
    /// Cancels that reached a resting order.
    pub cancels: u64,
}

impl BookFillStats {
    /// The counts of two venues (or markets) together; queue waits of `self` first.
    pub fn merged(mut self, other: BookFillStats) -> BookFillStats {
        self.maker_fills += other.maker_fills;
        self.taker_fills += other.taker_fills;
        self.queue_waits_ns.extend(other.queue_waits_ns);
        self.slippage_units += other.slippage_units;
        self.cancels += other.cancels;
        self
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Place(BookOrder),
    Cancel(OrderId),
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    arrival: Timestamp,
    action: Action,
}

#[derive(Clone, Copy, Debug)]
struct Resting {
    order: BookOrder,
    /// Quantity ahead of the order at its level.
    ahead: i64,
    /// Quantity traded at the order's level since the level last changed in the book.
    traded_here: i64,
    arrived: Timestamp,
    filled_before: bool,
}

impl Resting {
    fn book_side(&self) -> BookSide {
        if self.order.side == Side::Buy { BookSide::Bid } else { BookSide::Ask }
    }
}

/// The book of one instrument at a simulated venue, and the orders in it or on their way to it.
pub(super) struct BookMarket {
    sync: BinanceBookSync,
    queue_model: QueueModel,
    resting: Vec<Resting>,
    in_flight: Vec<InFlight>,
    level_before: Vec<i64>,
    outcomes: Vec<Outcome>,
    time: Timestamp,
    last_trade: Option<i64>,
    stats: BookFillStats,
}

impl BookMarket {
    /// An empty book matching by `queue_model`; `resync` drops the book at a sequence gap instead of failing.
    pub(super) fn new(queue_model: QueueModel, resync: bool) -> Self {
        BookMarket {
            sync: if resync { BinanceBookSync::resyncing() } else { BinanceBookSync::new() },
            queue_model,
            resting: Vec::new(),
            in_flight: Vec::new(),
            level_before: Vec::new(),
            outcomes: Vec::new(),
            time: Timestamp(0),
            last_trade: None,
            stats: BookFillStats::default(),
        }
    }

    /// The book as synced so far.
    pub(super) fn book(&self) -> &L2Book {
        self.sync.book()
    }

    /// Venue time of the latest message.
    pub(super) fn time(&self) -> Timestamp {
        self.time
    }

    /// Price of the latest trade print.
    pub(super) fn last_trade(&self) -> Option<i64> {
        self.last_trade
    }

    pub(super) fn stats(&self) -> &BookFillStats {
        &self.stats
    }

    /// Whether anything is resting or on its way (the message loop skips the order work otherwise).
    fn has_orders(&self) -> bool {
        !self.resting.is_empty() || !self.in_flight.is_empty()
    }

    /// `order` sent now reaches the book at `arrival`.
    pub(super) fn send(&mut self, order: BookOrder, arrival: Timestamp) {
        self.in_flight.push(InFlight { arrival, action: Action::Place(order) });
    }

    /// A cancel of `id` sent now reaches the book at `arrival`.
    pub(super) fn send_cancel(&mut self, id: OrderId, arrival: Timestamp) {
        self.in_flight.push(InFlight { arrival, action: Action::Cancel(id) });
    }

    /// Forgets order `id` (the venue ended it: a fill it could not settle).
    pub(super) fn remove(&mut self, id: OrderId) {
        self.resting.retain(|r| r.order.id != id);
        self.in_flight.retain(|f| !matches!(f.action, Action::Place(o) if o.id == id));
    }

    /// Moves what happened since the last call into `out`.
    pub(super) fn take_outcomes(&mut self, out: &mut Vec<Outcome>) {
        out.append(&mut self.outcomes);
    }

    /// Handles the actions that arrived by `now` (at the venue's clock), against the book as it is.
    pub(super) fn arrive_until(&mut self, now: Timestamp) {
        while let Some(next) = self.next_arrival(now) {
            let InFlight { arrival, action } = self.in_flight.remove(next);
            match action {
                Action::Place(order) => self.place(order, arrival),
                Action::Cancel(id) => self.cancel(id, arrival),
            }
        }
    }

    /// Takes one message of the feed: actions that arrived before it, then the message itself.
    ///
    /// # Errors
    /// A sequence gap in the book, as [`BinanceBookSync::on_message`].
    #[inline]
    pub(super) fn on_message(&mut self, message: &[L2Row]) -> Result<()> {
        let Some(first) = message.first() else { return Ok(()) };
        self.time = first.exchange_time;
        if !self.has_orders() {
            if first.is_trade() {
                self.last_trade = message.last().map(|r| r.price);
            }
            return self.sync.on_message(message);
        }
        self.arrive_until(first.exchange_time);
        if first.is_trade() {
            for row in message {
                self.trade(row);
            }
            return self.sync.on_message(message);
        }
        self.level_before.clear();
        for r in &self.resting {
            self.level_before.push(self.sync.book().quantity_at(r.book_side(), r.order.limit.unwrap_or_default()));
        }
        self.sync.on_message(message)?;
        let book = self.sync.book();
        for (r, &before) in self.resting.iter_mut().zip(&self.level_before) {
            let now = book.quantity_at(r.book_side(), r.order.limit.unwrap_or_default());
            if now != before {
                r.ahead = queue_after_change(r.ahead, r.traded_here, before, now);
                r.traded_here = 0;
            }
        }
        self.fill_crossed(first.exchange_time);
        Ok(())
    }

    /// Resting limits the other side of the book now reaches (an ask at or below a resting bid, a bid at or above a
    /// resting ask): the orders that moved there would have traded with them first, at their price, so they fill
    /// as makers up to what that side shows within their limit; the queue ahead at their price is gone (the book
    /// cannot show a bid and an ask at one price).
    fn fill_crossed(&mut self, time: Timestamp) {
        let mut index = 0;
        while index < self.resting.len() {
            let r = &mut self.resting[index];
            let Some(limit) = r.order.limit else {
                index += 1;
                continue;
            };
            let (other, reaches): (BookSide, fn(i64, i64) -> bool) = match r.order.side {
                Side::Buy => (BookSide::Ask, |price, limit| price <= limit),
                Side::Sell => (BookSide::Bid, |price, limit| price >= limit),
            };
            let book = self.sync.book();
            let best = if other == BookSide::Ask { book.best_ask() } else { book.best_bid() };
            if best.is_none_or(|(price, _)| !reaches(price, limit)) {
                index += 1;
                continue;
            }
            let shown = depth_within(book, other, |price| reaches(price, limit));
            if shown == 0 {
                index += 1;
                continue;
            }
            let fill = shown.min(r.order.quantity);
            r.ahead = 0;
            if !self.fill_resting(index, fill, limit, time) {
                index += 1;
            }
        }
    }

    fn next_arrival(&self, now: Timestamp) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, f) in self.in_flight.iter().enumerate() {
            if f.arrival <= now && best.is_none_or(|b| f.arrival < self.in_flight[b].arrival) {
                best = Some(i);
            }
        }
        best
    }

    fn cancel(&mut self, id: OrderId, time: Timestamp) {
        let before = self.resting.len() + self.in_flight.len();
        self.remove(id);
        if self.resting.len() + self.in_flight.len() < before {
            self.stats.cancels += 1;
            self.outcomes.push(Outcome::End { id, status: OrderStatus::Canceled, reason: "canceled".into(), time });
        }
    }

    fn end(&mut self, id: OrderId, status: OrderStatus, reason: String, time: Timestamp) {
        self.outcomes.push(Outcome::End { id, status, reason, time });
    }

    /// An order reaches the book at `time`.
    fn place(&mut self, mut order: BookOrder, time: Timestamp) {
        let book = self.sync.book();
        let synced = self.sync.is_synced();
        let (other, own) = match order.side {
            Side::Buy => (BookSide::Ask, BookSide::Bid),
            Side::Sell => (BookSide::Bid, BookSide::Ask),
        };
        let best_other = book.levels(other).next();
        let reaches = |price: i64| match (order.side, order.limit) {
            (_, None) => true,
            (Side::Buy, Some(limit)) => price <= limit,
            (Side::Sell, Some(limit)) => price >= limit,
        };
        let marketable = best_other.is_some_and(|(price, _)| reaches(price));
        if order.time_in_force == TimeInForce::PostOnly && marketable {
            let price = from_fixed(best_other.map_or(0, |(p, _)| p));
            let reason = format!("post-only: the limit would take at the best {} {price}", side_word(other));
            return self.end(order.id, OrderStatus::Rejected, reason, time);
        }
        if order.time_in_force == TimeInForce::Fok {
            let available = depth_within(book, other, reaches);
            if available < order.quantity {
                let reason = format!("FOK: the book holds {} within the limit", from_fixed(available));
                return self.end(order.id, OrderStatus::Expired, reason, time);
            }
        }
        if marketable {
            let best = best_other.map_or(0, |(p, _)| p);
            for (price, shown) in book.levels(other) {
                if order.quantity == 0 || !reaches(price) {
                    break;
                }
                let quantity = shown.min(order.quantity);
                order.quantity -= quantity;
                self.stats.taker_fills += 1;
                let slippage = i128::from((price - best).abs()) * i128::from(quantity);
                self.stats.slippage_units = self.stats.slippage_units.saturating_add(slippage);
                self.outcomes.push(Outcome::Fill { id: order.id, price, quantity, liquidity: Liquidity::Taker, time });
            }
        }
        if order.quantity == 0 {
            return;
        }
        match (order.limit, order.time_in_force) {
            (None, _) if synced => {
                let reason = format!("the book's {} side ran out", side_word(other));
                self.end(order.id, OrderStatus::Expired, reason, time);
            }
            (Some(_), TimeInForce::Ioc) => {
                self.end(order.id, OrderStatus::Expired, "IOC: the rest expired".into(), time);
            }
            (limit, _) => {
                let ahead = limit.map_or(0, |price| book.quantity_at(own, price));
                let r = Resting { order, ahead, traded_here: 0, arrived: time, filled_before: false };
                self.resting.push(r);
            }
        }
    }

    /// A trade print meets the resting orders.
    fn trade(&mut self, row: &L2Row) {
        self.last_trade = Some(row.price);
        // A taker that sold hit the bids: resting buys at or above the print; a taker that bought, resting sells.
        let hit = if row.kind == RowKind::TradeSell { Side::Buy } else { Side::Sell };
        let mut index = 0;
        while index < self.resting.len() {
            let r = &mut self.resting[index];
            match print_fill(r, row, hit, self.queue_model) {
                Some(fill) => {
                    let price = r.order.limit.unwrap_or(row.price);
                    if !self.fill_resting(index, fill, price, row.exchange_time) {
                        index += 1;
                    }
                }
                None => index += 1,
            }
        }
    }

    /// `quantity` of the `index`-th resting order fills at `price` (maker for a limit; a market order waiting for
    /// a print takes). Returns whether the order is done (and gone from the book).
    fn fill_resting(&mut self, index: usize, quantity: i64, price: i64, time: Timestamp) -> bool {
        let r = &mut self.resting[index];
        let liquidity = if r.order.limit.is_some() { Liquidity::Maker } else { Liquidity::Taker };
        match liquidity {
            Liquidity::Maker if !r.filled_before => {
                self.stats.queue_waits_ns.push(time.0 - r.arrived.0);
                self.stats.maker_fills += 1;
            }
            Liquidity::Maker => self.stats.maker_fills += 1,
            Liquidity::Taker => self.stats.taker_fills += 1,
        }
        r.filled_before = true;
        r.order.quantity -= quantity;
        let (id, done) = (r.order.id, r.order.quantity == 0);
        self.outcomes.push(Outcome::Fill { id, price, quantity, liquidity, time });
        if done {
            self.resting.remove(index);
        }
        done
    }
}

/// How much of resting order `r` the print `row` fills (and the queue it consumes on the way), if any.
fn print_fill(r: &mut Resting, row: &L2Row, hit: Side, model: QueueModel) -> Option<i64> {
    let Some(limit) = r.order.limit else {
        // A market order waiting for a print (no book): any print fills it at the print's price.
        return Some(r.order.quantity.min(row.quantity));
    };
    if r.order.side != hit {
        return None;
    }
    let through = if hit == Side::Buy { row.price < limit } else { row.price > limit };
    if through || model == QueueModel::Print {
        return (through || row.price == limit).then(|| r.order.quantity.min(row.quantity));
    }
    if row.price != limit {
        return None;
    }
    r.traded_here = r.traded_here.saturating_add(row.quantity);
    let beyond = row.quantity - r.ahead;
    r.ahead = (r.ahead - row.quantity).max(0);
    (beyond > 0).then(|| r.order.quantity.min(beyond))
}

/// The queue ahead of an order after its level went from `before` to `now`, with `traded` printed there since the
/// level last changed (already taken off the queue): the rest of a decrease was cancels, spread pro rata over the
/// level, so the part ahead shrinks by the same fraction; and the queue ahead never exceeds the level.
fn queue_after_change(ahead: i64, traded: i64, before: i64, now: i64) -> i64 {
    let level = before - traded;
    let canceled = (before - now - traded).max(0);
    let after_cancels = if level > 0 && canceled > 0 {
        let kept = i128::from(ahead) * i128::from(level - canceled.min(level)) / i128::from(level);
        i64::try_from(kept).unwrap_or(ahead)
    } else {
        ahead
    };
    after_cancels.min(now).max(0)
}

/// The quantity `side` of `book` shows at the prices `within` accepts, best first. Saturates at `i64::MAX` (more
/// than any order can take): a crafted book's levels may together exceed what 64 bits hold.
fn depth_within(book: &L2Book, side: BookSide, within: impl Fn(i64) -> bool) -> i64 {
    book.levels(side).take_while(|(price, _)| within(*price)).fold(0, |sum, (_, quantity)| sum.saturating_add(quantity))
}

fn side_word(side: BookSide) -> &'static str {
    match side {
        BookSide::Bid => "bid",
        BookSide::Ask => "ask",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_shrink_the_queue_ahead_pro_rata_and_trades_are_not_counted_twice() {
        // Level of 10 with 4 ahead: 5 cancel (no trades) → the 4 ahead keep half: 2.
        assert_eq!(queue_after_change(4, 0, 10, 5), 2);
        // 3 traded (already off the queue: 4 → 1), then the level shows 10 → 7: no cancels.
        assert_eq!(queue_after_change(1, 3, 10, 7), 1);
        // The level grows: new orders join behind; the queue ahead stays.
        assert_eq!(queue_after_change(4, 0, 10, 15), 4);
        // The level empties: nothing can be ahead.
        assert_eq!(queue_after_change(4, 0, 10, 0), 0);
    }

    #[test]
    fn a_constant_latency_draws_nothing_and_a_range_repeats_with_its_seed() {
        let mut constant = LatencyDraws::new(Latency { min_ns: 5, max_ns: 5, seed: 1 });
        assert_eq!((constant.next(), constant.next()), (5, 5));
        let range = Latency { min_ns: 1_000, max_ns: 9_000, seed: 7 };
        let (mut a, mut b) = (LatencyDraws::new(range), LatencyDraws::new(range));
        let draws: Vec<i64> = (0..50).map(|_| a.next()).collect();
        assert_eq!(draws, (0..50).map(|_| b.next()).collect::<Vec<_>>());
        assert!(draws.iter().all(|d| (1_000..=9_000).contains(d)));
        assert!(draws.iter().any(|d| *d != draws[0]));
    }
}

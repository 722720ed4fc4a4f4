//! The simulated venue on level-2 data: an instrument whose book messages the venue sees matches its orders in a
//! [`BookMarket`] (see `book_matching` for the rules) instead of against bars; what the book does to an order is
//! settled here into the account and reported as executions, like bar fills.

use super::book_matching::{BookFillStats, BookMarket, BookOrder, Outcome};
use super::rules::{self, FillAt};
use super::{SimulatedExchange, fee_rate, record_volume};
use crate::error::{Error, Result};
use crate::market::L2Book;
use crate::model::l2::{from_fixed, to_fixed};
use crate::model::{
    ExecutionEvent, L2Row, OrderId, OrderQty, OrderReport, OrderRequest, OrderType, Symbol, Ticker, Timestamp,
};

/// The best bid and ask of a book, as (price, quantity) in units of 10⁻⁸.
pub type BookTop = (Option<(i64, i64)>, Option<(i64, i64)>);

impl SimulatedExchange {
    /// Takes one message of `symbol`'s level-2 feed (a snapshot, a depth diff or trades; see
    /// [`crate::market::messages`]): orders and cancels that reached the book by then are handled, then the message
    /// moves the book and meets the resting orders. True when executions are waiting.
    ///
    /// # Errors
    /// [`Error::Order`] for a symbol the venue does not list; [`Error::Data`] for a sequence gap in the book.
    #[inline]
    pub fn book_message(&mut self, symbol: Symbol, message: &[L2Row]) -> Result<bool> {
        let market = self.market_index(symbol)?;
        if let Some(first) = message.first() {
            self.seen_until = self.seen_until.max(first.received);
        }
        let (queue_model, resync) = (self.config.queue_model, self.config.resync_books);
        let book = self.markets[market].book.get_or_insert_with(|| Box::new(BookMarket::new(queue_model, resync)));
        book.on_message(message)?;
        book.take_outcomes(&mut self.book_outcomes);
        if !self.book_outcomes.is_empty() {
            self.settle_book_outcomes(market);
        }
        Ok(!self.executions.is_empty())
    }

    /// The best bid and ask of `symbol`'s book; `None` when the venue has no book for it.
    pub fn book_top(&self, symbol: Symbol) -> Option<BookTop> {
        self.book(symbol).map(|book| (book.best_bid(), book.best_ask()))
    }

    /// The level-2 book of `symbol` as the venue keeps it; `None` before its first book data.
    pub fn book(&self, symbol: Symbol) -> Option<&L2Book> {
        Some(self.markets.iter().find(|m| m.instrument.symbol == symbol)?.book.as_ref()?.book())
    }

    /// The matching counts of every level-2 market of the venue (queue waits in the order the fills happened,
    /// market by market); `None` when the venue saw no book data.
    pub fn book_stats(&self) -> Option<BookFillStats> {
        self.markets.iter().filter_map(|m| m.book.as_ref()).map(|b| b.stats().clone()).reduce(BookFillStats::merged)
    }

    /// Bid, ask and last trade of a level-2 market.
    pub(super) fn book_ticker(&self, symbol: Symbol, book: &BookMarket) -> Result<Ticker> {
        let (bid, ask) = (book.book().best_bid(), book.book().best_ask());
        let (Some((bid, _)), Some((ask, _))) = (bid, ask) else {
            return Err(Error::Exchange(format!("venue '{}' has no book for {symbol} yet", self.name)));
        };
        let last = book.last_trade().unwrap_or(bid);
        Ok(Ticker { symbol, bid: from_fixed(bid), ask: from_fixed(ask), last: from_fixed(last), time: book.time() })
    }

    /// An order accepted by the venue's filters goes on its way to the book of `market`, arriving after the
    /// venue's latency, counted from the venue time of the latest message (the one the sender acted on). Recorded
    /// local clocks are not synchronised with the venue's (the shipped BTCUSDT capture's runs 1.27 s behind), so
    /// the latency is the whole round trip: market data to the sender, and its order back to the book.
    pub(super) fn submit_to_book(&mut self, market: usize, order: OrderRequest) -> Result<OrderReport> {
        let refuse = |why: &str| {
            Err(Error::Order(format!("{} {} {}: {why}", order.side, order.symbol, order.order_type.as_str())))
        };
        if !matches!(order.order_type, OrderType::Market | OrderType::Limit) {
            return refuse("a level-2 venue takes market and limit orders (stop orders trigger on bars)");
        }
        let OrderQty::Base(quantity) = order.quantity else {
            return refuse("size orders in the base asset on a level-2 venue");
        };
        let limit = match order.price.map(to_fixed) {
            Some(None) => return refuse("the price has more than 8 decimals"),
            Some(Some(price)) => Some(price),
            None => None,
        };
        let Some(quantity) = to_fixed(quantity) else { return refuse("the quantity has more than 8 decimals") };
        let book = self.markets[market].book.as_mut().ok_or_else(|| Error::Exchange("no book".into()))?;
        let arrival = Timestamp(book.time().0 + self.latency.next());
        let (id, side, time_in_force) = (order.client_order_id, order.side, order.time_in_force);
        book.send(BookOrder { id, side, limit, quantity, time_in_force }, arrival);
        let report = OrderReport::new(order);
        self.orders.insert(report.clone());
        Ok(report)
    }

    /// A cancel of a working order goes on its way to the book; the order stays working until it arrives (and
    /// may fill meanwhile). The answer is the order as it stands.
    pub(super) fn cancel_on_book(&mut self, market: usize, order_id: OrderId, known: OrderReport) -> OrderReport {
        if let Some(book) = self.markets[market].book.as_mut() {
            let arrival = Timestamp(book.time().0 + self.latency.next());
            book.send_cancel(order_id, arrival);
        }
        known
    }

    /// Books what the level-2 book of `market` did to orders: fills into the account (a fill the account can no
    /// longer pay for rejects the rest of its order), ends into the order store.
    fn settle_book_outcomes(&mut self, market: usize) {
        let mut outcomes = std::mem::take(&mut self.book_outcomes);
        for outcome in outcomes.drain(..) {
            let (id, ended) = match outcome {
                Outcome::Fill { id, price, quantity, liquidity, time } => {
                    let Some(report) = self.orders.open_mut(id) else { continue };
                    let rate = fee_rate(&self.config, &mut self.tiered, liquidity, time);
                    let at = FillAt { price: from_fixed(price), part: Some(from_fixed(quantity)), liquidity, time };
                    let event = rules::fill(&self.markets[market], &mut self.account, rate, report, at);
                    record_volume(&mut self.tiered, &event);
                    let status = report.status;
                    self.executions.push(event);
                    (id, status.is_final().then_some(status))
                }
                Outcome::End { id, status, reason, time } => {
                    let Some(report) = self.orders.open_mut(id) else { continue };
                    report.status = status;
                    report.reason = Some(reason.clone());
                    self.executions.push(ExecutionEvent::Ended { order_id: id, time, status, reason });
                    (id, Some(status))
                }
            };
            if ended.is_some() {
                self.orders.finish(id);
                // The venue may end an order the book still holds (a fill it could not settle, a reduce-only cut).
                if let Some(book) = self.markets[market].book.as_mut() {
                    book.remove(id);
                }
            }
        }
        self.book_outcomes = outcomes;
    }
}

//! Orders at a venue that lists their trades (Binance): each trade booked once, by its trade id, with its commission
//! as charged. A venue's status can count a trade before the venue lists it; such an order waits for the next
//! question (at the end of a session, the kill switch reports it, and a resumed session books its trades).

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::model::{ExecutionEvent, OrderReport, OrderStatus, VenueId};

impl TradingEngine {
    /// Books what a network venue's `report` of one of the engine's orders says beyond what the engine holds. When
    /// the venue lists the order's trades and reports more executed than the trades booked so far, each trade not
    /// booked yet is booked with its commission, and the order ends as the venue says once its trades cover all it
    /// executed. Fills booked without a trade id (from a journal of before, or an answer that gave none) stand for
    /// the venue's oldest trades. A venue that lists no trades goes through [`TradingEngine::book_report`].
    ///
    /// A failure to list the trades is logged, not returned: the order is asked about again.
    pub(super) async fn book_venue_report(&mut self, venue: VenueId, report: &OrderReport, reason: &str) {
        let (id, symbol) = (report.request.client_order_id, report.request.symbol);
        if self.log.order(id).is_none_or(|record| record.state.is_final()) {
            self.pending_trades.remove(&id);
            return;
        }
        if report.filled_quantity <= self.covered.get(&id).copied().unwrap_or_default() {
            self.book_end(venue, report, reason);
            return;
        }
        let listed = match self.router.order_trades(venue, symbol, id).await {
            Ok(Some(listed)) => listed,
            Ok(None) => return self.book_report(venue, report, reason),
            Err(failure) => {
                tracing::warn!(order = %id, %failure, "the order's trades could not be listed; asked again later");
                if report.status.is_final() {
                    self.pending_trades.insert(id, (venue, report.clone()));
                }
                return;
            }
        };
        let complete = listed.executed >= report.filled_quantity;
        let mut untracked: Decimal = self
            .log
            .fills
            .iter()
            .filter(|f| f.fill.order_id == id && f.fill.trade_id.is_none())
            .map(|f| f.fill.quantity)
            .sum();
        let mut fresh = Vec::new();
        for trade in listed.trades {
            if trade.fill.trade_id.is_some_and(|t| self.log.orders.has_trade(venue, symbol, t)) {
                continue;
            }
            // Booked already, without its id: as the quantity the account received, or as the venue executed
            // (whichever is smaller stands for the trade).
            let least = trade.executed.min(trade.fill.quantity);
            if untracked > Decimal::ZERO && untracked >= least {
                untracked -= least;
                continue;
            }
            fresh.push(trade.fill);
        }
        let last = fresh.len();
        for (index, fill) in fresh.into_iter().enumerate() {
            let order_status = if complete && index + 1 == last { report.status } else { OrderStatus::PartiallyFilled };
            self.apply_execution(venue, ExecutionEvent::Fill { fill, order_status });
        }
        if self.log.order(id).is_some_and(|record| !record.state.is_final()) {
            // An order its trades ended keeps nothing here.
            self.covered.insert(id, listed.executed);
        }
        if complete {
            self.pending_trades.remove(&id);
            if last == 0 {
                self.book_end(venue, report, reason);
            }
        } else if report.status.is_final() {
            self.pending_trades.insert(id, (venue, report.clone()));
        }
    }

    /// Whether orders the venue ended still wait for trades it has not listed.
    pub(super) fn trades_pending(&self) -> bool {
        !self.pending_trades.is_empty()
    }

    /// The first order the venue ended whose trades it has not all listed, if any.
    pub(super) fn pending_trade_order(&self) -> Option<crate::model::OrderId> {
        self.pending_trades.keys().next().copied()
    }

    /// A venue's `report` of one of the engine's orders shows nothing executed beyond what is booked: when the venue
    /// ended the order, its end (for `reason` unless the venue gave one).
    pub(super) fn book_end(&mut self, venue: VenueId, report: &OrderReport, reason: &str) {
        if report.status.is_final() {
            let reason = report.reason.clone().unwrap_or_else(|| reason.to_string());
            let (order_id, time, status) = (report.request.client_order_id, self.clock.now(), report.status);
            self.apply_execution(venue, ExecutionEvent::Ended { order_id, time, status, reason });
            self.covered.remove(&order_id);
        }
    }
}

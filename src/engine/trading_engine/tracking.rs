//! Orders working at network venues, followed by asking: a live venue's answer to a new order carries only the
//! fills that happened at once, so the engine asks for the status of each order still working and books what
//! changed — fills and ends. A venue that lists an order's trades (Binance) has each trade booked once, by its
//! trade id, with its commission as charged; for the others, the increment since the last answer, at the price
//! that makes the venue's average right. And the kill switch: cancel every order still working.

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::error::{Error, Result};
use crate::execution::OrderState;
use crate::model::{
    ExecutionEvent, Fill, Liquidity, NANOS_PER_SECOND, OrderId, OrderReport, OrderStatus, OrderType, Symbol, VenueId,
};
use std::time::Duration;

/// How long a venue may take to list an order it acknowledged: within it, the venue's word that it does not know the
/// order is not taken as the order's end.
const LISTING_GRACE: i64 = 60 * NANOS_PER_SECOND;

/// Whether a venue's refusal says that it does not know the order at all (Binance -2013, Coinbase's 404, Kraken's
/// unknown order), as opposed to any other refusal of the status request.
fn names_an_unknown_order(reason: &str) -> bool {
    ["-2013", "HTTP 404", "Unknown order", "no order with cl_ord_id"].iter().any(|mark| reason.contains(mark))
}

impl TradingEngine {
    /// Asks the network venues for every order still working there and books what they report. An order the venue
    /// says it does not know, with nothing filled, ends as rejected when the venue never acknowledged it (it never
    /// reached the venue); one it acknowledged stays working and is asked about again, and ends as canceled only
    /// when the venue still does not know it [`LISTING_GRACE`] after it first said so (a venue may not list an order
    /// the instant it takes it, or for a moment while it moves it to its closed orders, and guessing its end would
    /// leave it working there untracked or lose its fills; Coinbase, for one, forgets canceled orders that never
    /// filled).
    ///
    /// # Errors
    /// Venue failures other than an unknown order.
    pub async fn track_orders(&mut self) -> Result<()> {
        self.collect_venue_reports()?;
        let working: Vec<(VenueId, OrderReport, OrderState)> = self
            .log
            .orders
            .iter()
            .filter(|o| o.state.is_at_venue() && !self.router.answers_at_once(o.venue))
            .map(|o| (o.venue, o.report.clone(), o.state))
            .collect();
        self.unlisted_since.retain(|(id, _)| working.iter().any(|(_, known, _)| known.request.client_order_id == *id));
        for (venue, known, state) in working {
            let request = known.request;
            let order_id = request.client_order_id;
            match self.router.order_status(venue, request.symbol, order_id).await {
                Ok(report) => {
                    self.log.orders.acknowledged(order_id);
                    self.unlisted_since.retain(|(id, _)| *id != order_id);
                    let reason = format!("the venue reports {}", report.status.as_str());
                    self.book_venue_report(venue, &report, &reason).await;
                }
                Err(Error::Order(reason)) if names_an_unknown_order(&reason) && known.filled_quantity.is_zero() => {
                    match self.unknown_order_end(order_id, state) {
                        Some((status, why)) => {
                            // It neither ties up cash nor waits for ever.
                            tracing::warn!(order = %order_id, reason, why, "the venue does not know a working order");
                            let (time, reason) = (self.clock.now(), format!("{why}: {reason}"));
                            self.apply_execution(venue, ExecutionEvent::Ended { order_id, time, status, reason });
                        }
                        None => {
                            tracing::warn!(order = %order_id, reason, "the venue does not list it yet; asked again")
                        }
                    }
                }
                Err(Error::Order(reason)) => {
                    tracing::warn!(order = %request.client_order_id, reason, "order status refused; asked again later");
                }
                Err(limited @ Error::RateLimit { .. }) => {
                    // Held back by the venue: the other orders wait too, and all are asked about again later.
                    tracing::warn!(%limited, "order status held back by the venue's rate limit; asked again later");
                    return Ok(());
                }
                Err(other) => return Err(other),
            }
            if let Some(failure) = self.journal_failure.take() {
                return Err(failure);
            }
        }
        Ok(())
    }

    /// Books what the network venues reported on their own since the last call — a private stream's fills and ends —
    /// so that what a venue already said is booked before anything asks it.
    ///
    /// # Errors
    /// The journal's failure to record a fill (the fill is not booked).
    pub fn collect_venue_reports(&mut self) -> Result<()> {
        for venue in self.router.network_venues() {
            self.collect_executions(venue);
        }
        self.journal_failed()
    }

    /// Whether every network venue streams this account's executions right now (see
    /// [`crate::venue::ExchangeAdapter::streams_executions`]): a session then asks about working orders less often.
    pub fn executions_streamed(&self) -> bool {
        self.router.executions_streamed()
    }

    /// How order `id` (in `state`, nothing filled), which its venue says it does not know, ends — with why — or
    /// `None` while it may still appear: never acknowledged (its request went unanswered, or the session stopped
    /// between the journal and the request), it never reached the venue and is rejected; acknowledged, it ended at
    /// the venue with nothing filled once the venue has not known it for [`LISTING_GRACE`] (the first such answer
    /// starts the count).
    fn unknown_order_end(&mut self, id: OrderId, state: OrderState) -> Option<(OrderStatus, &'static str)> {
        let before = match state {
            OrderState::CancelRequested => self.log.orders.state_before_cancel(id),
            other => Some(other),
        };
        if before == Some(OrderState::Sent) {
            return Some((OrderStatus::Rejected, "the venue does not know it, so it never reached the venue"));
        }
        let now = self.clock.now();
        let since = match self.unlisted_since.iter().find(|(order, _)| *order == id) {
            Some(&(_, since)) => since,
            None => {
                self.unlisted_since.push((id, now));
                now
            }
        };
        let listed_by_now = now.0.saturating_sub(since.0) >= LISTING_GRACE;
        listed_by_now.then_some((
            OrderStatus::Canceled,
            "the venue acknowledged it and has not listed it for a minute, with nothing filled: it ended there",
        ))
    }

    /// Books what a venue's `report` of one of the engine's orders says beyond what the engine holds: the quantity
    /// filled since (one fill of the increment, at the price that makes the venue's average right, with the fee
    /// charged since), then — when the venue ended it — its end, for `reason` unless the venue gave one. A cancel's
    /// answer goes through here too, so what filled before the cancel is never lost.
    pub(super) fn book_report(&mut self, venue: VenueId, report: &OrderReport, reason: &str) {
        let id = report.request.client_order_id;
        let Some(known) = self.log.order(id).map(|record| record.report.clone()) else { return };
        if known.status.is_final() {
            return;
        }
        let increment = report.filled_quantity - known.filled_quantity;
        let execution = if increment > Decimal::ZERO {
            let notional = |r: &OrderReport| r.average_price.unwrap_or_default() * r.filled_quantity;
            let price = (notional(report) - notional(&known)) / increment;
            let request = known.request;
            let liquidity = if request.order_type == OrderType::Market { Liquidity::Taker } else { Liquidity::Maker };
            let fill = Fill {
                order_id: id,
                time: self.clock.now(),
                symbol: request.symbol,
                side: request.side,
                quantity: increment,
                price: price.normalize(),
                fee: (report.fee - known.fee).max(Decimal::ZERO),
                liquidity,
                trade_id: None,
            };
            ExecutionEvent::Fill { fill, order_status: report.status }
        } else if report.status.is_final() {
            let reason = report.reason.clone().unwrap_or_else(|| reason.to_string());
            ExecutionEvent::Ended { order_id: id, time: self.clock.now(), status: report.status, reason }
        } else {
            return;
        };
        self.apply_execution(venue, execution);
    }

    /// A cancel from the kill switch, tried again while the venue holds us back (a rate-limit hold of at most a
    /// minute is waited out) or fails without saying whether it arrived (a timeout, a 5xx): up to four tries, a
    /// second apart and longer. Canceling twice is harmless — the venue answers that the order is not open.
    async fn cancel_persistently(&mut self, venue: VenueId, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let mut attempt = 0u32;
        loop {
            let answer = self.router.cancel_order(venue, symbol, order_id).await;
            let wait = match &answer {
                Err(Error::RateLimit { retry_after, .. }) => retry_after.unwrap_or(Duration::from_secs(1)),
                Err(Error::Exchange(_)) => Duration::from_secs(u64::from(attempt) + 1),
                _ => return answer,
            };
            attempt += 1;
            if attempt >= 4 || wait > Duration::from_secs(60) || self.router.answers_at_once(venue) {
                return answer;
            }
            tracing::warn!(order = %order_id, attempt, ?wait, "kill switch: cancel not through; trying again");
            tokio::time::sleep(wait).await;
        }
    }

    /// The kill switch of a session: nothing new goes out, and every order still working is canceled unless
    /// `keep_orders`. Returns how many were canceled.
    ///
    /// # Errors
    /// As [`TradingEngine::cancel_open_orders`].
    pub async fn kill_switch(&mut self, keep_orders: bool) -> Result<usize> {
        self.stop_new_orders();
        if keep_orders {
            // Kept orders outlive the session: a venue's dead man's switch would cancel them.
            self.dead_mans_switches(false).await.map_err(|e| {
                Error::Exchange(format!(
                    "the dead man's switch could not be disarmed, so the venue will cancel the kept orders: {e}"
                ))
            })?;
            return Ok(0);
        }
        // A cancel that failed returns here, and the venue's dead man's switch stays armed to finish the job.
        let canceled = self.cancel_open_orders().await?;
        if let Err(failure) = self.dead_mans_switches(false).await {
            // Nothing rests any more: a switch left armed has nothing to cancel.
            tracing::warn!(%failure, "kill switch: the dead man's switch could not be disarmed");
        }
        Ok(canceled)
    }

    /// Renews (`arm`) or disarms the dead man's switch of every venue that has one; returns how many have one.
    ///
    /// # Errors
    /// The first venue failure (every venue is tried).
    pub async fn dead_mans_switches(&mut self, arm: bool) -> Result<usize> {
        let (mut count, mut failure) = (0, None);
        for venue in 0..self.router.names().len() {
            match self.router.dead_mans_switch(VenueId(venue), arm).await {
                Ok(has) => count += usize::from(has),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        failure.map_or(Ok(count), Err)
    }

    /// The kill switch: cancels every order still working, at every venue. Returns how many were canceled. Every
    /// order is tried even when one fails; the first failure is returned after the last.
    ///
    /// # Errors
    /// Venue failures other than an order that is no longer open; the journal's failure (a cancel only lowers
    /// the risk: it is sent even when the journal could not record its request).
    pub async fn cancel_open_orders(&mut self) -> Result<usize> {
        let working: Vec<_> = self
            .log
            .orders
            .iter()
            .filter(|o| o.state.is_at_venue())
            .map(|o| (o.venue, o.report.request.symbol, o.report.request.client_order_id))
            .collect();
        let (mut canceled, mut failure, mut refused) = (0, None, false);
        for (venue, symbol, order_id) in working {
            match self.log.orders.request_cancel(order_id, self.journal.as_mut()) {
                Ok(()) => {}
                // Ended since the list was made (the partner of an exit pair canceled with it): nothing to cancel.
                Err(Error::Order(reason)) => {
                    tracing::info!(order = %order_id, reason, "kill switch: nothing to cancel");
                    continue;
                }
                Err(journal) => {
                    failure.get_or_insert(journal);
                }
            }
            match self.cancel_persistently(venue, symbol, order_id).await {
                Ok(report) => {
                    tracing::info!(target: "audit", order = %order_id, status = report.status.as_str(), "kill switch: cancel answered");
                    canceled += usize::from(report.status.is_final());
                    self.collect_executions(venue);
                    self.book_venue_report(venue, &report, "canceled by the kill switch").await;
                }
                Err(Error::Order(reason)) => {
                    tracing::warn!(order = %order_id, reason, "not canceled: no longer open");
                    refused = true;
                    if let Err(journal) = self.log.orders.cancel_refused(order_id, self.journal.as_mut()) {
                        failure.get_or_insert(journal);
                    }
                }
                // Unknown whether it arrived: the order stays with its cancel requested; the next ones are tried.
                Err(other) => {
                    tracing::error!(order = %order_id, %other, "kill switch: cancel failed");
                    failure.get_or_insert(other);
                }
            }
        }
        // A refused cancel says only that the order is not open (filled meanwhile, or never placed: Binance answers
        // both with -2011): its status, asked for, settles which, so no order is left as working when it is not.
        if refused && let Err(other) = self.track_orders().await {
            failure.get_or_insert(other);
        }
        // A venue may count a trade before it lists it: ask again a few times. One still unlisted is not guessed
        // from the status: the order stays as journaled (cancel requested) and a resumed session books its trades.
        for _ in 0..3 {
            if !self.trades_pending() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Err(other) = self.track_orders().await {
                failure.get_or_insert(other);
            }
        }
        if let Some(id) = self.pending_trade_order() {
            failure.get_or_insert(Error::Exchange(format!(
                "the venue ended order {id} but has not listed all its trades: resume the session to book them"
            )));
        }
        // An order still working after all that (a refused cancel of an order that is open after all) is a failure:
        // the venue's dead man's switch, if it has one, then stays armed.
        let still = self.log.orders.iter().find(|o| o.state.is_at_venue() && !self.router.answers_at_once(o.venue));
        if let Some(order) = still.filter(|o| self.pending_trade_order() != Some(o.report.request.client_order_id)) {
            let id = order.report.request.client_order_id;
            failure.get_or_insert(Error::Exchange(format!(
                "order {id} is still working at the venue after the kill switch"
            )));
        }
        match failure.or_else(|| self.journal_failure.take()) {
            Some(failure) => Err(failure),
            None => Ok(canceled),
        }
    }
}

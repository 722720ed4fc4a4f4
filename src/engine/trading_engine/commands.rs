//! A strategy's [`Command`]s, executed in the order it gave them: orders through the risk manager to their venue,
//! cancels and amendments straight to it. Venues that answer at once (simulated ones) are served inside the replay
//! loop ([`TradingEngine::route_commands_now`]); the first command for a network venue and every command after it
//! wait for [`TradingEngine::flush_commands`], so the order of the commands is kept.

use super::TradingEngine;
use crate::error::{Error, Result};
use rust_decimal::Decimal;

use crate::engine::run_log::RiskAction;
use crate::execution::OrderState;
use crate::model::{OrderId, OrderQty, OrderReport, OrderType, Side, VenueId};
use crate::risk::RiskRule;
use crate::strategy::Command;

/// The venue a command goes to.
fn venue_of(command: &Command) -> VenueId {
    match command {
        Command::Submit(intent) => intent.venue,
        Command::Cancel { venue, .. } | Command::Amend { venue, .. } => *venue,
    }
}

/// A refusal the run records and goes on from (risk, venue rules, rate limits), as opposed to a failure that ends it.
pub(super) fn is_refusal(error: &Error) -> bool {
    matches!(error, Error::RiskManagement(_) | Error::Order(_) | Error::RateLimit { .. })
}

/// Why an order the strategy canceled ended, unless the venue says.
const CANCELED_BY_STRATEGY: &str = "canceled by the strategy";

impl TradingEngine {
    /// Executes the queued commands whose venues answer at once. Returns `false`, leaving it and the rest queued, at
    /// the first command whose venue must be awaited.
    ///
    /// # Errors
    /// Venue failures other than refusals.
    pub(super) fn route_commands_now(&mut self) -> Result<bool> {
        let mut commands = std::mem::take(&mut self.commands);
        let mut done = 0;
        let mut outcome = Ok(true);
        for &command in &commands {
            if let Err(unknown) = self.router.check(venue_of(&command)) {
                outcome = Err(unknown);
                break;
            }
            if !self.router.answers_at_once(venue_of(&command)) {
                outcome = Ok(false);
                break;
            }
            done += 1;
            if let Err(error) = self.execute_now(command)
                && !is_refusal(&error)
            {
                outcome = Err(error);
                break;
            }
        }
        commands.drain(..done);
        commands.append(&mut self.commands);
        self.commands = commands;
        outcome
    }

    /// Drops every command still queued: the kill switch sends nothing new.
    pub fn stop_new_orders(&mut self) {
        if !self.commands.is_empty() {
            tracing::warn!(dropped = self.commands.len(), "kill switch: queued orders and cancels dropped");
        }
        self.commands.clear();
    }

    /// Executes every queued command, waiting for venues that answer asynchronously.
    ///
    /// # Errors
    /// Venue failures other than refusals.
    pub(super) async fn flush_commands(&mut self) -> Result<()> {
        while !self.commands.is_empty() {
            let command = self.commands.remove(0);
            if let Err(error) = self.execute(command).await
                && !is_refusal(&error)
            {
                return Err(error);
            }
        }
        Ok(())
    }

    /// One command at a venue that answers at once.
    fn execute_now(&mut self, command: Command) -> Result<()> {
        let stopped = |venue: VenueId| Error::Exchange(format!("venue {} stopped answering at once", venue.0));
        match command {
            Command::Submit(intent) => {
                let order = self.admit(intent)?;
                self.log.orders.sent(order.request.client_order_id);
                let answer = self.router.place_order_now(order.venue, order.request);
                self.settle(order, answer.unwrap_or_else(|| Err(stopped(intent.venue)))).map(drop)
            }
            Command::Cancel { venue, symbol, order_id } => {
                self.log.orders.request_cancel(order_id, self.journal.as_mut())?;
                let answer = self.router.cancel_now(venue, symbol, order_id);
                let report = self.cancel_answered(venue, order_id, answer.unwrap_or_else(|| Err(stopped(venue))))?;
                self.book_report(venue, &report, CANCELED_BY_STRATEGY);
                Ok(())
            }
            Command::Amend { venue, symbol, order_id, quantity, price } => {
                self.admit_amendment(order_id, quantity, price)?;
                let answer = self.router.amend_now(venue, symbol, order_id, quantity, price);
                self.on_amend_answer(venue, answer.unwrap_or_else(|| Err(stopped(venue))))
            }
        }
    }

    /// One command, waiting for its venue's answer.
    async fn execute(&mut self, command: Command) -> Result<()> {
        self.router.check(venue_of(&command))?;
        match command {
            Command::Submit(intent) => self.submit(intent).await.map(drop),
            Command::Cancel { venue, symbol, order_id } => {
                self.log.orders.request_cancel(order_id, self.journal.as_mut())?;
                let answer = self.router.cancel_order(venue, symbol, order_id).await;
                let report = self.cancel_answered(venue, order_id, answer)?;
                self.book_venue_report(venue, &report, CANCELED_BY_STRATEGY).await;
                Ok(())
            }
            Command::Amend { venue, symbol, order_id, quantity, price } => {
                self.admit_amendment(order_id, quantity, price)?;
                let answer = self.router.amend_order(venue, symbol, order_id, quantity, price).await;
                self.on_amend_answer(venue, answer)
            }
        }
    }

    /// A venue answered a cancel of order `id`: what it reported filled meanwhile is booked, and its answer
    /// returned, for what it filled before the cancel and its end to be booked (an order it ended at once is closed
    /// then; one whose cancel is on its way stays requested until the venue reports the end). A refused cancel is
    /// logged, and the order works on unless something ended it; after a failure that does not say whether the
    /// cancel arrived, it stays requested.
    fn cancel_answered(&mut self, venue: VenueId, id: OrderId, answer: Result<OrderReport>) -> Result<OrderReport> {
        let report = match answer {
            Ok(report) => report,
            Err(refusal @ (Error::Order(_) | Error::RateLimit { .. })) => {
                tracing::info!(target: "audit", %refusal, "cancel refused");
                self.log.orders.cancel_refused(id, self.journal.as_mut())?;
                return Err(refusal);
            }
            Err(failure) => return Err(failure),
        };
        // What the venue reported filled first; then (the caller) what the answer says filled before the cancel.
        self.collect_executions(venue);
        Ok(report)
    }

    /// An amendment passes the risk manager as the order it makes would: refused while the risk limits halt new
    /// orders; when it grows what the order would still buy or sell (a larger quantity, or a buy's higher price),
    /// the growth is checked like a new order of that size at the new price. A refusal is recorded as a risk event.
    fn admit_amendment(&mut self, id: OrderId, quantity: Option<Decimal>, price: Option<Decimal>) -> Result<()> {
        let Some((state, known)) = self.log.order(id).map(|r| (r.state, r.report.clone())) else {
            return Err(Error::Order(format!("order {id} is not an order of this run")));
        };
        if !matches!(state, OrderState::Sent | OrderState::Acknowledged | OrderState::PartiallyFilled) {
            return Err(Error::Order(format!("order {id} is {state}: only a working order can be amended")));
        }
        let request = known.request;
        let now = self.clock.now();
        if let Some(halt) = self.risk_manager.halt() {
            let reason = format!("amending order {id}: {}", halt.reason);
            self.record_order_risk(
                now,
                &request,
                RiskRule::Drawdown,
                RiskAction::AmendmentRefused,
                &reason,
                Decimal::ZERO,
            );
            return Err(Error::RiskManagement(reason));
        }
        let OrderQty::Base(before) = request.quantity else {
            return Err(Error::Order(format!("order {id} is sized in the quote asset; it cannot be amended")));
        };
        let slot = self.portfolio.slot(request.symbol);
        let last = slot.map_or(Decimal::ZERO, |s| self.portfolio.position(s).last_price);
        let old_price = request.price.or(request.stop_price).unwrap_or(last);
        let new_price = price.unwrap_or(old_price);
        let (old_left, new_left) = (before - known.filled_quantity, quantity.unwrap_or(before) - known.filled_quantity);
        // The growth in base units, or, for a buy whose price rises, in the quote it would spend, its fee included
        // (a quote amount is checked as all the cash it may take).
        let growth = match request.side {
            Side::Buy if new_price > old_price => {
                let fee = Decimal::ONE + self.risk_manager.fee_rate(request.symbol);
                OrderQty::Quote((new_left * new_price - old_left * old_price) * fee)
            }
            _ => OrderQty::Base(new_left - old_left),
        };
        let size = match growth {
            OrderQty::Base(q) | OrderQty::Quote(q) => q,
        };
        if size <= Decimal::ZERO {
            return Ok(());
        }
        let equity = self.portfolio.equity();
        let cash = self.portfolio.cash() - self.working.committed_cash();
        let decision = self.risk_manager.check_order(request.symbol, request.side, growth, new_price, equity, cash);
        if decision.accepted && decision.adjusted >= size {
            return Ok(());
        }
        let reason = format!("amending order {id}: {}", decision.reason);
        let rule = decision.rule.unwrap_or(RiskRule::InvalidOrder);
        self.record_order_risk(now, &request, rule, RiskAction::AmendmentRefused, &reason, Decimal::ZERO);
        Err(Error::RiskManagement(reason))
    }

    /// A venue answered an amendment: the order's record, its working quantity and price follow it, and the
    /// journal holds the change.
    fn on_amend_answer(&mut self, venue: VenueId, answer: Result<OrderReport>) -> Result<()> {
        let report = answer.inspect_err(|refusal| tracing::info!(target: "audit", %refusal, "amendment refused"))?;
        let request = report.request;
        let id = request.client_order_id;
        tracing::info!(target: "audit", order = %id, quantity = ?request.quantity, price = ?request.price, stop = ?request.stop_price, "order amended");
        self.log.orders.amended(id, request);
        let filled = self.log.order(id).map(|record| record.report.filled_quantity);
        if let (Some(filled), OrderQty::Base(quantity), Some(slot)) =
            (filled, request.quantity, self.portfolio.slot(request.symbol))
        {
            let price = match request.order_type {
                OrderType::StopMarket | OrderType::TakeProfitMarket => request.stop_price,
                _ => request.price,
            };
            self.working.amended(id, quantity - filled, price);
            self.sync_working(request.symbol, slot);
        }
        self.collect_executions(venue);
        // Sent already: a journal that cannot record the change stops the run, the order stays as the venue has it.
        self.journal_change(id)
    }
}

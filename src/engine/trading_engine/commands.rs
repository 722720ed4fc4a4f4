//! A strategy's [`Command`]s, executed in the order it gave them: orders through the risk manager to their venue,
//! cancels and amendments straight to it. Venues that answer at once (simulated ones) are served inside the replay
//! loop ([`TradingEngine::route_commands_now`]); the first command for a network venue and every command after it
//! wait for [`TradingEngine::flush_commands`], so the order of the commands is kept.

use super::TradingEngine;
use crate::error::{Error, Result};
use rust_decimal::Decimal;

use crate::model::{OrderId, OrderQty, OrderReport, OrderType, VenueId};
use crate::strategy::Command;

/// The venue a command goes to.
fn venue_of(command: &Command) -> VenueId {
    match command {
        Command::Submit(intent) => intent.venue,
        Command::Cancel { venue, .. } | Command::Amend { venue, .. } => *venue,
    }
}

/// A refusal the run records and goes on from (risk, venue rules, rate limits), as opposed to a failure that ends it.
fn is_refusal(error: &Error) -> bool {
    matches!(error, Error::RiskManagement(_) | Error::Order(_) | Error::RateLimit { .. })
}

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
                let answer = self.router.place_order_now(order.venue, order.request);
                self.settle(order, answer.unwrap_or_else(|| Err(stopped(intent.venue)))).map(drop)
            }
            Command::Cancel { venue, symbol, order_id } => {
                let answer = self.router.cancel_now(venue, symbol, order_id);
                self.on_cancel_answer(venue, answer.unwrap_or_else(|| Err(stopped(venue))))
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
                let answer = self.router.cancel_order(venue, symbol, order_id).await;
                self.on_cancel_answer(venue, answer)
            }
            Command::Amend { venue, symbol, order_id, quantity, price } => {
                self.admit_amendment(order_id, quantity, price)?;
                let answer = self.router.amend_order(venue, symbol, order_id, quantity, price).await;
                self.on_amend_answer(venue, answer)
            }
        }
    }

    /// A venue answered a cancel: an order it ended at once is closed here; one whose cancel is on its way stays
    /// working until the venue reports the end. A refused cancel (the order already ended) is logged.
    fn on_cancel_answer(&mut self, venue: VenueId, answer: Result<OrderReport>) -> Result<()> {
        let report = answer.inspect_err(|refusal| tracing::info!(target: "audit", %refusal, "cancel refused"))?;
        // What the venue reported filled first; then what the answer says filled before the cancel, and the end.
        self.collect_executions(venue);
        self.book_report(venue, &report, "canceled by the strategy");
        Ok(())
    }

    /// An amendment passes the risk manager as the order it makes would: refused while the risk limits halt new
    /// orders, and, when it grows the order, the growth checked like a new order of that size at the new price.
    fn admit_amendment(&mut self, id: OrderId, quantity: Option<Decimal>, price: Option<Decimal>) -> Result<()> {
        let record = self.log.order_mut(id).map(|r| r.report.clone());
        let Some(known) = record else {
            return Err(Error::Order(format!("order {id} is not an order of this run")));
        };
        if let Some(halt) = self.risk_manager.halt() {
            return Err(Error::RiskManagement(format!("amending order {id}: {}", halt.reason)));
        }
        let request = known.request;
        let OrderQty::Base(before) = request.quantity else {
            return Err(Error::Order(format!("order {id} is sized in the quote asset; it cannot be amended")));
        };
        let growth = quantity.map_or(Decimal::ZERO, |q| q - before);
        if growth <= Decimal::ZERO {
            return Ok(());
        }
        let at = price.or(request.price).or(request.stop_price);
        let slot = self.portfolio.slot(request.symbol);
        let at = at.or_else(|| slot.map(|s| self.portfolio.position(s).last_price)).unwrap_or_default();
        let equity = self.portfolio.equity();
        let cash = self.portfolio.cash() - self.working.committed_cash();
        let decision =
            self.risk_manager.check_order(request.symbol, request.side, OrderQty::Base(growth), at, equity, cash);
        if !decision.accepted || decision.adjusted < growth {
            return Err(Error::RiskManagement(format!(
                "amending order {id} to {}: {}",
                before + growth,
                decision.reason
            )));
        }
        Ok(())
    }

    /// A venue answered an amendment: the order's record, its working quantity and price follow it, and the
    /// journal holds the change.
    fn on_amend_answer(&mut self, venue: VenueId, answer: Result<OrderReport>) -> Result<()> {
        let report = answer.inspect_err(|refusal| tracing::info!(target: "audit", %refusal, "amendment refused"))?;
        let request = report.request;
        let id = request.client_order_id;
        tracing::info!(target: "audit", order = %id, quantity = ?request.quantity, price = ?request.price, stop = ?request.stop_price, "order amended");
        let filled = self.log.order_mut(id).map(|record| {
            record.report.request = request;
            record.report.filled_quantity
        });
        if let (Some(filled), OrderQty::Base(quantity), Some(slot)) =
            (filled, request.quantity, self.portfolio.slot(request.symbol))
        {
            let price = match request.order_type {
                OrderType::StopMarket | OrderType::TakeProfitMarket => request.stop_price,
                _ => request.price,
            };
            self.working.amended(id, quantity - filled, price);
            self.risk_manager.update_working(request.symbol, self.working.net_quantity(slot));
        }
        self.journal_order(id)?;
        self.collect_executions(venue);
        Ok(())
    }
}

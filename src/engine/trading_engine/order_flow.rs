//! The order flow of the [`TradingEngine`]: risk check, record, route, and booking what venues report back.

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::engine::run_log::{CashChange, FillRecord, OrderRecord, RiskAction, RiskEvent};
use crate::error::{Error, Result};
use crate::exchange::VenueId;
use crate::model::exact::positive;
use crate::model::{ExecutionEvent, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, Timestamp};
use crate::strategy::OrderIntent;

/// An order the risk manager let through, recorded, ready for its venue.
#[derive(Clone, Copy, Debug)]
struct Admitted {
    venue: VenueId,
    slot: usize,
    request: OrderRequest,
}

impl TradingEngine {
    /// Sends the pending intents; refusals are recorded and the run goes on, other failures end it.
    pub(super) async fn submit_intents(&mut self) -> Result<()> {
        let mut intents = std::mem::take(&mut self.intents);
        for intent in intents.drain(..) {
            match self.submit(intent).await {
                Ok(_) | Err(Error::RiskManagement(_)) | Err(Error::Order(_)) => {}
                Err(other) => return Err(other),
            }
        }
        self.intents = intents;
        Ok(())
    }

    /// Risk check and record: every order of every source goes through here. A refused order is recorded and
    /// returned as [`Error::RiskManagement`].
    fn admit(&mut self, intent: OrderIntent) -> Result<Admitted> {
        let slot = self
            .portfolio
            .slot(intent.symbol)
            .ok_or_else(|| Error::Config(format!("{} is not an instrument of this portfolio", intent.symbol)))?;
        let price = match intent.price {
            Some(limit) if !positive(limit) => {
                return Err(Error::Order(format!("limit price {limit} for {} is not positive", intent.symbol)));
            }
            Some(limit) => limit,
            None => self.portfolio.position(slot).last_price,
        };
        if !positive(price) {
            return Err(Error::Order(format!("no price is known yet for {}", intent.symbol)));
        }
        let (equity, cash) = (self.portfolio.equity(), self.portfolio.cash());
        let (accepted, reason, adjusted) =
            self.risk_manager.check_order(intent.symbol, intent.side, intent.quantity, price, equity, cash);
        let id = OrderId(self.log.orders.len() as u64 + 1);
        let mut request = OrderRequest {
            client_order_id: id,
            symbol: intent.symbol,
            side: intent.side,
            order_type: intent.order_type,
            quantity: intent.quantity,
            price: intent.price,
        };
        let now = self.clock.now();
        let resized = match intent.quantity {
            OrderQty::Base(q) if accepted && adjusted < q => Some(OrderQty::Base(adjusted)),
            OrderQty::Quote(a) if accepted && adjusted < a => Some(OrderQty::Quote(adjusted)),
            _ => None,
        };
        if let Some(quantity) = resized {
            request.quantity = quantity;
            self.record_risk(now, &request, RiskAction::Resized, &reason, adjusted);
        }
        self.log.orders.push(OrderRecord { venue: intent.venue, created: now, report: OrderReport::new(request) });
        if !accepted {
            self.record_risk(now, &request, RiskAction::Rejected, &reason, Decimal::ZERO);
            self.reject(id, reason.to_string());
            return Err(Error::RiskManagement(reason.into_owned()));
        }
        Ok(Admitted { venue: intent.venue, slot, request })
    }

    /// Records the venue's answer to an admitted order and books any executions it reported.
    fn settle(&mut self, order: Admitted, answer: Result<OrderReport>) -> Result<OrderReport> {
        let id = order.request.client_order_id;
        match answer {
            Ok(report) => {
                if let Some(record) = self.log.order_mut(id) {
                    record.report.request = report.request;
                }
                self.open_orders[order.slot] += 1;
                self.collect_executions(order.venue);
                Ok(report)
            }
            Err(Error::Order(message)) => {
                self.reject(id, message.clone());
                Err(Error::Order(message))
            }
            Err(other) => Err(other),
        }
    }

    /// Admits and routes one order, waiting for venues that answer asynchronously.
    pub(super) async fn submit(&mut self, intent: OrderIntent) -> Result<OrderReport> {
        let order = self.admit(intent)?;
        let answer = match self.router.place_order_now(order.venue, order.request) {
            Some(answer) => answer,
            None => self.router.place_order(order.venue, order.request).await,
        };
        self.settle(order, answer)
    }

    /// Sends the pending intents whose venues answer at once. Returns `false`, leaving the rest in `self.intents`,
    /// at the first intent whose venue must be awaited.
    ///
    /// # Errors
    /// Venue failures other than order rejections.
    pub(super) fn submit_intents_now(&mut self) -> Result<bool> {
        let mut intents = std::mem::take(&mut self.intents);
        let mut sent = 0;
        let mut outcome = Ok(true);
        for &intent in &intents {
            if !self.router.answers_at_once(intent.venue) {
                outcome = Ok(false);
                break;
            }
            sent += 1;
            let answer = self.admit(intent).and_then(|order| {
                let answer = self.router.place_order_now(order.venue, order.request).unwrap_or_else(|| {
                    Err(Error::Exchange(format!("venue {} stopped answering at once", order.venue.0)))
                });
                self.settle(order, answer)
            });
            if let Err(error) = answer
                && !matches!(error, Error::RiskManagement(_) | Error::Order(_))
            {
                outcome = Err(error);
                break;
            }
        }
        intents.drain(..sent);
        self.intents = intents;
        outcome
    }

    fn record_risk(&mut self, time: Timestamp, request: &OrderRequest, action: RiskAction, reason: &str, qty: Decimal) {
        tracing::debug!(order = %request.client_order_id, ?action, reason, "risk decision");
        self.log.risk_events.push(RiskEvent {
            time,
            order_id: request.client_order_id,
            symbol: request.symbol,
            action,
            reason: reason.to_string(),
            adjusted_quantity: qty,
        });
    }

    fn reject(&mut self, id: OrderId, reason: String) {
        if let Some(record) = self.log.order_mut(id) {
            record.report.status = OrderStatus::Rejected;
            record.report.reason = Some(reason);
        }
    }

    /// Books every execution the venue reported since the last call.
    #[inline]
    pub(super) fn collect_executions(&mut self, venue: VenueId) {
        self.router.drain_executions(venue, &mut self.executions);
        if self.executions.is_empty() {
            return;
        }
        let mut executions = std::mem::take(&mut self.executions);
        for execution in executions.drain(..) {
            self.apply_execution(venue, execution);
        }
        self.executions = executions;
    }

    fn apply_execution(&mut self, venue: VenueId, execution: ExecutionEvent) {
        let (order_id, status) = match &execution {
            ExecutionEvent::Fill { fill, order_status } => (fill.order_id, *order_status),
            ExecutionEvent::Rejected { order_id, .. } => (*order_id, OrderStatus::Rejected),
        };
        let Some(record) = self.log.order_mut(order_id) else {
            return;
        };
        let was_open = !record.report.status.is_final();
        let symbol = record.report.request.symbol;
        match execution {
            ExecutionEvent::Fill { fill, .. } => {
                let filled = record.report.filled_quantity + fill.quantity;
                record.report.average_price = Some(match record.report.average_price {
                    None => fill.price,
                    Some(average) => (average * record.report.filled_quantity + fill.notional()) / filled,
                });
                record.report.filled_quantity = filled;
                record.report.fee += fill.fee;
                record.report.status = status;
                if let Some(trip) = self.portfolio.apply_fill(&fill) {
                    self.log.round_trips.push(trip);
                }
                self.log.fills.push(FillRecord { venue, fill });
                self.log
                    .cash_changes
                    .push(CashChange { from_mark: self.log.equity.len(), cash: self.portfolio.cash() });
                if let Some(slot) = self.portfolio.slot(symbol) {
                    self.risk_manager.update_position(symbol, self.portfolio.position(slot).quantity);
                }
            }
            ExecutionEvent::Rejected { reason, .. } => {
                record.report.status = OrderStatus::Rejected;
                record.report.reason = Some(reason);
            }
        }
        let now_final = self.log.order_mut(order_id).is_some_and(|r| r.report.status.is_final());
        if was_open
            && now_final
            && let Some(slot) = self.portfolio.slot(symbol)
        {
            self.open_orders[slot] = self.open_orders[slot].saturating_sub(1);
        }
    }
}

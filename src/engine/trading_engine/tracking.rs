//! Orders working at network venues, followed by asking: a live venue's answer to a new order carries only the
//! fills that happened at once, so the engine asks for the status of each order still working and books what
//! changed — fills (the increment since the last answer, at the price that makes the venue's average right) and
//! ends. And the kill switch: cancel every order still working.

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::error::{Error, Result};
use crate::model::{ExecutionEvent, Fill, Liquidity, OrderType};

impl TradingEngine {
    /// Asks the network venues for every order still working there and books what they report.
    ///
    /// An order the venue does not know, with nothing filled, ends as rejected (it never reached the venue).
    ///
    /// # Errors
    /// Venue failures other than an unknown order.
    pub async fn track_orders(&mut self) -> Result<()> {
        let working: Vec<usize> = (0..self.log.orders.len())
            .filter(|&i| {
                let o = &self.log.orders[i];
                !o.report.status.is_final() && !self.router.answers_at_once(o.venue)
            })
            .collect();
        for index in working {
            let known = self.log.orders[index].clone();
            let request = known.report.request;
            let report = match self.router.order_status(known.venue, request.symbol, request.client_order_id).await {
                Ok(report) => report,
                Err(Error::Order(reason)) => {
                    // Journaled but never at the venue (the session stopped between the journal and the request,
                    // or the request failed): it ends here, so it neither ties up cash nor waits for ever.
                    tracing::warn!(order = %request.client_order_id, reason, "the venue does not know a working order");
                    if known.report.filled_quantity.is_zero() {
                        let order_id = request.client_order_id;
                        let reason = format!("the venue does not know it, so it never reached the venue: {reason}");
                        let (time, status) = (self.clock.now(), crate::model::OrderStatus::Rejected);
                        self.apply_execution(known.venue, ExecutionEvent::Ended { order_id, time, status, reason });
                    }
                    continue;
                }
                Err(other) => return Err(other),
            };
            let increment = report.filled_quantity - known.report.filled_quantity;
            let execution = if increment > Decimal::ZERO {
                let notional = |r: &crate::model::OrderReport| r.average_price.unwrap_or_default() * r.filled_quantity;
                let price = (notional(&report) - notional(&known.report)) / increment;
                let liquidity =
                    if request.order_type == OrderType::Market { Liquidity::Taker } else { Liquidity::Maker };
                let fill = Fill {
                    order_id: request.client_order_id,
                    time: self.clock.now(),
                    symbol: request.symbol,
                    side: request.side,
                    quantity: increment,
                    price: price.normalize(),
                    fee: (report.fee - known.report.fee).max(Decimal::ZERO),
                    liquidity,
                };
                ExecutionEvent::Fill { fill, order_status: report.status }
            } else if report.status.is_final() {
                let reason =
                    report.reason.clone().unwrap_or_else(|| format!("the venue reports {}", report.status.as_str()));
                ExecutionEvent::Ended {
                    order_id: request.client_order_id,
                    time: self.clock.now(),
                    status: report.status,
                    reason,
                }
            } else {
                continue;
            };
            self.apply_execution(known.venue, execution);
            if let Some(failure) = self.journal_failure.take() {
                return Err(failure);
            }
        }
        Ok(())
    }

    /// The kill switch: cancels every order still working, at every venue. Returns how many were canceled.
    ///
    /// # Errors
    /// Venue failures other than an order that is no longer open.
    pub async fn cancel_open_orders(&mut self) -> Result<usize> {
        let working: Vec<_> = self
            .log
            .orders
            .iter()
            .filter(|o| !o.report.status.is_final())
            .map(|o| (o.venue, o.report.request.symbol, o.report.request.client_order_id))
            .collect();
        let mut canceled = 0;
        for (venue, symbol, order_id) in working {
            match self.router.cancel_order(venue, symbol, order_id).await {
                Ok(report) => {
                    tracing::info!(target: "audit", order = %order_id, status = report.status.as_str(), "kill switch: cancel answered");
                    canceled += usize::from(report.status.is_final());
                    if report.status.is_final() {
                        self.end_order(order_id, report.status, "canceled by the kill switch".into());
                        self.working.closed(order_id);
                    }
                    self.collect_executions(venue);
                }
                Err(Error::Order(reason)) => tracing::warn!(order = %order_id, reason, "not canceled: no longer open"),
                Err(other) => return Err(other),
            }
        }
        Ok(canceled)
    }
}

//! A live session that resumes: the engine's records and state rebuilt from its journal, so that it goes on where
//! it stopped — the same positions, cash and fees, the same orders (those still working count as open), the same
//! risk state (daily start, peak and halt from the equity marks; the loss streak and cool-off from the round trips
//! the fills close), and numbering that continues (order ids, fill numbers, marks).

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::engine::run_log::{CashChange, EquityPoint, RiskEvent};
use crate::error::{Error, Result};
use crate::execution::{FillRecord, OrderRecord, Purpose};
use crate::model::OrderQty;

impl TradingEngine {
    /// Rebuilds the run from what a journal holds: `fills` re-applied to the portfolio in order, `orders` as last
    /// journaled, `marks` replayed through the risk limits, `risk_events` kept.
    ///
    /// # Errors
    /// [`Error::Validation`] once the engine has traded; [`Error::Data`] for a journal naming a symbol the
    /// portfolio does not hold.
    pub fn restore(
        &mut self,
        orders: Vec<OrderRecord>,
        fills: Vec<FillRecord>,
        marks: Vec<EquityPoint>,
        risk_events: Vec<RiskEvent>,
    ) -> Result<()> {
        if !self.log.orders.is_empty() || !self.log.fills.is_empty() {
            return Err(Error::Validation("an engine is restored from its journal before it trades".into()));
        }
        // The orders first: a journal whose ids do not follow one another is refused before anything changed.
        let working: Vec<OrderRecord> = orders.iter().filter(|o| !o.state.is_final()).cloned().collect();
        for order in orders {
            if let Err(gap) = self.log.orders.restore(order) {
                self.log.orders.clear();
                return Err(gap);
            }
        }
        let slot = |engine: &TradingEngine, symbol| {
            engine
                .portfolio
                .slot(symbol)
                .ok_or_else(|| Error::Data(format!("the journal trades {symbol}, which the scenario does not")))
        };
        for record in &fills {
            slot(self, record.fill.symbol).inspect_err(|_| self.log.orders.clear())?;
            if !self.log.orders.restore_fill(record.venue, &record.fill) {
                self.log.orders.clear();
                let trade = record.fill.trade_id.map(|t| t.to_string()).unwrap_or_default();
                return Err(Error::Data(format!("the journal holds trade {trade} of {} twice", record.fill.symbol)));
            }
        }
        for record in fills {
            let fill = record.fill;
            if let Some(trip) = self.portfolio.apply_fill(&fill) {
                self.on_round_trip(&trip);
                self.log.round_trips.push(trip);
            }
            self.log.fills.push(record);
            let from_mark = marks.partition_point(|m| m.time < fill.time);
            self.log.cash_changes.push(CashChange { from_mark, cash: self.portfolio.cash() });
        }
        for order in &working {
            let (report, request) = (&order.report, &order.report.request);
            let position_slot = slot(self, request.symbol)?;
            let price = request
                .price
                .or(request.stop_price)
                .or(report.average_price)
                .unwrap_or(self.portfolio.position(position_slot).last_price);
            let (remaining, fee_rate) = match request.quantity {
                OrderQty::Base(quantity) => {
                    ((quantity - report.filled_quantity).max(Decimal::ZERO), self.risk_manager.fee_rate(request.symbol))
                }
                OrderQty::Quote(amount) => {
                    (self.risk_manager.quantity_for_amount(request.symbol, amount, price), Decimal::ZERO)
                }
            };
            // An order of an exit pair protects the position (the strategy does not see it); the others are trades.
            let purpose =
                if request.one_cancels_other.is_some() { Purpose::Exit } else { Purpose::Trade { exits: None } };
            let kind = (request.side, request.order_type);
            let value = (price, fee_rate);
            self.working.open(request.client_order_id, position_slot, kind, remaining, value, purpose);
            self.sync_working(request.symbol, position_slot);
        }
        for position in self.portfolio.positions() {
            self.risk_manager.update_position(position.symbol, position.quantity);
        }
        for mark in marks {
            self.clock.advance_to(mark.time);
            self.risk_manager.on_mark(mark.time, mark.value);
            self.log.equity.push(mark);
        }
        self.log.risk_events = risk_events;
        Ok(())
    }
}

//! Stop-loss and take-profit exits the engine attaches to entries when `risk_policy.exits.attach` is set: placed
//! at the venue as a one-cancels-the-other pair for each fill of the entry, at the risk manager's distances from
//! that fill's price, and canceled before any other order reduces the position.

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::execution::Purpose;
use crate::model::VenueId;
use crate::model::{Fill, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side};
use crate::risk::ExitDistances;

impl TradingEngine {
    /// `fill` of entry `entry_id` happened on `venue`: places a stop-loss and a take-profit for its quantity, at
    /// `distances` from its price. A part whose stop would be below the instrument's minimum notional waits for the
    /// entry's next part, whose pair then covers both at their average price (a part the entry's end leaves waiting
    /// has no exit, and says so in the log). A venue that refuses the pair leaves both recorded as rejected, with its
    /// reason.
    pub(super) fn place_exits(
        &mut self,
        venue: VenueId,
        slot: usize,
        entry_id: OrderId,
        fill: &Fill,
        distances: ExitDistances,
    ) {
        let Some(entry) = self.log.order(entry_id).map(|record| record.report.clone()) else { return };
        let (mut entry_price, mut quantity, time) = (fill.price, fill.quantity, fill.time);
        if let Some(index) = self.exit_backlog.iter().position(|(id, ..)| *id == entry_id) {
            let (_, waiting, notional) = self.exit_backlog.swap_remove(index);
            quantity += waiting;
            entry_price = (notional + fill.notional()) / quantity;
        }
        let (stop_level, take_level) = distances.levels(entry.request.side, entry_price);
        let side = match entry.request.side {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        };
        let stop_id = self.log.orders.next_id();
        let take_id = OrderId(stop_id.0 + 1);
        // The exits' prices come from percentages: rounded here to the venue's tick, explicitly — the stop further
        // from the market, the take-profit further into profit — as the venue refuses prices off its tick.
        let instrument = self.router.instrument(venue, entry.request.symbol);
        let exit = |id, order_type, level, partner| {
            let request = OrderRequest {
                order_type,
                stop_price: Some(level),
                one_cancels_other: Some(partner),
                ..OrderRequest::new(id, entry.request.symbol, side, OrderQty::Base(quantity), None)
            };
            instrument.as_ref().map_or(request, |i| i.rounded(request))
        };
        let stop = exit(stop_id, OrderType::StopMarket, stop_level, take_id);
        let take = exit(take_id, OrderType::TakeProfitMarket, take_level, stop_id);
        let too_small = |i: &crate::model::Instrument| stop.stop_price.is_some_and(|p| p * quantity < i.min_notional);
        if instrument.as_ref().is_ok_and(too_small) {
            tracing::info!(entry = %entry_id, %quantity, "a part too small for its own exits waits for the next part");
            self.exit_backlog.push((entry_id, quantity, entry_price * quantity));
            return;
        }
        // The exits of an entry the risk manager admitted: they only reduce what it opened. Journaled before they
        // are sent; a venue that lists no instrument to round to gets no exits: they are recorded as refused.
        for request in [stop, take] {
            let id = self.log.orders.create(venue, time, request);
            self.log.orders.risk_checked(id, request);
        }
        let journaled = self
            .log
            .orders
            .journal_before_send(stop_id, self.journal.as_mut())
            .and_then(|()| self.log.orders.journal_before_send(take_id, self.journal.as_mut()));
        if let Err(failure) = &journaled {
            self.journal_failure.get_or_insert(crate::error::Error::Journal(failure.to_string()));
        }
        if journaled.is_ok() && instrument.is_ok() {
            self.log.orders.sent(stop_id);
            self.log.orders.sent(take_id);
        }
        match journaled
            .and(instrument)
            .and_then(|_| self.router.place_exits_now(venue, stop, take, &entry.request, time))
        {
            Ok((stop, take)) => {
                for report in [stop, take] {
                    let request = report.request;
                    self.log.orders.accepted(request.client_order_id, request);
                    let level = request.stop_price.unwrap_or(entry_price);
                    let kind = (side, request.order_type);
                    let value = (level, Decimal::ZERO);
                    self.working.open(request.client_order_id, slot, kind, quantity, value, Purpose::Exit);
                }
                self.collect_executions(venue);
            }
            Err(refusal) => {
                for id in [stop_id, take_id] {
                    self.end_order(id, OrderStatus::Rejected, refusal.to_string());
                }
            }
        }
    }

    /// Cancels the exits still working on the position in `slot`, because order `cause` is about to reduce it.
    pub(super) fn cancel_exits(&mut self, venue: VenueId, slot: usize, cause: OrderId) {
        while let Some(id) = self.working.exit_of(slot) {
            self.working.closed(id);
            let Some(symbol) = self.log.order(id).map(|record| record.report.request.symbol) else { continue };
            // A cancel the journal cannot record is not sent; the failure stops the run at its next step.
            let requested = self.log.orders.request_cancel(id, self.journal.as_mut());
            let answered = match requested {
                Ok(()) => self.router.cancel_now(venue, symbol, id),
                Err(crate::error::Error::Order(_)) => continue,
                Err(failure) => {
                    self.journal_failure.get_or_insert(failure);
                    continue;
                }
            };
            let refused = match answered {
                Some(Ok(_)) => {
                    self.end_order(id, OrderStatus::Canceled, format!("canceled: order {cause} reduces the position"));
                    self.collect_executions(venue);
                    Ok(())
                }
                _ => self.log.orders.cancel_refused(id, self.journal.as_mut()),
            };
            if let Err(failure) = refused {
                self.journal_failure.get_or_insert(failure);
            }
        }
    }
}

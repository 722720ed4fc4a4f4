//! Order entry at the [`SimulatedExchange`]: new orders (checked against the venue's filters and balances), cancels,
//! amendments, the engine's exit pairs and brackets, and the venue's record of an order.

use rust_decimal::Decimal;

use super::bar_fill::BarFill;
use super::matching::Working;
use super::rules::{self, FillAt};
use super::{FINISHED_ORDERS_KEPT, FillModel, SimulatedExchange, fee_rate, market_fill_price, record_volume};
use crate::error::{Error, Result};
use crate::model::{
    Liquidity, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Symbol, TimeInForce, Timestamp,
};

impl SimulatedExchange {
    /// Accepts an order (it rests until the next bar) or, with the `close` fill model, fills a market order at
    /// once at the last close.
    ///
    /// # Errors
    /// [`Error::Exchange`] when disconnected; [`Error::Order`] for an unlisted symbol or a filter or balance failure.
    pub fn submit(&mut self, order: OrderRequest) -> Result<OrderReport> {
        self.require_connected()?;
        let market = self.market_index(order.symbol)?;
        if self.orders.is_open(order.client_order_id) {
            return Err(Error::Order(format!(
                "client order id {} is already used by a working order",
                order.client_order_id
            )));
        }
        let order = rules::accept(&self.markets[market], &self.account, order, self.config.round_orders)?;
        if !self.order_limits.is_empty() {
            let now = self.now();
            self.order_limits.admit(&self.name, now)?;
        }
        if self.markets[market].book.is_some() {
            return self.submit_to_book(market, order);
        }
        let arrived = self.seen_until;
        let m = &self.markets[market];
        // Sent while this symbol's bar was still open (on another symbol's event): it waits for the next bar.
        let late = m.last_bar.is_some_and(|bar| arrived > bar.close_time);
        if late {
            self.late_arrivals.push((order.client_order_id, m.instrument.symbol, arrived));
        }
        let mut report = OrderReport::new(order);
        let liquidity = self.config.liquidity;
        // Under liquidity rules every order keeps state: what a cap left of it continues in the next bars.
        let stateful = order.time_in_force != TimeInForce::Gtc
            || matches!(order.order_type, OrderType::StopLimit | OrderType::TakeProfitLimit | OrderType::TrailingStop)
            || !liquidity.is_off();
        let id = order.client_order_id;
        if stateful {
            let extreme = m.last_bar.map(|b| b.close).filter(|_| order.order_type == OrderType::TrailingStop);
            self.states.insert(id, Working { first_bar: true, extreme, ..Working::default() });
        }
        let last_bar = m.last_bar.filter(|_| !late);
        if let (OrderType::Market, FillModel::Close, Some(bar)) = (order.order_type, self.config.fill_model, last_bar) {
            let price =
                market_fill_price(&m.instrument, (bar.low, bar.high), order.side, bar.close, self.config.slippage);
            let fee_rate = fee_rate(&self.config, &mut self.tiered, Liquidity::Taker, bar.close_time);
            let at = FillAt { price, part: None, liquidity: Liquidity::Taker, time: bar.close_time };
            match self.states.get_mut(&id).filter(|_| !liquidity.is_off()) {
                Some(working) => {
                    // Its rest, if the cap leaves one, fills at the closes of the next bars.
                    working.at_close = true;
                    let (account, stats, bar) = (&mut self.account, &mut self.liquidity_stats, bar.bar());
                    let mut rules = BarFill { market: m, account, stats, rules: liquidity, bar: &bar };
                    for event in rules.fill(&mut report, working, fee_rate, at).into_iter().flatten() {
                        record_volume(&mut self.tiered, &event);
                        self.executions.push(event);
                    }
                }
                None => {
                    let event = rules::fill(m, &mut self.account, fee_rate, &mut report, at);
                    record_volume(&mut self.tiered, &event);
                    self.executions.push(event);
                }
            }
            if report.status.is_final() {
                self.states.remove(&id);
            }
        }
        self.orders.insert(report.clone());
        Ok(report)
    }

    /// Cancels an open order.
    ///
    /// # Errors
    /// [`Error::Exchange`] when disconnected; [`Error::Order`] when the order is unknown or no longer open.
    pub fn cancel(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.require_connected()?;
        let known = self.order_status(symbol, order_id)?;
        if !self.orders.is_open(order_id) {
            return Err(Error::Order(format!("order {order_id} is not open (status {})", known.status.as_str())));
        }
        let market = self.market_index(symbol)?;
        if self.markets[market].book.is_some() {
            return Ok(self.cancel_on_book(market, order_id, known));
        }
        let Some(report) = self.orders.open_mut(order_id) else { return Ok(known) };
        report.status = OrderStatus::Canceled;
        let report = report.clone();
        self.orders.finish(order_id);
        self.states.remove(&order_id);
        let time = self.markets[market].last_bar.map_or(Timestamp(0), |b| b.close_time);
        self.end_partner_of(&report.request, time, "ended");
        Ok(report)
    }

    /// Changes the quantity and/or the limit (or stop) price of an open order, which keeps its id. The changed
    /// order passes the venue's filters and balance checks again. Only a smaller quantity at the same price keeps
    /// the order's place among the orders of its bar; any other change sends it to the back, as on the real venues.
    ///
    /// # Errors
    /// [`Error::Exchange`] when disconnected; [`Error::Order`] when the order is unknown or no longer open, when
    /// nothing would change, when the new quantity is not above what already filled, or as for a new order.
    pub fn amend(
        &mut self,
        symbol: Symbol,
        order_id: OrderId,
        quantity: Option<Decimal>,
        price: Option<Decimal>,
    ) -> Result<OrderReport> {
        self.require_connected()?;
        let known = self.order_status(symbol, order_id)?;
        if !self.orders.is_open(order_id) {
            return Err(Error::Order(format!("order {order_id} is not open (status {})", known.status.as_str())));
        }
        let mut changed = known.request;
        if let Some(quantity) = quantity {
            if quantity <= known.filled_quantity {
                return Err(Error::Order(format!(
                    "order {order_id}: new quantity {quantity} is not above the {} already filled",
                    known.filled_quantity
                )));
            }
            changed.quantity = OrderQty::Base(quantity);
        }
        match (price, changed.order_type) {
            (None, _) => {}
            (Some(p), OrderType::Limit | OrderType::StopLimit | OrderType::TakeProfitLimit) => changed.price = Some(p),
            (Some(p), OrderType::StopMarket | OrderType::TakeProfitMarket) => changed.stop_price = Some(p),
            (Some(_), other) => {
                return Err(Error::Order(format!(
                    "order {order_id}: a {} order has no price to amend",
                    other.as_str()
                )));
            }
        }
        if changed == known.request {
            return Err(Error::Order(format!("order {order_id}: the amendment changes nothing")));
        }
        let market = self.market_index(symbol)?;
        let accepted = rules::accept(&self.markets[market], &self.account, changed, self.config.round_orders)?;
        let smaller_in_place = price.is_none()
            && matches!((accepted.quantity, known.request.quantity), (OrderQty::Base(new), OrderQty::Base(old)) if new < old);
        let mut report = known;
        report.request = accepted;
        if smaller_in_place {
            if let Some(open) = self.orders.open_mut(order_id) {
                *open = report.clone();
            }
        } else {
            self.orders.move_to_back(order_id, report.clone());
        }
        Ok(report)
    }

    /// Places a stop-loss and a take-profit for a position opened (or added to) by `entry`'s fill at `entry_time`,
    /// as a one-cancels-the-other pair. With detail data for the bar being replayed, the pair is matched against
    /// the detail bars after the fill. Without: when the entry filled at the open of the bar being replayed, the
    /// rest of that bar happened after it, so the pair is matched against the bar at once (stop first, as always);
    /// when it filled inside the bar, the venue's [`MidBarExits`](super::MidBarExits) rule decides.
    ///
    /// # Errors
    /// As [`SimulatedExchange::submit`], for either order; a refused take-profit cancels the stop-loss.
    pub fn submit_exits(
        &mut self,
        stop_loss: OrderRequest,
        take_profit: OrderRequest,
        entry: &OrderRequest,
        entry_time: Timestamp,
    ) -> Result<(OrderReport, OrderReport)> {
        let (stop_id, take_id) = (stop_loss.client_order_id, take_profit.client_order_id);
        let stop = self.submit(OrderRequest { one_cancels_other: Some(take_id), ..stop_loss })?;
        let take = match self.submit(OrderRequest { one_cancels_other: Some(stop_id), ..take_profit }) {
            Ok(take) => take,
            Err(refusal) => {
                self.cancel(stop.request.symbol, stop_id)?;
                return Err(refusal);
            }
        };
        let market = self.market_index(stop.request.symbol)?;
        if self.match_exits_in_detail(market, [stop_id, take_id], entry_time) {
            return Ok((stop, take));
        }
        if let Some(bar) = self.markets[market].last_bar.filter(|b| b.open_time == entry_time) {
            self.match_exits_in_entry_bar(market, &bar.bar(), entry, [stop_id, take_id]);
        }
        Ok((stop, take))
    }

    /// An entry order with a stop-loss and a take-profit that activate when it fills (a bracket; Binance's
    /// OTOCO): the children become a one-cancels-the-other pair for the filled quantity, matched against the rest of
    /// the entry's bar first (stop first, as always); if the entry ends unfilled, the children are reported canceled.
    /// The children are checked against the venue's filters when they activate.
    ///
    /// # Errors
    /// As [`SimulatedExchange::submit`] for the entry; [`Error::Order`] when the children do not close the entry
    /// (opposite side, a stop-loss and a take-profit with stop prices) or reuse an id.
    pub fn submit_bracket(
        &mut self,
        entry: OrderRequest,
        stop_loss: OrderRequest,
        take_profit: OrderRequest,
    ) -> Result<OrderReport> {
        let closes = |child: &OrderRequest, order_type: OrderType| {
            child.side != entry.side
                && child.order_type == order_type
                && child.stop_price.is_some()
                && child.symbol == entry.symbol
        };
        if !closes(&stop_loss, OrderType::StopMarket) || !closes(&take_profit, OrderType::TakeProfitMarket) {
            return Err(Error::Order(format!(
                "bracket {}: the children must be a STOP_MARKET and a TAKE_PROFIT_MARKET of the other side, with stop prices",
                entry.client_order_id
            )));
        }
        let ids = [entry.client_order_id, stop_loss.client_order_id, take_profit.client_order_id];
        if ids[0] == ids[1]
            || ids[0] == ids[2]
            || ids[1] == ids[2]
            || ids.iter().any(|id| self.orders.get(*id).is_some())
        {
            return Err(Error::Order(format!(
                "bracket {}: its three orders need ids of their own",
                entry.client_order_id
            )));
        }
        let report = self.submit(entry)?;
        self.brackets.push((entry.client_order_id, stop_loss, take_profit));
        Ok(report)
    }

    /// The venue's record of an order.
    ///
    /// # Errors
    /// [`Error::Order`] when the order is unknown.
    pub fn order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.orders.get(order_id).filter(|r| r.request.symbol == symbol).cloned().ok_or_else(|| {
            Error::Order(format!(
                "venue '{}' has no order {order_id} for {symbol} (it remembers the last {FINISHED_ORDERS_KEPT} finished orders)",
                self.name
            ))
        })
    }
}

//! The order flow of the [`TradingEngine`]: risk check, record, route, and booking what venues report back.

use rust_decimal::Decimal;

use super::TradingEngine;
use crate::engine::run_log::{CashChange, RiskAction, RiskEvent};
use crate::error::{Error, Result};
use crate::execution::FillRecord;
use crate::execution::Purpose;
use crate::model::VenueId;
use crate::model::exact::positive;
use crate::model::{
    ExecutionEvent, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, Side, Symbol, Timestamp,
};
use crate::portfolio::RoundTrip;
use crate::risk::{ExitDistances, MarkOutcome, RiskRule};
use crate::strategy::{Command, OrderIntent, StreamKind};

/// An order the risk manager let through, recorded, ready for its venue.
#[derive(Clone, Copy, Debug)]
pub(super) struct Admitted {
    pub(super) venue: VenueId,
    slot: usize,
    /// The price the order was checked at: its limit, or the last price.
    price: Decimal,
    pub(super) request: OrderRequest,
    /// The stop-loss / take-profit distances to attach once it fills (an entry, with exits attached).
    exits: Option<ExitDistances>,
}

impl TradingEngine {
    /// Risk check and record: every order of every source goes through here. A refused order is recorded and
    /// returned as [`Error::RiskManagement`].
    pub(super) fn admit(&mut self, intent: OrderIntent) -> Result<Admitted> {
        let slot = self
            .portfolio
            .slot(intent.symbol)
            .ok_or_else(|| Error::Config(format!("{} is not an instrument of this portfolio", intent.symbol)))?;
        for (name, given) in [("limit", intent.price), ("stop", intent.stop_price)] {
            if let Some(price) = given.filter(|p| !positive(*p)) {
                return Err(Error::Order(format!("{name} price {price} for {} is not positive", intent.symbol)));
            }
        }
        let on_book = self.streams.iter().any(|s| s.symbol == intent.symbol && s.kind == StreamKind::Book);
        if on_book
            && self.router.answers_at_once(intent.venue)
            && matches!(self.router.book(intent.venue, intent.symbol), Ok(None))
        {
            // A simulated venue matches a level-2 symbol on its book, which its first message builds.
            return Err(Error::Order(format!("no book of {} yet: its level-2 data has not begun", intent.symbol)));
        }
        let price = intent.price.or(intent.stop_price).unwrap_or(self.portfolio.position(slot).last_price);
        if !positive(price) {
            return Err(Error::Order(format!("no price is known yet for {}", intent.symbol)));
        }
        for p in self.portfolio.positions() {
            self.risk_manager.update_price(p.symbol, p.last_price);
        }
        let equity = self.portfolio.equity();
        let cash = self.portfolio.cash() - self.working.committed_cash();
        let mut decision =
            self.risk_manager.check_order(intent.symbol, intent.side, intent.quantity, price, equity, cash);
        let mut exits = self.bracket_exits(&intent, decision.reduces)?;
        if exits.is_none() && decision.accepted && !decision.reduces && self.risk_manager.policy().exits.attach {
            match self.risk_manager.exit_distances(price, intent.volatility) {
                Ok(distances) => exits = Some(distances),
                Err(refusal) => decision = refusal,
            }
        }
        let (accepted, adjusted) = (decision.accepted, decision.adjusted);
        let id = self.log.orders.next_id();
        let mut request = OrderRequest {
            client_order_id: id,
            symbol: intent.symbol,
            side: intent.side,
            order_type: intent.order_type,
            quantity: intent.quantity,
            price: intent.price,
            stop_price: intent.stop_price,
            trail: intent.trail,
            reduce_only: intent.reduce_only,
            time_in_force: intent.time_in_force,
            ..OrderRequest::new(id, intent.symbol, intent.side, intent.quantity, intent.price)
        };
        let now = self.clock.now();
        let resized = match intent.quantity {
            OrderQty::Base(q) if accepted && adjusted < q => Some(OrderQty::Base(adjusted)),
            OrderQty::Quote(a) if accepted && adjusted < a => Some(OrderQty::Quote(adjusted)),
            _ => None,
        };
        if let (Some(quantity), Some(rule)) = (resized, decision.rule) {
            request.quantity = quantity;
            self.record_order_risk(now, &request, rule, RiskAction::Resized, &decision.reason, adjusted);
        }
        self.log.orders.create(intent.venue, now, request);
        if !accepted {
            let rule = decision.rule.unwrap_or(RiskRule::InvalidOrder);
            self.record_order_risk(now, &request, rule, RiskAction::Rejected, &decision.reason, Decimal::ZERO);
            self.end_order(id, OrderStatus::Rejected, decision.reason.to_string());
            // Journaled at once, so that a journal's order ids never skip one (a resume looks orders up by id).
            self.log.orders.journal(id, self.journal.as_mut())?;
            return Err(Error::RiskManagement(decision.reason.into_owned()));
        }
        self.log.orders.risk_checked(id, request);
        self.log.orders.journal_before_send(id, self.journal.as_mut())?;
        if decision.reduces {
            self.cancel_exits(intent.venue, slot, id);
        }
        tracing::info!(
            target: "audit",
            order = %id,
            symbol = %request.symbol,
            side = request.side.as_str(),
            order_type = request.order_type.as_str(),
            quantity = ?request.quantity,
            price = ?request.price,
            "order admitted by the risk manager"
        );
        Ok(Admitted { venue: intent.venue, slot, price, request, exits })
    }

    /// The exits of `intent`'s bracket, checked: positive distances, an entry (not an order that reduces the
    /// position), and a venue that holds the engine's exit pairs (a simulated one).
    fn bracket_exits(&self, intent: &OrderIntent, reduces: bool) -> Result<Option<ExitDistances>> {
        let Some(b) = intent.bracket else { return Ok(None) };
        let refuse = |why: String| Err(Error::Order(format!("bracket of {} on {}: {why}", intent.symbol, intent.side)));
        if !positive(b.stop_loss) || !positive(b.take_profit) {
            return refuse(format!(
                "stop-loss ({}) and take-profit ({}) distances must be positive",
                b.stop_loss, b.take_profit
            ));
        }
        if reduces || intent.reduce_only {
            return refuse("it reduces the position; a bracket's exits protect an entry".into());
        }
        if !self.router.answers_at_once(intent.venue) {
            let venue = self.router.name_of(intent.venue);
            return refuse(format!("venue '{venue}' cannot hold the engine's exit pairs; only simulated venues can"));
        }
        Ok(Some(ExitDistances { stop: b.stop_loss, take: b.take_profit }))
    }

    /// Journals order `id`'s record after a change the venue already made (an amendment): a failure stops the run,
    /// and the order stays as the venue has it.
    pub(super) fn journal_change(&mut self, id: OrderId) -> Result<()> {
        self.log.orders.journal(id, self.journal.as_mut())
    }

    /// Records the venue's answer to an admitted order and books any executions it reported.
    pub(super) fn settle(&mut self, order: Admitted, answer: Result<OrderReport>) -> Result<OrderReport> {
        let id = order.request.client_order_id;
        match &answer {
            Ok(report) => {
                tracing::info!(target: "audit", order = %id, status = report.status.as_str(), "order accepted by the venue")
            }
            Err(refusal) => tracing::info!(target: "audit", order = %id, %refusal, "order refused by the venue"),
        }
        match answer {
            Ok(report) => {
                self.log.orders.accepted(id, report.request);
                let request = report.request;
                // A base-sized buy spends its fee on top; a quote-sized order's amount covers its fee.
                let (remaining, fee_rate) = match request.quantity {
                    OrderQty::Base(quantity) => (quantity, self.risk_manager.fee_rate(request.symbol)),
                    OrderQty::Quote(amount) => {
                        (self.risk_manager.quantity_for_amount(request.symbol, amount, order.price), Decimal::ZERO)
                    }
                };
                let purpose = Purpose::Trade { exits: order.exits };
                let kind = (request.side, request.order_type);
                self.working.open(id, order.slot, kind, remaining, (order.price, fee_rate), purpose);
                if let OrderQty::Quote(amount) = request.quantity {
                    self.working.quote_sized(id, amount);
                }
                self.sync_working(request.symbol, order.slot);
                self.collect_executions(order.venue);
                Ok(report)
            }
            Err(Error::Order(message)) => {
                self.end_order(id, OrderStatus::Rejected, message.clone());
                Err(Error::Order(message))
            }
            Err(limited @ Error::RateLimit { .. }) => {
                self.end_order(id, OrderStatus::Rejected, limited.to_string());
                Err(limited)
            }
            Err(other) => Err(other),
        }
    }

    /// Admits and routes one order, waiting for venues that answer asynchronously.
    pub(super) async fn submit(&mut self, intent: OrderIntent) -> Result<OrderReport> {
        let order = self.admit(intent)?;
        self.log.orders.sent(order.request.client_order_id);
        let answer = match self.router.place_order_now(order.venue, order.request) {
            Some(answer) => answer,
            None => self.router.place_order(order.venue, order.request).await,
        };
        self.settle(order, answer)
    }

    pub(super) fn record_order_risk(
        &mut self,
        time: Timestamp,
        request: &OrderRequest,
        rule: RiskRule,
        action: RiskAction,
        reason: &str,
        size: Decimal,
    ) {
        tracing::info!(target: "audit", order = %request.client_order_id, rule = rule.as_str(), ?action, reason, "risk decision");
        self.log.risk_events.push(RiskEvent {
            time,
            rule,
            action,
            order_id: Some(request.client_order_id),
            symbol: Some(request.symbol),
            reason: reason.to_string(),
            adjusted_size: Some(size),
        });
    }

    /// Records a limit reached (halt, daily limit, cool-off).
    fn record_limit(&mut self, time: Timestamp, rule: RiskRule, action: RiskAction, reason: String) {
        tracing::info!(rule = rule.as_str(), ?action, %reason, "risk limit reached");
        self.log.risk_events.push(RiskEvent {
            time,
            rule,
            action,
            order_id: None,
            symbol: None,
            reason,
            adjusted_size: None,
        });
    }

    /// A mark tripped the drawdown halt or the daily limit: record it; on a halt with `flatten_on_halt`, queue the
    /// cancels of the strategy's working orders and a market order closing every open position (they pass the
    /// risk manager as reducing orders).
    #[cold]
    pub(super) fn on_limit_reached(&mut self, time: Timestamp, outcome: MarkOutcome) {
        if outcome.daily_limit {
            let reason = self.risk_manager.daily_limit_reason().unwrap_or_default().to_string();
            self.record_limit(time, RiskRule::DailyLoss, RiskAction::DailyLimit, reason);
        }
        if !outcome.halted {
            return;
        }
        let reason = self.risk_manager.halt().map(|h| h.reason.clone()).unwrap_or_default();
        let flatten = self.risk_manager.policy().flatten_on_halt;
        let reason = if flatten { format!("{reason}; closing every position") } else { reason };
        self.record_limit(time, RiskRule::Drawdown, RiskAction::Halted, reason);
        if flatten {
            // The strategy's working orders go first: a resting sell would otherwise count against the long the
            // market order closes, and the halted risk manager would take the close for new risk.
            let venue = |symbol| self.venues_by_symbol.iter().find(|(s, _)| *s == symbol).map(|(_, v)| *v);
            let mut closing = Vec::new();
            for (slot, p) in self.portfolio.positions().iter().enumerate().filter(|(_, p)| !p.quantity.is_zero()) {
                let Some(venue) = venue(p.symbol) else { continue };
                let symbol = p.symbol;
                closing.extend(self.working.trades_of(slot).map(|o| Command::Cancel { venue, symbol, order_id: o.id }));
                let side = if p.quantity.is_sign_positive() { Side::Sell } else { Side::Buy };
                closing.push(Command::Submit(OrderIntent::market(
                    venue,
                    symbol,
                    side,
                    OrderQty::Base(p.quantity.abs()),
                )));
            }
            self.commands.extend(closing);
        }
    }

    /// Records that order `id` ended with `status` (rejected, canceled) for `reason`.
    pub(super) fn end_order(&mut self, id: OrderId, status: OrderStatus, reason: String) {
        self.log.orders.end(id, status, reason);
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

    pub(super) fn apply_execution(&mut self, venue: VenueId, execution: ExecutionEvent) {
        if let ExecutionEvent::Fill { fill, .. } = &execution
            && !(positive(fill.quantity) && positive(fill.price))
        {
            // No venue trades nothing, or at no price: such a report is not booked (nor journaled).
            tracing::error!(order = %fill.order_id, quantity = %fill.quantity, price = %fill.price, "fill of no quantity or price ignored");
            return;
        }
        if let ExecutionEvent::Fill { fill, order_status } = &execution
            && !self.log.orders.may_fill(fill.order_id, *order_status)
        {
            // Not an order of this run, or one that ended: nothing to book, nothing to journal.
            tracing::warn!(order = %fill.order_id, quantity = %fill.quantity, "fill of no working order ignored");
            return;
        }
        if let ExecutionEvent::Fill { fill, .. } = &execution
            && let Some(trade) = fill.trade_id
            && self.log.orders.has_trade(venue, fill.symbol, trade)
        {
            // Reported before (by the stream and a status answer, or twice by the stream): booked once.
            tracing::info!(order = %fill.order_id, %trade, "fill of a trade booked before ignored");
            return;
        }
        if let (ExecutionEvent::Fill { fill, .. }, Some(journal)) = (&execution, self.journal.as_mut()) {
            let seq = self.log.fills.len() as u64;
            if let Err(failure) = (journal.fills)(seq, &FillRecord { venue, fill: *fill }) {
                // Not booked: a fill the journal does not hold must not move the ledger. The session stops.
                self.journal_failure.get_or_insert(failure);
                return;
            }
        }
        let (order_id, status) = match &execution {
            ExecutionEvent::Fill { fill, order_status } => (fill.order_id, *order_status),
            ExecutionEvent::Ended { order_id, status, .. } => (*order_id, *status),
        };
        match &execution {
            ExecutionEvent::Fill { fill, order_status } => tracing::info!(
                target: "audit",
                order = %order_id,
                quantity = %fill.quantity,
                price = %fill.price,
                fee = %fill.fee,
                liquidity = fill.liquidity.as_str(),
                status = order_status.as_str(),
                "fill"
            ),
            ExecutionEvent::Ended { status, reason, .. } => {
                tracing::info!(target: "audit", order = %order_id, status = status.as_str(), reason, "order ended");
            }
        }
        let Some(record) = self.log.orders.get(order_id) else {
            return;
        };
        if record.state.is_final() && matches!(execution, ExecutionEvent::Ended { .. }) {
            // Ended already (a cancel's answer, then the venue's own report of the end): the first end stands.
            return;
        }
        let symbol = record.report.request.symbol;
        let still_working = match execution {
            ExecutionEvent::Fill { fill, .. } => {
                if !self.log.orders.fill(order_id, &fill, status) {
                    return;
                }
                if let Some(trip) = self.portfolio.apply_fill(&fill) {
                    self.on_round_trip(&trip);
                    self.log.round_trips.push(trip);
                }
                self.log.fills.push(FillRecord { venue, fill });
                self.log
                    .cash_changes
                    .push(CashChange { from_mark: self.log.equity.len(), cash: self.portfolio.cash() });
                if let Some(slot) = self.portfolio.slot(symbol) {
                    self.risk_manager.update_position(symbol, self.portfolio.position(slot).quantity);
                }
                self.working.spent(order_id, fill.notional() + fill.fee);
                let working = self.working.filled(order_id, fill.quantity, status.is_final());
                // Every fill of an entry is protected as it happens — an entry a participation cap spreads over
                // several bars does not wait until it ends — by its own pair, at distances from its own price.
                if let Some((slot, Purpose::Trade { exits: Some(distances) })) = working {
                    self.place_exits(venue, slot, order_id, &fill, distances);
                }
                working.map(|(slot, _)| slot)
            }
            ExecutionEvent::Ended { reason, .. } => {
                self.log.orders.end(order_id, status, reason);
                if let Some(index) = self.exit_backlog.iter().position(|(id, ..)| *id == order_id) {
                    let (_, quantity, _) = self.exit_backlog.swap_remove(index);
                    tracing::warn!(entry = %order_id, %quantity, "the entry ended: its last parts, below the minimum notional, have no exit");
                }
                self.working.filled(order_id, Decimal::ZERO, true).map(|(slot, _)| slot)
            }
        };
        if let Some(slot) = still_working {
            self.sync_working(symbol, slot);
        }
        if !(self.pending_trades.is_empty() && self.covered.is_empty())
            && self.log.orders.get(order_id).is_some_and(|record| record.state.is_final())
        {
            // Ended by whichever report came first (a private stream's, say): nothing is pending of it any more.
            self.pending_trades.remove(&order_id);
            self.covered.remove(&order_id);
        }
    }

    /// Tells the risk manager what the open trade orders of `slot` (`symbol`'s) would buy and sell.
    pub(super) fn sync_working(&mut self, symbol: Symbol, slot: usize) {
        let (buying, selling) = self.working.sides(slot);
        self.risk_manager.update_working(symbol, buying, selling);
    }

    /// A closed round trip counts towards the loss streak (and Kelly); a streak long enough starts a cool-off.
    pub(super) fn on_round_trip(&mut self, trip: &RoundTrip) {
        if let Some(until) = self.risk_manager.on_round_trip(trip.exit_time, trip.net_pnl, trip.entry_notional) {
            let reason = format!(
                "{} losing round trips in a row: no new entries until {until}",
                self.risk_manager.limits().max_consecutive_losses
            );
            self.record_limit(trip.exit_time, RiskRule::ConsecutiveLosses, RiskAction::CoolingOff, reason);
        }
    }
}

//! [`TradingEngine`]: the seed's engine. It owns the named venues (through the [`OrderRouter`]), the risk manager and
//! the portfolio, replays market data through a strategy, and records everything in a [`RunLog`].
//!
//! Per event, in this order: advance the clock → the venue matches resting orders against the bar → fills are
//! booked → the portfolio is marked at the close → the strategy sees the closed bar → its orders pass the risk
//! manager and go to the venue → after the last event at a time, equity is recorded.

use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;

use super::portfolio::{Portfolio, Position};
use super::run_log::{CashChange, EquityPoint, FillRecord, OrderRecord, RiskAction, RiskEvent, RunLog};
use crate::error::{Error, Result};
use crate::exchange::{OrderRouter, VenueId};
use crate::model::{
    BarSeries, ExecutionEvent, MarketEvent, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side,
    Symbol, Timestamp,
};
use crate::replay::{FeedEvent, ReplayFeed, SimClock};
use crate::risk::RiskManager;
use crate::strategy::{BarContext, OrderIntent, Strategy, StreamInfo, build_strategy};

/// Recorded market data for a replay: bar series and the venue each one trades on. Built once, shared read-only
/// by every run that replays it.
#[derive(Clone, Debug)]
pub struct MarketData {
    series: Vec<BarSeries>,
    venues: Vec<VenueId>,
    close_scales: Vec<u32>,
}

impl MarketData {
    /// Pairs each series with the venue its symbol trades on.
    ///
    /// # Errors
    /// [`Error::Config`] when the two lists differ in length.
    pub fn new(series: Vec<BarSeries>, venues: Vec<VenueId>) -> Result<Self> {
        if series.len() != venues.len() {
            return Err(Error::Config(format!("{} series but {} venues", series.len(), venues.len())));
        }
        let close_scales = series.iter().map(BarSeries::close_scale).collect();
        Ok(MarketData { series, venues, close_scales })
    }

    /// The series, in stream order.
    pub fn series(&self) -> &[BarSeries] {
        &self.series
    }
}

/// Counts of one [`TradingEngine::execute_strategy`] call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrategyRun {
    /// Strategy kind.
    pub strategy: String,
    /// Market events replayed.
    pub events: usize,
}

/// The portfolio as `get_portfolio_status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortfolioStatus {
    /// Engine time.
    pub time: Timestamp,
    /// Quote asset.
    pub quote: String,
    /// Free cash.
    pub cash: Decimal,
    /// Cash plus positions at their last prices.
    pub equity: Decimal,
    /// Σ |position value|.
    pub gross_exposure: Decimal,
    /// Realized PnL before fees, all positions.
    pub realized_pnl: Decimal,
    /// Unrealized PnL, all positions.
    pub unrealized_pnl: Decimal,
    /// Fees paid.
    pub fees_paid: Decimal,
    /// Positions that are not flat.
    pub positions: Vec<Position>,
}

/// The trading engine (the seed's `TradingEngine(exchanges=..., risk_manager=...)`).
pub struct TradingEngine {
    router: OrderRouter,
    risk_manager: RiskManager,
    portfolio: Portfolio,
    clock: SimClock,
    log: RunLog,
    market: Option<Arc<MarketData>>,
    open_orders: Vec<usize>,
    running: bool,
    executions: Vec<ExecutionEvent>,
    intents: Vec<OrderIntent>,
}

impl TradingEngine {
    /// An engine trading on the router's venues, checking every order with `risk_manager`, booking into `portfolio`.
    pub fn new(router: OrderRouter, risk_manager: RiskManager, portfolio: Portfolio) -> Self {
        let slots = portfolio.positions().len();
        TradingEngine {
            router,
            risk_manager,
            portfolio,
            clock: SimClock::default(),
            log: RunLog::default(),
            market: None,
            open_orders: vec![0; slots],
            running: false,
            executions: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// Attaches recorded market data for [`Self::execute_strategy`] to replay. Shared, never copied.
    pub fn with_market_data(mut self, market: Arc<MarketData>) -> Self {
        self.market = Some(market);
        self
    }

    /// Connects every venue and takes the portfolio value as the day's start value.
    ///
    /// # Errors
    /// The first venue that fails to connect.
    pub async fn start(&mut self) -> Result<()> {
        self.router.connect_all().await?;
        self.risk_manager.set_daily_start_value(self.portfolio.equity());
        self.running = true;
        tracing::info!(venues = ?self.router.names(), "engine started");
        Ok(())
    }

    /// Disconnects every venue. Open orders and positions stay as they are.
    ///
    /// # Errors
    /// The first venue that fails to disconnect.
    pub async fn stop(&mut self) -> Result<()> {
        self.running = false;
        self.router.disconnect_all().await?;
        tracing::info!("engine stopped");
        Ok(())
    }

    /// The record of everything that happened so far.
    pub fn run_log(&self) -> &RunLog {
        &self.log
    }

    /// The ledger.
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// The venues.
    pub fn router(&self) -> &OrderRouter {
        &self.router
    }

    /// Ends the engine's life, handing over the run's record and the final ledger.
    pub fn into_results(self) -> (RunLog, Portfolio) {
        (self.log, self.portfolio)
    }

    /// The portfolio now: cash, equity, exposure, PnL and open positions.
    pub async fn get_portfolio_status(&self) -> PortfolioStatus {
        let positions = self.portfolio.positions();
        PortfolioStatus {
            time: self.clock.now(),
            quote: self.portfolio.quote().to_string(),
            cash: self.portfolio.cash(),
            equity: self.portfolio.equity(),
            gross_exposure: self.portfolio.gross_exposure(),
            realized_pnl: positions.iter().map(|p| p.realized_pnl).sum(),
            unrealized_pnl: positions.iter().map(Position::unrealized_pnl).sum(),
            fees_paid: self.portfolio.fees_paid(),
            positions: positions.iter().filter(|p| !p.quantity.is_zero()).cloned().collect(),
        }
    }

    /// Places an order directly (the seed's `place_order`): a limit order when `price` is given, else a market order.
    /// It passes the risk manager like every strategy order.
    ///
    /// # Errors
    /// [`Error::RiskManagement`] with the reason when the risk manager refuses it; [`Error::Order`] when the venue
    /// does; [`Error::Config`] for an unknown venue or symbol.
    pub async fn place_order(
        &mut self,
        venue: &str,
        symbol: Symbol,
        side: Side,
        quantity: Decimal,
        price: Option<Decimal>,
    ) -> Result<OrderReport> {
        let venue = self.router.require(venue)?;
        let order_type = if price.is_some() { OrderType::Limit } else { OrderType::Market };
        self.submit(OrderIntent { venue, symbol, side, order_type, quantity: OrderQty::Base(quantity), price }).await
    }

    /// Runs the strategy `name` with `params` over the attached market data, from the first event to the last.
    /// Orders the risk manager or a venue refuses are recorded in the run log, not returned as errors.
    ///
    /// # Errors
    /// [`Error::Validation`] if the engine was not started; [`Error::Config`] for an unknown strategy, bad
    /// parameters or missing market data; venue failures other than order rejections.
    pub async fn execute_strategy(&mut self, name: &str, params: &serde_json::Value) -> Result<StrategyRun> {
        if !self.running {
            return Err(Error::Validation("the engine is not running: call start() first".into()));
        }
        let market =
            self.market.clone().ok_or_else(|| Error::Config("no market data is attached to the engine".into()))?;
        let mut strategy = build_strategy(name, params)?;
        let mut slots = Vec::with_capacity(market.series.len());
        let mut infos = Vec::with_capacity(market.series.len());
        for ((series, &venue), &close_scale) in market.series.iter().zip(&market.venues).zip(&market.close_scales) {
            let slot = self.portfolio.slot(series.symbol).ok_or_else(|| {
                Error::Config(format!("market data for {} has no instrument in the portfolio", series.symbol))
            })?;
            slots.push(slot);
            infos.push(StreamInfo { symbol: series.symbol, venue, close_scale });
        }
        strategy.on_start(&infos)?;
        let mut feed = ReplayFeed::new(&market.series);
        self.log.equity.reserve(feed.total_events());
        let mut events = 0;
        while let Some(event) = feed.next() {
            self.on_bar(&market, event, slots[event.stream], strategy.as_mut());
            if !self.intents.is_empty() {
                self.submit_intents().await?;
            }
            if feed.peek_time() != Some(event.time) {
                self.record_equity(event.time);
            }
            events += 1;
        }
        tracing::info!(
            strategy = name,
            events,
            orders = self.log.orders.len(),
            fills = self.log.fills.len(),
            "replay done"
        );
        Ok(StrategyRun { strategy: name.to_string(), events })
    }

    /// Steps 1–5 of the per-event cycle for one bar; the strategy's orders are left in `self.intents`.
    #[inline]
    fn on_bar(&mut self, market: &MarketData, event: FeedEvent, slot: usize, strategy: &mut dyn Strategy) {
        self.clock.advance_to(event.time);
        let series = &market.series[event.stream];
        let venue = market.venues[event.stream];
        let bar = series.bar(event.index);
        self.router.on_market_event(venue, &MarketEvent::Bar { symbol: series.symbol, bar });
        self.collect_executions(venue);
        self.portfolio.mark(slot, bar.close);
        let ctx = BarContext {
            stream: event.stream,
            venue,
            symbol: series.symbol,
            bar: &bar,
            position: self.portfolio.position(slot).quantity,
            cash: self.portfolio.cash(),
            open_orders: self.open_orders[slot],
            account: &self.portfolio,
        };
        strategy.on_bar(&ctx, &mut self.intents);
    }

    /// Sends the pending intents; refusals are recorded and the run goes on, other failures end it.
    async fn submit_intents(&mut self) -> Result<()> {
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

    /// Risk check, record, route. Every order of every source goes through here.
    async fn submit(&mut self, intent: OrderIntent) -> Result<OrderReport> {
        let slot = self
            .portfolio
            .slot(intent.symbol)
            .ok_or_else(|| Error::Config(format!("{} is not an instrument of this portfolio", intent.symbol)))?;
        let price = intent.price.unwrap_or(self.portfolio.position(slot).last_price);
        if price <= Decimal::ZERO {
            return Err(Error::Order(format!("no price is known yet for {}", intent.symbol)));
        }
        let estimate = match intent.quantity {
            OrderQty::Base(q) => q,
            OrderQty::Quote(amount) => amount / price,
        };
        let equity = self.portfolio.equity();
        let (accepted, reason, adjusted) = self
            .risk_manager
            .validate_order(intent.symbol, intent.side, estimate, price, equity, self.portfolio.cash())
            .await;
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
        if accepted && adjusted < estimate {
            request.quantity = match intent.quantity {
                OrderQty::Base(_) => OrderQty::Base(adjusted),
                OrderQty::Quote(_) => OrderQty::Quote(adjusted * price),
            };
            self.record_risk(now, &request, RiskAction::Resized, &reason, adjusted);
        }
        self.log.orders.push(OrderRecord {
            venue: intent.venue,
            created: now,
            request,
            status: OrderStatus::New,
            filled_quantity: Decimal::ZERO,
            average_price: None,
            fee: Decimal::ZERO,
            reason: None,
        });
        if !accepted {
            self.record_risk(now, &request, RiskAction::Rejected, &reason, Decimal::ZERO);
            self.reject(id, reason.clone());
            return Err(Error::RiskManagement(reason));
        }
        match self.router.place_order(intent.venue, request).await {
            Ok(report) => {
                if let Some(record) = self.log.order_mut(id) {
                    record.request = report.request;
                }
                self.open_orders[slot] += 1;
                self.collect_executions(intent.venue);
                Ok(report)
            }
            Err(Error::Order(message)) => {
                self.reject(id, message.clone());
                Err(Error::Order(message))
            }
            Err(other) => Err(other),
        }
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
            record.status = OrderStatus::Rejected;
            record.reason = Some(reason);
        }
    }

    /// Books every execution the venue reported since the last call.
    #[inline]
    fn collect_executions(&mut self, venue: VenueId) {
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
        let was_open = !record.status.is_final();
        let symbol = record.request.symbol;
        match execution {
            ExecutionEvent::Fill { fill, .. } => {
                let filled = record.filled_quantity + fill.quantity;
                record.average_price = Some(match record.average_price {
                    None => fill.price,
                    Some(average) => (average * record.filled_quantity + fill.notional()) / filled,
                });
                record.filled_quantity = filled;
                record.fee += fill.fee;
                record.status = status;
                self.portfolio.apply_fill(&fill);
                self.log.fills.push(FillRecord { venue, fill });
                self.log
                    .cash_changes
                    .push(CashChange { from_mark: self.log.equity.len(), cash: self.portfolio.cash() });
                if let Some(slot) = self.portfolio.slot(symbol) {
                    self.risk_manager.update_position(symbol, self.portfolio.position(slot).quantity);
                }
            }
            ExecutionEvent::Rejected { reason, .. } => {
                record.status = OrderStatus::Rejected;
                record.reason = Some(reason);
            }
        }
        let now_final = self.log.order_mut(order_id).is_some_and(|r| r.status.is_final());
        if was_open
            && now_final
            && let Some(slot) = self.portfolio.slot(symbol)
        {
            self.open_orders[slot] = self.open_orders[slot].saturating_sub(1);
        }
    }

    #[inline]
    fn record_equity(&mut self, time: Timestamp) {
        self.log.equity.push(EquityPoint { time, equity: self.portfolio.equity() });
    }
}

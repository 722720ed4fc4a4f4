//! [`OrderRouter`]: the named venues the engine trades on, and the one place that decides where an order goes.
//!
//! A venue is either the [`SimulatedExchange`] (backtest, paper) or any other [`ExchangeAdapter`] (live). This is
//! the only code that tells them apart: simulated venues are called directly, which keeps the per-event path free of
//! dynamic dispatch and of boxed futures; every other venue goes through the trait.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::market::L2Book;
use crate::model::{
    Bar, ExecutionEvent, L2Row, MarketEvent, OrderId, OrderReport, OrderRequest, Symbol, Timestamp, VenueId,
};
use crate::venue::sim::{BookFillStats, BookTop};
use crate::venue::{ExchangeAdapter, OrderTrades, SimulatedExchange};

/// A venue behind the router.
enum Venue {
    Simulated(Box<SimulatedExchange>),
    Adapter(Box<dyn ExchangeAdapter>),
}

impl Venue {
    fn adapter(&self) -> &dyn ExchangeAdapter {
        match self {
            Venue::Simulated(sim) => sim.as_ref(),
            Venue::Adapter(adapter) => adapter.as_ref(),
        }
    }

    fn adapter_mut(&mut self) -> &mut dyn ExchangeAdapter {
        match self {
            Venue::Simulated(sim) => sim.as_mut(),
            Venue::Adapter(adapter) => adapter.as_mut(),
        }
    }
}

/// What the network venues' order calls cost and how they failed, since the router was made (for monitoring).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdapterStats {
    /// Seconds each order call (place, cancel, status) took, in the order they were made.
    pub round_trips: Vec<f64>,
    /// Failed calls by the seed's error name.
    pub errors: BTreeMap<&'static str, u64>,
}

impl AdapterStats {
    fn record<T>(&mut self, started: std::time::Instant, outcome: &Result<T>) {
        self.round_trips.push(started.elapsed().as_secs_f64());
        if let Err(error) = outcome {
            *self.errors.entry(error.kind()).or_default() += 1;
        }
    }
}

/// The engine's venues by name (the seed's `exchanges={'binance': adapter}`), in the order they were added.
#[derive(Default)]
pub struct OrderRouter {
    venues: Vec<Venue>,
    stats: AdapterStats,
}

impl OrderRouter {
    /// A router with no venues.
    pub fn new() -> Self {
        OrderRouter::default()
    }

    /// Adds a simulated venue under its own name.
    ///
    /// # Errors
    /// [`Error::Config`] when a venue of that name is already present.
    pub fn add_simulated(&mut self, venue: SimulatedExchange) -> Result<VenueId> {
        self.push(Venue::Simulated(Box::new(venue)))
    }

    /// Adds any other venue (a live adapter) under its own name.
    ///
    /// # Errors
    /// [`Error::Config`] when a venue of that name is already present.
    pub fn add(&mut self, adapter: Box<dyn ExchangeAdapter>) -> Result<VenueId> {
        self.push(Venue::Adapter(adapter))
    }

    fn push(&mut self, venue: Venue) -> Result<VenueId> {
        let name = venue.adapter().name();
        if self.find(name).is_some() {
            return Err(Error::Config(format!("venue '{name}' is configured twice")));
        }
        self.venues.push(venue);
        Ok(VenueId(self.venues.len() - 1))
    }

    /// The id of the venue called `name`.
    pub fn find(&self, name: &str) -> Option<VenueId> {
        self.venues.iter().position(|v| v.adapter().name() == name).map(VenueId)
    }

    /// The id of the venue called `name`.
    ///
    /// # Errors
    /// [`Error::Config`] listing the configured venues when there is none of that name.
    pub fn require(&self, name: &str) -> Result<VenueId> {
        self.find(name)
            .ok_or_else(|| Error::Config(format!("no venue named '{name}' (configured: {})", self.names().join(", "))))
    }

    /// `id` itself, when the router holds a venue under it.
    ///
    /// # Errors
    /// [`Error::Config`] for an id no venue has (a strategy's command naming a venue that is not configured).
    pub fn check(&self, id: VenueId) -> Result<VenueId> {
        match self.venues.get(id.0) {
            Some(_) => Ok(id),
            None => Err(Error::Config(format!("no venue number {} (configured: {})", id.0, self.names().join(", ")))),
        }
    }

    /// The name of venue `id` (empty for an id the router does not hold).
    pub fn name_of(&self, id: VenueId) -> &str {
        self.venues.get(id.0).map_or("", |v| v.adapter().name())
    }

    /// The venues that are network venues (live adapters), in the order they were added.
    pub fn network_venues(&self) -> Vec<VenueId> {
        self.venues
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v, Venue::Adapter(_)))
            .map(|(i, _)| VenueId(i))
            .collect()
    }

    /// Names of all venues, in the order they were added.
    pub fn names(&self) -> Vec<&str> {
        self.venues.iter().map(|v| v.adapter().name()).collect()
    }

    /// Name of the first venue reached only through the [`ExchangeAdapter`] interface (a live adapter), whose
    /// answers come later rather than within the engine's step.
    pub fn first_adapter_venue(&self) -> Option<&str> {
        self.venues.iter().find(|v| matches!(v, Venue::Adapter(_))).map(|v| v.adapter().name())
    }

    /// Balances venue `id` holds.
    ///
    /// # Errors
    /// Whatever the venue answers.
    pub async fn balances(&self, id: VenueId) -> Result<BTreeMap<String, Decimal>> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => Ok(sim.balances()),
            Venue::Adapter(adapter) => adapter.get_account_balance().await,
        }
    }

    /// The venue's record of order `order_id` of `symbol`.
    ///
    /// # Errors
    /// Whatever the venue answers, typically [`Error::Order`] for an order it does not know.
    pub async fn order_status(&mut self, id: VenueId, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => sim.order_status(symbol, order_id),
            Venue::Adapter(adapter) => {
                let started = std::time::Instant::now();
                let outcome = adapter.get_order_status(symbol, order_id).await;
                self.stats.record(started, &outcome);
                outcome
            }
        }
    }

    /// The trades of order `order_id` of `symbol` as venue `id` lists them; `None` from a venue that lists none (a
    /// simulated venue reports its fills as they happen).
    ///
    /// # Errors
    /// Whatever the venue answers.
    pub async fn order_trades(
        &mut self,
        id: VenueId,
        symbol: Symbol,
        order_id: OrderId,
    ) -> Result<Option<OrderTrades>> {
        match &mut self.venues[id.0] {
            Venue::Simulated(_) => Ok(None),
            Venue::Adapter(adapter) => {
                let started = std::time::Instant::now();
                let outcome = adapter.order_trades(symbol, order_id).await;
                // A venue that lists no trades was not asked anything.
                if !matches!(outcome, Ok(None)) {
                    self.stats.record(started, &outcome);
                }
                outcome
            }
        }
    }

    /// Renews (`arm`) or disarms venue `id`'s dead man's switch; `false` when it has none (a simulated venue).
    ///
    /// # Errors
    /// Whatever the venue answers.
    pub async fn dead_mans_switch(&mut self, id: VenueId, arm: bool) -> Result<bool> {
        match &mut self.venues[id.0] {
            Venue::Simulated(_) => Ok(false),
            Venue::Adapter(adapter) if arm => adapter.renew_dead_mans_switch().await,
            Venue::Adapter(adapter) => adapter.disarm_dead_mans_switch().await,
        }
    }

    /// The network venues' order calls so far: their round trips and failures.
    pub fn adapter_stats(&self) -> &AdapterStats {
        &self.stats
    }

    /// Connects every venue, in order.
    ///
    /// # Errors
    /// The first venue's failure, or [`Error::Exchange`] when a venue reports itself unusable.
    pub async fn connect_all(&mut self) -> Result<()> {
        for venue in &mut self.venues {
            let venue = venue.adapter_mut();
            if !venue.connect().await? {
                return Err(Error::Exchange(format!("venue '{}' is not usable after connect", venue.name())));
            }
        }
        Ok(())
    }

    /// Disconnects every venue, in order.
    ///
    /// # Errors
    /// The first venue's failure.
    pub async fn disconnect_all(&mut self) -> Result<()> {
        for venue in &mut self.venues {
            venue.adapter_mut().disconnect().await?;
        }
        Ok(())
    }

    /// Sends `order` to venue `id`.
    ///
    /// # Errors
    /// Whatever the venue answers, typically [`Error::Order`]; [`Error::Order`] for a reduce-only order to a live
    /// spot venue, which has no such orders (the simulated venue applies the rule itself).
    pub async fn place_order(&mut self, id: VenueId, order: OrderRequest) -> Result<OrderReport> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.submit(order),
            Venue::Adapter(adapter) if order.reduce_only => Err(Error::Order(format!(
                "REDUCE_ONLY: {} spot orders cannot be reduce-only; send a plain sell",
                adapter.name()
            ))),
            Venue::Adapter(adapter) => {
                let started = std::time::Instant::now();
                let outcome = adapter.place_order(order).await;
                self.stats.record(started, &outcome);
                outcome
            }
        }
    }

    /// Cancels order `order_id` of `symbol` at venue `id`, waiting for a network venue's answer.
    ///
    /// # Errors
    /// Whatever the venue answers, typically [`Error::Order`] for an order no longer open.
    pub async fn cancel_order(&mut self, id: VenueId, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.cancel(symbol, order_id),
            Venue::Adapter(adapter) => {
                let started = std::time::Instant::now();
                let outcome = adapter.cancel_order(symbol, order_id).await;
                self.stats.record(started, &outcome);
                outcome
            }
        }
    }

    /// Amends order `order_id` of `symbol` at venue `id` (new total base quantity and/or limit or stop price),
    /// waiting for a network venue's answer.
    ///
    /// # Errors
    /// Whatever the venue answers: [`Error::Order`] for an order no longer open or a change it refuses, and from a
    /// live venue that cannot amend, naming it.
    pub async fn amend_order(
        &mut self,
        id: VenueId,
        symbol: Symbol,
        order_id: OrderId,
        quantity: Option<Decimal>,
        price: Option<Decimal>,
    ) -> Result<OrderReport> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.amend(symbol, order_id, quantity, price),
            Venue::Adapter(adapter) => {
                let started = std::time::Instant::now();
                let outcome = adapter.amend_order(symbol, order_id, quantity, price).await;
                self.stats.record(started, &outcome);
                outcome
            }
        }
    }

    /// Sends `order` to venue `id` if that venue answers at once (a simulated venue); `None` when the order must go
    /// through [`OrderRouter::place_order`] and be awaited.
    #[inline]
    pub fn place_order_now(&mut self, id: VenueId, order: OrderRequest) -> Option<Result<OrderReport>> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => Some(sim.submit(order)),
            Venue::Adapter(_) => None,
        }
    }

    /// Places a stop-loss and take-profit pair (one cancels the other) for a position entered by `entry`'s fill at
    /// `entry_time` at venue `id`.
    ///
    /// # Errors
    /// [`Error::Order`] naming the venue when it is a live venue (they do not hold the engine's exit pairs); as
    /// [`SimulatedExchange::submit_exits`].
    pub fn place_exits_now(
        &mut self,
        id: VenueId,
        stop_loss: OrderRequest,
        take_profit: OrderRequest,
        entry: &OrderRequest,
        entry_time: Timestamp,
    ) -> Result<(OrderReport, OrderReport)> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.submit_exits(stop_loss, take_profit, entry, entry_time),
            Venue::Adapter(adapter) => Err(Error::Order(format!(
                "venue '{}' cannot hold the engine's stop-loss / take-profit pairs; only simulated venues can",
                adapter.name()
            ))),
        }
    }

    /// Cancels an open order at venue `id` if it answers at once; `None` for the others.
    pub fn cancel_now(&mut self, id: VenueId, symbol: Symbol, order_id: OrderId) -> Option<Result<OrderReport>> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => Some(sim.cancel(symbol, order_id)),
            Venue::Adapter(_) => None,
        }
    }

    /// Amends an open order at venue `id` if it answers at once; `None` for the others.
    pub fn amend_now(
        &mut self,
        id: VenueId,
        symbol: Symbol,
        order_id: OrderId,
        quantity: Option<Decimal>,
        price: Option<Decimal>,
    ) -> Option<Result<OrderReport>> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => Some(sim.amend(symbol, order_id, quantity, price)),
            Venue::Adapter(_) => None,
        }
    }

    /// Bars in which a simulated venue's bar-path rule decided between two orders of a pair, over all venues.
    pub fn ambiguous_bars(&self) -> u64 {
        self.venues
            .iter()
            .map(|v| match v {
                Venue::Simulated(sim) => sim.ambiguous_bars(),
                Venue::Adapter(_) => 0,
            })
            .sum()
    }

    /// The instrument `symbol` as simulated venue `id` lists it.
    ///
    /// # Errors
    /// [`Error::Config`] naming the venue when it does not list `symbol`, or is a live venue (whose rules are its
    /// own, not kept by the router).
    pub fn instrument(&self, id: VenueId, symbol: Symbol) -> Result<crate::model::Instrument> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => sim
                .instrument(symbol)
                .cloned()
                .ok_or_else(|| Error::Config(format!("venue '{}' lists no instrument {symbol}", sim.name()))),
            Venue::Adapter(adapter) => Err(Error::Config(format!(
                "venue '{}' is a live venue: the router keeps no instrument rules for {symbol}",
                adapter.name()
            ))),
        }
    }

    /// Whether venue `id` answers orders at once (see [`OrderRouter::place_order_now`]).
    #[inline]
    pub fn answers_at_once(&self, id: VenueId) -> bool {
        matches!(self.venues.get(id.0), Some(Venue::Simulated(_)))
    }

    /// A bar of `symbol` closed: venue `id` matches on it (a simulated one without building a market event);
    /// true when the venue has executions to drain.
    #[inline]
    pub fn on_bar(&mut self, id: VenueId, symbol: Symbol, bar: &Bar) -> bool {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.bar_closed(symbol, bar),
            Venue::Adapter(adapter) => adapter.on_market_event(&MarketEvent::bar(symbol, *bar)),
        }
    }

    /// A message of `symbol`'s level-2 feed reaches venue `id` (only simulated venues match on recorded books);
    /// true when executions are waiting.
    ///
    /// # Errors
    /// As [`SimulatedExchange::book_message`].
    #[inline]
    pub fn on_book_message(&mut self, id: VenueId, symbol: Symbol, message: &[L2Row]) -> Result<bool> {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.book_message(symbol, message),
            Venue::Adapter(_) => Ok(false),
        }
    }

    /// The best bid and ask of `symbol`'s book at simulated venue `id` (empty before its first message).
    ///
    /// # Errors
    /// [`Error::Config`] naming the venue when it is a live venue: it keeps no book for us, the feed does.
    #[inline]
    pub fn book_top(&self, id: VenueId, symbol: Symbol) -> Result<BookTop> {
        Ok(self.book(id, symbol)?.map(|book| (book.best_bid(), book.best_ask())).unwrap_or_default())
    }

    /// `symbol`'s level-2 book at simulated venue `id`; `None` before its first message.
    ///
    /// # Errors
    /// [`Error::Config`] naming the venue when it is a live venue: it keeps no book for us, the feed does.
    #[inline]
    pub fn book(&self, id: VenueId, symbol: Symbol) -> Result<Option<&L2Book>> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => Ok(sim.book(symbol)),
            Venue::Adapter(adapter) => Err(Error::Config(format!(
                "venue '{}' keeps no book of {symbol}: a session on it passes the feed's book",
                adapter.name()
            ))),
        }
    }

    /// Level-2 matching counts of venue `id`, when it saw book data.
    pub fn book_stats(&self, id: VenueId) -> Option<BookFillStats> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => sim.book_stats(),
            Venue::Adapter(_) => None,
        }
    }

    /// What the liquidity rules of bars did at venue `id`, when it is a simulated venue that sets them.
    pub fn liquidity_stats(&self, id: VenueId) -> Option<crate::venue::sim::LiquidityStats> {
        match &self.venues[id.0] {
            Venue::Simulated(sim) => sim.liquidity_stats(),
            Venue::Adapter(_) => None,
        }
    }

    /// Whether every network venue's private stream delivers the account's executions right now (false without a
    /// network venue): see [`ExchangeAdapter::streams_executions`].
    pub fn executions_streamed(&self) -> bool {
        let mut adapters = self.venues.iter().filter_map(|v| match v {
            Venue::Adapter(adapter) => Some(adapter),
            Venue::Simulated(_) => None,
        });
        let mut any = false;
        adapters.all(|adapter| {
            any = true;
            adapter.streams_executions()
        }) && any
    }

    /// Collects the executions of venue `id` into `out`.
    #[inline]
    pub fn drain_executions(&mut self, id: VenueId, out: &mut Vec<ExecutionEvent>) {
        match &mut self.venues[id.0] {
            Venue::Simulated(sim) => sim.take_executions(out),
            Venue::Adapter(adapter) => adapter.drain_executions(out),
        }
    }
}

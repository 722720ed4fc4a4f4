//! [`OrderRouter`]: the named venues the engine trades on, and the one place that decides where an order goes.

use crate::error::{Error, Result};
use crate::exchange::ExchangeAdapter;
use crate::model::{ExecutionEvent, MarketEvent, OrderReport, OrderRequest};

/// Index of a venue in the router, fixed at construction; used on the hot path instead of the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct VenueId(pub usize);

/// The engine's venues by name (the seed's `exchanges={'binance': adapter}`), in the order they were added.
#[derive(Default)]
pub struct OrderRouter {
    venues: Vec<Box<dyn ExchangeAdapter>>,
}

impl OrderRouter {
    /// A router with no venues.
    pub fn new() -> Self {
        OrderRouter::default()
    }

    /// Adds a venue under its own name.
    ///
    /// # Errors
    /// [`Error::Config`] when a venue of that name is already present.
    pub fn add(&mut self, adapter: Box<dyn ExchangeAdapter>) -> Result<VenueId> {
        if self.find(adapter.name()).is_some() {
            return Err(Error::Config(format!("venue '{}' is configured twice", adapter.name())));
        }
        self.venues.push(adapter);
        Ok(VenueId(self.venues.len() - 1))
    }

    /// The id of the venue called `name`.
    pub fn find(&self, name: &str) -> Option<VenueId> {
        self.venues.iter().position(|v| v.name() == name).map(VenueId)
    }

    /// The id of the venue called `name`.
    ///
    /// # Errors
    /// [`Error::Config`] listing the configured venues when there is none of that name.
    pub fn require(&self, name: &str) -> Result<VenueId> {
        self.find(name)
            .ok_or_else(|| Error::Config(format!("no venue named '{name}' (configured: {})", self.names().join(", "))))
    }

    /// Names of all venues, in the order they were added.
    pub fn names(&self) -> Vec<&str> {
        self.venues.iter().map(|v| v.name()).collect()
    }

    /// Name of venue `id`.
    pub fn name(&self, id: VenueId) -> &str {
        self.venues[id.0].name()
    }

    /// The adapter behind `id`, for queries such as balances and tickers.
    pub fn venue(&self, id: VenueId) -> &dyn ExchangeAdapter {
        self.venues[id.0].as_ref()
    }

    /// Connects every venue, in order.
    ///
    /// # Errors
    /// The first venue's failure, or [`Error::Exchange`] when a venue reports itself unusable.
    pub async fn connect_all(&mut self) -> Result<()> {
        for venue in &mut self.venues {
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
            venue.disconnect().await?;
        }
        Ok(())
    }

    /// Sends `order` to venue `id`.
    ///
    /// # Errors
    /// Whatever the venue answers, typically [`Error::Order`].
    pub async fn place_order(&mut self, id: VenueId, order: OrderRequest) -> Result<OrderReport> {
        self.venues[id.0].place_order(order).await
    }

    /// Passes a market event to venue `id` for matching.
    #[inline]
    pub fn on_market_event(&mut self, id: VenueId, event: &MarketEvent) {
        self.venues[id.0].on_market_event(event);
    }

    /// Collects the executions of venue `id` into `out`.
    #[inline]
    pub fn drain_executions(&mut self, id: VenueId, out: &mut Vec<ExecutionEvent>) {
        self.venues[id.0].drain_executions(out);
    }
}

//! Venues: the [`ExchangeAdapter`] trait, the [`OrderRouter`] that holds the named venues, and the simulated exchange.

mod adapter;
mod router;
pub mod sim;

pub use adapter::{ExchangeAdapter, MarketStream};
pub use router::{OrderRouter, VenueId};
pub use sim::SimulatedExchange;

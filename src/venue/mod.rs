//! Venues: the [`ExchangeAdapter`] trait, the [`OrderRouter`] that holds the named venues, the simulated exchange,
//! and what the live adapters share: credentials that never print ([`Secret`]), the venues' request signatures and
//! the REST client with its rate limiter and error mapping.

mod adapter;
mod backoff;
pub mod binance;
mod binance_fills;
pub mod client_ids;
pub mod coinbase;
pub mod kline_history;
pub mod kraken;
mod kraken_names;
pub mod live;
pub mod private_stream;
pub mod rest;
mod router;
mod secret;
mod settings;
pub mod signing;
pub mod sim;
pub mod streams;
pub mod symbols;
pub mod vision;
pub mod wall_clock;
pub mod ws;

pub use adapter::{ExchangeAdapter, ListedTrade, MarketStream, OrderTrades};
pub use client_ids::ClientTag;
pub use router::{AdapterStats, OrderRouter};
pub use secret::{Credentials, Secret};
pub use settings::{RateLimits, VENUES_WITHOUT_TEST_ENDPOINTS, VenueConfig};
pub use sim::SimulatedExchange;

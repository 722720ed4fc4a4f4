//! The live adapters by name: what `ctb exchange`, and any engine wired to a real venue, builds from a venue's
//! settings. The one place that maps a venue's name to its adapter.

use super::VenueConfig;
use super::binance::BinanceAdapter;
use super::coinbase::CoinbaseAdapter;
use super::kraken::KrakenAdapter;
use super::{Credentials, ExchangeAdapter};
use crate::error::{Error, Result};

/// The adapter of `venue` (`binance`, `coinbase`, `kraken`) configured by `config`, with `credentials` for the
/// account endpoints.
///
/// # Errors
/// [`Error::Config`] for a venue without an adapter; [`Error::Exchange`] when its HTTP client cannot be built.
pub fn live_adapter(
    venue: &str,
    config: &VenueConfig,
    credentials: Option<Credentials>,
) -> Result<Box<dyn ExchangeAdapter>> {
    Ok(match venue {
        "binance" => Box::new(BinanceAdapter::new(config, credentials)?),
        "coinbase" => Box::new(CoinbaseAdapter::new(config, credentials)?),
        "kraken" => Box::new(KrakenAdapter::new(config, credentials)?),
        other => return Err(Error::Config(format!("no live adapter for '{other}' (binance, coinbase, kraken)"))),
    })
}

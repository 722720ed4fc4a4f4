//! The live adapters by name: what `ctb exchange`, and any engine wired to a real venue, builds from
//! `config/exchanges.yaml` and the environment. The one place that maps a venue's name to its adapter.

use std::path::Path;

use super::binance::BinanceAdapter;
use super::coinbase::CoinbaseAdapter;
use super::kraken::KrakenAdapter;
use super::{Credentials, ExchangeAdapter};
use crate::config::{ExchangesConfig, VenueConfig};
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

/// [`live_adapter`] for `venue` as `config_dir/exchanges.yaml` configures it, with the credentials the seed's
/// variables hold (`lookup` reads them: the environment after `.env` in the binary).
///
/// # Errors
/// As [`ExchangesConfig::venue_in`] and [`live_adapter`].
pub fn configured_adapter(
    config_dir: &Path,
    venue: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Box<dyn ExchangeAdapter>> {
    let config = ExchangesConfig::venue_in(config_dir, venue, &lookup)?;
    live_adapter(venue, &config, Credentials::from_variables(venue, lookup))
}

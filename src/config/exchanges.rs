//! The seed's `config/exchanges.yaml`: per venue whether it is enabled, whether it uses the testnet (Binance) or
//! sandbox (Coinbase) endpoints, its client-side rate limits, and — for testnets and tests — an optional `base_url`
//! and `ws_url` replacing the venue's endpoints.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use super::yaml_error_line;
use crate::data::read_settings_file;
use crate::error::{Error, Result};
use crate::venue::live::live_adapter;
use crate::venue::{Credentials, ExchangeAdapter, VenueConfig};

/// The venues the live adapters cover.
pub const VENUES: [&str; 3] = ["binance", "coinbase", "kraken"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExchangesFile {
    exchanges: BTreeMap<String, VenueConfig>,
}

/// Every venue's configuration, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangesConfig {
    /// Venue name → its section.
    pub venues: BTreeMap<String, VenueConfig>,
}

impl ExchangesConfig {
    /// The section of `venue` in `dir/exchanges.yaml` (the defaults when the file or the section is absent), with
    /// the seed's switches from the variables `lookup` finds: `BINANCE_TESTNET=true` / `COINBASE_SANDBOX=true` force
    /// the test endpoints. Production endpoints need `testnet: false` / `sandbox: false` in the file, and then a
    /// variable set to `true` still keeps the test ones: either place can make a session safer, only both together
    /// make it real.
    ///
    /// # Errors
    /// As [`ExchangesConfig::from_file`]; [`Error::Config`] for a venue the adapters do not cover, one the file
    /// disables, or a switch variable that is neither `true` nor `false`.
    pub fn venue_in(dir: &Path, venue: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<VenueConfig> {
        if !VENUES.contains(&venue) {
            return Err(Error::Config(format!("unknown exchange '{venue}' (known: {})", VENUES.join(", "))));
        }
        let file = dir.join("exchanges.yaml");
        let config = if file.exists() { Self::from_file(&file)?.venues.remove(venue) } else { None };
        let mut config = config.unwrap_or_default();
        if !config.enabled {
            return Err(Error::Config(format!("{}: exchanges.{venue}.enabled is false", file.display())));
        }
        let switch = match venue {
            "binance" => Some(("BINANCE_TESTNET", &mut config.testnet)),
            "coinbase" => Some(("COINBASE_SANDBOX", &mut config.sandbox)),
            _ => None,
        };
        if let Some((variable, setting)) = switch
            && let Some(value) = lookup(variable)
        {
            match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => *setting = Some(true),
                "false" | "0" | "no" => {}
                other => return Err(Error::Config(format!("{variable}='{other}': write true or false"))),
            }
        }
        Ok(config)
    }

    /// Reads and checks `exchanges.yaml` at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::Config`] naming the file and the unknown venue or key, a zero rate
    /// limit, a `testnet` outside Binance, `sandbox` outside Coinbase or `production` outside Kraken, or a URL that is not http(s) / ws(s).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = read_settings_file(path)?;
        let at = |message: String| Error::Config(format!("{}: {message}", path.display()));
        let file: ExchangesFile = serde_saphyr::from_str(&text).map_err(|e| at(yaml_error_line(&e, &text)))?;
        for (name, venue) in &file.exchanges {
            let key = |k: &str| format!("exchanges.{name}.{k}");
            if !VENUES.contains(&name.as_str()) {
                return Err(at(format!("exchanges.{name}: unknown venue (known: {})", VENUES.join(", "))));
            }
            if venue.testnet.is_some() && name != "binance" {
                return Err(at(format!("{}: only binance has a testnet setting", key("testnet"))));
            }
            if venue.sandbox.is_some() && name != "coinbase" {
                return Err(at(format!("{}: only coinbase has a sandbox setting", key("sandbox"))));
            }
            if venue.production.is_some() && name != "kraken" {
                return Err(at(format!(
                    "{}: only kraken has a production setting (binance: testnet, coinbase: sandbox)",
                    key("production")
                )));
            }
            if let Some(limit) = venue.rate_limits.zero_limit() {
                return Err(at(format!("{}: must be at least 1", key(&format!("rate_limits.{limit}")))));
            }
            if venue.dead_mans_switch_seconds.is_some() && name != "kraken" {
                return Err(at(format!("{}: only kraken has a dead man's switch", key("dead_mans_switch_seconds"))));
            }
            // Kraken takes up to a day; sessions renew every 10 s, so a timeout under 30 s could run out between two.
            if venue.dead_mans_switch_seconds.is_some_and(|s| s != 0 && !(30..=86_400).contains(&s)) {
                return Err(at(format!("{}: 0 (off) or 30 to 86400 seconds", key("dead_mans_switch_seconds"))));
            }
            if venue.request_timeout_ms == Some(0) {
                return Err(at(format!("{}: must be at least 1", key("request_timeout_ms"))));
            }
            for (field, url, schemes) in
                [("base_url", &venue.base_url, ["http://", "https://"]), ("ws_url", &venue.ws_url, ["ws://", "wss://"])]
            {
                if let Some(url) = url
                    && !schemes.iter().any(|s| url.starts_with(s))
                {
                    return Err(at(format!("{}: '{url}' must start with {}", key(field), schemes.join(" or "))));
                }
            }
        }
        Ok(ExchangesConfig { venues: file.exchanges })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::RateLimits;

    fn load(text: &str) -> Result<ExchangesConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exchanges.yaml");
        std::fs::write(&path, text).unwrap();
        ExchangesConfig::from_file(&path)
    }

    #[test]
    fn the_shipped_file_has_the_seeds_values() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/exchanges.yaml");
        let config = ExchangesConfig::from_file(&path).unwrap();
        let binance = &config.venues["binance"];
        assert!(binance.enabled && binance.uses_test_endpoints("binance"));
        assert_eq!(
            (
                binance.rate_limits.requests_per_minute,
                binance.rate_limits.orders_per_second,
                binance.rate_limits.orders_per_day
            ),
            (Some(1200), Some(10), Some(200_000))
        );
        let coinbase = &config.venues["coinbase"];
        assert_eq!((coinbase.sandbox, coinbase.rate_limits.private_requests_per_second), (Some(true), Some(5)));
        assert_eq!(config.venues["kraken"].rate_limits.orders_per_minute, Some(60));
    }

    #[test]
    fn production_needs_the_file_to_say_so_and_no_variable_to_say_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let test = |env| ExchangesConfig::venue_in(dir.path(), "binance", env).unwrap().uses_test_endpoints("binance");
        assert!(test(env(&[("BINANCE_TESTNET", "false")])), "no file: the testnet, whatever the variable says");
        std::fs::write(dir.path().join("exchanges.yaml"), "exchanges: { binance: { testnet: false } }").unwrap();
        assert!(!test(env(&[])), "the file says production");
        assert!(test(env(&[("BINANCE_TESTNET", "true")])), "the variable keeps the testnet");
        let err = ExchangesConfig::venue_in(dir.path(), "binance", env(&[("BINANCE_TESTNET", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("BINANCE_TESTNET='maybe'"), "{err}");
        let sandbox = ExchangesConfig::venue_in(dir.path(), "coinbase", env(&[("COINBASE_SANDBOX", "1")])).unwrap();
        assert!(sandbox.uses_test_endpoints("coinbase"));
    }

    #[test]
    fn kraken_has_no_test_endpoints_and_says_production_only_where_the_file_does() {
        let kraken = load("exchanges: { kraken: {} }").unwrap().venues.remove("kraken").unwrap();
        assert!(!kraken.uses_test_endpoints("kraken"), "Kraken spot has no test environment");
        assert!(!kraken.production_confirmed());
        let confirmed = load("exchanges: { kraken: { production: true } }").unwrap().venues.remove("kraken").unwrap();
        assert!(confirmed.production_confirmed());
        let err = load("exchanges: { binance: { production: true } }").unwrap_err().to_string();
        assert!(err.contains("exchanges.binance.production: only kraken"), "{err}");
        for (text, words) in [
            ("exchanges: { binance: { dead_mans_switch_seconds: 60 } }", "only kraken has a dead man's switch"),
            ("exchanges: { kraken: { dead_mans_switch_seconds: 10 } }", "0 (off) or 30 to 86400 seconds"),
            ("exchanges: { kraken: { dead_mans_switch_seconds: 86401 } }", "0 (off) or 30 to 86400 seconds"),
        ] {
            let err = load(text).unwrap_err().to_string();
            assert!(err.contains(words), "{text}: {err}");
        }
        for seconds in [0, 30, 86_400] {
            load(&format!("exchanges: {{ kraken: {{ dead_mans_switch_seconds: {seconds} }} }}")).unwrap();
        }
    }

    #[test]
    fn mistakes_name_the_venue_and_key() {
        for (text, words) in [
            ("exchanges: { bitmex: { enabled: true } }", "exchanges.bitmex: unknown venue"),
            ("exchanges: { binance: { testnet: true, rate_limit: {} } }", "rate_limit"),
            ("exchanges: { kraken: { testnet: true } }", "exchanges.kraken.testnet: only binance"),
            (
                "exchanges: { kraken: { rate_limits: { orders_per_minute: 0 } } }",
                "exchanges.kraken.rate_limits.orders_per_minute",
            ),
            ("exchanges: { binance: { base_url: 'localhost:8080' } }", "exchanges.binance.base_url"),
        ] {
            let err = load(text).unwrap_err().to_string();
            assert!(err.contains(words), "{text}: {err}");
        }
        let mock = load("exchanges: { binance: { testnet: false, base_url: 'http://127.0.0.1:9' } }").unwrap();
        assert!(!mock.venues["binance"].uses_test_endpoints("binance"));
    }

    #[test]
    fn endpoints_and_request_rates_follow_the_file() {
        let config = load(
            "exchanges: { binance: { testnet: false, ws_url: 'ws://127.0.0.1:9' }, coinbase: { rate_limits: { requests_per_minute: 30 } }, kraken: {} }",
        )
        .unwrap();
        let binance = &config.venues["binance"];
        let endpoints = binance.endpoints(("https://prod", "wss://prod"), ("https://test", "wss://test"));
        assert_eq!(endpoints, ("https://prod".to_string(), "ws://127.0.0.1:9".to_string()));
        let kraken = &config.venues["kraken"];
        assert_eq!(kraken.endpoints(("p", "pw"), ("t", "tw")), ("t".to_string(), "tw".to_string()), "test by default");
        assert_eq!(binance.rate_limits.per_second(20).get(), 20, "the default");
        assert_eq!(config.venues["coinbase"].rate_limits.per_second(10).get(), 1, "30 a minute, at least 1 a second");
        let fast =
            RateLimits { requests_per_second: Some(7), requests_per_minute: Some(6000), ..RateLimits::default() };
        assert_eq!(fast.per_second(1).get(), 7);
    }
}

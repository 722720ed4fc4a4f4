//! A venue's settings as the adapters and the simulated venue's order limits take them: endpoints, test or
//! production, request timeout and client-side rate limits. `config` reads them from the seed's
//! `config/exchanges.yaml` (its keys are these fields) and hands them down.

use serde::Deserialize;
use std::num::NonZeroU32;

/// One venue's section.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// Whether the venue may be used (default true).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Binance: use the testnet endpoints (default true).
    #[serde(default)]
    pub testnet: Option<bool>,
    /// Coinbase: use the sandbox endpoints (default true).
    #[serde(default)]
    pub sandbox: Option<bool>,
    /// Kraken: the user's statement that orders go to the real venue. Kraken spot has no test environment, so live
    /// trading there needs this `true` besides `--confirm-live`.
    #[serde(default)]
    pub production: Option<bool>,
    /// Client-side request limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// REST endpoint replacing the venue's (a testnet mirror, or a mock venue in tests).
    #[serde(default)]
    pub base_url: Option<String>,
    /// WebSocket endpoint replacing the venue's.
    #[serde(default)]
    pub ws_url: Option<String>,
    /// Binance, Kraken: the endpoint of the account's private stream (Binance's WebSocket API, Kraken's `ws-auth`),
    /// replacing the venue's. Without it, an adapter whose `base_url` is set (a mirror, a mock venue) opens no
    /// private stream and learns fills by asking.
    #[serde(default)]
    pub user_stream_url: Option<String>,
    /// How long one REST call may take, in milliseconds (default 10,000).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Kraken: the dead man's switch's timeout in seconds — unless a session renews it within that time, Kraken
    /// cancels every open order (default 60; 0 turns it off).
    #[serde(default)]
    pub dead_mans_switch_seconds: Option<u64>,
}

/// The venues' test hosts (Binance's spot testnet, Coinbase Exchange's sandbox).
const TEST_HOSTS: [&str; 2] = ["testnet.binance.vision", "api-public.sandbox.exchange.coinbase.com"];

/// Hosts of this machine.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// The host of `url` as the HTTP client reads it (lower-case; an IPv6 address in brackets); empty when it does not
/// parse.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default()
}

/// Venues with no test environment for spot trading: their endpoints are the production ones.
pub const VENUES_WITHOUT_TEST_ENDPOINTS: [&str; 1] = ["kraken"];

fn enabled_by_default() -> bool {
    true
}

/// Request limits, in the seed's keys; each venue uses those that apply to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// All requests per minute (Binance request weight, Kraken).
    pub requests_per_minute: Option<u32>,
    /// All requests per second (Coinbase public).
    pub requests_per_second: Option<u32>,
    /// Authenticated requests per second (Coinbase private).
    pub private_requests_per_second: Option<u32>,
    /// Orders per second (Binance).
    pub orders_per_second: Option<u32>,
    /// Orders per minute (Kraken).
    pub orders_per_minute: Option<u32>,
    /// Orders per day (Binance).
    pub orders_per_day: Option<u32>,
}

impl RateLimits {
    /// The key of the first limit set to 0, which would allow nothing (every limit must be at least 1).
    pub fn zero_limit(&self) -> Option<&'static str> {
        [
            ("requests_per_minute", self.requests_per_minute),
            ("requests_per_second", self.requests_per_second),
            ("private_requests_per_second", self.private_requests_per_second),
            ("orders_per_second", self.orders_per_second),
            ("orders_per_minute", self.orders_per_minute),
            ("orders_per_day", self.orders_per_day),
        ]
        .into_iter()
        .find_map(|(key, value)| (value == Some(0)).then_some(key))
    }
}

impl Default for VenueConfig {
    /// A venue with nothing configured: enabled, test endpoints, no client-side limits beyond the adapter's own.
    fn default() -> Self {
        VenueConfig {
            enabled: true,
            testnet: None,
            sandbox: None,
            production: None,
            rate_limits: RateLimits::default(),
            base_url: None,
            ws_url: None,
            user_stream_url: None,
            request_timeout_ms: None,
            dead_mans_switch_seconds: None,
        }
    }
}

impl VenueConfig {
    /// Whether `venue`'s test endpoints (testnet, sandbox) are to be used: unless the file says `false`, or the
    /// venue has none (Kraken spot), when every order is real.
    /// A `base_url` set to another machine counts as a test endpoint only at a venue's known test host; one on this
    /// machine (a loopback mock) follows the file's setting.
    pub fn uses_test_endpoints(&self, venue: &str) -> bool {
        if VENUES_WITHOUT_TEST_ENDPOINTS.contains(&venue) {
            return false;
        }
        match self.base_url.as_deref().map(host_of) {
            Some(host) if !LOOPBACK_HOSTS.contains(&host.as_str()) => TEST_HOSTS.contains(&host.as_str()),
            _ => self.test_endpoints_wanted(),
        }
    }

    /// Whether the file leaves the test endpoints on (its `testnet` / `sandbox`, default true).
    fn test_endpoints_wanted(&self) -> bool {
        self.testnet.or(self.sandbox).unwrap_or(true)
    }

    /// Whether the file says `production: true`: the user knows that orders at this venue are real.
    pub fn production_confirmed(&self) -> bool {
        self.production == Some(true)
    }

    /// How long one REST call may take.
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.request_timeout_ms.unwrap_or(10_000))
    }

    /// The (REST, WebSocket) endpoints: `base_url` / `ws_url` when set, otherwise the venue's `test` pair unless the
    /// file turned the test endpoints off, then its `production` pair.
    pub fn endpoints(&self, production: (&str, &str), test: (&str, &str)) -> (String, String) {
        let (rest, ws) = if self.test_endpoints_wanted() { test } else { production };
        (self.base_url.clone().unwrap_or_else(|| rest.into()), self.ws_url.clone().unwrap_or_else(|| ws.into()))
    }
}

impl RateLimits {
    /// Requests per second for the client-side limiter: `requests_per_second`, else `requests_per_minute` / 60,
    /// else `default`; never below one.
    pub fn per_second(&self, default: u32) -> NonZeroU32 {
        let per_second = self.requests_per_second.or(self.requests_per_minute.map(|m| m / 60)).unwrap_or(default);
        NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base_url: &str, testnet: Option<bool>) -> VenueConfig {
        VenueConfig { base_url: Some(base_url.into()), testnet, ..VenueConfig::default() }
    }

    #[test]
    fn a_replaced_endpoint_is_a_test_one_only_at_a_known_test_host_or_on_this_machine() {
        assert!(!at("https://api.binance.com", None).uses_test_endpoints("binance"), "production, whatever testnet");
        assert!(!at("https://api1.binance.com/", Some(true)).uses_test_endpoints("binance"));
        assert!(at("https://testnet.binance.vision", None).uses_test_endpoints("binance"));
        assert!(at("http://127.0.0.1:8080", None).uses_test_endpoints("binance"), "a mock follows the flag");
        assert!(!at("http://127.0.0.1:8080", Some(false)).uses_test_endpoints("binance"));
        assert!(!at("http://[::1]:9/x", Some(false)).uses_test_endpoints("binance"));
        assert!(at("http://[::1]:9/x", None).uses_test_endpoints("binance"));
        assert!(!VenueConfig::default().uses_test_endpoints("kraken"));
        assert!(
            !at("http://127.0.0.1:1@api.binance.com", None).uses_test_endpoints("binance"),
            "userinfo is not the host"
        );
    }
}

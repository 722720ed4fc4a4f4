//! [`Secret`]: an API key, secret or passphrase. Its text is reachable only through [`Secret::expose`]; `Debug` and
//! `Display` print `[redacted]`, so a secret cannot reach a log line, an error message or a report by accident.

use std::fmt;

/// A credential's text, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The text, for signing or for a request header — the only way to read it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A venue account's credentials: the seed's `<VENUE>_API_KEY`, `<VENUE>_API_SECRET` and, for Coinbase,
/// `COINBASE_PASSPHRASE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// API key (sent in a header; still kept out of logs).
    pub api_key: Secret,
    /// API secret (signs requests; never sent).
    pub api_secret: Secret,
    /// Passphrase (Coinbase Exchange only).
    pub passphrase: Option<Secret>,
}

impl Credentials {
    /// The credentials of `venue` (`binance`, `coinbase`, `kraken`) from the variables `lookup` finds (the
    /// environment, after `.env`, in the binary; a table in tests); `None` when the key or the secret is unset or
    /// empty — public endpoints need no credentials.
    pub fn from_variables(venue: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let prefix = venue.to_ascii_uppercase();
        let get = |name: &str| lookup(&format!("{prefix}_{name}")).filter(|v| !v.trim().is_empty()).map(Secret::new);
        Some(Credentials { api_key: get("API_KEY")?, api_secret: get("API_SECRET")?, passphrase: get("PASSPHRASE") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let env = |name: &str| match name {
            "COINBASE_API_KEY" => Some("key-123".to_string()),
            "COINBASE_API_SECRET" => Some("c2VjcmV0LWJ5dGVz".to_string()),
            "COINBASE_PASSPHRASE" => Some("pass phrase".to_string()),
            _ => None,
        };
        let credentials = Credentials::from_variables("coinbase", env).unwrap();
        let printed = format!("{credentials:?} {} {}", credentials.api_key, credentials.api_secret);
        for secret in ["key-123", "c2VjcmV0LWJ5dGVz", "pass phrase"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("[redacted]"));
        assert_eq!(credentials.api_secret.expose(), "c2VjcmV0LWJ5dGVz");
    }

    #[test]
    fn missing_or_empty_variables_mean_no_credentials() {
        assert_eq!(Credentials::from_variables("kraken", |_| None), None);
        let empty_secret = |name: &str| (name == "KRAKEN_API_KEY").then(|| "k".to_string()).or(Some(" ".into()));
        assert_eq!(Credentials::from_variables("kraken", empty_secret), None);
        let binance = |name: &str| name.starts_with("BINANCE_API_").then(|| "x".to_string());
        assert_eq!(Credentials::from_variables("binance", binance).unwrap().passphrase, None);
    }
}

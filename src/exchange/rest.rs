//! One venue's REST connection, shared by the live adapters: a pooled `reqwest` client (rustls) with a timeout on
//! every call, a client-side rate limiter, and the mapping of HTTP failures onto the error hierarchy — 401/403 →
//! `AuthenticationError`, 429 and 418 (Binance's IP ban) → `RateLimitError { retry_after }` from `Retry-After`,
//! 5xx, timeouts and unreadable bodies → `ExchangeError` naming the endpoint; other 4xx answers are the venue
//! refusing the request (`OrderError` unless the adapter reads the venue's code more precisely).

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::de::DeserializeOwned;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::error::{Error, Result};

/// Longest piece of a venue's error body quoted in an error message.
const QUOTED_BODY: usize = 300;

/// A venue's answer, whatever its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header, when sent.
    pub retry_after: Option<String>,
    /// The body.
    pub body: String,
}

impl Answer {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A venue's REST endpoint.
pub struct RestClient {
    venue: String,
    base_url: String,
    client: reqwest::Client,
    limiter: Option<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient").field("venue", &self.venue).field("base_url", &self.base_url).finish()
    }
}

/// Installs ring as the process's TLS crypto provider (once; a provider installed earlier stays).
fn install_tls_provider() {
    // `Err` only says that a provider is installed already, which is what is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RestClient {
    /// A client for `venue` at `base_url` (no trailing slash), every call bounded by `timeout`, at most
    /// `per_second` requests per second when given.
    ///
    /// # Errors
    /// [`Error::Exchange`] when the HTTP client cannot be built.
    pub fn new(venue: &str, base_url: &str, timeout: Duration, per_second: Option<NonZeroU32>) -> Result<Self> {
        install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Exchange(format!("{venue}: cannot build the HTTP client: {e}")))?;
        Ok(RestClient {
            venue: venue.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            client,
            limiter: per_second.map(|n| RateLimiter::direct(Quota::per_second(n))),
        })
    }

    /// Sends `method` to `path` (with its query string, exactly as signed) with `headers` and an optional form or
    /// JSON `body`, waiting for the rate limiter first; returns the body of a 2xx answer.
    ///
    /// # Errors
    /// As the module describes; messages name the venue and the endpoint (the path without its query, which may
    /// carry a signature), never a credential.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<String> {
        let answer = self.send_raw(method.clone(), path, headers, body).await?;
        if answer.is_success() {
            return Ok(answer.body);
        }
        let endpoint = path.split('?').next().unwrap_or(path);
        Err(status_error(
            &self.venue,
            &format!("{method} {endpoint}"),
            answer.status,
            answer.retry_after.as_deref(),
            &answer.body,
        ))
    }

    /// [`RestClient::send`] without reading the status: every answer the venue gave, for adapters that read the
    /// venue's own error codes first.
    ///
    /// # Errors
    /// [`Error::Exchange`] for timeouts and transport failures, naming the endpoint.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Answer> {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let endpoint = path.split('?').next().unwrap_or(path);
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&method, endpoint, e))?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.text().await.map_err(|e| self.transport_error(&method, endpoint, e))?;
        Ok(Answer { status, retry_after, body })
    }

    /// The venue's name, as messages show it.
    pub fn venue(&self) -> &str {
        &self.venue
    }

    fn transport_error(&self, method: &reqwest::Method, endpoint: &str, e: reqwest::Error) -> Error {
        let cause = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            // Without the URL: its query may hold a signature.
            e.without_url().to_string()
        };
        Error::Exchange(format!("{} {method} {endpoint}: {cause}", self.venue))
    }

    /// Parses a JSON answer from `endpoint`.
    ///
    /// # Errors
    /// [`Error::Exchange`] naming the endpoint when the body is not the expected JSON.
    pub fn parse<T: DeserializeOwned>(&self, endpoint: &str, body: &str) -> Result<T> {
        serde_json::from_str(body)
            .map_err(|e| Error::Exchange(format!("{} {endpoint}: malformed answer ({e}): {}", self.venue, quote(body))))
    }
}

/// The error for a non-2xx `status` from `endpoint` of `venue`, with its `Retry-After` header and body.
pub fn status_error(venue: &str, endpoint: &str, status: u16, retry_after: Option<&str>, body: &str) -> Error {
    let said = quote(body);
    match status {
        401 | 403 => Error::Authentication(format!("{venue} {endpoint}: HTTP {status}: {said}")),
        418 | 429 => Error::RateLimit {
            message: format!(
                "{venue} {endpoint}: HTTP {status}{}: {said}",
                if status == 418 { " (IP banned for repeated limit violations)" } else { "" }
            ),
            retry_after: retry_after.and_then(|s| s.trim().parse::<u64>().ok()).map(Duration::from_secs),
        },
        500..=599 => Error::Exchange(format!("{venue} {endpoint}: HTTP {status}: {said}")),
        _ => Error::Order(format!("{venue} {endpoint}: HTTP {status}: {said}")),
    }
}

/// A body as quoted in messages: trimmed, at most [`QUOTED_BODY`] characters.
fn quote(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(QUOTED_BODY) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_string(),
    }
}

/// The local clock, for the time of a live venue's quote or book when the venue sends none. Only live adapters read
/// it; the engine takes its time from market data.
pub fn wall_clock_now() -> crate::model::Timestamp {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    crate::model::Timestamp::from_millis(ms).unwrap_or(crate::model::Timestamp(0))
}

/// The first `limit` levels of a book side given as `[price, quantity, extra]` rows (Kraken, Coinbase).
pub fn book_levels(
    side: Vec<(rust_decimal::Decimal, rust_decimal::Decimal, serde_json::Value)>,
    limit: usize,
) -> Vec<crate::model::BookLevel> {
    side.into_iter().take(limit).map(|(price, quantity, _)| crate::model::BookLevel { price, quantity }).collect()
}

//! One venue's REST connection, shared by the live adapters: a pooled `reqwest` client (rustls) with a timeout on
//! every call, a client-side rate limiter, and the mapping of HTTP failures onto the error hierarchy — 401/403 →
//! `AuthenticationError`, 429 and 418 (Binance's IP ban) → `RateLimitError { retry_after }` from `Retry-After`,
//! 5xx, timeouts and unreadable bodies → `ExchangeError` naming the endpoint; other 4xx answers are the venue
//! refusing the request (`OrderError` unless the adapter reads the venue's code more precisely).
//!
//! Pacing: requests are spaced evenly at the configured rate (no bursts, so no window of one second ever holds more
//! than the rate). After a 429 or 418, and when the venue's used-weight header (Binance `X-MBX-USED-WEIGHT-1M`)
//! reaches the configured limit, nothing more is sent until the venue's wait is over: such requests fail at once
//! with `RateLimitError { retry_after }` instead of provoking a ban. Idempotent GETs are retried (twice, with
//! jittered backoff) after a timeout, a broken connection or a 5xx; nothing else is ever re-sent.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::de::DeserializeOwned;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::wall_clock::wall_clock_now;
use crate::error::{Error, Result};

/// Extra attempts of an idempotent GET after a timeout, a transport failure or a 5xx.
const GET_RETRIES: u32 = 2;
/// How long to hold back after a 429 that gave no `Retry-After`.
const DEFAULT_BACK_OFF: Duration = Duration::from_secs(1);

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

/// What became of a request that changes state at the venue (an order), which is never re-sent blindly.
#[derive(Debug)]
pub enum Delivery {
    /// The venue answered.
    Answered(Answer),
    /// The request may have reached the venue but no answer came back (timeout, connection lost): its outcome is
    /// unknown and must be looked up.
    Unanswered(Error),
}

/// The waits between lookups of an order whose placing request went unanswered. A venue can list such an order
/// only some time after its gateway gave up (Binance's 503 -1007 says "execution status unknown"; an order behind
/// one of Kraken's 5xx answers can surface seconds later), so one lookup finding nothing proves little: the order is
/// looked up after each wait too, about 7.5 s in all, before it counts as not placed.
pub const UNANSWERED_ORDER_LOOKUP_WAITS: [Duration; 4] =
    [Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)];

/// The lookups of an order whose placing request failed without an answer: the adapter looks the order up, and
/// after each lookup that finds nothing [`UnansweredLookups::not_found`] waits the next of
/// [`UNANSWERED_ORDER_LOOKUP_WAITS`] (or, when none is left, concludes that the order was not placed).
#[derive(Debug)]
pub struct UnansweredLookups {
    failure: Error,
    order: crate::model::OrderId,
    waits: std::slice::Iter<'static, Duration>,
    /// The last lookup the venue's rate limit held back, if one was: then finding nothing proves nothing.
    held_back: Option<Error>,
}

impl UnansweredLookups {
    /// The lookups of order `order`, whose request failed with `failure`.
    pub fn new(failure: Error, order: crate::model::OrderId) -> Self {
        tracing::warn!(%order, %failure, "order request unanswered; looking the order up");
        UnansweredLookups { failure, order, waits: UNANSWERED_ORDER_LOOKUP_WAITS.iter(), held_back: None }
    }

    /// A lookup found nothing: waits before the next one.
    ///
    /// # Errors
    /// [`Error::Exchange`] naming the failure and the order, "not at the venue", once every wait is over.
    pub async fn not_found(&mut self) -> Result<()> {
        let Some(wait) = self.waits.next() else {
            if let Some(limited) = self.held_back.take() {
                return Err(self.failed(limited));
            }
            let lookups = UNANSWERED_ORDER_LOOKUP_WAITS.len() + 1;
            let waited: Duration = UNANSWERED_ORDER_LOOKUP_WAITS.iter().sum();
            return Err(Error::Exchange(format!(
                "{}; order {} is not at the venue after {lookups} lookups over {:.1} s: it was not placed",
                self.failure,
                self.order,
                waited.as_secs_f64()
            )));
        };
        tokio::time::sleep(*wait).await;
        Ok(())
    }

    /// The venue's rate limit held a lookup back (`limited`): waits as after a lookup that found nothing, at least
    /// as long as the venue asks, and looks again.
    ///
    /// # Errors
    /// [`Error::Exchange`] naming the failure, the order and `limited` ("unknown") once every wait is over, and at
    /// once when the venue asks for more than a minute or has banned the address (Binance's 418: asking again
    /// while banned lengthens the ban).
    pub async fn held_back(&mut self, limited: Error) -> Result<()> {
        let asked = match &limited {
            Error::RateLimit { message, .. } if message.contains("HTTP 418") => return Err(self.failed(limited)),
            Error::RateLimit { retry_after: Some(wait), .. } if *wait > Duration::from_secs(60) => {
                return Err(self.failed(limited));
            }
            Error::RateLimit { retry_after: Some(wait), .. } => *wait,
            _ => Duration::ZERO,
        };
        self.held_back = Some(limited);
        tokio::time::sleep(asked).await;
        self.not_found().await
    }

    /// A lookup itself failed with `error`: whether the order was placed is unknown.
    pub fn failed(&self, error: Error) -> Error {
        Error::Exchange(format!("{}; whether order {} was placed is unknown: {error}", self.failure, self.order))
    }
}

/// A venue's request-weight header and the most a minute may use.
#[derive(Debug)]
struct WeightBudget {
    header: &'static str,
    per_minute: u32,
}

/// A venue's REST endpoint.
pub struct RestClient {
    venue: String,
    base_url: String,
    client: reqwest::Client,
    limiter: Option<DefaultDirectRateLimiter>,
    weight: Option<WeightBudget>,
    /// No request goes out before this instant (set by a 429 / 418 or an exhausted weight budget).
    held_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient").field("venue", &self.venue).field("base_url", &self.base_url).finish()
    }
}

/// Installs ring as the process's TLS crypto provider (once; a provider installed earlier stays).
pub(crate) fn install_tls_provider() {
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
            limiter: per_second.map(|n| RateLimiter::direct(even_pace(n))),
            weight: None,
            held_until: Mutex::new(None),
        })
    }

    /// Also honours the venue's used-weight `header` (its value: the weight used in the current minute): once it
    /// reaches `per_minute`, requests wait for the next minute.
    pub fn with_weight_header(mut self, header: &'static str, per_minute: u32) -> Self {
        self.weight = Some(WeightBudget { header, per_minute });
        self
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
        let endpoint = endpoint(path);
        Err(status_error(
            &self.venue,
            &format!("{method} {endpoint}"),
            answer.status,
            answer.retry_after.as_deref(),
            &answer.body,
        ))
    }

    /// [`RestClient::send`] without reading the status: every answer the venue gave, for adapters that read the
    /// venue's own error codes first. GETs are retried as the module describes.
    ///
    /// # Errors
    /// [`Error::Exchange`] for timeouts and transport failures, naming the endpoint; [`Error::RateLimit`] while
    /// the venue asked us to hold back.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Answer> {
        let retries = if method == reqwest::Method::GET { GET_RETRIES } else { 0 };
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut attempt = 0;
        loop {
            let delivery = self.send_once(method.clone(), path, headers, body.clone()).await?;
            let failure = match &delivery {
                Delivery::Answered(answer) if answer.status >= 500 => format!("HTTP {}", answer.status),
                Delivery::Answered(_) => String::new(),
                Delivery::Unanswered(error) => error.to_string(),
            };
            if failure.is_empty() || attempt == retries {
                return match delivery {
                    Delivery::Answered(answer) => Ok(answer),
                    Delivery::Unanswered(error) => Err(error),
                };
            }
            attempt += 1;
            tracing::warn!(venue = self.venue, %method, endpoint = endpoint(path), failure, attempt, "retrying");
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// Sends a request that may change state at the venue (an order, a cancel; Kraken's private calls all come
    /// here) once, waiting for the rate limiter first. A 5xx answer counts as no answer: the venue's own error says nothing of what became of the request
    /// (Binance: "the execution status is UNKNOWN and could have been a success"), so it must be looked up, never
    /// taken as a refusal.
    ///
    /// # Errors
    /// As [`RestClient::send_once`].
    pub async fn deliver(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Delivery> {
        match self.send_once(method.clone(), path, headers, body).await? {
            Delivery::Answered(answer) if answer.status >= 500 => Ok(Delivery::Unanswered(Error::Exchange(format!(
                "{} {method} {}: HTTP {}: {}; what became of the request is unknown",
                self.venue,
                endpoint(path),
                answer.status,
                quote(&answer.body)
            )))),
            delivery => Ok(delivery),
        }
    }

    /// Sends a request once, waiting for the rate limiter first.
    ///
    /// # Errors
    /// [`Error::RateLimit`] without sending while the venue asked us to hold back; [`Error::Exchange`] when the
    /// connection could not be made (nothing was sent).
    async fn send_once(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Delivery> {
        let endpoint = endpoint(path);
        self.check_hold(&method, endpoint)?;
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Err(self.transport_error(&method, endpoint, e)),
            Err(e) => return Ok(Delivery::Unanswered(self.transport_error(&method, endpoint, e))),
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let retry_after = header("retry-after");
        let used_weight =
            self.weight.as_ref().and_then(|w| header(w.header)).and_then(|v| v.trim().parse::<u32>().ok());
        self.note_limits(status, retry_after.as_deref(), used_weight);
        let body = match response.text().await {
            Ok(body) => body,
            Err(e) => return Ok(Delivery::Unanswered(self.transport_error(&method, endpoint, e))),
        };
        Ok(Delivery::Answered(Answer { status, retry_after, body }))
    }

    /// Fails with [`Error::RateLimit`] while the venue's wait is not over.
    fn check_hold(&self, method: &reqwest::Method, endpoint: &str) -> Result<()> {
        let held = self.held_until.lock().map_or(None, |h| *h);
        match held.and_then(|until| until.checked_duration_since(Instant::now())) {
            Some(remaining) if !remaining.is_zero() => Err(Error::RateLimit {
                message: format!("{} {method} {endpoint}: not sent, the venue asked us to hold back", self.venue),
                retry_after: Some(remaining),
            }),
            _ => Ok(()),
        }
    }

    /// Holds requests back after a 429 / 418, or once the minute's weight is used up.
    fn note_limits(&self, status: u16, retry_after: Option<&str>, used_weight: Option<u32>) {
        let wait = if matches!(status, 418 | 429) {
            Some(retry_after.and_then(|s| s.trim().parse::<u64>().ok()).map_or(DEFAULT_BACK_OFF, Duration::from_secs))
        } else {
            match (used_weight, &self.weight) {
                (Some(used), Some(budget)) if used >= budget.per_minute => {
                    let into_minute = wall_clock_now().0.rem_euclid(60_000_000_000) as u64;
                    Some(Duration::from_nanos(60_000_000_000 - into_minute))
                }
                _ => None,
            }
        };
        if let (Some(wait), Ok(mut held)) = (wait, self.held_until.lock()) {
            tracing::warn!(venue = self.venue, status, wait_ms = wait.as_millis() as u64, "holding requests back");
            *held = Some(Instant::now() + wait);
        }
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

/// Requests spaced evenly `n` per second: a burst of one, so any one-second window holds at most `n`.
fn even_pace(n: NonZeroU32) -> Quota {
    Quota::with_period(Duration::from_secs(1) / n.get())
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(NonZeroU32::MIN)
}

/// A request path without its query (which may carry a signature): what messages name.
fn endpoint(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
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

/// The first `limit` levels of a book side given as `[price, quantity, extra]` rows (Kraken, Coinbase).
pub fn book_levels(
    side: Vec<(rust_decimal::Decimal, rust_decimal::Decimal, serde_json::Value)>,
    limit: usize,
) -> Vec<crate::model::BookLevel> {
    side.into_iter().take(limit).map(|(price, quantity, _)| crate::model::BookLevel { price, quantity }).collect()
}

//! Binance's clock as the adapter signs with it: the local clock corrected by an offset measured from
//! `GET /api/v3/time`. Binance refuses a signed request whose `timestamp` is 1 s or more ahead of its clock or more
//! than `recvWindow` behind it (-1021); a local clock that drifted after the offset was measured then fails every
//! signed call, so the offset is measured again when Binance says so, and the refused request is sent once more —
//! an order only when the offset moved by half a second or more (otherwise the request was merely late in transit,
//! and a late order must not go out later still).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::BinanceAdapter;
use super::ServerTime;
use crate::error::Result;
use crate::venue::rest::{Answer, Delivery};

/// Binance's code for a `timestamp` outside the request's `recvWindow` of its clock.
const OUTSIDE_RECV_WINDOW: i64 = -1021;

/// The offset from the local clock to Binance's, in milliseconds (shared by `&self` calls, so atomic).
#[derive(Debug, Default)]
pub(super) struct ServerClock {
    offset_ms: AtomicI64,
}

impl ServerClock {
    /// The local clock in milliseconds since the epoch.
    pub(super) fn local_ms() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }

    /// Binance's clock now, as far as the last measurement tells.
    pub(super) fn now_ms(&self) -> i64 {
        Self::local_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Binance answered `server_ms` to a time request whose answer arrived at local time `local_after`; returns how
    /// far the offset moved. Measured from the answer's arrival, timestamps run slightly behind Binance's clock
    /// (which `recvWindow` allows) rather than ahead of it (which only 1 s is).
    pub(super) fn measured(&self, server_ms: i64, local_after: i64) -> i64 {
        let offset = server_ms.saturating_sub(local_after);
        offset.saturating_sub(self.offset_ms.swap(offset, Ordering::Relaxed))
    }

    /// Whether `answer` refuses a request for its timestamp (-1021): the request placed nothing at the venue.
    pub(super) fn refused_timestamp(answer: &Answer) -> bool {
        #[derive(serde::Deserialize)]
        struct Code {
            code: i64,
        }
        answer.status == 400 && serde_json::from_str::<Code>(&answer.body).is_ok_and(|c| c.code == OUTSIDE_RECV_WINDOW)
    }
}

impl BinanceAdapter {
    /// Measures the offset from the local clock to Binance's; returns how far it moved, in milliseconds.
    pub(super) async fn measure_clock(&self) -> Result<i64> {
        let time: ServerTime = self.public("/api/v3/time").await?;
        Ok(self.clock.measured(time.server_time, ServerClock::local_ms()))
    }

    /// Sends the signed request to `endpoint` with `params` (`deliver`: an order, never re-sent blindly; otherwise
    /// retried as the REST client retries). Refused for its timestamp (the local clock drifted), it is sent once more
    /// after the clock is measured again — an order only when the offset moved by half a second or more — for the
    /// refusal placed nothing. When the clock cannot be measured, the refusal is the answer.
    pub(super) async fn send_signed(
        &self,
        method: reqwest::Method,
        endpoint: &str,
        params: &[(&str, String)],
        deliver: bool,
    ) -> Result<Delivery> {
        let mut measured = false;
        loop {
            let (path, key) = self.signed_path(endpoint, params)?;
            let headers = [("X-MBX-APIKEY", key)];
            let delivery = if deliver {
                self.rest.deliver(method.clone(), &path, &headers, None).await?
            } else {
                Delivery::Answered(self.rest.send_raw(method.clone(), &path, &headers, None).await?)
            };
            match delivery {
                Delivery::Answered(answer) if !measured && ServerClock::refused_timestamp(&answer) => {
                    tracing::warn!(endpoint, "binance refused the timestamp (-1021): measuring its clock again");
                    measured = true;
                    match self.measure_clock().await {
                        Ok(moved) if !deliver || moved.abs() >= 500 => {}
                        Ok(_) => return Ok(Delivery::Answered(answer)),
                        Err(failure) => {
                            tracing::warn!(%failure, "binance's clock could not be measured again");
                            return Ok(Delivery::Answered(answer));
                        }
                    }
                }
                other => return Ok(other),
            }
        }
    }
}

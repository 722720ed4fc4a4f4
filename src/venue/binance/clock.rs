//! Binance's clock as the adapter signs with it: the local clock corrected by an offset measured from
//! `GET /api/v3/time`. Binance refuses a signed request whose `timestamp` is more than 1 s ahead of its clock or more
//! than `recvWindow` behind it (-1021); a local clock that drifted after the offset was measured then fails every
//! signed call, so the offset is measured again when Binance says so, and the refused request is sent once more.

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

    /// Binance answered `server_ms` to a time request sent at local time `local_before`.
    pub(super) fn measured(&self, server_ms: i64, local_before: i64) {
        self.offset_ms.store(server_ms.saturating_sub(local_before), Ordering::Relaxed);
    }

    /// Whether `answer` refuses a request for its timestamp (-1021): the request did nothing at the venue.
    pub(super) fn refused_timestamp(answer: &Answer) -> bool {
        #[derive(serde::Deserialize)]
        struct Code {
            code: i64,
        }
        answer.status == 400 && serde_json::from_str::<Code>(&answer.body).is_ok_and(|c| c.code == OUTSIDE_RECV_WINDOW)
    }
}

impl BinanceAdapter {
    /// Measures the offset from the local clock to Binance's.
    pub(super) async fn measure_clock(&self) -> Result<()> {
        let local_before = ServerClock::local_ms();
        let time: ServerTime = self.public("/api/v3/time").await?;
        self.clock.measured(time.server_time, local_before);
        Ok(())
    }

    /// Sends the signed request to `endpoint` with `params` (`deliver`: an order, never re-sent blindly; otherwise
    /// retried as the REST client retries). Refused for its timestamp (the local clock drifted), it is sent once more
    /// after the clock is measured again: the refusal did nothing at the venue.
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
                    self.measure_clock().await?;
                    measured = true;
                }
                other => return Ok(other),
            }
        }
    }
}

//! Order-rate limits of a simulated venue, in market time: the venue's `orders_per_second`, `orders_per_minute` and
//! `orders_per_day` from `config/exchanges.yaml` (the seed's keys), counted over sliding windows of the engine's
//! clock. A strategy that sends orders faster than the real venue allows gets `RateLimitError` in a backtest, so it
//! fails here before it gets banned live.

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::{NANOS_PER_DAY, NANOS_PER_SECOND, Timestamp};
use crate::venue::RateLimits;

/// The order windows of one venue.
#[derive(Clone, Debug, Default)]
pub struct OrderLimits {
    /// (window length in ns, most orders in it, its name).
    windows: Vec<(i64, u32, &'static str)>,
    /// Times of the orders accepted within the longest window.
    accepted: VecDeque<Timestamp>,
}

impl OrderLimits {
    /// The order limits among `limits` (request limits do not apply to a simulated venue).
    pub fn new(limits: &RateLimits) -> Self {
        let windows = [
            (NANOS_PER_SECOND, limits.orders_per_second, "orders_per_second"),
            (60 * NANOS_PER_SECOND, limits.orders_per_minute, "orders_per_minute"),
            (NANOS_PER_DAY, limits.orders_per_day, "orders_per_day"),
        ]
        .into_iter()
        .filter_map(|(length, most, name)| most.map(|m| (length, m, name)))
        .collect();
        OrderLimits { windows, accepted: VecDeque::new() }
    }

    /// Whether there is any limit at all.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Counts an order placed at `now`, or refuses it when a window is full.
    ///
    /// # Errors
    /// [`Error::RateLimit`] naming the limit, with the time until the window has room.
    pub fn admit(&mut self, venue: &str, now: Timestamp) -> Result<()> {
        let longest = self.windows.iter().map(|w| w.0).max().unwrap_or(0);
        while self.accepted.front().is_some_and(|t| t.0 <= now.0.saturating_sub(longest)) {
            self.accepted.pop_front();
        }
        for &(length, most, name) in &self.windows {
            let in_window = self.accepted.iter().rev().take_while(|t| t.0 > now.0.saturating_sub(length)).count();
            if in_window >= most as usize {
                // The window has room once its oldest order in it is `length` old (a limit of 0, which a scenario
                // cannot set but a library caller could, never has room: wait a whole window).
                let oldest = self.accepted.len().checked_sub(in_window).filter(|_| in_window > 0);
                let wait = oldest
                    .and_then(|i| self.accepted.get(i))
                    .map_or(length, |oldest| oldest.0.saturating_add(length).saturating_sub(now.0).max(0))
                    as u64;
                return Err(Error::RateLimit {
                    message: format!("{venue}: {name} is {most} and {in_window} orders were placed in the window"),
                    retry_after: Some(Duration::from_nanos(wait)),
                });
            }
        }
        self.accepted.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_orders_a_second_and_five_a_minute_refuse_the_next_with_the_wait() {
        let limits = RateLimits { orders_per_second: Some(2), orders_per_minute: Some(5), ..RateLimits::default() };
        let mut orders = OrderLimits::new(&limits);
        let at = |ms: i64| Timestamp(ms * 1_000_000);
        orders.admit("sim", at(0)).unwrap();
        orders.admit("sim", at(0)).unwrap();
        let third = orders.admit("sim", at(500)).unwrap_err();
        assert!(
            matches!(&third, Error::RateLimit { retry_after: Some(d), message } if *d == Duration::from_millis(500) && message.contains("orders_per_second is 2")),
            "{third:?}"
        );
        orders.admit("sim", at(1000)).unwrap();
        orders.admit("sim", at(1000)).unwrap();
        orders.admit("sim", at(2000)).unwrap();
        // Five in the minute now: the sixth waits until the first (t = 0) is a minute old.
        let sixth = orders.admit("sim", at(3000)).unwrap_err();
        assert!(
            matches!(&sixth, Error::RateLimit { retry_after: Some(d), .. } if *d == Duration::from_secs(57)),
            "{sixth:?}"
        );
        orders.admit("sim", at(60_000)).unwrap();
    }
}

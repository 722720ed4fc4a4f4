//! The local wall clock: live venues only. It stamps a quote or book a venue sent without a time, seeds the
//! reconnect jitter and paces the rate budget; the engine takes its time from market data, never from here.

/// Now, by the local clock, in nanoseconds since the Unix epoch.
pub fn wall_clock_now() -> crate::model::Timestamp {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::model::Timestamp(i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX))
}

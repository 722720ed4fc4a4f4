//! Decoders of the live venues' market streams: each turns its venue's WebSocket messages into typed
//! [`crate::model::StreamEvent`]s for [`super::ws`], which owns the connection, the reconnects and the gap reports.
//! Numbers are read from the messages' text straight into `Decimal`.

pub mod binance;
pub mod coinbase;
pub mod kraken;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::Timestamp;

/// A JSON number or numeric string as the exact decimal it spells (never through `f64`).
pub(crate) fn exact_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw: &serde_json::value::RawValue = Deserialize::deserialize(deserializer)?;
    raw.get().trim_matches('"').parse::<Decimal>().map_err(serde::de::Error::custom)
}

/// An ISO-8601 time from a message, or `received` when the venue sent none (or one that does not parse).
fn venue_time(text: Option<&str>, received: Timestamp) -> Timestamp {
    text.and_then(crate::data::parse_timestamp).unwrap_or(received)
}

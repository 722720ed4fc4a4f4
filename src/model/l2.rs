//! Level-2 market data as fixed-layout rows: one row per changed book level, per snapshot level and per trade, in
//! the order the feed delivered them (as hftbacktest stores its events). Prices and quantities are exact fixed-point
//! integers in units of 10⁻⁸ ([`L2_SCALE`]), so replaying a book never touches `Decimal` or allocates per event.

use rust_decimal::Decimal;

use super::Timestamp;

/// Decimal places of [`L2Row::price`] and [`L2Row::quantity`].
pub const L2_SCALE: u32 = 8;

/// What a row says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RowKind {
    /// A bid level of a depth diff: `quantity` now rests at `price` (zero: the level is gone).
    Bid,
    /// An ask level of a depth diff.
    Ask,
    /// A depth diff that changed no level (keeps its update ids in the sequence).
    NoLevels,
    /// A bid level of a book snapshot.
    SnapshotBid,
    /// An ask level of a book snapshot.
    SnapshotAsk,
    /// A trade whose taker bought.
    TradeBuy,
    /// A trade whose taker sold.
    TradeSell,
}

/// One row of level-2 data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L2Row {
    /// Venue time (for a snapshot, which carries none: the receive time).
    pub exchange_time: Timestamp,
    /// Local receive time.
    pub received: Timestamp,
    /// Price in units of 10⁻⁸.
    pub price: i64,
    /// Quantity in units of 10⁻⁸.
    pub quantity: i64,
    /// Depth diff: the venue's first update id (Binance `U`); snapshot: its `lastUpdateId`; trade: the trade id.
    pub first_id: u64,
    /// Depth diff: the venue's last update id (Binance `u`); otherwise equal to `first_id`.
    pub last_id: u64,
    /// Line of the source file the row came from.
    pub line: u32,
    /// What the row says.
    pub kind: RowKind,
    /// The last row of its message (a diff's or snapshot's levels form one message).
    pub ends_message: bool,
}

impl L2Row {
    /// Whether the row is a trade.
    pub fn is_trade(&self) -> bool {
        matches!(self.kind, RowKind::TradeBuy | RowKind::TradeSell)
    }
}

/// `value` as units of 10⁻⁸, exactly; `None` when it has more decimals or does not fit.
pub fn to_fixed(value: Decimal) -> Option<i64> {
    if value.scale() > L2_SCALE {
        return None;
    }
    let mut scaled = value;
    scaled.rescale(L2_SCALE);
    i64::try_from(scaled.mantissa()).ok()
}

/// Units of 10⁻⁸ as a `Decimal` (normalized: no trailing zeros).
pub fn from_fixed(units: i64) -> Decimal {
    Decimal::new(units, L2_SCALE).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn fixed_point_round_trips_exactly_and_refuses_finer_values() {
        assert_eq!(to_fixed(dec!(61737.63000000)), Some(6_173_763_000_000));
        assert_eq!(from_fixed(6_173_763_000_000), dec!(61737.63));
        assert_eq!(to_fixed(dec!(0.00000001)), Some(1));
        assert_eq!(to_fixed(dec!(0.000000001)), None);
    }
}

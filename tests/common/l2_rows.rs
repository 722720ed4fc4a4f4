//! Hand-made level-2 messages for matching tests: a snapshot, depth diffs and trades at millisecond times, with
//! prices and quantities written as decimals.

use rust_decimal::Decimal;

use cryptotradebot::model::l2::to_fixed;
use cryptotradebot::model::{L2Row, RowKind, Timestamp};

/// `ms` milliseconds after the epoch.
pub fn ms(ms: i64) -> Timestamp {
    Timestamp(ms * 1_000_000)
}

fn row(time_ms: i64, kind: RowKind, price: Decimal, quantity: Decimal, ids: (u64, u64)) -> L2Row {
    L2Row {
        exchange_time: ms(time_ms),
        received: ms(time_ms),
        price: to_fixed(price).unwrap(),
        quantity: to_fixed(quantity).unwrap(),
        first_id: ids.0,
        last_id: ids.1,
        line: 0,
        kind,
        ends_message: false,
    }
}

fn message(mut rows: Vec<L2Row>) -> Vec<L2Row> {
    if let Some(last) = rows.last_mut() {
        last.ends_message = true;
    }
    rows
}

/// A book snapshot with `lastUpdateId` `id`.
pub fn snapshot(time_ms: i64, id: u64, bids: &[(Decimal, Decimal)], asks: &[(Decimal, Decimal)]) -> Vec<L2Row> {
    let levels = |kind, side: &[(Decimal, Decimal)]| {
        side.iter().map(move |(p, q)| row(time_ms, kind, *p, *q, (id, id))).collect::<Vec<_>>()
    };
    message([levels(RowKind::SnapshotBid, bids), levels(RowKind::SnapshotAsk, asks)].concat())
}

/// A depth diff with update id `id` (U = u = id): each level now holds the given quantity (zero removes it).
pub fn diff(time_ms: i64, id: u64, bids: &[(Decimal, Decimal)], asks: &[(Decimal, Decimal)]) -> Vec<L2Row> {
    let levels = |kind, side: &[(Decimal, Decimal)]| {
        side.iter().map(move |(p, q)| row(time_ms, kind, *p, *q, (id, id))).collect::<Vec<_>>()
    };
    let rows = [levels(RowKind::Bid, bids), levels(RowKind::Ask, asks)].concat();
    if rows.is_empty() {
        return message(vec![row(time_ms, RowKind::NoLevels, Decimal::ZERO, Decimal::ZERO, (id, id))]);
    }
    message(rows)
}

/// A trade print; `taker_sold` when the taker hit the bids.
pub fn trade(time_ms: i64, taker_sold: bool, price: Decimal, quantity: Decimal) -> Vec<L2Row> {
    let kind = if taker_sold { RowKind::TradeSell } else { RowKind::TradeBuy };
    message(vec![row(time_ms, kind, price, quantity, (1, 1))])
}

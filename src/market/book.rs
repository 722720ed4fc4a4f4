//! Level-2 order books rebuilt from market data: [`L2Book`] holds the levels of one symbol, and [`messages`] cuts
//! a run of rows into the venue's messages.

use std::collections::BTreeMap;

use crate::model::{L2Row, RowKind};

/// The resting quantity at every price of one symbol, both sides, in the fixed-point units of [`L2Row`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct L2Book {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

/// A side of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookSide {
    /// Buyers' levels.
    Bid,
    /// Sellers' levels.
    Ask,
}

impl L2Book {
    /// An empty book.
    pub fn new() -> Self {
        L2Book::default()
    }

    /// Removes every level.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// `quantity` now rests at `price` on `side`; zero removes the level.
    #[inline]
    pub fn set(&mut self, side: BookSide, price: i64, quantity: i64) {
        let levels = match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        };
        if quantity == 0 {
            levels.remove(&price);
        } else {
            levels.insert(price, quantity);
        }
    }

    /// Applies a book row (a diff's or a snapshot's level); other rows leave the book as it is.
    #[inline]
    pub fn apply(&mut self, row: &L2Row) {
        match row.kind {
            RowKind::Bid | RowKind::SnapshotBid => self.set(BookSide::Bid, row.price, row.quantity),
            RowKind::Ask | RowKind::SnapshotAsk => self.set(BookSide::Ask, row.price, row.quantity),
            RowKind::NoLevels | RowKind::TradeBuy | RowKind::TradeSell => {}
        }
    }

    /// The highest bid (price, quantity).
    pub fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids.last_key_value().map(|(p, q)| (*p, *q))
    }

    /// The lowest ask (price, quantity).
    pub fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks.first_key_value().map(|(p, q)| (*p, *q))
    }

    /// Quantity resting at `price` on `side` (zero when no level).
    pub fn quantity_at(&self, side: BookSide, price: i64) -> i64 {
        let levels = if side == BookSide::Bid { &self.bids } else { &self.asks };
        levels.get(&price).copied().unwrap_or(0)
    }

    /// Levels of `side`, best first (price, quantity). Allocates nothing.
    pub fn levels(&self, side: BookSide) -> Levels<'_> {
        match side {
            BookSide::Bid => Levels::Bids(self.bids.iter().rev()),
            BookSide::Ask => Levels::Asks(self.asks.iter()),
        }
    }

    /// Number of levels on (bid, ask).
    pub fn len(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

/// The levels of one side of an [`L2Book`], best first: bids from the highest price down, asks from the lowest up.
#[derive(Clone, Debug)]
pub enum Levels<'a> {
    /// Bids, highest first.
    Bids(std::iter::Rev<std::collections::btree_map::Iter<'a, i64, i64>>),
    /// Asks, lowest first.
    Asks(std::collections::btree_map::Iter<'a, i64, i64>),
}

impl Iterator for Levels<'_> {
    type Item = (i64, i64);

    #[inline]
    fn next(&mut self) -> Option<(i64, i64)> {
        let level = match self {
            Levels::Bids(bids) => bids.next(),
            Levels::Asks(asks) => asks.next(),
        };
        level.map(|(price, quantity)| (*price, *quantity))
    }
}

/// The messages of `rows`: runs of rows ending at a row that ends its message.
pub fn messages(rows: &[L2Row]) -> impl Iterator<Item = &[L2Row]> {
    rows.split_inclusive(|row| row.ends_message)
}

//! Market data as the engine consumes it: the deterministic, time-ordered merge of event streams and the clock it
//! drives ([`ReplayFeed`], [`SimClock`]); level-2 order books rebuilt from market data ([`L2Book`]) and the venues'
//! rules for keeping them in sync ([`BinanceBookSync`]).

mod binance_sync;
mod book;
mod clock;
mod merge;

pub use binance_sync::{BinanceBookSync, SyncStats};
pub use book::{BookSide, L2Book, Levels, messages};
pub use clock::SimClock;
pub use merge::{FeedEvent, ReplayFeed};

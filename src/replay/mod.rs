//! The deterministic replay: a time-ordered merge of event streams and the simulated clock the engine reads.

mod clock;
mod feed;

pub use clock::SimClock;
pub use feed::{FeedEvent, ReplayFeed};

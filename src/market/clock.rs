//! [`SimClock`]: the only source of "now" inside the engine.

use crate::model::Timestamp;

/// Engine time. In a backtest it advances with the replayed events; in paper and live mode with the feed's event
/// times. It never reads the wall clock and never moves backwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimClock {
    now: Timestamp,
}

impl SimClock {
    /// The current engine time.
    #[inline]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Moves the clock to `time`; earlier times leave it where it is, so time never runs backwards.
    #[inline]
    pub fn advance_to(&mut self, time: Timestamp) {
        self.now = self.now.max(time);
    }
}

//! Exponential backoff with jitter, for the live adapters' retries and reconnects: each delay doubles up to a
//! ceiling, and is spread by ±25 % so that many clients cut off at once do not come back in lockstep.
//!
//! Live venues only: the jitter is seeded from the local clock, which never reaches a backtest.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::time::Duration;

/// Delays for successive attempts.
#[derive(Debug)]
pub struct Backoff {
    first: Duration,
    ceiling: Duration,
    next: Duration,
    rng: ChaCha8Rng,
}

impl Backoff {
    /// Delays starting at `first`, doubling up to `ceiling`.
    pub fn new(first: Duration, ceiling: Duration) -> Self {
        let seed = super::wall_clock::wall_clock_now().0 as u64;
        Backoff { first, ceiling, next: first, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// The delay before the next attempt (the nominal delay ±25 %); the one after is twice as long.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.next;
        self.next = (self.next * 2).min(self.ceiling);
        nominal.mul_f64(self.rng.random_range(0.75..1.25))
    }

    /// Starts again from the first delay (after a success).
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_within_a_quarter_either_way() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        for nominal in [100u64, 200, 400, 500, 500] {
            let delay = backoff.next_delay().as_secs_f64() * 1000.0;
            let nominal = nominal as f64;
            assert!((0.75 * nominal..1.25 * nominal).contains(&delay), "{delay} ms for {nominal} ms");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(125));
    }
}

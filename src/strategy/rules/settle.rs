//! How long a rule strategy's indicators remember where the data started: the bars after an indicator's first
//! value until a late start can no longer be told from the full run, for the warm-up a rule strategy states
//! ([`crate::strategy::Strategy::warm_up_bars`]).
//!
//! An indicator over a window (SMA, highest, Bollinger, stochastic, …) forgets the start once its window has moved
//! past it: 0 bars after its first value. A recursive one never forgets it completely: an EMA of period `n` keeps
//! its seed (the first `n` inputs' mean) with weight `(1 − 2/(n + 1))^m` after `m` more inputs, Wilder's average
//! and running sum (RSI, ATR, NATR, ±DI) with `(1 − 1/n)^m`, KAMA with at most `(1 − (2/31)²)^m` (its slowest
//! smoothing constant, as TA-Lib fixes it). Its horizon is the smallest `m` for which that weight is below
//! [`SETTLED_WEIGHT`] (1e-9): `m = ⌈ln 1e-9 / ln decay⌉` — 280 bars for Wilder's 14, 519 for an EMA of 50, 4,969
//! for any KAMA. An indicator layered on another adds the layers' horizons (DEMA twice the EMA's, TEMA three
//! times, ADX's average on Wilder sums twice Wilder's, MACD the slow EMA's and the signal's), and one made of two
//! side by side takes the longer (Keltner). OBV (a running total from the first bar) and the session VWAP (until
//! the first UTC midnight, a number of bars the rules are not told) never settle: `None`.
//!
//! This is a bound on the start's weight, not equality: `f64` values from a late start stay within rounding of the
//! full run's (relative 1e-9 of the seed's difference), so a decision on a value within that of a threshold, or a
//! price written with more digits than that, can still differ — which `ctb audit`, comparing decisions exactly,
//! would report.

/// The start's weight in a value below which the value counts as independent of where the data started.
pub(super) const SETTLED_WEIGHT: f64 = 1e-9;

/// Inputs until a weight multiplied by `1 − rate` per input falls below [`SETTLED_WEIGHT`]; 0 for a rate of 1 or
/// more (nothing is kept), saturating at `usize::MAX` for a rate so small that it never does.
pub(super) fn fading(rate: f64) -> usize {
    if rate >= 1.0 {
        return 0;
    }
    // ln(1 − rate) < 0 for 0 < rate < 1; a float-to-integer cast saturates (and a NaN would be 0).
    (SETTLED_WEIGHT.ln() / (-rate).ln_1p()).ceil() as usize
}

/// An EMA of period `n` (smoothing `2/(n + 1)`).
pub(super) fn ema(n: usize) -> usize {
    fading(2.0 / (n as f64 + 1.0))
}

/// Wilder's average or running sum of period `n` (smoothing `1/n`).
pub(super) fn wilder(n: usize) -> usize {
    fading(1.0 / n as f64)
}

/// KAMA, any period: its slowest smoothing constant, `(2/31)²`.
pub(super) fn kama() -> usize {
    fading((2.0 / 31.0) * (2.0 / 31.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_horizon_is_the_first_count_of_inputs_whose_weight_of_the_start_is_below_one_in_a_billion() {
        for (m, decay) in [(ema(50), 49.0 / 51.0), (wilder(14), 13.0 / 14.0), (kama(), 1.0 - 4.0 / 961.0)] {
            let weight = |m: usize| (0..m).fold(1.0_f64, |w, _| w * decay);
            assert!(weight(m) < 1e-9 && weight(m - 1) >= 1e-9, "{m} inputs at {decay}");
        }
        assert_eq!((ema(50), wilder(14), kama()), (519, 280, 4969));
        // Nothing is kept: an EMA of 1 is its input, Wilder's 1 too.
        assert_eq!((ema(1), wilder(1)), (0, 0));
        // The longest period stays finite: about 20.7 × n for Wilder's.
        let longest = wilder(crate::strategy::indicators::MAX_PERIOD);
        assert!((20_700_000..20_800_000).contains(&longest), "{longest}");
        assert_eq!(fading(0.0), usize::MAX, "a weight that never falls");
    }
}

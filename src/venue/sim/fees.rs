//! Volume-tiered fees: a venue's ladder of levels (the 30-day traded volume in the quote asset at which each starts,
//! and its maker and taker rates; a negative maker rate is a rebate), shipped as dated, sourced data under
//! `config/fees/`, and the rolling 30-day volume that selects the level for each fill.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::VecDeque;

use crate::model::{Liquidity, NANOS_PER_DAY, Timestamp};

/// How far back traded volume counts towards the level.
pub const VOLUME_WINDOW_NS: i64 = 30 * NANOS_PER_DAY;

/// One level of a ladder.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeTier {
    /// The level's name (`VIP 1`).
    pub level: String,
    /// 30-day volume in the quote asset from which the level applies.
    pub min_volume: Decimal,
    /// Maker rate in percent (negative: a rebate).
    pub maker_percent: Decimal,
    /// Taker rate in percent.
    pub taker_percent: Decimal,
}

/// A venue's fee ladder.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeLadder {
    /// Name of the ladder.
    pub name: String,
    /// The date the rates were taken.
    pub as_of: String,
    /// Where they were taken from.
    pub source: String,
    /// Levels, lowest volume first; the first starts at zero.
    pub tiers: Vec<FeeTier>,
}

impl FeeLadder {
    /// Checks the ladder: at least one tier, the first at zero volume, volumes increasing, every rate below
    /// 100 % and no taker rate below zero.
    ///
    /// # Errors
    /// What is wrong, naming the key (`tiers[2].min_volume: …`).
    pub fn validate(&self) -> std::result::Result<(), String> {
        let first = self.tiers.first().ok_or("tiers: at least one tier is needed")?;
        if !first.min_volume.is_zero() {
            return Err(format!("tiers[0].min_volume: the first tier starts at 0, not {}", first.min_volume));
        }
        for (i, pair) in self.tiers.windows(2).enumerate() {
            if pair[1].min_volume <= pair[0].min_volume {
                return Err(format!("tiers[{}].min_volume: volumes must increase", i + 1));
            }
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            let hundred = Decimal::ONE_HUNDRED;
            if tier.maker_percent.abs() >= hundred
                || tier.taker_percent >= hundred
                || tier.taker_percent.is_sign_negative()
            {
                return Err(format!("tiers[{i}]: rates must be below 100 % (maker may be negative, taker not)"));
            }
        }
        Ok(())
    }

    /// The level for a 30-day volume of `volume`.
    pub fn tier(&self, volume: Decimal) -> &FeeTier {
        let index = self.tiers.partition_point(|t| t.min_volume <= volume).saturating_sub(1);
        &self.tiers[index]
    }
}

/// Volume traded in the last [`VOLUME_WINDOW_NS`] of engine time, and the rate it earns on a [`FeeLadder`].
#[derive(Clone, Debug)]
pub struct TieredFees {
    ladder: FeeLadder,
    fills: VecDeque<(Timestamp, Decimal)>,
    volume: Decimal,
}

impl TieredFees {
    /// No volume yet: the ladder's first level.
    pub fn new(ladder: FeeLadder) -> Self {
        TieredFees { ladder, fills: VecDeque::new(), volume: Decimal::ZERO }
    }

    /// The ladder.
    pub fn ladder(&self) -> &FeeLadder {
        &self.ladder
    }

    /// The rate (a fraction: `0.001` for 0.1 %) of a fill at `time` that made or took liquidity, from the volume
    /// traded in the 30 days before it.
    pub fn rate(&mut self, liquidity: Liquidity, time: Timestamp) -> Decimal {
        while self.fills.front().is_some_and(|(t, _)| t.0 <= time.0 - VOLUME_WINDOW_NS) {
            if let Some((_, notional)) = self.fills.pop_front() {
                self.volume -= notional;
            }
        }
        let tier = self.ladder.tier(self.volume);
        let percent = if liquidity == Liquidity::Maker { tier.maker_percent } else { tier.taker_percent };
        percent / Decimal::ONE_HUNDRED
    }

    /// Counts a fill of `notional` at `time` towards the volume.
    pub fn record(&mut self, time: Timestamp, notional: Decimal) {
        self.fills.push_back((time, notional));
        self.volume += notional;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn ladder() -> FeeLadder {
        let tier = |level: &str, min_volume, maker_percent, taker_percent| FeeTier {
            level: level.into(),
            min_volume,
            maker_percent,
            taker_percent,
        };
        FeeLadder {
            name: "test".into(),
            as_of: "2026-11-24".into(),
            source: "by hand".into(),
            tiers: vec![
                tier("base", dec!(0), dec!(0.1), dec!(0.1)),
                tier("one", dec!(1000), dec!(0.05), dec!(0.08)),
                tier("two", dec!(5000), dec!(-0.01), dec!(0.05)),
            ],
        }
    }

    #[test]
    fn volume_climbs_the_ladder_and_falls_back_after_thirty_days() {
        let mut fees = TieredFees::new(ladder());
        let day = |d: i64| Timestamp(d * NANOS_PER_DAY);
        assert_eq!(fees.rate(Liquidity::Taker, day(0)), dec!(0.001));
        fees.record(day(0), dec!(999));
        assert_eq!(fees.rate(Liquidity::Taker, day(1)), dec!(0.001), "999 is below the 1,000 of level one");
        fees.record(day(1), dec!(1));
        assert_eq!(fees.rate(Liquidity::Taker, day(2)), dec!(0.0008), "1,000: level one");
        fees.record(day(2), dec!(4000));
        assert_eq!(fees.rate(Liquidity::Maker, day(3)), dec!(-0.0001), "5,000: level two, a maker rebate");
        // Day 30: the 999 of day 0 has left the window (4,001 remain).
        assert_eq!(fees.rate(Liquidity::Maker, day(30)), dec!(0.0005));
        // Day 33: everything has left.
        assert_eq!(fees.rate(Liquidity::Taker, day(33)), dec!(0.001));
    }

    #[test]
    fn a_ladder_out_of_order_is_refused_naming_the_tier() {
        let mut bad = ladder();
        bad.tiers.swap(1, 2);
        assert!(bad.validate().unwrap_err().contains("tiers[2].min_volume"), "5,000 then 1,000");
    }
}

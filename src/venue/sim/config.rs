//! Settings of a simulated venue: fees, fill model, slippage, the path assumed inside a bar, the liquidity of bars,
//! and the latency and queue rules of level-2 matching.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book_matching::{Latency, QueueModel};
use super::liquidity::BarLiquidity;
use crate::model::Liquidity;

/// At which price a market order fills when the venue sees bars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillModel {
    /// At the open of the next bar: the first price after the signal was known (default; no look-ahead).
    #[default]
    NextOpen,
    /// At the close of the bar the signal was computed on: optimistic, as if the order reached the venue the
    /// instant the bar closed.
    Close,
}

/// Which way the price went inside a bar, when orders on both sides of the open could have executed in it. A bar
/// holds only its open, high, low and close; the path between them is unknown, so the order in which resting orders
/// meet the price is a rule, chosen here and reported with the results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarPath {
    /// Against the trader (default): stop orders execute before every other order of the bar, so a stop-loss and
    /// a take-profit both inside the bar count as the stop hit first.
    #[default]
    Adverse,
    /// For the trader: take-profits and limits execute before stops.
    Optimistic,
    /// By candle colour: a bar that closed at or above its open went open → low → high → close (a dip, then the
    /// rally), one that closed below went open → high → low → close; orders execute in the order the path meets
    /// their prices' side.
    Ohlc,
}

/// What happens to the exits (stop-loss, take-profit) of an entry that filled inside a bar — not at its open —
/// when no finer data says what came after the fill: the bar's high and low may both have come before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MidBarExits {
    /// The exits are matched from the next bar on (default): nothing of the entry's bar is assumed to have come
    /// after the fill.
    #[default]
    NextBar,
    /// The exits are matched against the rest of the entry's bar as if all of it came after the fill, and a bar in
    /// which one of them fills counts as ambiguous (the ambiguity report's interval then covers it).
    Ambiguous,
}

/// Costs and fill rules of a simulated venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Fee rate for fills of resting (limit) orders, e.g. `0.001` for 10 bps.
    pub maker_fee: Decimal,
    /// Fee rate for fills of orders that take liquidity (market orders).
    pub taker_fee: Decimal,
    /// Market order fill price rule.
    pub fill_model: FillModel,
    /// Adverse price move applied to market fills, as a rate (`0.0005` for 5 bps).
    pub slippage: Decimal,
    /// The order of executions inside one bar.
    pub bar_path: BarPath,
    /// Exits of an entry filled inside a bar without finer data: from the next bar, or in it as ambiguous.
    pub mid_bar_exits: MidBarExits,
    /// How much of a bar's volume an order may take and how taking moves the price (both off by default).
    pub liquidity: BarLiquidity,
    /// Round order prices and quantities to the instrument's tick and lot instead of refusing them (off: a price
    /// off the tick or a quantity off the lot is an `OrderError` naming the filter, as at the real venue).
    pub round_orders: bool,
    /// Order entry and cancel latency, in market time (level-2 venues).
    pub latency: Latency,
    /// What a resting limit waits for at its price (level-2 and trade data).
    pub queue_model: QueueModel,
    /// On a sequence gap in a level-2 feed, drop the book and wait for the next snapshot instead of failing: a live
    /// session's feed (which then fetches one) and the replay of its recording.
    pub resync_books: bool,
}

impl SimConfig {
    /// The fee rate for a fill that made or took liquidity.
    #[inline]
    pub fn fee_rate(&self, liquidity: Liquidity) -> Decimal {
        match liquidity {
            Liquidity::Maker => self.maker_fee,
            Liquidity::Taker => self.taker_fee,
        }
    }
}

impl Default for SimConfig {
    /// Binance spot's base fees (10 bps maker and taker), next-open fills, no slippage, no liquidity limits.
    fn default() -> Self {
        SimConfig {
            maker_fee: Decimal::new(1, 3),
            taker_fee: Decimal::new(1, 3),
            fill_model: FillModel::NextOpen,
            slippage: Decimal::ZERO,
            bar_path: BarPath::Adverse,
            mid_bar_exits: MidBarExits::NextBar,
            liquidity: BarLiquidity::default(),
            round_orders: false,
            latency: Latency::default(),
            queue_model: QueueModel::Queue,
            resync_books: false,
        }
    }
}

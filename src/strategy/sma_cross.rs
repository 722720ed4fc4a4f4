//! `sma_cross`: long-only moving-average crossover (spec `sma_cross_v1`).
//!
//! On each closed bar: `cross_up = fast > slow and fast[-1] <= slow[-1]`, `cross_down` mirrored. Flat and cross up:
//! buy with all available cash (a quote-sized market order; the venue sizes it so that price plus fee fits). Long and
//! cross down: sell the whole position. A position below the lot step (dust a commission in the base asset left)
//! counts as flat. The averages are exact: running integer sums of the closes at the series'
//! own decimal scale, compared by cross-multiplying (`fast_sum × slow_len` vs `slow_sum × fast_len`), so equal
//! averages compare equal.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::cmp::Ordering;

use super::indicators::{MAX_PERIOD, SmaPair, to_fixed};
use super::{Command, Context, Event, OrderIntent, Strategy, StreamInfo, StreamKind};
use crate::error::{Error, Result};
use crate::model::exact::positive;
use crate::model::{OrderQty, Side};

/// Parameters of `sma_cross`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmaCrossParams {
    /// Length of the fast average, in bars.
    pub fast: usize,
    /// Length of the slow average, in bars.
    pub slow: usize,
}

/// Per-stream state: the two running sums and the last comparison.
#[derive(Clone, Debug)]
struct CrossState {
    scale: u32,
    /// The lot step: a position below it is dust the venue will not take, so the stream counts as flat.
    lot: Decimal,
    averages: SmaPair,
    previous: Option<Ordering>,
}

/// The strategy. Each data stream is traded independently.
#[derive(Clone, Debug)]
pub struct SmaCross {
    params: SmaCrossParams,
    streams: Vec<CrossState>,
}

impl SmaCross {
    /// Builds the strategy.
    ///
    /// # Errors
    /// [`Error::Validation`] unless `1 <= fast < slow <=` [`MAX_PERIOD`].
    pub fn new(params: SmaCrossParams) -> Result<Self> {
        if params.fast == 0 || params.fast >= params.slow {
            return Err(Error::Validation(format!(
                "strategy.params: sma_cross needs 1 <= fast < slow, got fast {} and slow {}",
                params.fast, params.slow
            )));
        }
        if params.slow > MAX_PERIOD {
            return Err(Error::Validation(format!(
                "strategy.params.slow: {} bars is more than the {MAX_PERIOD} a window may hold",
                params.slow
            )));
        }
        Ok(SmaCross { params, streams: Vec::new() })
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        "sma_cross"
    }

    /// The slow average's bars and one more: a cross compares this bar's averages with the last bar's.
    fn warm_up_bars(&self) -> usize {
        self.params.slow + 1
    }

    /// The slow average's bars and one more: the first cross needs the averages of two bars.
    fn bars_before_first_decision(&self) -> usize {
        self.params.slow + 1
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if let Some(book) = streams.iter().find(|s| s.kind != StreamKind::Bars) {
            return Err(Error::Validation(format!(
                "sma_cross trades closed bars; the {} stream carries level-2 data",
                book.symbol
            )));
        }
        self.streams = streams
            .iter()
            .map(|s| CrossState {
                scale: s.close_scale,
                lot: s.lot_size,
                averages: SmaPair::new(self.params.fast, self.params.slow),
                previous: None,
            })
            .collect();
        Ok(())
    }

    #[inline]
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let state = &mut self.streams[ctx.stream];
        // Closes were validated and scanned for their scale at load, so every close converts exactly.
        let Some(close) = to_fixed(bar.close, state.scale) else {
            return;
        };
        let Some(now) = state.averages.push(close) else {
            return;
        };
        let before = state.previous.replace(now);
        let Some(before) = before else { return };
        if !ctx.open_orders.is_empty() {
            return;
        }
        let cross_up = now == Ordering::Greater && before != Ordering::Greater;
        let cross_down = now == Ordering::Less && before != Ordering::Less;
        if !cross_up && !cross_down {
            // Most bars: nothing to decide, so the position is not looked at (decimal comparisons cost).
            return;
        }
        let market = |side, quantity| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, quantity));
        let flat = ctx.position.is_zero() || ctx.position.abs() < state.lot;
        if cross_up && flat && positive(ctx.cash) {
            commands.push(market(Side::Buy, OrderQty::Quote(ctx.cash)));
        } else if cross_down && !flat && positive(ctx.position) {
            commands.push(market(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

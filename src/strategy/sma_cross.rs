//! `sma_cross`: long-only moving-average crossover (spec `sma_cross_v1`).
//!
//! On each closed bar: `cross_up = fast > slow and fast[-1] <= slow[-1]`, `cross_down` mirrored. Flat and cross up:
//! buy with all available cash (a quote-sized market order; the venue sizes it so that price plus fee fits). Long and
//! cross down: sell the whole position. The averages are exact: running integer sums of the closes at the series'
//! own decimal scale, compared by cross-multiplying (`fast_sum × slow_len` vs `slow_sum × fast_len`), so equal
//! averages compare equal.

use serde::Deserialize;
use std::cmp::Ordering;

use super::indicators::{SmaPair, to_fixed};
use super::{BarContext, OrderIntent, Strategy, StreamInfo};
use crate::error::{Error, Result};
use crate::model::exact::positive;
use crate::model::{OrderQty, OrderType, Side, TimeInForce};

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
    /// [`Error::Validation`] unless `1 <= fast < slow`.
    pub fn new(params: SmaCrossParams) -> Result<Self> {
        if params.fast == 0 || params.fast >= params.slow {
            return Err(Error::Validation(format!(
                "strategy.params: sma_cross needs 1 <= fast < slow, got fast {} and slow {}",
                params.fast, params.slow
            )));
        }
        Ok(SmaCross { params, streams: Vec::new() })
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        "sma_cross"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        self.streams = streams
            .iter()
            .map(|s| CrossState {
                scale: s.close_scale,
                averages: SmaPair::new(self.params.fast, self.params.slow),
                previous: None,
            })
            .collect();
        Ok(())
    }

    #[inline]
    fn on_bar(&mut self, ctx: &BarContext<'_>, orders: &mut Vec<OrderIntent>) {
        let state = &mut self.streams[ctx.stream];
        // Closes were validated and scanned for their scale at load, so every close converts exactly.
        let Some(close) = to_fixed(ctx.bar.close, state.scale) else {
            return;
        };
        let Some(now) = state.averages.push(close) else {
            return;
        };
        let before = state.previous.replace(now);
        let Some(before) = before else { return };
        if ctx.open_orders > 0 {
            return;
        }
        let cross_up = now == Ordering::Greater && before != Ordering::Greater;
        let cross_down = now == Ordering::Less && before != Ordering::Less;
        let intent = |side, quantity| OrderIntent {
            venue: ctx.venue,
            symbol: ctx.symbol,
            side,
            order_type: OrderType::Market,
            quantity,
            price: None,
            volatility: None,
            time_in_force: TimeInForce::Gtc,
        };
        if cross_up && ctx.position.is_zero() && positive(ctx.cash) {
            orders.push(intent(Side::Buy, OrderQty::Quote(ctx.cash)));
        } else if cross_down && positive(ctx.position) {
            orders.push(intent(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

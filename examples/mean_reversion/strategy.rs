//! `mean_reversion`: a strategy written outside the crate, against its public API only, on closed bars.
//!
//! Each bar, the close's z-score against the last `period` closes (`z = (close − mean) / σ`, σ the population
//! standard deviation, both from the library's streaming [`ZScore`] and [`StdDev`]):
//!
//! - flat, and `z < −entry_z` (the close is far below its recent mean): buy with all free cash, and every entry
//!   carries a protective stop — the order is the entry of a bracket, so once it has filled the engine places a
//!   stop-loss `stop_sigmas × σ` below the average fill price and a take-profit `take_sigmas × σ` above it, one
//!   cancelling the other;
//! - long, and `z > exit_z` (the close came back to its mean): sell the whole position at market; the engine
//!   cancels the bracket's exits before that sell.
//!
//! Long only (a spot account). The distances are the σ of the signal bar, rounded to the closes' decimals.
//!
//! **Not exact: it decides on `f64`.** The z-score and σ come from the library's `f64` statistics (running sums
//! over the window, recomputed every `period` closes), and `z < −entry_z` and `z > exit_z` compare `f64`s. A close
//! whose z-score lies within rounding of a threshold (relative 1e-15 or so) may decide either way, and that
//! rounding depends on where the data started (where the sums were last recomputed); a σ on a rounding boundary
//! of the closes' decimals may likewise give distances a cent apart. This relaxes, for an example's brevity, the
//! crate's rule that a comparison deciding a trade is exact. A strategy that must be exact would keep the window's
//! sums in decimals and compare, with `n` closes summing to `Σx` and their squares to `Σx²`, `Σx > n·close` and
//! `(Σx − n·close)² > entry_z² · (n·Σx² − (Σx)²)` — `z < −entry_z` multiplied out, as `sma_cross` compares its
//! averages in fixed point. `ctb audit` passes it on the shipped data (`tests/audit.rs`): no close there is that
//! close to a threshold, which says nothing of other data.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Deserialize;

use cryptotradebot::model::{OrderQty, Side};
use cryptotradebot::strategy::indicators::{Indicator, MAX_PERIOD, StdDev, ZScore};
use cryptotradebot::strategy::{
    Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo, StreamKind, parse_params,
};
use cryptotradebot::{Error, Result};

/// Parameters of `mean_reversion`, as the scenario's `strategy.params` gives them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanReversionParams {
    /// Closes in the rolling mean and standard deviation (at least 2, at most [`MAX_PERIOD`]: the windows are
    /// allocated when a stream starts).
    pub period: usize,
    /// Buy when the z-score falls below `−entry_z` (positive).
    pub entry_z: f64,
    /// Sell when the z-score rises above `exit_z` (below `entry_z`'s level: `exit_z > −entry_z`).
    pub exit_z: f64,
    /// The stop-loss sits this many σ below the entry's average price (positive).
    pub stop_sigmas: f64,
    /// The take-profit sits this many σ above it (positive).
    pub take_sigmas: f64,
}

/// One stream's indicators.
#[derive(Clone, Debug)]
struct Stream {
    z: ZScore,
    sigma: StdDev,
    /// Decimals of the closes: the distances are rounded to them.
    scale: u32,
    /// The lot step: a position below it cannot be sold and counts as flat.
    lot: Decimal,
}

/// The strategy. Each data stream is traded on its own.
#[derive(Clone, Debug)]
pub struct MeanReversion {
    params: MeanReversionParams,
    streams: Vec<Stream>,
}

impl MeanReversion {
    /// A mean reversion with `params`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a period below 2 or above [`MAX_PERIOD`], a non-positive `entry_z`, `stop_sigmas`
    /// or `take_sigmas`, or an `exit_z` at or below `−entry_z` (it would sell at once).
    pub fn new(params: MeanReversionParams) -> Result<Self> {
        let p = params;
        if p.period > MAX_PERIOD {
            return Err(Error::Validation(format!(
                "strategy.params.period: {} bars is more than the {MAX_PERIOD} a window may hold",
                p.period
            )));
        }
        let finite = [p.entry_z, p.exit_z, p.stop_sigmas, p.take_sigmas].iter().all(|x| x.is_finite());
        if p.period < 2 || !finite || p.entry_z <= 0.0 || p.stop_sigmas <= 0.0 || p.take_sigmas <= 0.0 {
            return Err(Error::Validation(format!(
                "mean_reversion: period ({}) must be at least 2 and entry_z ({}), stop_sigmas ({}), take_sigmas ({}) positive numbers",
                p.period, p.entry_z, p.stop_sigmas, p.take_sigmas
            )));
        }
        if p.exit_z <= -p.entry_z {
            return Err(Error::Validation(format!(
                "mean_reversion: exit_z ({}) must be above -entry_z ({}), or every entry would be sold at once",
                p.exit_z, -p.entry_z
            )));
        }
        Ok(MeanReversion { params, streams: Vec::new() })
    }

    /// `sigmas × σ` as a price distance at `scale` decimals; `None` unless positive.
    fn distance(sigmas: f64, sigma: f64, scale: u32) -> Option<Decimal> {
        Decimal::from_f64(sigmas * sigma).map(|d| d.round_dp(scale)).filter(|d| *d > Decimal::ZERO)
    }
}

impl Strategy for MeanReversion {
    fn name(&self) -> &str {
        "mean_reversion"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if let Some(s) = streams.iter().find(|s| s.kind != StreamKind::Bars) {
            return Err(Error::Validation(format!("mean_reversion trades closed bars, not {}'s book", s.symbol)));
        }
        let period = self.params.period;
        self.streams = streams
            .iter()
            .map(|s| Stream {
                z: ZScore::new(period),
                sigma: StdDev::new(period),
                scale: s.close_scale,
                lot: s.lot_size,
            })
            .collect();
        Ok(())
    }

    /// The rolling window: its first z-score comes on bar `period`, and nothing older than that window counts.
    fn warm_up_bars(&self) -> usize {
        self.params.period
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let Some(stream) = self.streams.get_mut(ctx.stream) else { return };
        let Some(close) = bar.close.to_f64() else { return };
        // Both indicators see every close, so their windows stay the same bars.
        let (Some(z), Some(sigma)) = (stream.z.update(close), stream.sigma.update(close)) else { return };
        if !ctx.open_orders.is_empty() {
            return; // our last order is still working
        }
        let p = &self.params;
        let flat = ctx.position.abs() < stream.lot || ctx.position.is_zero();
        if flat && z < -p.entry_z && ctx.cash > Decimal::ZERO {
            let stop = Self::distance(p.stop_sigmas, sigma, stream.scale);
            let take = Self::distance(p.take_sigmas, sigma, stream.scale);
            if let (Some(stop), Some(take)) = (stop, take) {
                let entry = OrderIntent::market(ctx.venue, ctx.symbol, Side::Buy, OrderQty::Quote(ctx.cash));
                commands.push(Command::Submit(entry.with_bracket(stop, take)));
            }
        } else if !flat && ctx.position > Decimal::ZERO && z > p.exit_z {
            let exit = OrderIntent::market(ctx.venue, ctx.symbol, Side::Sell, OrderQty::Base(ctx.position));
            commands.push(Command::Submit(exit));
        }
    }
}

/// The built-in strategies and `mean_reversion`.
pub fn registry() -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    registry
        .register("mean_reversion", |params| Ok(Box::new(MeanReversion::new(parse_params("mean_reversion", params)?)?)))
        .expect("mean_reversion is not a built-in kind");
    registry
}

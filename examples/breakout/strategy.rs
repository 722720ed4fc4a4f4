//! `breakout`: a strategy written outside the crate, against its public API only. Long-only channel breakout on
//! closed bars: flat and the close above the highest high of the `lookback` bars before it, buy with all free cash;
//! long and the close below their lowest low, sell everything. The comparisons are on exact decimals.

use rust_decimal::Decimal;
use serde::Deserialize;

use cryptotradebot::Result;
use cryptotradebot::model::{OrderQty, Side};
use cryptotradebot::strategy::indicators::MAX_PERIOD;
use cryptotradebot::strategy::{
    Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo, StreamKind, parse_params,
};

/// Parameters of `breakout`, as the scenario's `strategy.params` gives them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakoutParams {
    /// Bars of the channel, before the bar that may break out of it.
    pub lookback: usize,
}

/// The strategy.
#[derive(Clone, Debug)]
pub struct Breakout {
    params: BreakoutParams,
}

impl Breakout {
    /// A breakout over `params.lookback` bars (at least 1, below [`MAX_PERIOD`]: the history window holds
    /// `lookback + 1` bars).
    ///
    /// # Errors
    /// [`cryptotradebot::Error::Validation`] for a lookback of 0, or one whose window is longer than
    /// [`MAX_PERIOD`].
    pub fn new(params: BreakoutParams) -> Result<Self> {
        if params.lookback == 0 {
            return Err(cryptotradebot::Error::Validation("breakout: lookback must be at least 1".into()));
        }
        if params.lookback >= MAX_PERIOD {
            return Err(cryptotradebot::Error::Validation(format!(
                "strategy.params.lookback: {} bars (a window of one more) is more than the {MAX_PERIOD} a window may hold",
                params.lookback
            )));
        }
        Ok(Breakout { params })
    }
}

impl Strategy for Breakout {
    fn name(&self) -> &str {
        "breakout"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        match streams.iter().find(|s| s.kind != StreamKind::Bars) {
            Some(s) => Err(cryptotradebot::Error::Validation(format!("breakout trades bars, not {}'s book", s.symbol))),
            None => Ok(()),
        }
    }

    fn history_len(&self) -> usize {
        self.params.lookback + 1
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        if ctx.history.len() <= self.params.lookback || !ctx.open_orders.is_empty() {
            return;
        }
        let channel = ctx.history.iter().skip(1);
        let (high, low) = channel.fold((Decimal::MIN, Decimal::MAX), |(h, l), b| (h.max(b.high), l.min(b.low)));
        let market = |side, quantity| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, quantity));
        if ctx.position.is_zero() && bar.close > high && ctx.cash > Decimal::ZERO {
            commands.push(market(Side::Buy, OrderQty::Quote(ctx.cash)));
        } else if ctx.position > Decimal::ZERO && bar.close < low {
            commands.push(market(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

/// The built-in strategies and `breakout`.
pub fn registry() -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    registry
        .register("breakout", |params| Ok(Box::new(Breakout::new(parse_params("breakout", params)?)?)))
        .expect("breakout is not a built-in kind");
    registry
}

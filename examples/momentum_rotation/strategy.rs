//! `momentum_rotation`: a strategy written outside the crate, against its public API only, over several symbols at
//! once. It holds at most one symbol: the one whose last `lookback` bars rose the most.
//!
//! [`Strategy::on_event`] notes, for each stream, its newest close and the close `lookback` bars before it (from the
//! history window); once every stream's bars of a time are in, [`Strategy::on_time_slice`] ranks the streams by that
//! return, `close / close[lookback]`, compared exactly on decimals (the first stream wins a tie):
//!
//! - holding a symbol that is not the top one: sell all of it at market (the cash arrives when it fills);
//! - holding nothing: buy the top one with all free cash, at market.
//!
//! So a switch takes two time slices: the old symbol is sold at one, the new top (ranked again then) bought at the
//! next. Nothing happens while an order of the strategy may still work — from its submission until a bar of its
//! symbol shows it gone, so a slice at which that symbol has no bar does not order again — or before every stream
//! has `lookback + 1` bars. Long only.

use rust_decimal::Decimal;
use serde::Deserialize;

use cryptotradebot::model::{OrderQty, Side, Symbol, VenueId};
use cryptotradebot::strategy::indicators::MAX_PERIOD;
use cryptotradebot::strategy::{
    Command, Context, Event, OrderIntent, SliceContext, Strategy, StrategyRegistry, StreamInfo, StreamKind,
    parse_params,
};
use cryptotradebot::{Error, Result};

/// Parameters of `momentum_rotation`, as the scenario's `strategy.params` gives them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MomentumRotationParams {
    /// Bars of the return each symbol is ranked by (at least 1, below [`MAX_PERIOD`]: the history window holds
    /// `lookback + 1` bars).
    pub lookback: usize,
}

/// What the strategy knows of one stream.
#[derive(Clone, Copy, Debug)]
struct Leg {
    symbol: Symbol,
    venue: VenueId,
    lot: Decimal,
    /// The newest close and the close `lookback` bars before it, once there are that many bars.
    closes: Option<(Decimal, Decimal)>,
    /// Whether an order of the strategy on this symbol may still be working: set when one is submitted, and
    /// refreshed from the open orders at each of the symbol's bars (an order can fill only on one of them, so a
    /// slice without a bar of this symbol keeps what was known).
    working: bool,
}

/// The strategy.
#[derive(Clone, Debug)]
pub struct MomentumRotation {
    params: MomentumRotationParams,
    legs: Vec<Leg>,
}

impl MomentumRotation {
    /// A rotation ranking by the return over `params.lookback` bars.
    ///
    /// # Errors
    /// [`Error::Validation`] for a lookback of 0, or one whose window (`lookback + 1` bars) is longer than
    /// [`MAX_PERIOD`].
    pub fn new(params: MomentumRotationParams) -> Result<Self> {
        if params.lookback == 0 {
            return Err(Error::Validation("strategy.params.lookback: momentum_rotation needs at least 1 bar".into()));
        }
        if params.lookback >= MAX_PERIOD {
            return Err(Error::Validation(format!(
                "strategy.params.lookback: {} bars (a window of one more) is more than the {MAX_PERIOD} a window may hold",
                params.lookback
            )));
        }
        Ok(MomentumRotation { params, legs: Vec::new() })
    }

    /// The stream with the highest return (the first one on a tie); `None` until every stream has one.
    fn top(&self) -> Option<usize> {
        let mut best: Option<(usize, (Decimal, Decimal))> = None;
        for (i, leg) in self.legs.iter().enumerate() {
            let (now, then) = leg.closes?;
            // now / then > best_now / best_then, cross-multiplied (closes are positive): exact, no division.
            if best.is_none_or(|(_, (bn, bt))| now * bt > bn * then) {
                best = Some((i, (now, then)));
            }
        }
        best.map(|(i, _)| i)
    }
}

impl Strategy for MomentumRotation {
    fn name(&self) -> &str {
        "momentum_rotation"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if streams.len() < 2 || streams.iter().any(|s| s.kind != StreamKind::Bars) {
            return Err(Error::Validation(format!(
                "momentum_rotation ranks two or more streams of bars, got {} stream(s)",
                streams.len()
            )));
        }
        self.legs = streams
            .iter()
            .map(|s| Leg { symbol: s.symbol, venue: s.venue, lot: s.lot_size, closes: None, working: false })
            .collect();
        Ok(())
    }

    fn history_len(&self) -> usize {
        self.params.lookback + 1
    }

    fn wants_time_slices(&self) -> bool {
        true
    }

    fn on_event(&mut self, ctx: &Context<'_>, _commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let Some(leg) = self.legs.get_mut(ctx.stream) else { return };
        leg.closes = ctx.history.get(self.params.lookback).map(|then| (bar.close, then.close));
        leg.working = !ctx.open_orders.is_empty();
    }

    fn on_time_slice(&mut self, ctx: &SliceContext<'_>, commands: &mut Vec<Command>) {
        if self.legs.iter().any(|leg| leg.working) {
            return;
        }
        let Some(top) = self.top() else { return };
        let held = |leg: &Leg| {
            let position = ctx.account.position(leg.symbol);
            (position >= leg.lot && position > Decimal::ZERO).then_some(position)
        };
        let mut holding = false;
        for (i, leg) in self.legs.iter_mut().enumerate() {
            let Some(position) = held(leg) else { continue };
            holding = true;
            if i != top {
                let sell = OrderIntent::market(leg.venue, leg.symbol, Side::Sell, OrderQty::Base(position));
                commands.push(Command::Submit(sell));
                leg.working = true;
            }
        }
        if !holding && ctx.cash > Decimal::ZERO {
            let leg = &mut self.legs[top];
            let buy = OrderIntent::market(leg.venue, leg.symbol, Side::Buy, OrderQty::Quote(ctx.cash));
            commands.push(Command::Submit(buy));
            leg.working = true;
        }
    }
}

/// The built-in strategies and `momentum_rotation`.
pub fn registry() -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    registry
        .register("momentum_rotation", |params| {
            Ok(Box::new(MomentumRotation::new(parse_params("momentum_rotation", params)?)?))
        })
        .expect("momentum_rotation is not a built-in kind");
    registry
}

//! [`Rules`], the strategy of `kind: rules`: each bar updates the stream's indicators and series, then — flat —
//! evaluates the entry condition and places the entry (with its bracket), or — long — evaluates the exit condition
//! and sells the whole position, or places the trailing stop that protects it. Long only; a position below the lot
//! step counts as flat. A limit or stop order of the strategy still working at the next close is canceled there and
//! the rules are looked at again at the close after.

use rust_decimal::Decimal;
use std::cmp::Ordering;

use super::compile::SeriesKey;
use super::indicator::{BarInput, Live};
use super::orders::{OrderInputs, entry, exit, trailing_stop};
use super::plan::{Plan, RuleBook, read_rule_book};
use super::program::{Frame, Ring, Stacks, order_of};
use super::settings::{ROOT, config_error};
use super::value::Num;
use crate::error::{Error, Result};
use crate::model::OrderType;
use crate::model::exact::{positive, to_f64};
use crate::strategy::indicators::to_fixed;
use crate::strategy::{Command, Context, Event, Strategy, StreamInfo, StreamKind};

/// `value` in units of `10^-scale`, as [`to_fixed`] gives it, without its rescaling when the value is at that scale
/// already (every close, and nearly every other price).
#[inline(always)]
fn fixed_at(value: Decimal, scale: u32) -> Option<i64> {
    if value.scale() == scale { i64::try_from(value.mantissa()).ok() } else { to_fixed(value, scale) }
}

/// Which plan a stream follows.
#[derive(Clone, Copy, Debug)]
enum PlanRef {
    Shared,
    Symbol(usize),
}

/// One stream's live state.
#[derive(Clone, Debug)]
struct StreamState {
    plan: PlanRef,
    scale: u32,
    /// `10^scale` as `f64`, the divisor of [`crate::strategy::indicators::from_fixed`].
    unit: f64,
    lot: Decimal,
    indicators: Vec<Live>,
    outputs: Vec<[Option<Num>; 4]>,
    series: Vec<Ring>,
    /// The orders of the plan's pairs of series ([`super::program::Pair`]), pushed with the series.
    orders: Vec<Ring<Ordering>>,
    bars_held: u64,
    stacks: Stacks,
    /// The last position looked at (its mantissa and scale) and whether it counted as flat: the position changes
    /// only on fills, so most bars skip the comparison with the lot step.
    last_position: (i128, u32, bool),
}

/// A rule strategy, compiled from `strategy.params`.
#[derive(Clone, Debug)]
pub struct Rules {
    shared: Option<Plan>,
    symbols: Vec<(crate::model::Symbol, Plan)>,
    streams: Vec<StreamState>,
}

impl Rules {
    /// Reads and compiles the rules in `params` (a scenario's `strategy.params`).
    ///
    /// # Errors
    /// [`Error::Config`] naming the key, and inside an expression the column, of the first problem.
    pub fn new(params: &serde_json::Value) -> Result<Self> {
        let RuleBook { shared, by_symbol } = read_rule_book(params)?;
        Ok(Rules { shared, symbols: by_symbol.into_iter().collect(), streams: Vec::new() })
    }

    fn plan(&self, plan: PlanRef) -> Option<&Plan> {
        match plan {
            PlanRef::Shared => self.shared.as_ref(),
            PlanRef::Symbol(index) => self.symbols.get(index).map(|(_, plan)| plan),
        }
    }
}

impl Strategy for Rules {
    fn name(&self) -> &str {
        "rules"
    }

    /// The longest warm-up of its rule sets: every indicator's bars before its first value, plus, for a recursive
    /// one, the bars until the start's weight in its value is below 1e-9 (`settle.rs`), plus the deepest lag read
    /// of it — so `crosses_above(fast, slow)` on SMA(3)/SMA(8) needs 9 bars, `rsi < 30` on RSI(14) 15 + 280.
    /// `usize::MAX` with an OBV or a session VWAP, which never forget where the data started.
    fn warm_up_bars(&self) -> usize {
        let plans = self.shared.iter().chain(self.symbols.iter().map(|(_, plan)| plan));
        plans.map(Plan::warm_up_bars).max().unwrap_or(0)
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if let Some(book) = streams.iter().find(|s| s.kind != StreamKind::Bars) {
            return Err(Error::Validation(format!(
                "rules trade closed bars; the {} stream carries level-2 data",
                book.symbol
            )));
        }
        if let Some((symbol, _)) = self.symbols.iter().find(|(symbol, _)| streams.iter().all(|s| s.symbol != *symbol)) {
            return Err(config_error(
                &format!("{ROOT}.symbols.{symbol}"),
                "no data stream of the scenario trades this symbol",
            ));
        }
        let mut states = Vec::with_capacity(streams.len());
        for stream in streams {
            let plan = match self.symbols.iter().position(|(symbol, _)| *symbol == stream.symbol) {
                Some(index) => PlanRef::Symbol(index),
                None if self.shared.is_some() => PlanRef::Shared,
                None => {
                    return Err(config_error(
                        &format!("{ROOT}.entry"),
                        format!("missing: {} has no rules of its own under symbols", stream.symbol),
                    ));
                }
            };
            let Some(rules) = self.plan(plan) else { return Err(config_error(ROOT, "no rules")) };
            states.push(StreamState {
                plan,
                scale: stream.close_scale,
                unit: 10f64.powi(stream.close_scale as i32),
                lot: stream.lot_size,
                indicators: rules.indicators.iter().map(|i| i.prototype.clone()).collect(),
                outputs: vec![[None; 4]; rules.indicators.len()],
                series: rules.layout.series.iter().map(|(_, depth)| Ring::new(*depth)).collect(),
                orders: rules.pairs.iter().map(|(_, depth)| Ring::new(*depth)).collect(),
                bars_held: 0,
                stacks: Stacks::with_room(rules.longest),
                last_position: (0, 0, true),
            });
        }
        self.streams = states;
        Ok(())
    }

    #[inline]
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Bar(bar) = ctx.event else { return };
        let Some(state) = self.streams.get_mut(ctx.stream) else { return };
        let plan = match state.plan {
            PlanRef::Shared => self.shared.as_ref(),
            PlanRef::Symbol(index) => self.symbols.get(index).map(|(_, plan)| plan),
        };
        let Some(plan) = plan else { return };
        let scale = state.scale;
        // Prices were validated at load; one that is not exact at the closes' scale (more decimals than any close)
        // leaves the bar unread, as the exact indicators cannot take it.
        let (Some(open), Some(high), Some(low), Some(close)) = (
            fixed_at(bar.open, scale),
            fixed_at(bar.high, scale),
            fixed_at(bar.low, scale),
            fixed_at(bar.close, scale),
        ) else {
            return;
        };
        let fixed = [open, high, low, close];
        let input = BarInput {
            fixed,
            // from_fixed's division, with the power of ten computed once per stream
            unit: state.unit,
            volume: if plan.reads_volume { to_f64(bar.volume) } else { 0.0 },
            open_time: bar.open_time,
            scale,
        };
        for (indicator, out) in state.indicators.iter_mut().zip(&mut state.outputs) {
            indicator.update(&input, out);
        }
        for ((key, _), ring) in plan.layout.series.iter().zip(&mut state.series) {
            ring.push(match *key {
                SeriesKey::Price(column) => Some(Num::fixed(i128::from(fixed[column as usize]), scale)),
                SeriesKey::Volume => Some(Num::from_decimal(bar.volume)),
                SeriesKey::Indicator { index, field } => state.outputs[index][field],
            });
        }
        for (((a, b), _), ring) in plan.pairs.iter().zip(&mut state.orders) {
            let value = |series: u32| state.series.get(series as usize).and_then(|ring| ring.get(0));
            ring.push(order_of(value(*a), value(*b)));
        }
        let position = ctx.position;
        let flat = match state.last_position {
            (mantissa, scale, flat) if mantissa == position.mantissa() && scale == position.scale() => flat,
            _ => {
                let flat = position.is_zero() || position.abs() < state.lot;
                state.last_position = (position.mantissa(), position.scale(), flat);
                flat
            }
        };
        state.bars_held = if flat { 0 } else { state.bars_held.saturating_add(1) };
        let frame = Frame {
            series: &state.series,
            orders: &state.orders,
            position,
            cash: ctx.cash,
            bars_held: state.bars_held,
        };
        let inputs = OrderInputs { ctx, frame: &frame, lot: state.lot };
        let cancel = |id| Command::Cancel { venue: ctx.venue, symbol: ctx.symbol, order_id: id };
        if flat {
            if !ctx.open_orders.is_empty() {
                // an entry that did not fill (or what is left of an exit): canceled; decide again next bar
                commands.extend(ctx.open_orders.iter().map(|o| cancel(o.id)));
                return;
            }
            if positive(ctx.cash)
                && plan.entry.holds(&frame, &mut state.stacks)
                && let Some(intent) = entry(plan, &inputs, &mut state.stacks)
            {
                commands.push(Command::Submit(intent));
            }
            return;
        }
        if !positive(position) {
            return;
        }
        let trailing = ctx.open_orders.iter().find(|o| o.order_type == OrderType::TrailingStop);
        // a limit or stop the strategy placed and that is still working (an exit, or an entry's unfilled rest)
        commands
            .extend(ctx.open_orders.iter().filter(|o| o.order_type != OrderType::TrailingStop).map(|o| cancel(o.id)));
        if plan.exit.holds(&frame, &mut state.stacks) {
            if let Some(intent) = exit(plan, &inputs, &mut state.stacks) {
                commands.extend(trailing.map(|o| cancel(o.id)));
                commands.push(Command::Submit(intent));
            }
        } else if let (Some(trail), None) = (&plan.trailing, trailing)
            && let Some(intent) = trailing_stop(trail, &inputs, &mut state.stacks)
        {
            commands.push(Command::Submit(intent));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn warm_up(params: serde_json::Value) -> usize {
        Rules::new(&params).unwrap().warm_up_bars()
    }

    /// `m` with `decay^m < 1e-9 <= decay^(m - 1)`, by multiplying.
    fn horizon(decay: f64) -> usize {
        let mut weight = 1.0;
        (1..)
            .find(|_| {
                weight *= decay;
                weight < 1e-9
            })
            .unwrap()
    }

    #[test]
    fn the_stated_warm_up_is_the_first_value_of_every_series_read_at_its_deepest_lag() {
        // SMA(8) has its first value on bar 8, and a cross reads it one bar back: bar 9.
        let cross = json!({
            "indicators": { "fast": { "kind": "sma", "period": 3 }, "slow": { "kind": "sma", "period": 8 } },
            "entry": "crosses_above(fast, slow)",
            "exit": "crosses_below(fast, slow)",
        });
        assert_eq!(warm_up(cross), 9);
        // Prices only: the deepest lag, plus the bar itself.
        assert_eq!(warm_up(json!({ "entry": "close > close[3]", "exit": "close < open" })), 4);
        // Windows forget the start once past it: highest, Bollinger, stochastic, CCI.
        let windows = json!({
            "indicators": {
                "top": { "kind": "highest", "period": 5 },
                "band": { "kind": "bollinger", "period": 20 },
                "stoch": { "kind": "stochastic" },
                "cci": { "kind": "cci", "period": 10 },
            },
            "entry": "close > top[1] and close > band.upper and stoch.k < 20",
            "exit": "cci > 100",
        });
        assert_eq!(warm_up(windows), 20, "Bollinger's 20 closes (the stochastic's first value is on bar 9)");
    }

    #[test]
    fn a_recursive_indicator_adds_the_bars_until_the_start_weighs_less_than_one_in_a_billion() {
        // RSI(14): its first value on bar 15 (TA-Lib's lookback 14, plus one), and Wilder's averages keep the
        // seed with weight (13/14)^m.
        let rsi = json!({ "indicators": { "rsi": { "kind": "rsi" } }, "entry": "rsi < 30", "exit": "rsi > 70" });
        assert_eq!(horizon(13.0 / 14.0), 280);
        assert_eq!(warm_up(rsi), 15 + 280);
        // EMA(20) read two bars back, on a symbol's own rules: its first value on bar 20, (19/21)^m, lag 2.
        let own = json!({
            "entry": "close > open",
            "exit": "close < open",
            "symbols": { "ETHUSDT": { "indicators": { "ma": { "kind": "ema", "period": 20 } }, "entry": "close > ma[2]" } },
        });
        assert_eq!(warm_up(own), 19 + horizon(19.0 / 21.0) + 3);
        // btc_atr_trend_rules: EMA(50) read one bar back outlasts ATR(14) and the channel.
        let trend = json!({
            "indicators": {
                "channel": { "kind": "donchian", "period": 24 },
                "trend": { "kind": "ema", "period": 50 },
                "atr": { "kind": "atr", "period": 14 },
            },
            "entry": "close > channel.upper[1] and close > trend",
            "exit": "crosses_below(close, trend)",
            "trailing_stop": "3 * atr",
        });
        assert_eq!(horizon(49.0 / 51.0), 519);
        assert_eq!(warm_up(trend), 49 + 519 + 2);
        // Layers add up: MACD(12, 26, 9) — the slow EMA's horizon, then the signal's.
        let macd =
            json!({ "indicators": { "m": { "kind": "macd" } }, "entry": "m > m.signal", "exit": "m < m.signal" });
        assert_eq!(warm_up(macd), 33 + horizon(25.0 / 27.0) + horizon(8.0 / 10.0) + 1);
        // ADX(14): Wilder sums, then Wilder's average.
        let adx = json!({ "indicators": { "adx": { "kind": "adx" } }, "entry": "adx > 25", "exit": "adx < 20" });
        assert_eq!(warm_up(adx), 27 + 2 * 280 + 1);
        // KAMA: its slowest smoothing constant, whatever its period.
        let kama = json!({ "indicators": { "k": { "kind": "kama", "period": 10 } }, "entry": "close > k", "exit": "close < k" });
        assert_eq!(warm_up(kama), 10 + horizon(1.0 - 4.0 / 961.0) + 1);
        // A running total never forgets where it started.
        let obv = json!({ "indicators": { "obv": { "kind": "obv" } }, "entry": "obv > 0", "exit": "obv < 0" });
        assert_eq!(warm_up(obv), usize::MAX);
    }
}

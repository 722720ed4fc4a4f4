//! [`WarmUp`]: a strategy that sees bars before it may trade — its indicators fill on the past — and whose commands
//! from events before a start time are dropped. Walk-forward test windows warm up on their training window.

use super::{Command, Context, SliceContext, Strategy, StreamInfo};
use crate::error::Result;
use crate::model::Timestamp;

/// `inner`, trading only on bars that close at or after `trade_from`.
#[derive(Clone, Debug)]
pub struct WarmUp<S> {
    inner: S,
    trade_from: Timestamp,
}

impl<S: Strategy> WarmUp<S> {
    /// Wraps `inner` so that it trades from `trade_from` on.
    pub fn new(inner: S, trade_from: Timestamp) -> Self {
        WarmUp { inner, trade_from }
    }
}

impl<S: Strategy> Strategy for WarmUp<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        self.inner.on_start(streams)
    }

    fn history_len(&self) -> usize {
        self.inner.history_len()
    }

    fn warm_up_bars(&self) -> usize {
        self.inner.warm_up_bars()
    }

    fn bars_before_first_decision(&self) -> usize {
        self.inner.bars_before_first_decision()
    }

    fn wants_time_slices(&self) -> bool {
        self.inner.wants_time_slices()
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let before = commands.len();
        self.inner.on_event(ctx, commands);
        if ctx.time < self.trade_from {
            commands.truncate(before);
        }
    }

    fn on_time_slice(&mut self, ctx: &SliceContext<'_>, commands: &mut Vec<Command>) {
        let before = commands.len();
        self.inner.on_time_slice(ctx, commands);
        if ctx.time < self.trade_from {
            commands.truncate(before);
        }
    }
}

//! [`WarmUp`]: a strategy that sees bars before it may trade — its indicators fill on the past — and whose orders
//! from bars closing before a start time are dropped. Walk-forward test windows warm up on their training window.

use super::{BarContext, OrderIntent, Strategy, StreamInfo};
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

    fn on_bar(&mut self, ctx: &BarContext<'_>, orders: &mut Vec<OrderIntent>) {
        let before = orders.len();
        self.inner.on_bar(ctx, orders);
        if ctx.bar.close_time < self.trade_from {
            orders.truncate(before);
        }
    }
}

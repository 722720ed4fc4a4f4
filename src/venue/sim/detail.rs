//! Sub-bar detail: finer bars of a symbol (1-minute bars under hourly ones, say) that decide what happened inside
//! each of its bars. The strategy still sees the main bars; the venue, holding detail for the bar it matches, walks
//! the detail bars in time order instead of the one bar, each with the ordinary bar rules — so the path rule
//! ([`super::BarPath`]) decides only within one detail bar, and the ambiguity count counts detail bars.
//!
//! * A fill at a detail bar's open (a market order, a gap) is stamped with its open time; a fill inside it with
//!   its close time: the minute shows it happened, not when within the minute.
//! * Exits placed for an entry (the engine's attached exits, a bracket's children) are matched from the entry's
//!   detail bar when the entry filled at its open (the rest of that bar came after), otherwise from the next one.

use std::sync::Arc;

use super::{Market, SimulatedExchange};
use crate::error::{Error, Result};
use crate::model::{Bar, OrderId, Symbol, Timestamp};

/// A market's detail bars and which of them lie inside the main bar being replayed.
pub(super) struct Detail {
    bars: Arc<[Bar]>,
    /// `bars[span.0..span.1]` lie inside the current main bar.
    span: (usize, usize),
}

impl Detail {
    /// Points the span at the detail bars inside `bar` (open at or after its open, close at or before its close).
    fn select(&mut self, bar: &Bar) {
        let start = self.bars.partition_point(|d| d.open_time < bar.open_time);
        let end = start + self.bars[start..].partition_point(|d| d.close_time <= bar.close_time);
        self.span = (start, end);
    }
}

impl Market {
    /// The detail bars of the main bar being replayed (empty without detail, or when none lies inside it).
    fn detail_span(&self) -> std::ops::Range<usize> {
        self.detail.as_ref().map_or(0..0, |d| d.span.0..d.span.1)
    }
}

impl SimulatedExchange {
    /// The same venue deciding what happened inside `symbol`'s bars from `bars`, finer bars of the same symbol in
    /// time order (a scenario's `detail:` data; the loader checks that they aggregate to the main bars).
    ///
    /// # Errors
    /// [`Error::Config`] for a symbol the venue does not list or bars out of time order.
    pub fn with_detail(mut self, symbol: Symbol, bars: impl Into<Arc<[Bar]>>) -> Result<Self> {
        let bars: Arc<[Bar]> = bars.into();
        let market = self.market_index(symbol).map_err(|_| {
            Error::Config(format!("venue '{}': detail bars for {symbol}, which it does not list", self.name))
        })?;
        if let Some(pair) = bars.windows(2).find(|w| w[1].open_time <= w[0].open_time) {
            return Err(Error::Config(format!(
                "detail bars of {symbol}: the bar opening at {} follows one opening at {}",
                pair[1].open_time, pair[0].open_time
            )));
        }
        self.markets[market].detail = Some(Box::new(Detail { bars, span: (0, 0) }));
        Ok(self)
    }

    /// Matches the working orders of `market` against main bar `bar`: against each of its detail bars in turn when
    /// the market has them, otherwise against the bar itself.
    pub(super) fn match_main_bar(&mut self, market: usize, bar: &Bar) {
        if let Some(detail) = self.markets[market].detail.as_mut() {
            detail.select(bar);
        }
        let span = self.markets[market].detail_span();
        if span.is_empty() {
            self.match_open_orders(market, bar, None);
            return;
        }
        for k in span {
            let Some(detail_bar) = self.detail_bar(market, k) else { break };
            self.walking = Some(k);
            self.match_open_orders(market, &detail_bar, None);
        }
        self.walking = None;
    }

    fn detail_bar(&self, market: usize, k: usize) -> Option<Bar> {
        self.markets[market].detail.as_ref().and_then(|d| d.bars.get(k)).copied()
    }

    /// Matches a new exit pair `pair` for an entry filled at `entry_time` against what came after the entry:
    /// inside a detail walk (a bracket activating), the current detail bar when the entry filled at its open (the
    /// walk goes on from there); otherwise the detail bars of the main bar from the entry's on, or without detail
    /// the main bar when the entry filled at its open. Returns `false` when the market has no detail for the bar.
    pub(super) fn match_exits_in_detail(&mut self, market: usize, pair: [OrderId; 2], entry_time: Timestamp) -> bool {
        let span = self.markets[market].detail_span();
        if span.is_empty() {
            return false;
        }
        if let Some(k) = self.walking {
            if let Some(bar) = self.detail_bar(market, k).filter(|b| b.open_time == entry_time) {
                self.match_open_orders(market, &bar, Some(pair));
            }
            return true;
        }
        let from = span.clone().find_map(|k| {
            let bar = self.detail_bar(market, k)?;
            if bar.open_time == entry_time {
                Some(k)
            } else if bar.close_time == entry_time {
                Some(k + 1)
            } else {
                None
            }
        });
        let Some(from) = from else { return false };
        for k in from..span.end {
            let Some(bar) = self.detail_bar(market, k) else { break };
            self.walking = Some(k);
            self.match_open_orders(market, &bar, Some(pair));
        }
        self.walking = None;
        true
    }
}

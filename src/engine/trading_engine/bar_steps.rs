//! Bars one at a time: what a paper or live session on closed candles drives. Each [`TradingEngine::bar_step`]
//! does for one closed bar exactly what the backtest's replay loop does for a time slice of one bar — the venue
//! sees it, fills are booked and the position marked at the close, the strategy sees it, the equity is recorded
//! and the risk limits follow it, then the strategy's orders go out — so the same bars give the same orders and
//! fills as a backtest of them.

use super::TradingEngine;
use crate::error::{Error, Result};
use crate::model::Bar;
use crate::strategy::{Strategy, StreamInfo};

/// A run fed one closed bar at a time: the streams and their ledger slots.
#[derive(Debug)]
pub struct BarRun {
    streams: Vec<(StreamInfo, usize)>,
    events: usize,
}

impl TradingEngine {
    /// Starts a run of `strategy` on `streams`, fed by [`TradingEngine::bar_step`]. One stream: bars of several
    /// symbols closing at one time form a slice that the replay loop shows together, which one bar at a time
    /// cannot do.
    ///
    /// # Errors
    /// [`Error::Validation`] if the engine was not started or the strategy refuses the streams; [`Error::Config`]
    /// for more than one stream or a stream whose symbol has no instrument in the portfolio.
    pub fn start_bar_run<S: Strategy>(&mut self, streams: &[StreamInfo], strategy: &mut S) -> Result<BarRun> {
        if !self.running {
            return Err(Error::Validation("the engine is not running: call start() first".into()));
        }
        if streams.len() != 1 {
            return Err(Error::Config(format!("a run fed bar by bar trades one stream, not {}", streams.len())));
        }
        let mut slots = Vec::with_capacity(streams.len());
        for stream in streams {
            let slot = self.portfolio.slot(stream.symbol).ok_or_else(|| {
                Error::Config(format!("market data for {} has no instrument in the portfolio", stream.symbol))
            })?;
            slots.push((*stream, slot));
            self.note_venue(stream.symbol, stream.venue);
        }
        strategy.on_start(streams)?;
        self.prepare_for(strategy, streams);
        Ok(BarRun { streams: slots, events: 0 })
    }

    /// Bar `bar` of stream `index` closed: the venue, the ledger, the strategy, the equity mark and the risk
    /// limits see it, and the strategy's orders go to venues that answer at once. Returns `true` when orders wait
    /// for a network venue: then [`TradingEngine::flush_bar_orders`] sends them.
    ///
    /// # Errors
    /// [`Error::Data`] for a stream the run does not have or a bar that does not close after the last one; the
    /// journal's failure to record a fill; venue failures other than order rejections.
    pub fn bar_step<S: Strategy>(
        &mut self,
        run: &mut BarRun,
        index: usize,
        bar: &Bar,
        strategy: &mut S,
    ) -> Result<bool> {
        let &(stream, slot) = run
            .streams
            .get(index)
            .ok_or_else(|| Error::Data(format!("bar of stream {index}, but the run has {}", run.streams.len())))?;
        if bar.close_time <= self.clock.now() {
            return Err(Error::Data(format!(
                "{} bar closing at {} arrived after one closing at {}",
                stream.symbol,
                bar.close_time,
                self.clock.now()
            )));
        }
        run.events += 1;
        self.clock.advance_to(bar.close_time);
        self.deliver(stream.venue, stream.symbol, bar, slot);
        self.journal_failed()?;
        self.show_bar(index, stream, bar, slot, strategy);
        self.end_slice(bar.close_time, strategy);
        self.mark(bar.close_time, slot, bar.close);
        let waiting = !self.commands.is_empty() && !self.route_commands_now()?;
        self.journal_failed()?;
        Ok(waiting)
    }

    /// A bar that closed before a live run resumed: the strategy sees it — its indicators and history window fill —
    /// but what it asks for is dropped (the journal holds what was done then), and nothing else sees it: the ledger,
    /// the risk limits and the equity curve were restored from the journal. The strategy is shown the restored
    /// position and cash.
    ///
    /// # Errors
    /// [`Error::Data`] for a stream the run does not have.
    pub fn warm_up_bar<S: Strategy>(&mut self, run: &BarRun, index: usize, bar: &Bar, strategy: &mut S) -> Result<()> {
        let &(stream, slot) = run
            .streams
            .get(index)
            .ok_or_else(|| Error::Data(format!("bar of stream {index}, but the run has {}", run.streams.len())))?;
        let pending = self.commands.len();
        self.show_bar(index, stream, bar, slot, strategy);
        self.end_slice(bar.close_time, strategy);
        self.commands.truncate(pending);
        Ok(())
    }

    /// Sends the orders a [`TradingEngine::bar_step`] left waiting for a network venue.
    ///
    /// # Errors
    /// Venue failures other than order rejections; the journal's failure to record a fill.
    pub async fn flush_bar_orders(&mut self) -> Result<()> {
        self.flush_commands().await?;
        self.journal_failed()
    }

    /// Ends a run fed bar by bar, with its counts.
    pub fn finish_bar_run<S: Strategy>(&mut self, run: BarRun, strategy: &S) -> super::StrategyRun {
        self.replay_done(strategy.name(), run.events, None)
    }
}

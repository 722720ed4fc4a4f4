//! A run that is one test window of a longer study (a walk-forward): the strategy first sees the bars before the
//! window (its orders from them are the caller's to drop, see [`crate::strategy::WarmUp`]); when trading starts the
//! ledger takes over the holdings an earlier window carried; and, when the plan says so, what is still open after
//! the window's last bar is closed through the venue like any order: every working order canceled, then a market
//! order per open position, which the simulated venue fills at the window's last close (the `close` fill model) or
//! at the open of each stream's next bar (`next_open`), with its slippage and taker fee.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

use super::TradingEngine;
use super::commands::is_refusal;
use crate::engine::run_log::{CashChange, EquityPoint};
use crate::error::{Error, Result};
use crate::market::ReplayFeed;
use crate::model::{OrderId, OrderQty, Side, Timestamp};
use crate::portfolio::Holdings;
use crate::strategy::{OrderIntent, Strategy};

use super::{MarketData, StrategyRun};

/// Where a window's trading starts and ends, what it starts holding and how it ends.
#[derive(Clone, Debug)]
pub struct WindowPlan {
    /// The first bar close the strategy trades on: the ledger takes over `carried` just before that bar.
    pub trade_from: Timestamp,
    /// The window's last bar close. Later bars are not shown to the strategy; with `close_at_end`, each stream's
    /// next bar reaches the venue so that a closing order can fill at its open.
    pub trade_to: Timestamp,
    /// What an earlier window ended with, taken over at `trade_from`; `None` starts from the setup's cash.
    pub carried: Option<Carried>,
    /// Close every open position after the last bar (see the module's text).
    pub close_at_end: bool,
}

/// What a window ended with and the next one starts from.
#[derive(Clone, Debug)]
pub struct Carried {
    /// The ledger's cash and positions, with their average prices and open round trips.
    pub holdings: Holdings,
    /// Every asset each venue held, in the setup's venue order: each venue starts the next window with its own.
    pub venue_balances: Vec<BTreeMap<String, Decimal>>,
}

impl WindowPlan {
    /// A window trading from `trade_from` to the end of the data, from the setup's cash, closing nothing.
    pub fn trading_from(trade_from: Timestamp) -> Self {
        WindowPlan { trade_from, trade_to: Timestamp(i64::MAX), carried: None, close_at_end: false }
    }
}

/// What closing the positions at a window's end did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowClose {
    /// The closing orders, in the order sent (their fills are in the run log's fills).
    pub orders: Vec<OrderId>,
    /// The fees their fills paid.
    pub fees: Decimal,
    /// What their fill prices cost against the price the fill model names (the last close, or the next bar's
    /// open): Σ quantity × |reference − price| on the losing side, in the quote asset.
    pub slippage: Decimal,
}

impl TradingEngine {
    /// Runs `strategy` over the attached market data as one window planned by `plan`: bars closing before
    /// `plan.trade_from` first, then the carried holdings taken over, then the bars up to `plan.trade_to`, then —
    /// with `plan.close_at_end` — every position closed. When a position was closed, the window's last equity mark
    /// becomes the equity after the close (its cash), and the closing fills count from that mark on.
    ///
    /// # Errors
    /// As [`TradingEngine::execute_strategy`]; [`crate::error::Error::Config`] for carried holdings of a symbol the
    /// portfolio does not trade.
    pub async fn run_window<S: Strategy>(
        &mut self,
        strategy: &mut S,
        plan: &WindowPlan,
    ) -> Result<(StrategyRun, WindowClose)> {
        let (market, mut replay) = self.begin_replay(strategy)?;
        if !market.books.is_empty() {
            return Err(Error::Config("walk-forward windows replay bar data; level-2 streams cannot be cut".into()));
        }
        let mut feed = market.feed();
        self.log.equity.reserve(feed.total_bars());
        feed.pause_at(plan.trade_from);
        self.replay(&market, &mut feed, &mut replay, strategy).await?;
        if let Some(carried) = &plan.carried {
            self.take_holdings(&carried.holdings)?;
        }
        feed.pause_at(Timestamp(plan.trade_to.0.saturating_add(1)));
        self.replay(&market, &mut feed, &mut replay, strategy).await?;
        let events = feed.consumed();
        let closed = if plan.close_at_end {
            self.close_at_window_end(&market, &mut feed, &replay.slots).await?
        } else {
            WindowClose::default()
        };
        Ok((self.replay_done(strategy.name(), events, None), closed))
    }

    /// The ledger takes over `holdings` (cash and positions); the risk manager learns the positions.
    fn take_holdings(&mut self, holdings: &Holdings) -> Result<()> {
        self.portfolio.take_holdings(holdings)?;
        for position in holdings.positions() {
            self.risk_manager.update_position(position.symbol, position.quantity);
        }
        self.log.cash_changes.push(CashChange { from_mark: self.log.equity.len(), cash: self.portfolio.cash() });
        Ok(())
    }

    /// Cancels every working order, sends a market order closing each open position and, for orders the venue
    /// keeps for the next bar, lets the feed's next bars reach the venues (and nothing else). Positions stay
    /// marked at the window's last closes. A refused closing order leaves its position open (valued at the last
    /// close); the refusal is in the order log.
    async fn close_at_window_end(
        &mut self,
        market: &MarketData,
        feed: &mut ReplayFeed<'_>,
        slots: &[usize],
    ) -> Result<WindowClose> {
        let (first_fill, first_change) = (self.log.fills.len(), self.log.cash_changes.len());
        self.cancel_open_orders().await?;
        let closes: Vec<Decimal> = self.portfolio.positions().iter().map(|p| p.last_price).collect();
        let open: Vec<_> = self
            .portfolio
            .positions()
            .iter()
            .filter(|p| !p.quantity.is_zero())
            .map(|p| (p.symbol, p.quantity))
            .collect();
        let mut orders = Vec::with_capacity(open.len());
        for (symbol, quantity) in open {
            let Some(venue) = self.venues_by_symbol.iter().find(|(s, _)| *s == symbol).map(|(_, v)| *v) else {
                continue;
            };
            let side = if quantity.is_sign_positive() { Side::Sell } else { Side::Buy };
            orders.push(self.log.orders.next_id());
            let intent = OrderIntent::market(venue, symbol, side, OrderQty::Base(quantity.abs()));
            match self.submit(intent).await {
                Ok(_) => {}
                Err(refusal) if is_refusal(&refusal) => {
                    tracing::warn!(%symbol, %refusal, "the position open at the window's end could not be closed");
                }
                Err(failure) => return Err(failure),
            }
        }
        // The price each closing fill is measured against: the last close for fills at once, else the open of the
        // bar that filled it.
        let slot_of = |engine: &TradingEngine, symbol| engine.portfolio.slot(symbol).unwrap_or(0);
        let mut references: Vec<Decimal> =
            self.log.fills[first_fill..].iter().map(|r| closes[slot_of(self, r.fill.symbol)]).collect();
        feed.resume();
        while orders.iter().any(|id| self.log.order(*id).is_some_and(|o| o.state.is_at_venue())) {
            let Some(event) = feed.next() else { break };
            let series = &market.series[event.stream];
            let bar = series.bar(event.index);
            let before = self.log.fills.len();
            self.deliver(market.venues[event.stream], series.symbol, &bar, slots[event.stream]);
            references.extend(std::iter::repeat_n(bar.open, self.log.fills.len() - before));
        }
        for (slot, &close) in closes.iter().enumerate() {
            self.portfolio.mark(slot, close);
        }
        let mut closed = WindowClose { orders, ..WindowClose::default() };
        for (record, reference) in self.log.fills[first_fill..].iter().zip(references) {
            let fill = &record.fill;
            if !closed.orders.contains(&fill.order_id) {
                continue;
            }
            closed.fees += fill.fee;
            closed.slippage += match fill.side {
                Side::Sell => (reference - fill.price) * fill.quantity,
                Side::Buy => (fill.price - reference) * fill.quantity,
            };
        }
        if self.log.fills.len() > first_fill
            && let Some(last) = self.log.equity.len().checked_sub(1)
        {
            self.log.equity[last] = EquityPoint::new(self.log.equity[last].time, self.portfolio.equity());
            for change in &mut self.log.cash_changes[first_change..] {
                change.from_mark = last;
            }
        }
        Ok(closed)
    }
}

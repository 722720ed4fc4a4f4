//! [`SimulatedExchange`]: a venue that matches orders against replayed (or live) market data, with the fees,
//! filters and balances of a real spot venue. It implements [`ExchangeAdapter`] exactly like the live adapters.

mod account;
mod adapter;
mod bar_fill;
mod book_matching;
mod book_venue;
mod config;
mod detail;
mod fees;
mod liquidity;
mod matching;
mod mid_bar;
mod order_entry;
mod order_limits;
mod orders;
mod rules;
mod subscribers;

use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub use book_matching::{BookFillStats, Latency, QueueModel};
pub use book_venue::BookTop;
pub use config::{BarPath, FillModel, MidBarExits, SimConfig};
pub use fees::{FeeLadder, FeeTier, TieredFees, VOLUME_WINDOW_NS};
pub use liquidity::{BarLiquidity, LiquidityStats, MarketImpact, impact_fraction, impact_price, sqrt_ratio_up};
pub use matching::{limit_fill_price, market_fill_price, trigger_price};
pub use order_limits::OrderLimits;

use book_matching::{BookMarket, LatencyDraws, Outcome};
use matching::{Step, Working, fill_price};
pub use orders::FINISHED_ORDERS_KEPT;
use rustc_hash::FxHashMap;

use account::Account;
use bar_fill::BarFill;
use orders::OrderStore;
use rules::FillAt;

use crate::error::{Error, Result};
use crate::model::l2::from_fixed;
use crate::model::{
    Bar, ExecutionEvent, Instrument, Liquidity, MarketEvent, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType,
    Symbol, Ticker, Timestamp, TradeId,
};
use crate::venue::MarketStream;

/// What the venue keeps of the latest bar of an instrument: enough for tickers, reference prices, fills at the
/// close and the liquidity rules (its volume).
#[derive(Clone, Copy)]
struct LastBar {
    open_time: Timestamp,
    open: Decimal,
    close: Decimal,
    high: Decimal,
    low: Decimal,
    close_time: Timestamp,
    volume: Decimal,
}

impl LastBar {
    fn of(bar: &Bar) -> Self {
        LastBar {
            open_time: bar.open_time,
            open: bar.open,
            close: bar.close,
            high: bar.high,
            low: bar.low,
            close_time: bar.close_time,
            volume: bar.volume,
        }
    }

    /// The bar again, for matching.
    fn bar(&self) -> Bar {
        Bar {
            open_time: self.open_time,
            close_time: self.close_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
        }
    }
}

/// One instrument of the venue, its assets' balance slots, and the latest bar seen for it.
struct Market {
    instrument: Instrument,
    base: usize,
    quote: usize,
    last_bar: Option<LastBar>,
    /// The level-2 book, once the venue sees book data for the instrument: its orders then match there.
    book: Option<Box<BookMarket>>,
    /// Finer bars that decide what happened inside its bars, when the scenario gives them.
    detail: Option<Box<detail::Detail>>,
}

impl Market {
    /// The latest price: the last bar's close, or on a level-2 market the last trade (the mid before any).
    fn last_price(&self) -> Option<Decimal> {
        if let Some(bar) = self.last_bar {
            return Some(bar.close);
        }
        let book = self.book.as_ref()?;
        let mid = || {
            let (bid, ask) = (book.book().best_bid()?, book.book().best_ask()?);
            Some((from_fixed(bid.0) + from_fixed(ask.0)) / Decimal::TWO)
        };
        book.last_trade().map(from_fixed).or_else(mid)
    }
}

/// A simulated spot venue. Balances live here, as they do at a real venue; fees are charged in the quote asset.
///
/// Rules (see also [`matching`]): quantities are rounded down to the lot and limit prices to the tick (buys down,
/// sells up, never worse than asked); an order whose notional is below the instrument's minimum is refused with
/// [`Error::Order`]; a quote-sized market order buys `floor_lot(amount / (price × (1 + taker fee)))`, so that price
/// plus fee never exceeds the amount; balances are checked when an order is placed and again when it fills.
pub struct SimulatedExchange {
    name: String,
    config: SimConfig,
    markets: Vec<Market>,
    account: Account,
    orders: OrderStore,
    executions: Vec<ExecutionEvent>,
    /// Trades so far: each fill gets the next number as its trade id, as a venue numbers its trades.
    trades: u64,
    subscribers: subscribers::Subscribers,
    connected: bool,
    /// Bars in which the [`BarPath`] rule decided between two orders of a pair, and the last one counted.
    ambiguous_bars: u64,
    last_ambiguous: Option<(usize, Timestamp)>,
    /// What the venue keeps of working orders whose rules need more than the request (time in force, stop-limits,
    /// trailing stops). Looked up by id only; never iterated.
    states: FxHashMap<OrderId, Working>,
    /// Volume-tiered fees replacing the flat rates of the config, when the venue has a ladder.
    tiered: Option<TieredFees>,
    /// The real venue's order-rate limits, in market time.
    order_limits: OrderLimits,
    /// Brackets waiting for their entry to fill: (entry, stop-loss, take-profit).
    brackets: Vec<(OrderId, OrderRequest, OrderRequest)>,
    /// Latencies of orders and cancels on level-2 markets.
    latency: LatencyDraws,
    /// What the level-2 books did to orders, waiting to be settled.
    book_outcomes: Vec<Outcome>,
    /// What the liquidity rules of bars did (when the config sets them).
    liquidity_stats: LiquidityStats,
    /// The detail bar being matched, while the venue walks a main bar's detail bars.
    walking: Option<usize>,
    /// Orders that arrived after their symbol's last bar closed (sent on another symbol's event — a level-2
    /// message, a bar of a shorter interval — while this symbol's bar was still open), with when: such an order
    /// takes part in no bar that opened before it arrived, so it never fills at a price from before it existed.
    late_arrivals: Vec<(OrderId, Symbol, Timestamp)>,
    /// The latest moment the venue saw data, on the engine's clock: a bar's close, a level-2 message's receive time.
    seen_until: Timestamp,
}

impl std::fmt::Debug for SimulatedExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let symbols: Vec<Symbol> = self.markets.iter().map(|m| m.instrument.symbol).collect();
        f.debug_struct("SimulatedExchange")
            .field("name", &self.name)
            .field("symbols", &symbols)
            .field("open_orders", &self.orders.open_len())
            .field("connected", &self.connected)
            .finish()
    }
}

impl SimulatedExchange {
    /// A venue called `name` trading `instruments`, holding `balances` (asset → amount).
    ///
    /// # Errors
    /// [`Error::Validation`] for an invalid instrument, [`Error::Config`] for an instrument listed twice or a
    /// negative balance.
    pub fn new(
        name: &str,
        config: SimConfig,
        instruments: Vec<Instrument>,
        balances: BTreeMap<String, Decimal>,
    ) -> Result<Self> {
        if let Some((asset, amount)) = balances.iter().find(|(_, v)| **v < Decimal::ZERO) {
            return Err(Error::Config(format!("venue '{name}': starting balance of {asset} is negative ({amount})")));
        }
        let assets = instruments.iter().flat_map(|i| [i.base.as_str(), i.quote.as_str()]);
        let account = Account::new(&balances, assets);
        let mut markets: Vec<Market> = Vec::with_capacity(instruments.len());
        for instrument in instruments {
            instrument.validate()?;
            if markets.iter().any(|m| m.instrument.symbol == instrument.symbol) {
                return Err(Error::Config(format!("venue '{name}': instrument {} is listed twice", instrument.symbol)));
            }
            let slot = |asset: &str| {
                account.slot(asset).ok_or_else(|| Error::Config(format!("asset {asset} has no balance slot")))
            };
            let (base, quote) = (slot(&instrument.base)?, slot(&instrument.quote)?);
            markets.push(Market { instrument, base, quote, last_bar: None, book: None, detail: None });
        }
        Ok(SimulatedExchange {
            name: name.to_string(),
            config,
            markets,
            account,
            orders: OrderStore::default(),
            executions: Vec::new(),
            trades: 0,
            subscribers: subscribers::Subscribers::default(),
            connected: false,
            ambiguous_bars: 0,
            last_ambiguous: None,
            states: FxHashMap::default(),
            tiered: None,
            order_limits: OrderLimits::default(),
            brackets: Vec::new(),
            latency: LatencyDraws::new(config.latency),
            book_outcomes: Vec::new(),
            liquidity_stats: LiquidityStats::default(),
            walking: None,
            late_arrivals: Vec::new(),
            seen_until: Timestamp(i64::MIN),
        })
    }

    fn market_index(&self, symbol: Symbol) -> Result<usize> {
        self.markets
            .iter()
            .position(|m| m.instrument.symbol == symbol)
            .ok_or_else(|| Error::Order(format!("venue '{}' does not list {symbol}", self.name)))
    }

    fn require_connected(&self) -> Result<()> {
        if self.connected { Ok(()) } else { Err(Error::Exchange(format!("venue '{}' is not connected", self.name))) }
    }

    /// Tries the working orders of `market` (or only the pair `only`) against `bar`: those the bar executes at its
    /// open first, then in the two passes of the venue's [`BarPath`] (adverse: stops first); each pass in the order
    /// the orders were placed. A bar in which
    /// both orders of a one-cancels-the-other pair could have executed is counted as ambiguous: the rule decided.
    fn match_open_orders(&mut self, market: usize, bar: &Bar, only: Option<[OrderId; 2]>) {
        let liquidity = self.config.liquidity;
        for pass in [0, 1, 2] {
            let mut index = 0;
            while let Some(report) = self.orders.open_at_mut(index) {
                let order = report.request;
                let m = &self.markets[market];
                // The rest of an execution a participation cap cut short fills as a market order: at the open.
                let continuing = !liquidity.is_off()
                    && self.states.get(&order.client_order_id).is_some_and(|w| matching::continues(&order, w));
                let order_pass =
                    if continuing { 0 } else { matching::execution_pass(self.config.bar_path, bar, &order) };
                let arrived_later = !self.late_arrivals.is_empty()
                    && self.late_arrivals.iter().any(|(id, _, at)| *id == order.client_order_id && *at > bar.open_time);
                let candidate = order.symbol == m.instrument.symbol
                    && order_pass == pass
                    && only.is_none_or(|ids| ids.contains(&order.client_order_id))
                    && !arrived_later;
                if !candidate {
                    index += 1;
                    continue;
                }
                // Most orders keep no state: skip the lookup when no order does.
                let mut working =
                    if self.states.is_empty() { None } else { self.states.get_mut(&order.client_order_id) };
                let at_close = order.order_type == OrderType::Market && working.as_ref().is_some_and(|w| w.at_close);
                // Inside a detail bar, a fill that was not at its open is stamped with its close (see `detail`).
                let inside = self.walking.is_some() && !matching::executes_at_open(bar, &order);
                let time = if at_close || inside { bar.close_time } else { bar.open_time };
                let step = match working.as_deref_mut() {
                    Some(working) => matching::step(&m.instrument, self.config.slippage, bar, &order, working),
                    None => match fill_price(&m.instrument, self.config.slippage, bar, &order) {
                        Some((price, liquidity)) => Step::Fill(price, liquidity),
                        None => Step::Wait,
                    },
                };
                let mut filled = false;
                let mut activated = false;
                let finished = match step {
                    Step::Wait => false,
                    Step::Fill(price, taker_or_maker) => {
                        let fee_rate = fee_rate(&self.config, &mut self.tiered, taker_or_maker, time);
                        let at = FillAt { price, part: None, liquidity: taker_or_maker, time };
                        match working.filter(|_| !liquidity.is_off()) {
                            Some(working) => {
                                let was_triggered = working.triggered;
                                let (account, stats) = (&mut self.account, &mut self.liquidity_stats);
                                let mut rules = BarFill { market: m, account, stats, rules: liquidity, bar };
                                for event in rules.fill(report, working, fee_rate, at).into_iter().flatten() {
                                    filled |= matches!(event, ExecutionEvent::Fill { .. });
                                    record_volume(&mut self.tiered, &event);
                                    self.executions.push(event);
                                }
                                activated = !was_triggered && working.triggered;
                            }
                            None => {
                                let event = rules::fill(m, &mut self.account, fee_rate, report, at);
                                record_volume(&mut self.tiered, &event);
                                self.executions.push(event);
                            }
                        }
                        report.status.is_final()
                    }
                    Step::End(status, reason) => {
                        report.status = status;
                        report.reason = Some(reason.clone());
                        let order_id = order.client_order_id;
                        self.executions.push(ExecutionEvent::Ended { order_id, time: bar.open_time, status, reason });
                        true
                    }
                };
                if finished {
                    self.note_ambiguity(market, bar, &order);
                    let partner_before = order
                        .one_cancels_other
                        .and_then(|id| self.orders.open_position(id))
                        .is_some_and(|position| position < index);
                    self.orders.finish_at(index);
                    self.states.remove(&order.client_order_id);
                    self.end_partner_of(&order, bar.open_time, "ended");
                    if partner_before {
                        // Both left from before the next order, which moved up two places: one above `index`.
                        index -= 1;
                    }
                    continue;
                }
                if (filled || activated) && order.one_cancels_other.is_some() {
                    // A part filled, or a stop triggered in a bar whose cap fills nothing: the other order of its
                    // pair is canceled, as at Binance, where an OCO order that executes (fully or in part) or is
                    // activated (triggered) cancels the other.
                    self.note_ambiguity(market, bar, &order);
                    let partner_before = order
                        .one_cancels_other
                        .and_then(|id| self.orders.open_position(id))
                        .is_some_and(|position| position < index);
                    self.end_partner_of(&order, time, if filled { "ended" } else { "triggered" });
                    if partner_before {
                        // This order moved up into the partner's place.
                        continue;
                    }
                }
                index += 1;
            }
        }
        if only.is_none() {
            // Trailing stops keep state: none without any.
            if !self.states.is_empty() {
                self.follow_trailing_stops(market, bar);
            }
            if !self.brackets.is_empty() {
                self.activate_brackets(bar);
            }
        }
    }

    /// Brackets whose entry ended: a filled (or partly filled) entry's stop-loss and take-profit become a working
    /// one-cancels-the-other pair for the quantity that filled (matched against the rest of the bar, as the
    /// engine's attached exits are); an entry that ended unfilled takes its children with it.
    fn activate_brackets(&mut self, bar: &Bar) {
        let mut index = 0;
        while index < self.brackets.len() {
            let (entry, stop_loss, take_profit) = self.brackets[index];
            let Some(report) = self.orders.get(entry).cloned() else {
                self.brackets.swap_remove(index);
                continue;
            };
            if !report.status.is_final() {
                index += 1;
                continue;
            }
            self.brackets.swap_remove(index);
            let filled = OrderQty::Base(report.filled_quantity);
            let children = [stop_loss.client_order_id, take_profit.client_order_id];
            // An entry that filled in part before it ended (a participation cap's IOC rest, say) protects what filled.
            let outcome = if !report.filled_quantity.is_zero() {
                let (stop, take) =
                    (OrderRequest { quantity: filled, ..stop_loss }, OrderRequest { quantity: filled, ..take_profit });
                // In a detail bar, an entry that filled inside it was stamped with its close (see `detail`).
                let inside = self.walking.is_some() && !matching::executes_at_open(bar, &report.request);
                let entry_time = if inside { bar.close_time } else { bar.open_time };
                self.submit_exits(stop, take, &report.request, entry_time).err().map(|e| e.to_string())
            } else {
                Some(format!("bracket entry {entry} ended {}", report.status.as_str()))
            };
            if let Some(reason) = outcome {
                for order_id in children {
                    let (time, status, reason) = (bar.open_time, OrderStatus::Canceled, reason.clone());
                    self.executions.push(ExecutionEvent::Ended { order_id, time, status, reason });
                }
            }
        }
    }

    /// Counts `bar` of `market` as ambiguous, once.
    fn count_ambiguous(&mut self, market: usize, bar: &Bar) {
        if self.last_ambiguous != Some((market, bar.open_time)) {
            self.ambiguous_bars += 1;
            self.last_ambiguous = Some((market, bar.open_time));
        }
    }

    /// After `bar`, the trailing stops of `market` that it did not trigger follow its best price.
    fn follow_trailing_stops(&mut self, market: usize, bar: &Bar) {
        let instrument = &self.markets[market].instrument;
        for index in 0..self.orders.open_len() {
            let Some(report) = self.orders.open_at_mut(index) else { break };
            let order = report.request;
            if order.order_type != OrderType::TrailingStop || order.symbol != instrument.symbol {
                continue;
            }
            // A triggered stop whose rest fills as a market order (a participation cap's) no longer trails.
            if let Some(working) = self.states.get_mut(&order.client_order_id).filter(|w| !w.triggered) {
                report.request.stop_price = matching::trail_after(instrument, bar, &order, working);
            }
        }
    }

    /// `order` just filled in `bar`: if its one-cancels-the-other partner could have executed in the same bar, and
    /// neither did so at the open (which would have settled the order), the bar is ambiguous (counted once).
    fn note_ambiguity(&mut self, market: usize, bar: &Bar, order: &OrderRequest) {
        let Some(partner) = order.one_cancels_other.and_then(|id| self.orders.open_mut(id)).map(|r| r.request) else {
            return;
        };
        let m = &self.markets[market];
        let at_open = matching::executes_at_open(bar, order) || matching::executes_at_open(bar, &partner);
        if !at_open && fill_price(&m.instrument, self.config.slippage, bar, &partner).is_some() {
            self.count_ambiguous(market, bar);
        }
    }

    /// `order` ended (filled, rejected or canceled), filled in part or was triggered (`what` says which): the other
    /// order of its one-cancels-the-other pair, if still working, is canceled and reported.
    fn end_partner_of(&mut self, order: &OrderRequest, time: Timestamp, what: &str) {
        let Some(partner) = order.one_cancels_other else { return };
        let Some(report) = self.orders.open_mut(partner) else { return };
        report.status = OrderStatus::Canceled;
        let reason = format!("one-cancels-the-other: order {} {what}", order.client_order_id);
        report.reason = Some(reason.clone());
        self.orders.finish(partner);
        self.states.remove(&partner);
        self.executions.push(ExecutionEvent::Ended { order_id: partner, time, status: OrderStatus::Canceled, reason });
    }
}

/// The fee rate of a fill at `time`: the ladder's, from the volume before it, or the config's flat rate.
fn fee_rate(config: &SimConfig, tiered: &mut Option<TieredFees>, liquidity: Liquidity, time: Timestamp) -> Decimal {
    match tiered {
        Some(tiered) => tiered.rate(liquidity, time),
        None => config.fee_rate(liquidity),
    }
}

/// Counts a fill towards the venue's traded volume (for its fee ladder).
fn record_volume(tiered: &mut Option<TieredFees>, event: &ExecutionEvent) {
    if let (Some(tiered), ExecutionEvent::Fill { fill, .. }) = (tiered, event) {
        tiered.record(fill.time, fill.notional());
    }
}

/// The venue's operations, synchronous: a simulated venue answers at once. The [`ExchangeAdapter`] implementation
/// (in `adapter.rs`) wraps these in ready futures; the router calls them directly for simulated venues.
impl SimulatedExchange {
    /// The venue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same venue charging fees by `ladder`'s levels (from the volume it fills over 30 days of engine time)
    /// instead of the config's flat rates.
    pub fn with_fee_ladder(mut self, ladder: FeeLadder) -> Self {
        self.tiered = Some(TieredFees::new(ladder));
        self
    }

    /// The same venue refusing orders beyond `limits` (the real venue's `orders_per_second`, `orders_per_minute`,
    /// `orders_per_day`), counted in market time.
    pub fn with_order_limits(mut self, limits: OrderLimits) -> Self {
        self.order_limits = limits;
        self
    }

    /// The instrument `symbol` as the venue lists it.
    pub fn instrument(&self, symbol: Symbol) -> Option<&Instrument> {
        self.markets.iter().map(|m| &m.instrument).find(|i| i.symbol == symbol)
    }

    /// The venue's clock: the close of the latest bar it has seen, or the time of its latest book message.
    fn now(&self) -> Timestamp {
        let latest = |m: &Market| m.last_bar.map(|b| b.close_time).or(m.book.as_ref().map(|b| b.time()));
        self.markets.iter().filter_map(latest).max().unwrap_or_default()
    }

    /// Bars so far in which both orders of a one-cancels-the-other pair could have executed, so that the venue's
    /// [`BarPath`] rule, not the data, decided which did.
    pub fn ambiguous_bars(&self) -> u64 {
        self.ambiguous_bars
    }

    /// What the liquidity rules of bars did so far (partial fills, capped orders, impact cost); `None` when the
    /// venue's config sets none.
    pub fn liquidity_stats(&self) -> Option<LiquidityStats> {
        (!self.config.liquidity.is_off()).then_some(self.liquidity_stats)
    }

    /// Marks the venue connected (or not); a disconnected venue refuses orders.
    pub fn set_connected(&mut self, connected: bool) {
        self.connected = connected;
    }

    /// Best bid/ask/last of `symbol`: the last close, as bars carry no quotes.
    ///
    /// # Errors
    /// [`Error::Order`] for a symbol the venue does not list, [`Error::Exchange`] before its first bar.
    pub fn ticker(&self, symbol: Symbol) -> Result<Ticker> {
        let market = &self.markets[self.market_index(symbol)?];
        if let Some(book) = &market.book {
            return self.book_ticker(symbol, book);
        }
        let bar = market
            .last_bar
            .ok_or_else(|| Error::Exchange(format!("venue '{}' has no price for {symbol} yet", self.name)))?;
        Ok(Ticker { symbol, bid: bar.close, ask: bar.close, last: bar.close, time: bar.close_time })
    }

    /// Free balance of every asset.
    pub fn balances(&self) -> BTreeMap<String, Decimal> {
        self.account.balances()
    }

    /// A channel that receives every market event of `symbol` the venue sees.
    ///
    /// # Errors
    /// [`Error::Exchange`] for a symbol the venue does not list.
    pub fn subscribe(&mut self, symbol: Symbol) -> Result<MarketStream> {
        self.market_index(symbol)
            .map_err(|_| Error::Exchange(format!("venue '{}' does not list {symbol}", self.name)))?;
        Ok(self.subscribers.subscribe(symbol))
    }

    /// Matches open orders against a market event; true when executions are waiting. Level-2 data reaches a
    /// simulated venue as recorded rows ([`SimulatedExchange::book_message`]), so only bars match here.
    #[inline]
    pub fn market_event(&mut self, event: &MarketEvent) -> bool {
        match event {
            MarketEvent::Bar { symbol, bar, .. } => self.bar_closed(*symbol, bar),
            _ => false,
        }
    }

    /// A bar of `symbol` closed: open orders are matched against it; true when executions are waiting.
    #[inline]
    pub fn bar_closed(&mut self, symbol: Symbol, bar: &Bar) -> bool {
        let Some(market) = self.markets.iter().position(|m| m.instrument.symbol == symbol) else {
            return false;
        };
        self.markets[market].last_bar = Some(LastBar::of(bar));
        self.seen_until = self.seen_until.max(bar.close_time);
        if !self.late_arrivals.is_empty() {
            // Orders that arrived before this bar opened take part from this bar on.
            self.late_arrivals.retain(|(_, of, at)| *of != symbol || *at > bar.open_time);
        }
        if self.orders.open_len() > 0 || !self.brackets.is_empty() {
            self.match_main_bar(market, bar);
        }
        self.subscribers.bar_closed(symbol, bar);
        !self.executions.is_empty()
    }

    /// Moves the executions since the last call into `out`, each fill numbered with its trade id.
    #[inline]
    pub fn take_executions(&mut self, out: &mut Vec<ExecutionEvent>) {
        for execution in &mut self.executions {
            if let ExecutionEvent::Fill { fill, .. } = execution {
                self.trades += 1;
                fill.trade_id = Some(TradeId::number(self.trades));
            }
        }
        out.append(&mut self.executions);
    }
}

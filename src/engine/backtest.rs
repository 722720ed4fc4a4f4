//! Wiring for a backtest: one [`SimulatedExchange`] behind the router, the risk manager, the portfolio, and the
//! engine replaying recorded bars on a single-threaded runtime. [`run_prepared_on`] runs the same wiring with any
//! other router: the only switch between a simulated and a live venue.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::run_log::RunLog;
use super::trading_engine::{BookStream, Carried, MarketData, StrategyRun, TradingEngine, WindowClose, WindowPlan};
use crate::error::{Error, Result};
use crate::execution::JournalHooks;
use crate::model::VenueId;
use crate::model::{Bar, BarSeries, Instrument, Symbol, Timestamp};
use crate::portfolio::Portfolio;
use crate::risk::{RiskLimits, RiskManager, RiskPolicy};
use crate::strategy::{Strategy, StrategyRegistry, WarmUp};
use crate::venue::RateLimits;
use crate::venue::sim::{BookFillStats, FeeLadder, LiquidityStats, OrderLimits, SimConfig};
use crate::venue::{OrderRouter, SimulatedExchange};

/// One simulated venue of a backtest.
#[derive(Clone, Debug)]
pub struct VenueSetup {
    /// Name of the venue (orders and reports name it).
    pub name: String,
    /// Fees, fill model, slippage, bar path.
    pub sim: SimConfig,
    /// Instruments it lists; a symbol trades on one venue.
    pub instruments: Vec<Instrument>,
    /// Volume-tiered fees replacing the flat fees of `sim`, when given.
    pub fee_ladder: Option<FeeLadder>,
    /// The real venue's order-rate limits, enforced in market time (none by default).
    pub rate_limits: RateLimits,
    /// Quote-asset balance held at the venue at the start.
    pub balance: Decimal,
    /// Finer bars per symbol that decide what happened inside its bars (a scenario's `detail:` data).
    pub detail: Vec<(Symbol, Arc<[Bar]>)>,
}

impl VenueSetup {
    /// A venue named `name` with `sim` and `instruments`, holding `balance`, flat fees and no rate limits.
    pub fn new(name: &str, sim: SimConfig, instruments: Vec<Instrument>, balance: Decimal) -> Self {
        VenueSetup {
            name: name.to_string(),
            sim,
            instruments,
            fee_ladder: None,
            rate_limits: RateLimits::default(),
            balance,
            detail: Vec::new(),
        }
    }

    /// The highest fee rate a fill at this venue can pay (a fraction): the larger of maker and taker, at the
    /// ladder's dearest level when fees are tiered. The risk manager counts it on top of a buy's notional.
    pub fn fee_bound(&self) -> Decimal {
        let rate = match &self.fee_ladder {
            Some(ladder) => ladder
                .tiers
                .iter()
                .map(|t| t.maker_percent.max(t.taker_percent) / Decimal::ONE_HUNDRED)
                .max()
                .unwrap_or_default(),
            None => self.sim.maker_fee.max(self.sim.taker_fee),
        };
        rate.max(Decimal::ZERO)
    }

    /// The simulated exchange this describes.
    ///
    /// # Errors
    /// As [`SimulatedExchange::new`].
    fn exchange(&self, quote: &str) -> Result<SimulatedExchange> {
        self.exchange_holding(BTreeMap::from([(quote.to_string(), self.balance)]))
    }

    /// The simulated exchange this describes, holding `balances` (asset → amount) instead of its quote balance.
    ///
    /// # Errors
    /// As [`SimulatedExchange::new`].
    fn exchange_holding(&self, balances: BTreeMap<String, Decimal>) -> Result<SimulatedExchange> {
        let mut venue = SimulatedExchange::new(&self.name, self.sim, self.instruments.clone(), balances)?;
        if let Some(ladder) = &self.fee_ladder {
            venue = venue.with_fee_ladder(ladder.clone());
        }
        for (symbol, bars) in &self.detail {
            venue = venue.with_detail(*symbol, Arc::clone(bars))?;
        }
        Ok(venue.with_order_limits(OrderLimits::new(&self.rate_limits)))
    }
}

/// Everything a backtest needs besides the market data.
#[derive(Clone, Debug)]
pub struct BacktestSetup {
    /// The simulated venues; each data series trades on the venue listing its symbol.
    pub venues: Vec<VenueSetup>,
    /// Quote asset of the portfolio.
    pub quote: String,
    /// Starting cash in the quote asset.
    pub starting_cash: Decimal,
    /// Risk limits.
    pub risk: RiskLimits,
    /// How the engine applies them.
    pub policy: RiskPolicy,
    /// Strategy kind.
    pub strategy: String,
    /// Strategy parameters.
    pub params: serde_json::Value,
    /// The strategy kinds `strategy` is looked up in (the built-ins, and any a user's binary registered).
    pub strategies: StrategyRegistry,
}

/// What a backtest produced.
#[derive(Clone, Debug)]
pub struct BacktestResult {
    /// Orders, fills, risk decisions and equity curve.
    pub log: RunLog,
    /// The final ledger.
    pub portfolio: Portfolio,
    /// Counts of the replay.
    pub run: StrategyRun,
    /// Balances the venues hold at the end, summed over the venues (they must agree with the ledger).
    pub venue_balances: BTreeMap<String, Decimal>,
    /// Balances each venue holds at the end, in the setup's venue order.
    pub balances_by_venue: Vec<BTreeMap<String, Decimal>>,
    /// Bars in which the simulated venue's bar-path rule, not the data, decided between two orders of a pair.
    pub ambiguous_bars: u64,
    /// Level-2 matching counts, summed over the venues that saw book data.
    pub book_stats: Option<BookFillStats>,
    /// What the liquidity rules of bars did (partial fills, capped orders, impact cost), summed over the venues
    /// that set them; `None` when none does.
    pub liquidity: Option<LiquidityStats>,
}

impl BacktestResult {
    /// What the run ended with, for a next window to start from: the ledger's holdings and each venue's balances.
    pub fn carried(&self) -> Carried {
        Carried { holdings: self.portfolio.holdings(), venue_balances: self.balances_by_venue.clone() }
    }
}

/// Runs a backtest of `setup` over `series` on the current async runtime.
///
/// # Errors
/// [`Error::Config`] / [`Error::Validation`] for an inconsistent setup (instrument missing for a series, quote
/// mismatch, bad strategy parameters); venue failures other than order rejections.
pub async fn run_backtest(setup: &BacktestSetup, series: Vec<BarSeries>) -> Result<BacktestResult> {
    let market = Arc::new(prepare_market(setup, series)?);
    run_prepared(setup, market).await
}

impl BacktestSetup {
    /// A fresh strategy of the setup's kind and parameters.
    ///
    /// # Errors
    /// As [`StrategyRegistry::build`].
    pub fn build_strategy(&self) -> Result<Box<dyn Strategy>> {
        self.strategies.build(&self.strategy, &self.params)
    }

    /// Every venue's instruments.
    pub fn instruments(&self) -> impl Iterator<Item = &Instrument> {
        self.venues.iter().flat_map(|v| &v.instruments)
    }

    /// The same setup starting with `cash`: the venues' balances scale with it (one venue holds all of it).
    pub fn with_starting_cash(&self, cash: Decimal) -> BacktestSetup {
        let mut setup = self.clone();
        let total: Decimal = self.venues.iter().map(|v| v.balance).sum();
        // Shares in proportion to the balances; the last venue takes what division leaves, so they add up exactly.
        let mut left = cash;
        let last = setup.venues.len().saturating_sub(1);
        for (index, venue) in setup.venues.iter_mut().enumerate() {
            venue.balance = if index == last {
                left
            } else if total.is_zero() {
                Decimal::ZERO
            } else {
                venue.balance * cash / total
            };
            left -= venue.balance;
        }
        setup.starting_cash = cash;
        setup
    }

    /// The index of the venue that lists `symbol`.
    pub fn venue_of(&self, symbol: crate::model::Symbol) -> Option<usize> {
        self.venues.iter().position(|v| v.instruments.iter().any(|i| i.symbol == symbol))
    }
}

/// Checks the series against the setup's instruments and attaches each to the venue that lists its symbol.
///
/// # Errors
/// [`Error::Config`] when a series has no instrument or an instrument's quote differs from the portfolio's.
pub fn prepare_market(setup: &BacktestSetup, series: Vec<BarSeries>) -> Result<MarketData> {
    for s in &series {
        let instrument = setup.instruments().find(|i| i.symbol == s.symbol).ok_or_else(|| {
            Error::Config(format!("exchange.instruments has no entry for {}, which the data section loads", s.symbol))
        })?;
        if instrument.quote != setup.quote {
            return Err(Error::Config(format!(
                "instrument {} is quoted in {} but the portfolio holds {}",
                s.symbol, instrument.quote, setup.quote
            )));
        }
    }
    let venues = series.iter().map(|s| VenueId(setup.venue_of(s.symbol).unwrap_or(0))).collect();
    MarketData::new(series, venues)
}

/// Runs a backtest over prepared, shareable market data (sweeps reuse one copy across runs).
///
/// # Errors
/// As [`run_backtest`].
pub async fn run_prepared(setup: &BacktestSetup, market: Arc<MarketData>) -> Result<BacktestResult> {
    run_prepared_reusing(setup, market, RunLog::default()).await
}

/// [`run_prepared`], recording into the memory of a previous run's `log` (its content is discarded). A process that
/// runs many backtests avoids paging in a fresh equity curve and order log for every one.
///
/// # Errors
/// As [`run_backtest`].
pub async fn run_prepared_reusing(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    log: RunLog,
) -> Result<BacktestResult> {
    let mut engine = start_engine(setup, simulated_router(setup)?, market, log).await?;
    let run = engine.run_strategy(&mut setup.build_strategy()?).await?;
    finish_run(engine, run).await
}

/// [`run_prepared`] with orders routed to the venues of `router` — a live adapter, say — instead of the simulated
/// venue: the same engine, risk manager, portfolio and strategy; only where orders go differs. The market data
/// trades on the router's venues in the setup's order: the router must hold the setup's venues' names, in order.
///
/// # Errors
/// [`Error::Config`] when the router's venues are not the setup's; as [`run_backtest`].
pub async fn run_prepared_on(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    router: OrderRouter,
) -> Result<BacktestResult> {
    check_router(setup, &router)?;
    let mut engine = start_engine(setup, router, market, RunLog::default()).await?;
    let run = engine.run_strategy(&mut setup.build_strategy()?).await?;
    finish_run(engine, run).await
}

/// `router`'s venues must be `setup`'s, in order (orders name venues by position).
///
/// # Errors
/// [`Error::Config`] naming both lists.
fn check_router(setup: &BacktestSetup, router: &OrderRouter) -> Result<()> {
    let expected: Vec<&str> = setup.venues.iter().map(|v| v.name.as_str()).collect();
    if router.names() != expected {
        return Err(Error::Config(format!(
            "the router's venues must be {} in that order (it has: {})",
            expected.join(", "),
            router.names().join(", ")
        )));
    }
    Ok(())
}

/// The router of a backtest: each of `setup`'s venues as a [`SimulatedExchange`] holding its balance.
///
/// # Errors
/// [`Error::Config`] / [`Error::Validation`] for instruments a simulated venue refuses, or a venue listed twice.
fn simulated_router(setup: &BacktestSetup) -> Result<OrderRouter> {
    let mut router = OrderRouter::new();
    for venue in &setup.venues {
        router.add_simulated(venue.exchange(&setup.quote)?)?;
    }
    Ok(router)
}

/// [`run_prepared`] with the strategy warming up on the bars that close before `trade_from`: it sees them, but
/// its orders from them are dropped, and the run's equity marks start after `trade_from`. A walk-forward test
/// window trades this way after its training window.
///
/// # Errors
/// As [`run_backtest`].
pub async fn run_prepared_trading_from(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    trade_from: Timestamp,
) -> Result<BacktestResult> {
    Ok(run_prepared_window(setup, market, &WindowPlan::trading_from(trade_from)).await?.0)
}

/// [`run_prepared_trading_from`] as one window of a walk-forward, planned by `plan` (see
/// [`TradingEngine::run_window`]): the strategy warms up on the bars closing before `plan.trade_from`, trades
/// up to `plan.trade_to`, and the run's equity marks start after `plan.trade_from`. With `plan.carried`, the
/// portfolio starts from `setup.starting_cash` — the carried holdings' equity — and takes the holdings over when
/// trading starts; each venue holds from the start what it held when the window before ended. With `plan.close_at_end` the positions still open
/// at the end are closed through the venues; the market data should then hold each series' next bar after the
/// window (see [`MarketData::between_and_next`]) for orders that fill at the next open.
///
/// # Errors
/// As [`run_backtest`].
pub async fn run_prepared_window(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    plan: &WindowPlan,
) -> Result<(BacktestResult, WindowClose)> {
    let router = match &plan.carried {
        Some(carried) => holding_router(setup, carried)?,
        None => simulated_router(setup)?,
    };
    let mut engine = start_engine(setup, router, market, RunLog::default()).await?;
    let mut strategy = WarmUp::new(setup.build_strategy()?, plan.trade_from);
    let (run, closed) = engine.run_window(&mut strategy, plan).await?;
    let mut result = finish_run(engine, run).await?;
    let log = &mut result.log;
    let warm = log.equity.partition_point(|p| p.time <= plan.trade_from);
    log.equity.drain(..warm);
    for change in &mut log.cash_changes {
        change.from_mark = change.from_mark.saturating_sub(warm);
    }
    Ok((result, closed))
}

/// The router of a window that starts from `carried`: each of `setup`'s venues holding what it held at the end of
/// the window before (cash moves between venues only by a transfer, which a backtest does not make).
///
/// # Errors
/// As [`simulated_router`]; [`Error::Config`] when `carried` holds balances of a different number of venues.
fn holding_router(setup: &BacktestSetup, carried: &Carried) -> Result<OrderRouter> {
    if carried.venue_balances.len() != setup.venues.len() {
        return Err(Error::Config(format!(
            "the window before ended at {} venue(s), this one trades at {}",
            carried.venue_balances.len(),
            setup.venues.len()
        )));
    }
    let mut router = OrderRouter::new();
    for (venue, balances) in setup.venues.iter().zip(&carried.venue_balances) {
        router.add_simulated(venue.exchange_holding(balances.clone())?)?;
    }
    Ok(router)
}

/// An engine over `router`'s venues with `setup`'s instruments, portfolio and risk manager, started; the market
/// data's venue is the router's first.
async fn start_engine(
    setup: &BacktestSetup,
    router: OrderRouter,
    market: Arc<MarketData>,
    log: RunLog,
) -> Result<TradingEngine> {
    setup.risk.validate()?;
    setup.policy.validate()?;
    let held: Decimal = setup.venues.iter().map(|v| v.balance).sum();
    if held != setup.starting_cash {
        return Err(Error::Config(format!(
            "the venues hold {held} {} but the portfolio starts with {}",
            setup.quote, setup.starting_cash
        )));
    }
    let symbols: Vec<_> = setup.instruments().map(|i| i.symbol).collect();
    let portfolio = Portfolio::new(&setup.quote, setup.starting_cash, &symbols);
    let mut risk = RiskManager::new(setup.risk.clone()).with_policy(setup.policy.clone());
    for venue in &setup.venues {
        for i in &venue.instruments {
            risk.set_instrument(i.symbol, i.lot_size, i.min_notional);
            risk.set_fee_rate(i.symbol, venue.fee_bound());
        }
    }
    let mut engine = TradingEngine::new(router, risk, portfolio).with_market_data(market).with_run_log(log);
    engine.start().await?;
    Ok(engine)
}

/// Stops `engine` after `run` and collects what it recorded.
///
/// # Errors
/// A venue that cannot report its balances or disconnect.
pub async fn finish_run(mut engine: TradingEngine, run: StrategyRun) -> Result<BacktestResult> {
    let mut venue_balances = BTreeMap::new();
    let mut balances_by_venue = Vec::with_capacity(engine.router().names().len());
    for venue in 0..engine.router().names().len() {
        let balances = engine.router().balances(VenueId(venue)).await?;
        for (asset, amount) in &balances {
            *venue_balances.entry(asset.clone()).or_insert(Decimal::ZERO) += amount;
        }
        balances_by_venue.push(balances.into_iter().collect());
    }
    let ambiguous_bars = engine.router().ambiguous_bars();
    let book_stats = (0..engine.router().names().len())
        .filter_map(|venue| engine.router().book_stats(VenueId(venue)))
        .reduce(BookFillStats::merged);
    let liquidity = (0..engine.router().names().len())
        .filter_map(|venue| engine.router().liquidity_stats(VenueId(venue)))
        .reduce(LiquidityStats::merged);
    engine.stop().await?;
    let (log, portfolio) = engine.into_results();
    Ok(BacktestResult { log, portfolio, run, venue_balances, balances_by_venue, ambiguous_bars, book_stats, liquidity })
}

/// Runs `setup`'s level-2 strategy over `streams` at its simulated venues (shared, never copied).
///
/// # Errors
/// As [`run_backtest`]; [`Error::Data`] for a sequence gap in a book.
pub async fn run_book_backtest(setup: &BacktestSetup, streams: Arc<[BookStream]>) -> Result<BacktestResult> {
    let mut engine = start_book_engine(setup, None).await?;
    let mut strategy = setup.build_strategy()?;
    let run = engine.run_book_strategy(streams, &mut strategy).await?;
    finish_run(engine, run).await
}

/// An engine over `setup`'s simulated venues, started, for level-2 data fed by the caller (a paper session), with
/// `journal` called for each order before it is sent and each fill before it is booked.
///
/// # Errors
/// As [`run_backtest`].
pub async fn start_book_engine(setup: &BacktestSetup, journal: Option<JournalHooks>) -> Result<TradingEngine> {
    start_book_engine_on(setup, simulated_router(setup)?, journal).await
}

/// [`start_book_engine`] routing orders through `router` (a live session's adapters), whose venues must be
/// `setup`'s, in order.
///
/// # Errors
/// [`Error::Config`] when the router's venues are not the setup's; as [`run_backtest`].
pub async fn start_book_engine_on(
    setup: &BacktestSetup,
    router: OrderRouter,
    journal: Option<JournalHooks>,
) -> Result<TradingEngine> {
    check_router(setup, &router)?;
    let no_bars = Arc::new(MarketData::new(Vec::new(), Vec::new())?);
    let engine = start_engine(setup, router, no_bars, RunLog::default()).await?;
    Ok(match journal {
        Some(journal) => engine.with_journal(journal),
        None => engine,
    })
}

/// [`run_prepared`] with `strategy` itself instead of one the setup's registry builds — a wrapper around one that
/// watches it, say: `ctb audit` records every decision this way — on a fresh single-threaded runtime.
///
/// # Errors
/// As [`run_backtest`], plus [`Error::Io`] if the runtime cannot start.
pub fn run_prepared_with_blocking<S: Strategy>(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    strategy: &mut S,
) -> Result<BacktestResult> {
    let run = async {
        let mut engine = start_engine(setup, simulated_router(setup)?, market, RunLog::default()).await?;
        let run = engine.run_strategy(strategy).await?;
        finish_run(engine, run).await
    };
    tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(run)
}

/// [`run_prepared`] on a fresh single-threaded runtime, for callers that are not async.
///
/// # Errors
/// As [`run_backtest`], plus [`Error::Io`] if the runtime cannot start.
pub fn run_prepared_blocking(setup: &BacktestSetup, market: Arc<MarketData>) -> Result<BacktestResult> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?
        .block_on(run_prepared(setup, market))
}

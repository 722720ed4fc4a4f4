//! Wiring for a backtest: one [`SimulatedExchange`] behind the router, the risk manager, the portfolio, and the
//! engine replaying recorded bars on a single-threaded runtime. [`run_prepared_on`] runs the same wiring with any
//! other router: the only switch between a simulated and a live venue.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::portfolio::Portfolio;
use super::run_log::RunLog;
use super::trading_engine::{MarketData, StrategyRun, TradingEngine};
use crate::config::RateLimits;
use crate::error::{Error, Result};
use crate::exchange::sim::{FeeLadder, OrderLimits, SimConfig};
use crate::exchange::{OrderRouter, SimulatedExchange, VenueId};
use crate::model::{BarSeries, Instrument, Timestamp};
use crate::risk::{RiskLimits, RiskManager, RiskPolicy};
use crate::strategy::{WarmUp, build_strategy};

/// Everything a backtest needs besides the market data.
#[derive(Clone, Debug)]
pub struct BacktestSetup {
    /// Name of the simulated venue.
    pub venue: String,
    /// Fees, fill model, slippage.
    pub sim: SimConfig,
    /// Volume-tiered fees replacing the flat fees of `sim`, when given.
    pub fee_ladder: Option<FeeLadder>,
    /// The real venue's order-rate limits, enforced in market time (none by default).
    pub rate_limits: RateLimits,
    /// Instruments traded (one per data series).
    pub instruments: Vec<Instrument>,
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
    /// Balances the simulated venue holds at the end (they must agree with the ledger).
    pub venue_balances: BTreeMap<String, Decimal>,
    /// Bars in which the simulated venue's bar-path rule, not the data, decided between two orders of a pair.
    pub ambiguous_bars: u64,
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

/// Checks the series against the setup's instruments and attaches them to the (single) venue.
///
/// # Errors
/// [`Error::Config`] when a series has no instrument or an instrument's quote differs from the portfolio's.
pub fn prepare_market(setup: &BacktestSetup, series: Vec<BarSeries>) -> Result<MarketData> {
    for s in &series {
        let instrument = setup.instruments.iter().find(|i| i.symbol == s.symbol).ok_or_else(|| {
            Error::Config(format!("exchange.instruments has no entry for {}, which the data section loads", s.symbol))
        })?;
        if instrument.quote != setup.quote {
            return Err(Error::Config(format!(
                "instrument {} is quoted in {} but the portfolio holds {}",
                s.symbol, instrument.quote, setup.quote
            )));
        }
    }
    let venues = vec![crate::exchange::VenueId(0); series.len()];
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
    let (mut engine, venue) = start_engine(setup, simulated_router(setup)?, market, log).await?;
    let run = engine.execute_strategy(&setup.strategy, &setup.params).await?;
    finish(engine, venue, run).await
}

/// [`run_prepared`] with orders routed to the venues of `router` — a live adapter, say — instead of the simulated
/// venue: the same engine, risk manager, portfolio and strategy; only where orders go differs. The market data
/// trades on the router's venue named `setup.venue`, which must be its first.
///
/// # Errors
/// [`Error::Config`] when the router's first venue is not `setup.venue`; as [`run_backtest`].
pub async fn run_prepared_on(
    setup: &BacktestSetup,
    market: Arc<MarketData>,
    router: OrderRouter,
) -> Result<BacktestResult> {
    if router.find(&setup.venue) != Some(VenueId(0)) {
        return Err(Error::Config(format!(
            "the router's first venue must be '{}' (it has: {})",
            setup.venue,
            router.names().join(", ")
        )));
    }
    let (mut engine, venue) = start_engine(setup, router, market, RunLog::default()).await?;
    let run = engine.execute_strategy(&setup.strategy, &setup.params).await?;
    finish(engine, venue, run).await
}

/// The router of a backtest: `setup`'s venue as a [`SimulatedExchange`] holding the starting cash.
///
/// # Errors
/// [`Error::Config`] / [`Error::Validation`] for instruments the simulated venue refuses.
fn simulated_router(setup: &BacktestSetup) -> Result<OrderRouter> {
    let balances = BTreeMap::from([(setup.quote.clone(), setup.starting_cash)]);
    let mut venue = SimulatedExchange::new(&setup.venue, setup.sim, setup.instruments.clone(), balances)?;
    if let Some(ladder) = &setup.fee_ladder {
        venue = venue.with_fee_ladder(ladder.clone());
    }
    venue = venue.with_order_limits(OrderLimits::new(&setup.rate_limits));
    let mut router = OrderRouter::new();
    router.add_simulated(venue)?;
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
    let (mut engine, venue) = start_engine(setup, simulated_router(setup)?, market, RunLog::default()).await?;
    let mut strategy = WarmUp::new(build_strategy(&setup.strategy, &setup.params)?, trade_from);
    let run = engine.run_strategy(&mut strategy).await?;
    let mut result = finish(engine, venue, run).await?;
    let log = &mut result.log;
    let warm = log.equity.partition_point(|p| p.time <= trade_from);
    log.equity.drain(..warm);
    for change in &mut log.cash_changes {
        change.from_mark = change.from_mark.saturating_sub(warm);
    }
    Ok(result)
}

/// An engine over `router`'s venues with `setup`'s instruments, portfolio and risk manager, started; the market
/// data's venue is the router's first.
async fn start_engine(
    setup: &BacktestSetup,
    router: OrderRouter,
    market: Arc<MarketData>,
    log: RunLog,
) -> Result<(TradingEngine, VenueId)> {
    setup.risk.validate()?;
    setup.policy.validate()?;
    let venue_id = VenueId(0);
    let symbols: Vec<_> = setup.instruments.iter().map(|i| i.symbol).collect();
    let portfolio = Portfolio::new(&setup.quote, setup.starting_cash, &symbols);
    let mut risk = RiskManager::new(setup.risk.clone()).with_policy(setup.policy.clone());
    for i in &setup.instruments {
        risk.set_instrument(i.symbol, i.lot_size, i.min_notional);
    }
    let mut engine = TradingEngine::new(router, risk, portfolio).with_market_data(market).with_run_log(log);
    engine.start().await?;
    Ok((engine, venue_id))
}

/// Stops `engine` after `run` and collects what it recorded.
async fn finish(mut engine: TradingEngine, venue: VenueId, run: StrategyRun) -> Result<BacktestResult> {
    let venue_balances = engine.router().balances(venue).await?;
    let ambiguous_bars = engine.router().ambiguous_bars();
    engine.stop().await?;
    let (log, portfolio) = engine.into_results();
    Ok(BacktestResult { log, portfolio, run, venue_balances, ambiguous_bars })
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

//! The engine: [`TradingEngine`] (the seed's orchestrator), the [`RunLog`] of a run, and the backtest wiring.

mod backtest;
mod run_log;
mod trading_engine;

pub use crate::execution::{FillJournal, FillRecord, JournalHooks, OrderJournal, OrderRecord};
pub use backtest::{
    BacktestResult, BacktestSetup, VenueSetup, finish_run, prepare_market, run_backtest, run_book_backtest,
    run_prepared, run_prepared_blocking, run_prepared_on, run_prepared_reusing, run_prepared_trading_from,
    run_prepared_window, run_prepared_with_blocking, start_book_engine, start_book_engine_on,
};
pub use run_log::{CashChange, EquityPoint, RiskAction, RiskEvent, RunLog};
pub use trading_engine::{
    BarRun, BookFeed, BookRun, BookStream, Carried, MarketData, PortfolioStatus, StrategyRun, TradingEngine,
    WindowClose, WindowPlan,
};

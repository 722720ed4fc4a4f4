//! CryptoTradeBot: one deterministic trading engine for backtests, paper trading and live trading.
//!
//! Modules follow `DESIGN.md`'s layers, each importing only from those below it: [`error`] and [`model`] (plain
//! values); [`data`] and [`market`] (market data in, merged in time order; order books); [`strategy`], [`risk`]
//! and [`venue`] (decisions, limits, the simulated and live venues); [`execution`], [`portfolio`] and [`engine`] (the
//! order owner, the ledger, the loop); [`report`], [`sweep`] and [`validation`] (what runs produce); [`config`],
//! [`runner`], [`robust_run`] and [`session`] (the edge: files, environment, modes); [`cli`] on top (the `ctb`
//! commands, which `src/main.rs` — or a user's own binary with its own strategies — runs).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod data;
pub mod engine;
pub mod error;
pub mod execution;
pub mod market;
pub mod model;
pub mod portfolio;
pub mod report;
pub mod risk;
pub mod robust_run;
pub mod runner;
pub mod session;
pub mod strategy;
pub mod sweep;
pub mod validation;
pub mod venue;

pub use error::{Error, Result};

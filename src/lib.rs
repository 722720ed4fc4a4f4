//! CryptoTradeBot: one deterministic trading engine for backtests, paper trading and live trading.
//!
//! Modules follow `DESIGN.md`: [`model`] holds plain values; [`data`] and [`replay`] bring market data in;
//! [`exchange`], [`risk`] and [`strategy`] build on the model; [`engine`] wires them; [`report`] writes results;
//! [`config`] reads scenarios; [`runner`] runs one scenario end to end. The `ctb` binary (`src/main.rs`,
//! `src/cli/`) is a thin front end over these.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod book;
pub mod config;
pub mod data;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod model;
pub mod replay;
pub mod report;
pub mod risk;
pub mod runner;
pub mod session;
pub mod strategy;
pub mod sweep;
pub mod validation;

pub use error::{Error, Result};

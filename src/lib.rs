//! CryptoTradeBot: one deterministic trading engine for backtests, paper trading and live trading.
//!
//! Modules follow `DESIGN.md`: [`model`] holds plain values; [`data`] and [`replay`] bring market data in;
//! [`exchange`], [`risk`] and [`strategy`] build on the model; [`engine`] wires them; [`report`] writes results;
//! [`config`] reads scenarios; [`cli`] is the `ctb` binary's thin front end.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod model;

pub use error::{Error, Result};

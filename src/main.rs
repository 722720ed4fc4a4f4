//! `ctb`: the CryptoTradeBot command line, with the built-in strategies. A user's own binary does the same with its
//! own strategies registered (see `examples/`).

use std::process::ExitCode;

use cryptotradebot::strategy::StrategyRegistry;

fn main() -> ExitCode {
    cryptotradebot::cli::main_with(StrategyRegistry::builtin())
}

//! A user's own `ctb`: every command of the built-in one, with the `momentum_rotation` strategy registered next to
//! the built-ins. Run `cargo run --example momentum_rotation -- backtest scenarios/btc_eth_rotation.yaml`.

mod strategy;

fn main() -> std::process::ExitCode {
    cryptotradebot::cli::main_with(strategy::registry())
}

//! A user's own `ctb`: every command of the built-in one, with the `mean_reversion` strategy registered next to the
//! built-ins. Run `cargo run --example mean_reversion -- backtest scenarios/btc_mean_reversion.yaml`.

mod strategy;

fn main() -> std::process::ExitCode {
    cryptotradebot::cli::main_with(strategy::registry())
}

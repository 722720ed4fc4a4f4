//! A user's own `ctb`: every command of the built-in one, with the `breakout` strategy registered next to the
//! built-ins. Run `cargo run --example breakout -- backtest scenarios/btc_breakout.yaml`.

mod strategy;

fn main() -> std::process::ExitCode {
    cryptotradebot::cli::main_with(strategy::registry())
}

//! A user's own `ctb`: every command of the built-in one, with the `book_imbalance` strategy registered next to the
//! built-ins. Run `cargo run --example book_imbalance -- backtest scenarios/btc_l2_imbalance.yaml`.

mod strategy;

fn main() -> std::process::ExitCode {
    cryptotradebot::cli::main_with(strategy::registry())
}

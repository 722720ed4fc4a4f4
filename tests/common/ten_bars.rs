//! The ten bars worked out by hand in `hand_worked_ten_bars.rs` (sma_cross 2/3, 1,000 USDT, 10 bps taker fee, lot
//! 0.001, next-open fills), shared by the tests that build on those numbers.

use cryptotradebot::model::Timestamp;

/// Hourly bars from 2024-01-01T00:00Z; closes 100, 98, 96, 102, 105, 101, 95, 92, 98, 103.
pub const BARS: &str = "timestamp,open,high,low,close,volume
2024-01-01T00:00:00Z,100,101,99,100,1
2024-01-01T01:00:00Z,100,101,97,98,1
2024-01-01T02:00:00Z,98,99,95,96,1
2024-01-01T03:00:00Z,96,103,96,102,1
2024-01-01T04:00:00Z,102,106,101,105,1
2024-01-01T05:00:00Z,105,106,100,101,1
2024-01-01T06:00:00Z,101,101,94,95,1
2024-01-01T07:00:00Z,95,96,90,92,1
2024-01-01T08:00:00Z,92,99,92,98,1
2024-01-01T09:00:00Z,98,104,97,103,1
";

/// The t4 bar's line in [`BARS`].
pub const T4: &str = "2024-01-01T04:00:00Z,102,106,101,105,1";

/// The scenario over `bars.csv` holding [`BARS`], every loss limit opened.
pub const SCENARIO: &str = "name: hand_worked
data:
  - { path: bars.csv, format: csv, symbol: TESTUSDT }
strategy: { kind: sma_cross, params: { fast: 2, slow: 3 } }
exchange:
  fee_bps: { maker: 10, taker: 10 }
  fill_model: next_open
  instruments:
    TESTUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
portfolio: { quote: USDT, starting_cash: 1000 }
risk: { max_position_size_percent: 100, max_daily_loss_percent: 100, max_drawdown_percent: 100 }
";

/// The open time of bar `h` (and the close of bar `h - 1`).
pub fn hour(h: i64) -> Timestamp {
    Timestamp((1_704_067_200 + h * 3600) * 1_000_000_000)
}

//! The level-2 part of a report: how the run's orders met the book — fills by liquidity, the fees of each kind,
//! how long resting orders waited in the queue before their first fill, and what taking cost beyond the best price.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::engine::BacktestResult;
use crate::model::{Liquidity, NANOS_PER_MILLI};

/// Quantiles of the time resting orders waited for their first fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueWaits {
    /// Resting orders that filled (at least in part).
    pub filled_orders: usize,
    /// Median wait, milliseconds.
    pub median_ms: Decimal,
    /// Mean wait, milliseconds.
    pub mean_ms: Decimal,
    /// Longest wait, milliseconds.
    pub max_ms: Decimal,
}

/// `summary.json`'s `book` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BookReport {
    /// Feed messages replayed (snapshots, depth diffs, trade batches).
    pub messages: usize,
    /// Fills of resting orders.
    pub maker_fills: u64,
    /// Fills of orders that took (one per level walked).
    pub taker_fills: u64,
    /// Cancels that reached a resting order.
    pub cancels: u64,
    /// Fees paid on maker fills (negative: rebates).
    pub maker_fees: Decimal,
    /// Fees paid on taker fills.
    pub taker_fees: Decimal,
    /// How long resting orders waited.
    pub queue_waits: QueueWaits,
    /// Σ |fill price − best price on arrival| × quantity over taking fills, in the quote asset.
    pub slippage: Decimal,
    /// Final equity minus starting cash (beside bars: the book symbols' realized and unrealized PnL less their fees).
    pub pnl: Decimal,
}

impl BookReport {
    /// The book section of `result`; `None` when the run saw no level-2 data.
    pub fn of(result: &BacktestResult, starting_cash: Decimal) -> Option<BookReport> {
        let stats = result.book_stats.as_ref()?;
        // Beside bars (a mixed run), only what was traded on the books counts here.
        let on_books = |symbol| result.run.book_symbols.contains(&symbol);
        let book_fills = || result.log.fills.iter().filter(|f| on_books(f.fill.symbol));
        let fees =
            |liquidity| -> Decimal { book_fills().filter(|f| f.fill.liquidity == liquidity).map(|f| f.fill.fee).sum() };
        let positions = result.portfolio.positions();
        let pnl = if positions.iter().all(|p| on_books(p.symbol)) {
            result.portfolio.equity() - starting_cash
        } else {
            let fees: Decimal = book_fills().map(|f| f.fill.fee).sum();
            let traded = positions.iter().filter(|p| on_books(p.symbol));
            traded.map(|p| p.realized_pnl + p.unrealized_pnl()).sum::<Decimal>() - fees
        };
        let mut waits = stats.queue_waits_ns.clone();
        waits.sort_unstable();
        let ms = |ns: i64| (Decimal::from(ns) / Decimal::from(NANOS_PER_MILLI)).normalize();
        let median = match waits.len() {
            0 => Decimal::ZERO,
            n if n % 2 == 1 => ms(waits[n / 2]),
            n => ((ms(waits[n / 2 - 1]) + ms(waits[n / 2])) / Decimal::TWO).normalize(),
        };
        let total: i128 = waits.iter().map(|w| i128::from(*w)).sum();
        let mean = if waits.is_empty() {
            Decimal::ZERO
        } else {
            (Decimal::from_i128_with_scale(total, 0) / Decimal::from(waits.len() as u64 * NANOS_PER_MILLI as u64))
                .round_dp(3)
                .normalize()
        };
        Some(BookReport {
            messages: result.run.book_messages,
            maker_fills: stats.maker_fills,
            taker_fills: stats.taker_fills,
            cancels: stats.cancels,
            maker_fees: fees(Liquidity::Maker).normalize(),
            taker_fees: fees(Liquidity::Taker).normalize(),
            queue_waits: QueueWaits {
                filled_orders: waits.len(),
                median_ms: median,
                mean_ms: mean,
                max_ms: waits.last().map_or(Decimal::ZERO, |w| ms(*w)),
            },
            slippage: Decimal::from_i128_with_scale(stats.slippage_units, 16).normalize(),
            pnl: pnl.normalize(),
        })
    }
}

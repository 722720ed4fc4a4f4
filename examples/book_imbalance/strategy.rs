//! `book_imbalance`: a strategy written outside the crate, against its public API only, on level-2 data. A taker: it
//! pays the spread, trading on who stands in the book.
//!
//! After each level-2 message it sums the quantity of the best `levels` bids (`B`) and asks (`A`) and takes the
//! imbalance `(B − A) / (B + A)`, from −1 (only asks) to +1 (only bids), exactly (integers of 10⁻⁸, compared
//! against `threshold` in decimals):
//!
//! - flat and the imbalance at or above `threshold` (buyers outweigh sellers near the touch): buy `quantity` at
//!   market;
//! - long and the imbalance at or below `−threshold` (it reversed): sell the whole position at market.
//!
//! Long only (a spot account cannot go short), one order at a time: nothing is decided while an order of the
//! strategy still works — a market order is in flight for the venue's latency before it fills.

use rust_decimal::Decimal;
use serde::Deserialize;

use cryptotradebot::market::BookSide;
use cryptotradebot::model::{OrderQty, Side};
use cryptotradebot::strategy::{
    BookView, Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo, StreamKind, parse_params,
};
use cryptotradebot::{Error, Result};

/// Parameters of `book_imbalance`, as the scenario's `strategy.params` gives them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookImbalanceParams {
    /// Levels of each side summed (at least 1).
    pub levels: usize,
    /// Imbalance that opens a position (and, negated, closes it): above 0, below 1.
    pub threshold: Decimal,
    /// Base quantity of each entry.
    pub quantity: Decimal,
}

/// The strategy.
#[derive(Clone, Debug)]
pub struct BookImbalance {
    params: BookImbalanceParams,
    /// Each stream's lot step: a position below it cannot be sold and counts as flat.
    lots: Vec<Decimal>,
}

impl BookImbalance {
    /// A taker on the imbalance of the best `params.levels` levels.
    ///
    /// # Errors
    /// [`Error::Validation`] for no levels, a threshold outside (0, 1) or a quantity that is not positive.
    pub fn new(params: BookImbalanceParams) -> Result<Self> {
        let p = params;
        if p.levels == 0 || p.threshold <= Decimal::ZERO || p.threshold >= Decimal::ONE || p.quantity <= Decimal::ZERO {
            return Err(Error::Validation(format!(
                "book_imbalance: levels ({}) must be at least 1, threshold ({}) between 0 and 1, quantity ({}) positive",
                p.levels, p.threshold, p.quantity
            )));
        }
        Ok(BookImbalance { params, lots: Vec::new() })
    }

    /// The sign of `imbalance − threshold` and of `imbalance + threshold` as two booleans: (at or above the
    /// threshold, at or below its negative); both false without levels on both sides.
    pub fn signal(book: &BookView<'_>, levels: usize, threshold: Decimal) -> (bool, bool) {
        let sum = |side| book.levels(side, levels).map(|(_, quantity)| i128::from(quantity)).sum::<i128>();
        let (bids, asks) = (sum(BookSide::Bid), sum(BookSide::Ask));
        if bids <= 0 || asks <= 0 {
            return (false, false);
        }
        // (B − A) / (B + A) ≥ t  ⇔  B − A ≥ t (B + A), as B + A > 0; mirrored for −t.
        let (difference, total) = (Decimal::from(bids - asks), Decimal::from(bids + asks));
        (difference >= threshold * total, difference <= -threshold * total)
    }
}

impl Strategy for BookImbalance {
    fn name(&self) -> &str {
        "book_imbalance"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if let Some(s) = streams.iter().find(|s| s.kind != StreamKind::Book) {
            return Err(Error::Validation(format!("book_imbalance reads level-2 books, and {} is bars", s.symbol)));
        }
        self.lots = streams.iter().map(|s| s.lot_size).collect();
        Ok(())
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Book(book) = ctx.event else { return };
        if !ctx.open_orders.is_empty() {
            return;
        }
        let lot = self.lots.get(ctx.stream).copied().unwrap_or_default();
        let long = ctx.position > Decimal::ZERO && ctx.position >= lot;
        let (bids_lead, asks_lead) = Self::signal(&book, self.params.levels, self.params.threshold);
        let market = |side, quantity| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, quantity));
        if !long && bids_lead {
            commands.push(market(Side::Buy, OrderQty::Base(self.params.quantity)));
        } else if long && asks_lead {
            commands.push(market(Side::Sell, OrderQty::Base(ctx.position)));
        }
    }
}

/// The built-in strategies and `book_imbalance`.
pub fn registry() -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    registry
        .register("book_imbalance", |params| Ok(Box::new(BookImbalance::new(parse_params("book_imbalance", params)?)?)))
        .expect("book_imbalance is not a built-in kind");
    registry
}

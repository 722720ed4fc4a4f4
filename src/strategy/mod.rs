//! Strategies: the [`Strategy`] trait, the built-in strategies, and [`build_strategy`], which makes one from a
//! scenario's `strategy: {kind, params}`.

mod book;
mod indicators;
mod sma_cross;
mod spread_quoter;
mod warm_up;

use rust_decimal::Decimal;

pub use book::{BookAction, BookContext, BookStrategy, OpenOrder};
pub use indicators::{SmaPair, to_fixed};
pub use sma_cross::{SmaCross, SmaCrossParams};
pub use spread_quoter::{SpreadQuoter, SpreadQuoterParams};
pub use warm_up::WarmUp;

use crate::error::{Error, Result};
use crate::model::VenueId;
use crate::model::{Bar, OrderQty, OrderType, Side, Symbol, TimeInForce};

/// What a strategy knows about each data stream before the replay starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// Venue the stream's symbol trades on.
    pub venue: VenueId,
    /// Largest number of decimals among the stream's closes (for exact fixed-point indicators).
    pub close_scale: u32,
}

/// The portfolio as a strategy may query it; the engine's ledger implements it.
pub trait AccountView {
    /// Portfolio value: cash plus every position at its latest mark.
    fn equity(&self) -> Decimal;
}

/// Everything a strategy sees when a bar closes.
#[derive(Clone, Copy)]
pub struct BarContext<'a> {
    /// Index of the stream (as in the `on_start` list).
    pub stream: usize,
    /// Venue of the stream.
    pub venue: VenueId,
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// The bar that just closed.
    pub bar: &'a Bar,
    /// Signed base quantity held in `symbol`.
    pub position: Decimal,
    /// Free cash in the portfolio's quote asset.
    pub cash: Decimal,
    /// Orders of `symbol` still open at the venue (stop-loss / take-profit exits the engine attached not counted).
    pub open_orders: usize,
    /// The whole portfolio, for what is costlier to compute (valued only when asked).
    pub account: &'a dyn AccountView,
}

impl BarContext<'_> {
    /// Portfolio value marked at the latest closes.
    pub fn equity(&self) -> Decimal {
        self.account.equity()
    }
}

/// An order a strategy wants placed; the risk manager may resize or refuse it before it reaches the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderIntent {
    /// Venue to send it to.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub order_type: OrderType,
    /// Size.
    pub quantity: OrderQty,
    /// Limit price, for limit orders.
    pub price: Option<Decimal>,
    /// A volatility estimate in price units (such as ATR) for an entry: when the engine attaches exits, the
    /// stop-loss sits at `risk_policy.exits.volatility_multiple` of it instead of `stop_loss_percent`.
    pub volatility: Option<Decimal>,
    /// How long a limit order works (`PostOnly` for a quote that must never take).
    pub time_in_force: TimeInForce,
}

/// A trading strategy: sees each closed bar, emits order intents. It never sees a bar before it closed, and an order
/// it emits reaches the venue after that bar.
pub trait Strategy: Send {
    /// The strategy's kind, as written in scenarios.
    fn name(&self) -> &str;

    /// Called once before the first bar with the streams to be replayed.
    ///
    /// # Errors
    /// [`Error::Validation`] when the strategy cannot trade these streams.
    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()>;

    /// Called for every closed bar; pushes any orders to `orders`.
    fn on_bar(&mut self, ctx: &BarContext<'_>, orders: &mut Vec<OrderIntent>);
}

/// The built-in strategies, as one type: the engine's replay loop calls them without dynamic dispatch.
#[derive(Clone, Debug)]
pub enum BuiltinStrategy {
    /// `sma_cross`.
    SmaCross(SmaCross),
}

impl Strategy for BuiltinStrategy {
    fn name(&self) -> &str {
        match self {
            BuiltinStrategy::SmaCross(s) => s.name(),
        }
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        match self {
            BuiltinStrategy::SmaCross(s) => s.on_start(streams),
        }
    }

    #[inline]
    fn on_bar(&mut self, ctx: &BarContext<'_>, orders: &mut Vec<OrderIntent>) {
        match self {
            BuiltinStrategy::SmaCross(s) => s.on_bar(ctx, orders),
        }
    }
}

/// Kinds [`build_strategy`] knows.
pub const STRATEGY_KINDS: [&str; 1] = ["sma_cross"];

/// Kinds [`build_book_strategy`] knows (strategies on level-2 data).
pub const BOOK_STRATEGY_KINDS: [&str; 1] = ["spread_quoter"];

/// Builds the level-2 strategy `kind` with `params`.
///
/// # Errors
/// As [`build_strategy`].
pub fn build_book_strategy(kind: &str, params: &serde_json::Value) -> Result<SpreadQuoter> {
    match kind {
        "spread_quoter" => {
            let params: SpreadQuoterParams = serde_json::from_value(params.clone())
                .map_err(|e| Error::Config(format!("strategy.params of {kind}: {e}")))?;
            SpreadQuoter::new(params)
        }
        other => Err(Error::Config(format!(
            "strategy.kind '{other}' is not a level-2 strategy (available: {})",
            BOOK_STRATEGY_KINDS.join(", ")
        ))),
    }
}

/// Builds the strategy `kind` with `params` (the scenario's `strategy.params`, as JSON values).
///
/// # Errors
/// [`Error::Config`] for an unknown kind or a malformed / unknown parameter (naming it), [`Error::Validation`] for
/// out-of-range parameters.
pub fn build_strategy(kind: &str, params: &serde_json::Value) -> Result<BuiltinStrategy> {
    let parse_error = |e: serde_json::Error| Error::Config(format!("strategy.params of {kind}: {e}"));
    match kind {
        "sma_cross" => {
            let params: SmaCrossParams = serde_json::from_value(params.clone()).map_err(parse_error)?;
            Ok(BuiltinStrategy::SmaCross(SmaCross::new(params)?))
        }
        other => Err(Error::Config(format!(
            "strategy.kind '{other}' is not known (available: {})",
            STRATEGY_KINDS.join(", ")
        ))),
    }
}

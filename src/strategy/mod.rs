//! Strategies: one [`Strategy`] trait for every kind of market data (bars and level-2 books), the built-in
//! strategies, and the [`StrategyRegistry`] a scenario's `strategy: {kind, params}` is built from.
//!
//! A strategy sees each market event of its streams ([`Strategy::on_event`]) with a [`Context`]: the event (a closed
//! bar, or the book after a message), its history window of the last bars, its position, cash, equity and its own
//! open orders with their state. It answers with [`Command`]s — submit any order type the simulated venue supports
//! (market, limit, stop, stop-limit, take-profit, trailing stop; GTC/IOC/FOK, post-only, reduce-only; brackets),
//! cancel, amend — which the engine executes after it returns, each order through the risk manager first.

mod commands;
mod history;
pub mod indicators;
mod registry;
pub mod rules;
mod sma_cross;
mod spread_quoter;
mod warm_up;

use rust_decimal::Decimal;

pub use commands::{Bracket, Command, OpenOrder, OrderIntent};
pub use history::BarHistory;
pub use indicators::{SmaPair, to_fixed};
pub use registry::{StrategyFactory, StrategyRegistry, parse_params};
pub use rules::Rules;
pub use sma_cross::{SmaCross, SmaCrossParams};
pub use spread_quoter::{SpreadQuoter, SpreadQuoterParams};
pub use warm_up::WarmUp;

use crate::error::Result;
use crate::market::{BookSide, L2Book};
use crate::model::{Bar, Symbol, Timestamp, VenueId};

/// The kind of data a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    /// Closed bars (klines, candles).
    Bars,
    /// Level-2 messages (depth diffs, snapshots, trades).
    Book,
}

/// What a strategy knows about each data stream before the first event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// Venue the stream's symbol trades on.
    pub venue: VenueId,
    /// Bars or book.
    pub kind: StreamKind,
    /// Largest number of decimals among the stream's closes (for exact fixed-point indicators; 8 for books).
    pub close_scale: u32,
    /// The instrument's lot step (0 when unknown): a position below it cannot be sold, so it counts as flat — a
    /// commission the venue took in the base asset leaves such dust.
    pub lot_size: Decimal,
}

/// The portfolio as a strategy may query it; the engine's ledger implements it.
pub trait AccountView {
    /// Portfolio value: cash plus every position at its latest mark.
    fn equity(&self) -> Decimal;
    /// Signed base quantity held in `symbol` (zero for a symbol the portfolio does not trade).
    fn position(&self, symbol: Symbol) -> Decimal;
}

/// The book of a level-2 stream after a message. Prices and quantities are in the feed's exact units of 10⁻⁸ (no
/// conversion per message); orders are placed in `Decimal`.
#[derive(Clone, Copy, Debug)]
pub struct BookView<'a> {
    /// Best bid (price, quantity).
    pub best_bid: Option<(i64, i64)>,
    /// Best ask (price, quantity).
    pub best_ask: Option<(i64, i64)>,
    /// The instrument's tick.
    pub tick: i64,
    /// The whole book, when one is kept: the simulated venue's in backtests and paper sessions, the feed's in live
    /// sessions.
    pub book: Option<&'a L2Book>,
}

impl<'a> BookView<'a> {
    /// The best `depth` levels of `side` (price, quantity), best first; none when no book is kept. Allocates
    /// nothing.
    pub fn levels(&self, side: BookSide, depth: usize) -> impl Iterator<Item = (i64, i64)> + 'a {
        self.book.map(|book| book.levels(side)).into_iter().flatten().take(depth)
    }
}

/// The market event a strategy is shown.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A bar that just closed.
    Bar(&'a Bar),
    /// The book after a level-2 message.
    Book(BookView<'a>),
}

/// Everything a strategy sees with an event.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Index of the stream (as in the `on_start` list).
    pub stream: usize,
    /// Venue of the stream.
    pub venue: VenueId,
    /// Symbol of the stream.
    pub symbol: Symbol,
    /// Now, for the strategy: a bar's close time, a book message's receive time.
    pub time: Timestamp,
    /// The event.
    pub event: Event<'a>,
    /// The stream's last [`Strategy::history_len`] closed bars, this one included (empty for books).
    pub history: &'a BarHistory,
    /// Signed base quantity held in `symbol`.
    pub position: Decimal,
    /// Free cash in the portfolio's quote asset.
    pub cash: Decimal,
    /// The strategy's orders of `symbol` still working at the venue (a cancel on its way leaves them here until the
    /// venue confirms it; stop-loss / take-profit exits the engine attached are not the strategy's).
    pub open_orders: &'a [OpenOrder],
    /// The whole portfolio, for what is costlier to compute (valued only when asked).
    pub account: &'a dyn AccountView,
}

impl<'a> Context<'a> {
    /// Portfolio value marked at the latest prices.
    pub fn equity(&self) -> Decimal {
        self.account.equity()
    }

    /// The bar, when the event is one.
    pub fn bar(&self) -> Option<&Bar> {
        match self.event {
            Event::Bar(bar) => Some(bar),
            Event::Book(_) => None,
        }
    }

    /// The book, when the event is a level-2 message.
    pub fn book(&self) -> Option<&BookView<'a>> {
        match &self.event {
            Event::Book(book) => Some(book),
            Event::Bar(_) => None,
        }
    }
}

/// What a strategy sees once every stream's events of one time are in.
#[derive(Clone, Copy)]
pub struct SliceContext<'a> {
    /// The slice's time.
    pub time: Timestamp,
    /// Free cash in the portfolio's quote asset.
    pub cash: Decimal,
    /// The whole portfolio.
    pub account: &'a dyn AccountView,
}

/// A trading strategy. It never sees a bar before it closed, and an order it asks for reaches the venue after the
/// event it saw.
///
/// The engine calls [`Strategy::on_start`] once with the streams, then [`Strategy::on_event`] for every closed bar
/// (or level-2 message) of every stream in time order, and — when [`Strategy::wants_time_slices`] — after the last
/// event of each time [`Strategy::on_time_slice`]. Each call may push [`Command`]s; the engine runs them in order
/// once the call returns, each order through the risk manager first. A strategy is a plain value: everything it
/// knows comes from the calls, so the same events give the same commands (`ctb audit` checks that it never depends
/// on later data and that [`Strategy::warm_up_bars`] is enough).
///
/// # Example
///
/// A strategy of one's own — buy with all the cash when a bar closes above the one before, sell everything when
/// one closes below — registered next to the built-ins, and driven by hand as a unit test would. A binary then hands
/// the registry to `cryptotradebot::cli::main_with(registry)` and gets every `ctb` command with it
/// (`examples/breakout/main.rs`).
///
/// ```
/// use rust_decimal::Decimal;
/// use cryptotradebot::model::{Bar, OrderQty, Side, Symbol, Timestamp, VenueId};
/// use cryptotradebot::strategy::{
///     AccountView, BarHistory, Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo,
/// };
///
/// /// Long after an up-close, flat after a down-close.
/// struct UpClose;
///
/// impl Strategy for UpClose {
///     fn name(&self) -> &str {
///         "up_close"
///     }
///     fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
///         Ok(())
///     }
///     fn history_len(&self) -> usize {
///         2 // this bar and the one before
///     }
///     fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
///         let (Event::Bar(bar), Some(before)) = (ctx.event, ctx.history.get(1)) else { return };
///         if !ctx.open_orders.is_empty() {
///             return; // an order of ours is still working
///         }
///         let order = |side, qty| Command::Submit(OrderIntent::market(ctx.venue, ctx.symbol, side, qty));
///         if ctx.position.is_zero() && bar.close > before.close && ctx.cash > Decimal::ZERO {
///             commands.push(order(Side::Buy, OrderQty::Quote(ctx.cash)));
///         } else if ctx.position > Decimal::ZERO && bar.close < before.close {
///             commands.push(order(Side::Sell, OrderQty::Base(ctx.position)));
///         }
///     }
/// }
///
/// let mut registry = StrategyRegistry::builtin();
/// registry.register("up_close", |_params| Ok(Box::new(UpClose)))?;
/// let mut strategy = registry.build("up_close", &serde_json::json!({}))?;
///
/// // Two closed hourly bars, 100 then 101, shown as the engine shows them.
/// struct Flat;
/// impl AccountView for Flat {
///     fn equity(&self) -> Decimal {
///         Decimal::from(1000)
///     }
///     fn position(&self, _symbol: Symbol) -> Decimal {
///         Decimal::ZERO
///     }
/// }
/// let hour = 3_600_000_000_000;
/// let bar = |i: i64, close: i64| {
///     let close = Decimal::from(close);
///     let (open_time, close_time) = (Timestamp(i * hour), Timestamp((i + 1) * hour));
///     Bar { open_time, close_time, open: close, high: close, low: close, close, volume: Decimal::ONE }
/// };
/// let mut history = BarHistory::new(strategy.history_len());
/// let mut commands = Vec::new();
/// for (i, close) in [(0, 100), (1, 101)] {
///     let bar = bar(i, close);
///     history.push(bar);
///     let ctx = Context {
///         stream: 0,
///         venue: VenueId(0),
///         symbol: Symbol::new("BTCUSDT")?,
///         time: bar.close_time,
///         event: Event::Bar(&bar),
///         history: &history,
///         position: Decimal::ZERO,
///         cash: Decimal::from(1000),
///         open_orders: &[],
///         account: &Flat,
///     };
///     strategy.on_event(&ctx, &mut commands);
/// }
/// // Only the second bar closed above the one before: one buy of all the cash.
/// assert!(matches!(
///     commands.as_slice(),
///     [Command::Submit(OrderIntent { side: Side::Buy, quantity: OrderQty::Quote(cash), .. })] if *cash == Decimal::from(1000)
/// ));
/// # Ok::<(), cryptotradebot::Error>(())
/// ```
pub trait Strategy: Send {
    /// The strategy's kind, as written in scenarios.
    fn name(&self) -> &str;

    /// Called once before the first event with the streams to be replayed.
    ///
    /// # Errors
    /// [`crate::error::Error::Validation`] when the strategy cannot trade these streams.
    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()>;

    /// How many closed bars per stream [`Context::history`] keeps (0 by default: none).
    fn history_len(&self) -> usize {
        0
    }

    /// The strategy's warm-up: how many closed bars of a stream it must have seen before its decisions no longer
    /// depend on where the data started — the bars its own indicators need, or [`Strategy::history_len`] (the
    /// default) for a strategy that reads only the history window. An indicator whose memory fades rather than
    /// ends (EMA, Wilder's averages) counts the bars until the start's weight in it is negligible (rule strategies
    /// use below 1e-9). `ctb audit` checks the claim: started this many bars (and twice as many) into every
    /// stream, the strategy must decide as the full run does once each stream has shown it this many bars.
    fn warm_up_bars(&self) -> usize {
        self.history_len()
    }

    /// How many closed bars of a stream it needs before it can decide anything at all, when it knows (0, the
    /// default, when it does not say): a backtest whose data is shorter than this is refused rather than run to no
    /// decision.
    fn bars_before_first_decision(&self) -> usize {
        0
    }

    /// Called for every event of every stream; pushes what it wants done to `commands`.
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>);

    /// Whether the engine calls [`Strategy::on_time_slice`] (false by default: the replay loop then skips it).
    fn wants_time_slices(&self) -> bool {
        false
    }

    /// Called, when [`Strategy::wants_time_slices`], once every stream's events of one time are in (after the last
    /// `on_event` of the time slice: the bars of every series closing at one time, or one level-2 message).
    fn on_time_slice(&mut self, _ctx: &SliceContext<'_>, _commands: &mut Vec<Command>) {}
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        (**self).on_start(streams)
    }

    fn history_len(&self) -> usize {
        (**self).history_len()
    }

    fn warm_up_bars(&self) -> usize {
        (**self).warm_up_bars()
    }

    fn bars_before_first_decision(&self) -> usize {
        (**self).bars_before_first_decision()
    }

    fn wants_time_slices(&self) -> bool {
        (**self).wants_time_slices()
    }

    #[inline]
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        (**self).on_event(ctx, commands)
    }

    #[inline]
    fn on_time_slice(&mut self, ctx: &SliceContext<'_>, commands: &mut Vec<Command>) {
        (**self).on_time_slice(ctx, commands)
    }
}

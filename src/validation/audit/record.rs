//! What the audit watches: [`Recorder`], a strategy wrapped so that every command it gives (a [`Decision`]) and
//! everything it was shown (bars, position, cash, equity, open orders) is kept; and [`replay_open_loop`], which
//! shows a fresh strategy those same things from a later bar on, without an engine, so that only what it remembers
//! of the market can make it decide differently.

use rust_decimal::Decimal;
use std::fmt;

use crate::error::Result;
use crate::model::{Bar, OrderQty, Symbol, Timestamp, VenueId};
use crate::strategy::{
    AccountView, BarHistory, Command, Context, Event, OpenOrder, SliceContext, Strategy, StreamInfo,
};

/// One command a strategy gave, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The event's time (a bar's close) or the time slice's.
    pub time: Timestamp,
    /// The command, as the strategy gave it (before the risk manager).
    pub command: Command,
}

impl fmt::Display for Decision {
    /// `2023-01-05T10:00:00Z BTCUSDT BUY MARKET quote 10000` — time, symbol, side, type, quantity, then what is set
    /// of price, stop, trail, reduce-only, time in force, bracket and volatility, and the venue unless it is the
    /// first (`venue 1`); cancels and amendments by order id. Every field equality compares is shown, so two
    /// decisions that differ print differently.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let venue = |f: &mut fmt::Formatter<'_>, venue: VenueId| {
            if venue == VenueId(0) { Ok(()) } else { write!(f, " venue {}", venue.0) }
        };
        match self.command {
            Command::Submit(o) => {
                write!(f, "{} {} {} {} ", self.time, o.symbol, o.side, o.order_type.as_str())?;
                match o.quantity {
                    OrderQty::Base(q) => write!(f, "{}", q.normalize())?,
                    OrderQty::Quote(q) => write!(f, "quote {}", q.normalize())?,
                }
                if let Some(price) = o.price {
                    write!(f, " price {}", price.normalize())?;
                }
                if let Some(stop) = o.stop_price {
                    write!(f, " stop {}", stop.normalize())?;
                }
                if let Some(trail) = o.trail {
                    write!(f, " trail {trail:?}")?;
                }
                if o.reduce_only {
                    write!(f, " reduce-only")?;
                }
                if o.time_in_force != crate::model::TimeInForce::Gtc {
                    write!(f, " {}", o.time_in_force.as_str())?;
                }
                if let Some(b) = o.bracket {
                    write!(
                        f,
                        " bracket stop-loss {} take-profit {}",
                        b.stop_loss.normalize(),
                        b.take_profit.normalize()
                    )?;
                }
                if let Some(volatility) = o.volatility {
                    write!(f, " volatility {}", volatility.normalize())?;
                }
                venue(f, o.venue)
            }
            Command::Cancel { venue: at, symbol, order_id } => {
                write!(f, "{} {symbol} cancel order {order_id}", self.time)?;
                venue(f, at)
            }
            Command::Amend { venue: at, symbol, order_id, quantity, price } => {
                write!(f, "{} {symbol} amend order {order_id}", self.time)?;
                if let Some(q) = quantity {
                    write!(f, " quantity {}", q.normalize())?;
                }
                if let Some(p) = price {
                    write!(f, " price {}", p.normalize())?;
                }
                venue(f, at)
            }
        }
    }
}

/// The account as a strategy was shown it at one call: cash, equity and each stream's position.
#[derive(Clone, Debug)]
struct Account {
    cash: Decimal,
    equity: Decimal,
    /// By stream index.
    positions: Vec<Decimal>,
}

/// One call of the strategy, as it was shown.
#[derive(Clone, Debug)]
enum Step {
    /// `on_event` with a closed bar of stream `stream`.
    Bar { stream: usize, bar: Bar, position: Decimal, open_orders: Vec<OpenOrder>, account: Account },
    /// `on_time_slice` at `time`.
    Slice { time: Timestamp, account: Account },
}

impl Step {
    fn time(&self) -> Timestamp {
        match self {
            Step::Bar { bar, .. } => bar.close_time,
            Step::Slice { time, .. } => *time,
        }
    }
}

/// [`Account`] seen through the trait, positions looked up by the streams' symbols.
struct AccountAt<'a> {
    account: &'a Account,
    symbols: &'a [Symbol],
}

impl AccountView for AccountAt<'_> {
    fn equity(&self) -> Decimal {
        self.account.equity
    }

    fn position(&self, symbol: Symbol) -> Decimal {
        let stream = self.symbols.iter().position(|s| *s == symbol);
        stream.and_then(|i| self.account.positions.get(i)).copied().unwrap_or_default()
    }
}

/// A strategy whose decisions are recorded (and, when asked, every call with what it was shown).
pub struct Recorder {
    inner: Box<dyn Strategy>,
    keep_steps: bool,
    streams: Vec<StreamInfo>,
    steps: Vec<Step>,
    /// Every decision, in the order given.
    pub decisions: Vec<Decision>,
}

impl Recorder {
    /// Records `inner`'s decisions and, with `keep_steps`, what it was shown at every call.
    pub fn new(inner: Box<dyn Strategy>, keep_steps: bool) -> Self {
        Recorder { inner, keep_steps, streams: Vec::new(), steps: Vec::new(), decisions: Vec::new() }
    }

    /// The strategy's stated warm-up ([`Strategy::warm_up_bars`]).
    pub fn warm_up_bars(&self) -> usize {
        self.inner.warm_up_bars()
    }

    fn account(&self, cash: Decimal, account: &dyn AccountView) -> Account {
        let positions = self.streams.iter().map(|s| account.position(s.symbol)).collect();
        Account { cash, equity: account.equity(), positions }
    }

    fn note(&mut self, time: Timestamp, commands: &[Command]) {
        self.decisions.extend(commands.iter().map(|&command| Decision { time, command }));
    }
}

impl Strategy for Recorder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        self.streams = streams.to_vec();
        self.inner.on_start(streams)
    }

    fn history_len(&self) -> usize {
        self.inner.history_len()
    }

    fn warm_up_bars(&self) -> usize {
        self.inner.warm_up_bars()
    }

    fn wants_time_slices(&self) -> bool {
        self.inner.wants_time_slices()
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let before = commands.len();
        self.inner.on_event(ctx, commands);
        self.note(ctx.time, &commands[before..]);
        if let (true, Event::Bar(bar)) = (self.keep_steps, ctx.event) {
            let account = self.account(ctx.cash, ctx.account);
            let open_orders = ctx.open_orders.to_vec();
            self.steps.push(Step::Bar { stream: ctx.stream, bar: *bar, position: ctx.position, open_orders, account });
        }
    }

    fn on_time_slice(&mut self, ctx: &SliceContext<'_>, commands: &mut Vec<Command>) {
        let before = commands.len();
        self.inner.on_time_slice(ctx, commands);
        self.note(ctx.time, &commands[before..]);
        if self.keep_steps {
            let account = self.account(ctx.cash, ctx.account);
            self.steps.push(Step::Slice { time: ctx.time, account });
        }
    }
}

/// What a recorded run showed its strategy, for [`replay_open_loop`].
pub struct Recording {
    streams: Vec<StreamInfo>,
    steps: Vec<Step>,
}

impl Recorder {
    /// The decisions, and what the strategy was shown.
    pub fn finish(self) -> (Vec<Decision>, Recording) {
        (self.decisions, Recording { streams: self.streams, steps: self.steps })
    }
}

/// Shows `strategy` (fresh) the calls of `recording` from time `from` on — each bar, and the position, cash,
/// equity and open orders the recorded run had there, so its decisions cannot drift with its own fills — and
/// returns its decisions. Its history windows start empty at `from`, as if the data began there.
///
/// # Errors
/// As the strategy's [`Strategy::on_start`].
pub fn replay_open_loop(
    recording: &Recording,
    mut strategy: Box<dyn Strategy>,
    from: Timestamp,
) -> Result<Vec<Decision>> {
    strategy.on_start(&recording.streams)?;
    let symbols: Vec<Symbol> = recording.streams.iter().map(|s| s.symbol).collect();
    let mut histories: Vec<BarHistory> =
        recording.streams.iter().map(|_| BarHistory::new(strategy.history_len())).collect();
    let mut commands = Vec::new();
    let mut decisions = Vec::new();
    for step in recording.steps.iter().filter(|step| step.time() >= from) {
        commands.clear();
        match step {
            Step::Bar { stream, bar, position, open_orders, account } => {
                let (Some(info), Some(history)) = (recording.streams.get(*stream), histories.get_mut(*stream)) else {
                    continue;
                };
                history.push(*bar);
                let ctx = Context {
                    stream: *stream,
                    venue: info.venue,
                    symbol: info.symbol,
                    time: bar.close_time,
                    event: Event::Bar(bar),
                    history,
                    position: *position,
                    cash: account.cash,
                    open_orders,
                    account: &AccountAt { account, symbols: &symbols },
                };
                strategy.on_event(&ctx, &mut commands);
            }
            Step::Slice { time, account } => {
                if !strategy.wants_time_slices() {
                    continue;
                }
                let ctx = SliceContext {
                    time: *time,
                    cash: account.cash,
                    account: &AccountAt { account, symbols: &symbols },
                };
                strategy.on_time_slice(&ctx, &mut commands);
            }
        }
        let time = step.time();
        decisions.extend(commands.iter().map(|&command| Decision { time, command }));
    }
    Ok(decisions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;
    use crate::strategy::OrderIntent;

    fn buy(venue: usize) -> OrderIntent {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        OrderIntent::market(VenueId(venue), symbol, Side::Buy, OrderQty::Quote(Decimal::from(100)))
    }

    fn shown(command: Command) -> String {
        Decision { time: Timestamp(3_600_000_000_000), command }.to_string()
    }

    #[test]
    fn decisions_that_differ_only_in_venue_or_volatility_print_differently() {
        assert_eq!(shown(Command::Submit(buy(0))), "1970-01-01T01:00:00Z BTCUSDT BUY MARKET quote 100");
        assert_eq!(shown(Command::Submit(buy(1))), "1970-01-01T01:00:00Z BTCUSDT BUY MARKET quote 100 venue 1");
        let volatile = OrderIntent { volatility: Some(Decimal::new(125, 1)), ..buy(0) };
        assert_eq!(
            shown(Command::Submit(volatile)),
            "1970-01-01T01:00:00Z BTCUSDT BUY MARKET quote 100 volatility 12.5"
        );
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let order_id = crate::model::OrderId(7);
        let cancel = |venue| shown(Command::Cancel { venue: VenueId(venue), symbol, order_id });
        assert_ne!(cancel(0), cancel(2));
        assert!(cancel(2).ends_with("cancel order 7 venue 2"), "{}", cancel(2));
        let amend = |venue| {
            shown(Command::Amend { venue: VenueId(venue), symbol, order_id, quantity: None, price: Some(Decimal::ONE) })
        };
        assert!(amend(3).ends_with("amend order 7 price 1 venue 3"), "{}", amend(3));
    }
}

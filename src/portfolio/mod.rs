//! [`Portfolio`]: the ledger. Cash, positions with average entry price, realized and unrealized PnL, fees, and the
//! round trips (flat → position → flat) that reports call trades: the ledger hands each one over as it closes.
//! Everything in exact `Decimal`.
//!
//! Invariant: `equity = cash + Σ quantity × last price`, at every mark.
//!
//! A portfolio's [`Holdings`] — cash, open positions and the round trips open on them — can be handed to the
//! ledger of a later run ([`Portfolio::take_holdings`]): a walk-forward test window that carries its position into
//! the next one. A trip that spans both runs is recorded once, when it closes.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::exact::{PackedDecimal, mul_add, mul_add_packed};
use crate::model::{Fill, Side, Symbol, Timestamp};
use crate::strategy::AccountView;

/// One position of the portfolio.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Instrument.
    pub symbol: Symbol,
    /// Signed base quantity (negative = short).
    pub quantity: Decimal,
    /// Volume-weighted entry price of the open quantity.
    pub average_entry_price: Decimal,
    /// Profit realized by reducing the position, before fees.
    pub realized_pnl: Decimal,
    /// Latest mark price.
    pub last_price: Decimal,
}

impl Position {
    /// Profit of the open quantity at the last price, before fees.
    pub fn unrealized_pnl(&self) -> Decimal {
        self.quantity * (self.last_price - self.average_entry_price)
    }
}

/// A closed round trip: the position went from flat to open and back to flat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoundTrip {
    /// Instrument.
    pub symbol: Symbol,
    /// `Buy` for a long trip, `Sell` for a short one.
    pub direction: Side,
    /// Time of the first fill.
    pub entry_time: Timestamp,
    /// Time of the fill that made the position flat.
    pub exit_time: Timestamp,
    /// Base quantity entered (sum of fills in the trip's direction).
    pub quantity: Decimal,
    /// Σ quantity × price of the entry fills.
    pub entry_notional: Decimal,
    /// Σ quantity × price of the exit fills.
    pub exit_notional: Decimal,
    /// Exit notional minus entry notional (signed by direction), before fees.
    pub gross_pnl: Decimal,
    /// Fees of every fill of the trip.
    pub fees: Decimal,
    /// `gross_pnl - fees`.
    pub net_pnl: Decimal,
}

impl RoundTrip {
    /// Volume-weighted entry price (computed when asked: a division the replay does not need).
    pub fn entry_price(&self) -> Decimal {
        self.entry_notional / self.quantity
    }

    /// Volume-weighted exit price.
    pub fn exit_price(&self) -> Decimal {
        self.exit_notional / self.quantity
    }
}

/// Sums of the trip that is open on a position.
#[derive(Clone, Debug)]
struct OpenTrip {
    direction: Side,
    entry_time: Timestamp,
    entry_quantity: Decimal,
    entry_notional: Decimal,
    exit_quantity: Decimal,
    exit_notional: Decimal,
    fees: Decimal,
}

/// What a portfolio holds at one moment, to be taken over by the ledger of a later run: free cash, and each open
/// position with its average entry price, its last price and its open round trip (entry time, notionals and the
/// fees paid so far).
#[derive(Clone, Debug)]
pub struct Holdings {
    cash: Decimal,
    positions: Vec<(Position, Option<OpenTrip>)>,
}

impl Holdings {
    /// Free cash.
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// The open positions (quantity not zero), in slot order.
    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().map(|(p, _)| p)
    }

    /// Cash plus every position at its last price.
    pub fn equity(&self) -> Decimal {
        self.positions().fold(self.cash, |equity, p| equity + p.quantity * p.last_price)
    }
}

/// The ledger of one portfolio in one quote currency.
#[derive(Clone, Debug)]
pub struct Portfolio {
    quote: String,
    starting_cash: Decimal,
    cash: Decimal,
    fees_paid: Decimal,
    positions: Vec<Position>,
    trips: Vec<Option<OpenTrip>>,
}

impl Portfolio {
    /// A portfolio holding `starting_cash` of `quote` and one (flat) position slot per symbol.
    pub fn new(quote: &str, starting_cash: Decimal, symbols: &[Symbol]) -> Self {
        let positions: Vec<Position> = symbols
            .iter()
            .map(|&symbol| Position {
                symbol,
                quantity: Decimal::ZERO,
                average_entry_price: Decimal::ZERO,
                realized_pnl: Decimal::ZERO,
                last_price: Decimal::ZERO,
            })
            .collect();
        Portfolio {
            quote: quote.to_string(),
            starting_cash,
            cash: starting_cash,
            fees_paid: Decimal::ZERO,
            trips: vec![None; positions.len()],
            positions,
        }
    }

    /// The quote asset cash is held in.
    pub fn quote(&self) -> &str {
        &self.quote
    }

    /// Cash at the start.
    pub fn starting_cash(&self) -> Decimal {
        self.starting_cash
    }

    /// Free cash.
    #[inline]
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Fees paid so far.
    pub fn fees_paid(&self) -> Decimal {
        self.fees_paid
    }

    /// All position slots, in the order the symbols were given.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The slot of `symbol`, if the portfolio tracks it.
    pub fn slot(&self, symbol: Symbol) -> Option<usize> {
        self.positions.iter().position(|p| p.symbol == symbol)
    }

    /// Position in slot `slot`.
    #[inline]
    pub fn position(&self, slot: usize) -> &Position {
        &self.positions[slot]
    }

    /// Marks slot `slot` at `price`.
    #[inline]
    pub fn mark(&mut self, slot: usize, price: Decimal) {
        self.positions[slot].last_price = price;
    }

    /// Cash plus every position at its last price.
    pub fn equity(&self) -> Decimal {
        self.marked_equity().to_decimal()
    }

    /// [`Portfolio::equity`], packed: what the replay records once per bar. With one open position (the usual case)
    /// the value goes from registers to the record without a `Decimal` in between.
    #[inline(always)]
    pub fn marked_equity(&self) -> PackedDecimal {
        self.value_with(|_, p| p.last_price)
    }

    /// [`Portfolio::marked_equity`] with the position in `slot` valued at `price`, which the caller has just set as
    /// its last price with [`Portfolio::mark`]: the price goes along in registers instead of being read back
    /// from memory just written (a read that stalls the store buffer).
    #[inline(always)]
    pub fn marked_equity_at(&self, slot: usize, price: Decimal) -> PackedDecimal {
        self.value_with(|i, p| if i == slot { price } else { p.last_price })
    }

    #[inline(always)]
    fn value_with(&self, price_of: impl Fn(usize, &Position) -> Decimal) -> PackedDecimal {
        let mut open = self.positions.iter().enumerate().filter(|(_, p)| !p.quantity.is_zero());
        match (open.next(), open.next()) {
            (None, _) => PackedDecimal::from_decimal(self.cash),
            (Some((i, p)), None) => mul_add_packed(self.cash, p.quantity, price_of(i, p)),
            (Some((i, first)), Some(_)) => {
                let mut equity = mul_add(self.cash, first.quantity, price_of(i, first));
                for (i, p) in self.positions.iter().enumerate().filter(|(_, p)| !p.quantity.is_zero()).skip(1) {
                    equity = mul_add(equity, p.quantity, price_of(i, p));
                }
                PackedDecimal::from_decimal(equity)
            }
        }
    }

    /// Σ |quantity × last price| over all positions.
    pub fn gross_exposure(&self) -> Decimal {
        self.positions.iter().map(|p| (p.quantity * p.last_price).abs()).sum()
    }

    /// Cash and the open positions with their open round trips, for [`Portfolio::take_holdings`].
    pub fn holdings(&self) -> Holdings {
        let positions = self
            .positions
            .iter()
            .zip(&self.trips)
            .filter(|(p, _)| !p.quantity.is_zero())
            .map(|(p, trip)| (p.clone(), trip.clone()))
            .collect();
        Holdings { cash: self.cash, positions }
    }

    /// Takes over `holdings` (those of an earlier run's ledger): its cash replaces this ledger's, and each of its
    /// positions — quantity, average entry price, last price and open round trip — replaces the flat slot of its
    /// symbol. The starting cash, the fees paid and the realized PnL stay this ledger's: they measure its own run.
    ///
    /// # Errors
    /// [`Error::Config`] naming a symbol this portfolio has no slot for.
    pub fn take_holdings(&mut self, holdings: &Holdings) -> crate::error::Result<()> {
        for (position, _) in &holdings.positions {
            if self.slot(position.symbol).is_none() {
                return Err(crate::error::Error::Config(format!(
                    "the holdings carried over hold {}, which this portfolio does not trade",
                    position.symbol
                )));
            }
        }
        self.cash = holdings.cash;
        for (position, trip) in &holdings.positions {
            let Some(slot) = self.slot(position.symbol) else { continue };
            let p = &mut self.positions[slot];
            p.quantity = position.quantity;
            p.average_entry_price = position.average_entry_price;
            p.last_price = position.last_price;
            self.trips[slot] = trip.clone();
        }
        Ok(())
    }

    /// Books a fill: cash, fees, the position and its average price, realized PnL, and the round trip, which it
    /// returns when this fill closed it. Fills of symbols the portfolio does not track are ignored (the engine only
    /// routes tracked symbols).
    pub fn apply_fill(&mut self, fill: &Fill) -> Option<RoundTrip> {
        let slot = self.slot(fill.symbol)?;
        let notional = fill.notional();
        match fill.side {
            Side::Buy => self.cash -= notional + fill.fee,
            Side::Sell => self.cash += notional - fill.fee,
        }
        self.fees_paid += fill.fee;
        let before = self.positions[slot].quantity;
        self.update_position(slot, fill);
        self.update_trip(slot, fill, before, notional)
    }

    fn update_position(&mut self, slot: usize, fill: &Fill) {
        let p = &mut self.positions[slot];
        let signed = if fill.side == Side::Buy { fill.quantity } else { -fill.quantity };
        let held = p.quantity;
        if held.is_zero() {
            p.average_entry_price = fill.price;
        } else if held.is_sign_positive() == signed.is_sign_positive() {
            let total = held.abs() + fill.quantity;
            p.average_entry_price = (held.abs() * p.average_entry_price + fill.notional()) / total;
        } else {
            let closed = fill.quantity.min(held.abs());
            let per_unit = if held.is_sign_positive() {
                fill.price - p.average_entry_price
            } else {
                p.average_entry_price - fill.price
            };
            p.realized_pnl += per_unit * closed;
            if fill.quantity > held.abs() {
                p.average_entry_price = fill.price;
            } else if fill.quantity == held.abs() {
                p.average_entry_price = Decimal::ZERO;
            }
        }
        p.quantity = held + signed;
        p.last_price = if p.last_price.is_zero() { fill.price } else { p.last_price };
    }

    /// Adds the fill to the open trip, closing it when the position is flat again. A fill that flips the position
    /// closes the trip with the part that reached zero and opens a new trip with the rest (fee split pro rata).
    fn update_trip(&mut self, slot: usize, fill: &Fill, before: Decimal, notional: Decimal) -> Option<RoundTrip> {
        let after = self.positions[slot].quantity;
        let trip = self.trips[slot].get_or_insert(OpenTrip {
            direction: fill.side,
            entry_time: fill.time,
            entry_quantity: Decimal::ZERO,
            entry_notional: Decimal::ZERO,
            exit_quantity: Decimal::ZERO,
            exit_notional: Decimal::ZERO,
            fees: Decimal::ZERO,
        });
        let flips = !before.is_zero() && !after.is_zero() && before.is_sign_positive() != after.is_sign_positive();
        let (closing_quantity, closing_notional, closing_fee) = if flips {
            let q = before.abs();
            (q, q * fill.price, fill.fee * q / fill.quantity)
        } else {
            (fill.quantity, notional, fill.fee)
        };
        if fill.side == trip.direction {
            trip.entry_quantity += closing_quantity;
            trip.entry_notional += closing_notional;
        } else {
            trip.exit_quantity += closing_quantity;
            trip.exit_notional += closing_notional;
        }
        trip.fees += closing_fee;
        let closed = if after.is_zero() || flips {
            self.trips[slot].take().map(|done| close_trip(self.positions[slot].symbol, done, fill.time))
        } else {
            None
        };
        if flips {
            self.trips[slot] = Some(OpenTrip {
                direction: fill.side,
                entry_time: fill.time,
                entry_quantity: after.abs(),
                entry_notional: after.abs() * fill.price,
                exit_quantity: Decimal::ZERO,
                exit_notional: Decimal::ZERO,
                fees: fill.fee - closing_fee,
            });
        }
        closed
    }
}

impl AccountView for Portfolio {
    fn equity(&self) -> Decimal {
        Portfolio::equity(self)
    }

    fn position(&self, symbol: Symbol) -> Decimal {
        self.slot(symbol).map_or(Decimal::ZERO, |slot| Portfolio::position(self, slot).quantity)
    }
}

fn close_trip(symbol: Symbol, t: OpenTrip, exit_time: Timestamp) -> RoundTrip {
    let gross = match t.direction {
        Side::Buy => t.exit_notional - t.entry_notional,
        Side::Sell => t.entry_notional - t.exit_notional,
    };
    RoundTrip {
        symbol,
        direction: t.direction,
        entry_time: t.entry_time,
        exit_time,
        quantity: t.entry_quantity,
        entry_notional: t.entry_notional,
        exit_notional: t.exit_notional,
        gross_pnl: gross,
        fees: t.fees,
        net_pnl: gross - t.fees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Liquidity, OrderId};
    use rust_decimal::dec;

    fn fill(side: Side, quantity: Decimal, price: Decimal, fee: Decimal, t: i64) -> Fill {
        Fill {
            order_id: OrderId(1),
            time: Timestamp(t),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side,
            quantity,
            price,
            fee,
            liquidity: Liquidity::Taker,
            trade_id: None,
        }
    }

    fn portfolio() -> Portfolio {
        Portfolio::new("USDT", dec!(1000), &[Symbol::new("BTCUSDT").unwrap()])
    }

    #[test]
    fn a_long_round_trip_books_cash_fees_and_pnl_exactly() {
        let mut p = portfolio();
        assert_eq!(p.apply_fill(&fill(Side::Buy, dec!(2), dec!(100), dec!(0.2), 1)), None);
        assert_eq!(p.cash(), dec!(799.8));
        p.mark(0, dec!(110));
        assert_eq!((p.equity(), p.gross_exposure()), (dec!(1019.8), dec!(220)));
        assert_eq!(p.position(0).unrealized_pnl(), dec!(20));
        let trip = p.apply_fill(&fill(Side::Sell, dec!(2), dec!(120), dec!(0.24), 2)).unwrap();
        assert_eq!(p.cash(), dec!(1039.56));
        assert_eq!(p.fees_paid(), dec!(0.44));
        assert_eq!((trip.gross_pnl, trip.fees, trip.net_pnl), (dec!(40), dec!(0.44), dec!(39.56)));
        assert_eq!((trip.entry_price(), trip.exit_price(), trip.quantity), (dec!(100), dec!(120), dec!(2)));
        assert_eq!(p.position(0).realized_pnl, dec!(40));
    }

    #[test]
    fn scaling_in_averages_the_entry_and_partial_exits_keep_the_trip_open() {
        let mut p = portfolio();
        p.apply_fill(&fill(Side::Buy, dec!(1), dec!(100), dec!(0), 1));
        p.apply_fill(&fill(Side::Buy, dec!(1), dec!(110), dec!(0), 2));
        assert_eq!(p.position(0).average_entry_price, dec!(105));
        assert_eq!(p.apply_fill(&fill(Side::Sell, dec!(1), dec!(120), dec!(0), 3)), None, "the trip stays open");
        assert_eq!(p.position(0).realized_pnl, dec!(15));
        let trip = p.apply_fill(&fill(Side::Sell, dec!(1), dec!(90), dec!(0), 4)).unwrap();
        assert_eq!(trip.gross_pnl, dec!(0));
        assert_eq!(trip.exit_price(), dec!(105));
    }

    #[test]
    fn a_trip_carried_into_a_later_ledger_closes_there_once_with_the_fees_of_both() {
        let mut first = portfolio();
        first.apply_fill(&fill(Side::Buy, dec!(2), dec!(100), dec!(0.2), 1));
        first.mark(0, dec!(110));
        let held = first.holdings();
        assert_eq!((held.cash(), held.equity()), (dec!(799.8), dec!(1019.8)));
        let mut second = Portfolio::new("USDT", held.equity(), &[Symbol::new("BTCUSDT").unwrap()]);
        second.take_holdings(&held).unwrap();
        assert_eq!((second.cash(), second.equity(), second.fees_paid()), (dec!(799.8), dec!(1019.8), dec!(0)));
        let trip = second.apply_fill(&fill(Side::Sell, dec!(2), dec!(120), dec!(0.24), 2)).unwrap();
        assert_eq!((trip.entry_time, trip.exit_time), (Timestamp(1), Timestamp(2)));
        assert_eq!((trip.gross_pnl, trip.fees, trip.net_pnl), (dec!(40), dec!(0.44), dec!(39.56)));
        assert_eq!((second.cash(), second.fees_paid()), (dec!(1039.56), dec!(0.24)));
        let other = Portfolio::new("USDT", dec!(1), &[Symbol::new("ETHUSDT").unwrap()]).take_holdings(&held);
        assert!(other.unwrap_err().to_string().contains("BTCUSDT"));
    }

    #[test]
    fn a_flip_closes_one_trip_and_opens_the_opposite_one() {
        let mut p = portfolio();
        p.apply_fill(&fill(Side::Buy, dec!(1), dec!(100), dec!(1), 1));
        let closed = p.apply_fill(&fill(Side::Sell, dec!(3), dec!(90), dec!(3), 2)).unwrap();
        assert_eq!(p.position(0).quantity, dec!(-2));
        assert_eq!(p.position(0).average_entry_price, dec!(90));
        assert_eq!((closed.gross_pnl, closed.fees), (dec!(-10), dec!(2)));
        let short = p.apply_fill(&fill(Side::Buy, dec!(2), dec!(80), dec!(0), 3)).unwrap();
        assert_eq!((short.direction, short.gross_pnl, short.fees), (Side::Sell, dec!(20), dec!(2)));
    }
}

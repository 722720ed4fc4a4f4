//! What a strategy asks the engine to do ([`Command`]) and what it sees of its own orders ([`OpenOrder`]).

use rust_decimal::Decimal;

use crate::model::{OrderId, OrderQty, OrderStatus, OrderType, Side, Symbol, TimeInForce, Trail, VenueId};

/// An order a strategy wants placed; the risk manager may resize or refuse it before it reaches the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderIntent {
    /// Venue to send it to.
    pub venue: VenueId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, stop, stop-limit, take-profit or trailing stop.
    pub order_type: OrderType,
    /// Size.
    pub quantity: OrderQty,
    /// Limit price, for limit, stop-limit and take-profit-limit orders.
    pub price: Option<Decimal>,
    /// Trigger price, for stop and take-profit orders.
    pub stop_price: Option<Decimal>,
    /// Distance of a trailing stop.
    pub trail: Option<Trail>,
    /// The order may only reduce the position.
    pub reduce_only: bool,
    /// How long a limit order works (`PostOnly` for a quote that must never take).
    pub time_in_force: TimeInForce,
    /// A bracket: once this entry has filled completely, the engine places a stop-loss and a take-profit at these
    /// distances from its average fill price, one cancelling the other.
    pub bracket: Option<Bracket>,
    /// A volatility estimate in price units (such as ATR) for an entry: when the engine attaches exits, the
    /// stop-loss sits at `risk_policy.exits.volatility_multiple` of it instead of `stop_loss_percent`.
    pub volatility: Option<Decimal>,
}

/// The stop-loss and take-profit distances of a bracket, in price units from the entry's average fill price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// Entry to stop-loss (positive).
    pub stop_loss: Decimal,
    /// Entry to take-profit (positive).
    pub take_profit: Decimal,
}

impl OrderIntent {
    /// A good-till-canceled market order of `quantity`.
    pub fn market(venue: VenueId, symbol: Symbol, side: Side, quantity: OrderQty) -> Self {
        OrderIntent {
            venue,
            symbol,
            side,
            order_type: OrderType::Market,
            quantity,
            price: None,
            stop_price: None,
            trail: None,
            reduce_only: false,
            time_in_force: TimeInForce::Gtc,
            bracket: None,
            volatility: None,
        }
    }

    /// A good-till-canceled limit order of `quantity` base units at `price`.
    pub fn limit(venue: VenueId, symbol: Symbol, side: Side, quantity: Decimal, price: Decimal) -> Self {
        OrderIntent {
            order_type: OrderType::Limit,
            price: Some(price),
            ..OrderIntent::market(venue, symbol, side, OrderQty::Base(quantity))
        }
    }

    /// A stop-market order of `quantity` base units triggered at `stop_price` (against the position: a sell when
    /// the price falls to it, a buy when it rises to it).
    pub fn stop(venue: VenueId, symbol: Symbol, side: Side, quantity: Decimal, stop_price: Decimal) -> Self {
        OrderIntent {
            order_type: OrderType::StopMarket,
            stop_price: Some(stop_price),
            ..OrderIntent::market(venue, symbol, side, OrderQty::Base(quantity))
        }
    }

    /// A trailing stop of `quantity` base units keeping `trail` from the best price since it was placed.
    pub fn trailing_stop(venue: VenueId, symbol: Symbol, side: Side, quantity: Decimal, trail: Trail) -> Self {
        OrderIntent {
            order_type: OrderType::TrailingStop,
            trail: Some(trail),
            ..OrderIntent::market(venue, symbol, side, OrderQty::Base(quantity))
        }
    }

    /// This order with `time_in_force`.
    pub fn with_time_in_force(self, time_in_force: TimeInForce) -> Self {
        OrderIntent { time_in_force, ..self }
    }

    /// This order as the entry of a bracket.
    pub fn with_bracket(self, stop_loss: Decimal, take_profit: Decimal) -> Self {
        OrderIntent { bracket: Some(Bracket { stop_loss, take_profit }), ..self }
    }

    /// This order as reduce-only.
    pub fn reducing_only(self) -> Self {
        OrderIntent { reduce_only: true, ..self }
    }
}

/// What a strategy asks for; executed in the order given, after the strategy returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Place an order (it passes the risk manager first).
    Submit(OrderIntent),
    /// Cancel a working order.
    Cancel {
        /// Its venue.
        venue: VenueId,
        /// Its instrument.
        symbol: Symbol,
        /// Its id.
        order_id: OrderId,
    },
    /// Change the quantity and/or the price (limit, or stop for stop orders) of a working order, which keeps its id.
    Amend {
        /// Its venue.
        venue: VenueId,
        /// Its instrument.
        symbol: Symbol,
        /// Its id.
        order_id: OrderId,
        /// New total base quantity (above what already filled).
        quantity: Option<Decimal>,
        /// New limit or stop price.
        price: Option<Decimal>,
    },
}

/// An order of the strategy still working at its venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// The engine's id of the order (what a cancel or an amendment names).
    pub id: OrderId,
    /// Buy or sell.
    pub side: Side,
    /// Its type.
    pub order_type: OrderType,
    /// `NEW` or `PARTIALLY_FILLED`.
    pub status: OrderStatus,
    /// Limit price; for a stop or take-profit its trigger; for a market order or a trailing stop (whose trigger moves
    /// at the venue) the price it was admitted at.
    pub price: Decimal,
    /// Base quantity not yet filled.
    pub remaining: Decimal,
}

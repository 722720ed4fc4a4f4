//! Orders, their life cycle, and the fills and rejections a venue reports back.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::{Symbol, Timestamp, TradeId};

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy the base asset with the quote asset.
    Buy,
    /// Sell the base asset for the quote asset.
    Sell,
}

impl Side {
    /// +1 for a buy, -1 for a sell: the sign an order of this side gives to a position.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    /// The exchanges' spelling, `BUY` or `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an order executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// Execute against whatever the market offers.
    Market,
    /// Execute only at the limit price or better.
    Limit,
    /// A market order once the price reaches the stop price against the position (a sell stop when the price
    /// falls to it, a buy stop when it rises to it): a stop-loss.
    StopMarket,
    /// A market order once the price reaches the stop price in the position's favour (a sell when the price
    /// rises to it, a buy when it falls to it): a take-profit.
    TakeProfitMarket,
    /// A limit order (at `price`) placed once the price reaches the stop price against the position.
    StopLimit,
    /// A limit order (at `price`) placed once the price reaches the stop price in the position's favour.
    TakeProfitLimit,
    /// A stop-market order whose stop follows the best price since it was placed at a fixed distance
    /// ([`OrderRequest::trail`]): for a sell, `highest − distance`; for a buy, `lowest + distance`.
    TrailingStop,
}

/// How long an order may wait (the exchanges' time in force).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeInForce {
    /// Good till canceled (default).
    #[default]
    Gtc,
    /// Immediate or cancel: execute what can be executed on arrival, expire the rest.
    Ioc,
    /// Fill or kill: execute all of it on arrival or nothing.
    Fok,
    /// Post only: rest in the book as a maker; refused if it would take on arrival.
    PostOnly,
}

impl TimeInForce {
    /// The exchanges' spelling: `GTC`, `IOC`, `FOK`, `POST_ONLY`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
            TimeInForce::PostOnly => "POST_ONLY",
        }
    }
}

/// The distance a trailing stop keeps from the best price since it was placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trail {
    /// A fixed amount of the quote asset.
    Amount(Decimal),
    /// A percentage of the best price (`1` = 1 %).
    Percent(Decimal),
}

impl Trail {
    /// The stop level `extreme` (the best price so far) implies for an order of `side`.
    pub fn level(self, side: Side, extreme: Decimal) -> Decimal {
        let distance = match self {
            Trail::Amount(amount) => amount,
            Trail::Percent(percent) => extreme * percent / Decimal::ONE_HUNDRED,
        };
        match side {
            Side::Sell => extreme - distance,
            Side::Buy => extreme + distance,
        }
    }
}

impl OrderType {
    /// Every order type.
    pub const ALL: [OrderType; 7] = [
        OrderType::Market,
        OrderType::Limit,
        OrderType::StopMarket,
        OrderType::TakeProfitMarket,
        OrderType::StopLimit,
        OrderType::TakeProfitLimit,
        OrderType::TrailingStop,
    ];

    /// The exchanges' spelling: `MARKET`, `LIMIT`, `STOP_MARKET`, `TAKE_PROFIT_MARKET`, `STOP_LIMIT`,
    /// `TAKE_PROFIT_LIMIT`, `TRAILING_STOP_MARKET`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::StopMarket => "STOP_MARKET",
            OrderType::TakeProfitMarket => "TAKE_PROFIT_MARKET",
            OrderType::StopLimit => "STOP_LIMIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
            OrderType::TrailingStop => "TRAILING_STOP_MARKET",
        }
    }

    /// Whether the order waits for its stop price before it executes.
    pub fn is_triggered(self) -> bool {
        !matches!(self, OrderType::Market | OrderType::Limit)
    }

    /// Whether the order triggers against the position (a stop), as opposed to in its favour (a take-profit).
    pub fn is_stop(self) -> bool {
        matches!(self, OrderType::StopMarket | OrderType::StopLimit | OrderType::TrailingStop)
    }
}

/// The size of an order: an amount of the base asset, or (market orders only) an amount of the quote asset to spend or
/// receive, as Binance's `quoteOrderQty`, Coinbase's `funds` and Kraken's `viqc` allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderQty {
    /// Quantity of the base asset (e.g. BTC).
    Base(Decimal),
    /// Amount of the quote asset (e.g. USDT), fees included; the venue works out the base quantity at fill time.
    Quote(Decimal),
}

/// The engine's id for an order; venues receive it as the client order id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the engine asks a venue to do (the seed's `place_order(symbol, side, order_type, quantity, price)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    /// Id the engine assigned; unique per run.
    pub client_order_id: OrderId,
    /// Instrument traded.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub order_type: OrderType,
    /// Size in base or quote units.
    pub quantity: OrderQty,
    /// Limit price; `None` for market orders.
    pub price: Option<Decimal>,
    /// Trigger price of stop and take-profit orders; `None` for the others.
    pub stop_price: Option<Decimal>,
    /// The other order of a one-cancels-the-other pair: when either fills or is canceled, the venue cancels the
    /// other (stop-loss and take-profit of one entry).
    pub one_cancels_other: Option<OrderId>,
    /// How long the order may wait.
    pub time_in_force: TimeInForce,
    /// The distance of a trailing stop; `None` for the others.
    pub trail: Option<Trail>,
    /// The order may only reduce the position: on a spot account, a sell of no more than the base asset held when
    /// it fills (the rest expires); a buy has no short to reduce and is refused.
    pub reduce_only: bool,
}

impl OrderRequest {
    /// A market or limit order (limit when `price` is given), not linked to any other.
    pub fn new(id: OrderId, symbol: Symbol, side: Side, quantity: OrderQty, price: Option<Decimal>) -> Self {
        let order_type = if price.is_some() { OrderType::Limit } else { OrderType::Market };
        OrderRequest {
            client_order_id: id,
            symbol,
            side,
            order_type,
            quantity,
            price,
            stop_price: None,
            one_cancels_other: None,
            time_in_force: TimeInForce::Gtc,
            trail: None,
            reduce_only: false,
        }
    }
}

/// The exchanges' order life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted and waiting (or resting) at the venue.
    New,
    /// Part of the quantity has filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Canceled by the user.
    Canceled,
    /// Refused, by the risk manager or the venue; the report carries the reason.
    Rejected,
    /// Ended by its time in force.
    Expired,
}

impl OrderReport {
    /// A just-created order: nothing filled, no fee, no reason.
    pub fn new(request: OrderRequest) -> Self {
        OrderReport {
            request,
            status: OrderStatus::New,
            filled_quantity: Decimal::ZERO,
            average_price: None,
            fee: Decimal::ZERO,
            reason: None,
        }
    }
}

impl OrderStatus {
    /// Every status, in the life cycle's order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::New,
        OrderStatus::PartiallyFilled,
        OrderStatus::Filled,
        OrderStatus::Canceled,
        OrderStatus::Rejected,
        OrderStatus::Expired,
    ];

    /// The exchanges' spelling (`NEW`, `FILLED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Expired => "EXPIRED",
        }
    }

    /// True when the order can no longer fill.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::Rejected | OrderStatus::Expired)
    }
}

/// A venue's view of one order, as returned by `place_order`, `cancel_order` and `get_order_status`; also the
/// engine's own record of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderReport {
    /// The request as the venue accepted it (after lot and tick rounding).
    pub request: OrderRequest,
    /// Current status.
    pub status: OrderStatus,
    /// Base quantity filled so far.
    pub filled_quantity: Decimal,
    /// Volume-weighted fill price, when anything filled.
    pub average_price: Option<Decimal>,
    /// Fees charged so far, in the quote asset.
    pub fee: Decimal,
    /// Why the order was rejected or ended, when it was.
    pub reason: Option<String>,
}

/// Whether a fill added liquidity (a resting order) or took it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    /// Resting order filled by someone else: maker fee.
    Maker,
    /// Order that crossed the spread: taker fee.
    Taker,
}

impl Liquidity {
    /// `maker` or `taker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Liquidity::Maker => "maker",
            Liquidity::Taker => "taker",
        }
    }
}

/// One execution of (part of) an order. Fees are in the quote asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Order that filled.
    pub order_id: OrderId,
    /// Venue time of the fill.
    pub time: Timestamp,
    /// Instrument.
    pub symbol: Symbol,
    /// Side of the order.
    pub side: Side,
    /// Base quantity filled (positive).
    pub quantity: Decimal,
    /// Price of the fill.
    pub price: Decimal,
    /// Fee charged, in the quote asset.
    pub fee: Decimal,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// The venue's id of the trade, where the venue gave one: a fill whose id was booked already is not booked
    /// again. `None` for a fill the engine derived from an order's filled quantity (a status answer).
    pub trade_id: Option<TradeId>,
}

impl Fill {
    /// Quantity × price, in the quote asset, before fees.
    pub fn notional(&self) -> Decimal {
        self.quantity * self.price
    }
}

/// What a venue reports about an order after it was placed: a fill, or a rejection found only at fill time
/// (for example a quote-sized order whose quantity rounds below the minimum notional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutionEvent {
    /// (Part of) an order filled.
    Fill {
        /// The fill.
        fill: Fill,
        /// The order's status after it: `FILLED` or `PARTIALLY_FILLED`.
        order_status: OrderStatus,
    },
    /// The order ended without filling (further): `REJECTED` when the venue refused to fill it, `CANCELED` when
    /// the other order of its one-cancels-the-other pair filled or was canceled.
    Ended {
        /// The order.
        order_id: OrderId,
        /// Venue time.
        time: Timestamp,
        /// Its final status.
        status: OrderStatus,
        /// The venue's reason.
        reason: String,
    },
}

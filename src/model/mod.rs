//! Plain value types shared by every layer: symbols, time, bars, orders, fills, instruments and market data.
//! No I/O happens here.

mod bar;
pub mod exact;
mod instrument;
pub mod l2;
mod market;
mod order;
mod symbol;
mod time;
mod trade_id;
mod venue_id;

pub use bar::{Bar, BarSeries};
pub use instrument::{Instrument, lots_for_amount};
pub use l2::{L2Row, RowKind};
pub use market::{BookLevel, BookUpdate, MarketEvent, OrderBook, Quote, StreamEvent, StreamGap, Ticker, TradePrint};
pub use order::{
    ExecutionEvent, Fill, Liquidity, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side,
    TimeInForce, Trail,
};
pub use symbol::{MAX_SYMBOL_LEN, Symbol};
pub use time::{NANOS_PER_DAY, NANOS_PER_MILLI, NANOS_PER_SECOND, Timestamp, format_duration};
pub use trade_id::{MAX_TRADE_ID_LEN, TradeId};
pub use venue_id::VenueId;

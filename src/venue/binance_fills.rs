//! Binance's executions as the engine's fills: the fills of an order's answer (`fills`, newOrderRespType FULL) and
//! the trades `GET /api/v3/myTrades` lists for an order, each with its trade id and its commission as charged.

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::{Fill, Instrument, Liquidity, OrderId, Side, Timestamp, TradeId};

/// One fill of an order answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FillAnswer {
    pub(super) price: Decimal,
    pub(super) qty: Decimal,
    pub(super) commission: Decimal,
    pub(super) commission_asset: String,
    /// The symbol's trade number: the key that books each trade once (always sent in a full answer; a fill
    /// without one is still booked, derived).
    #[serde(default)]
    pub(super) trade_id: Option<u64>,
}

/// One trade of `GET /api/v3/myTrades`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TradeAnswer {
    /// The symbol's trade number.
    pub(super) id: u64,
    pub(super) price: Decimal,
    pub(super) qty: Decimal,
    pub(super) commission: Decimal,
    pub(super) commission_asset: String,
    /// Milliseconds since the epoch.
    pub(super) time: i64,
    pub(super) is_maker: bool,
}

/// What one execution is, whichever answer reported it.
pub(super) struct Execution<'a> {
    pub(super) price: Decimal,
    pub(super) qty: Decimal,
    pub(super) commission: Decimal,
    pub(super) commission_asset: &'a str,
    pub(super) trade_id: Option<u64>,
    pub(super) liquidity: Liquidity,
}

impl FillAnswer {
    /// This fill as an execution: an order's immediate fills take liquidity.
    pub(super) fn execution(&self) -> Execution<'_> {
        Execution {
            price: self.price,
            qty: self.qty,
            commission: self.commission,
            commission_asset: &self.commission_asset,
            trade_id: self.trade_id,
            liquidity: Liquidity::Taker,
        }
    }
}

impl TradeAnswer {
    /// This trade as an execution.
    pub(super) fn execution(&self) -> Execution<'_> {
        Execution {
            price: self.price,
            qty: self.qty,
            commission: self.commission,
            commission_asset: &self.commission_asset,
            trade_id: Some(self.id),
            liquidity: if self.is_maker { Liquidity::Maker } else { Liquidity::Taker },
        }
    }
}

impl Execution<'_> {
    /// The fill the engine books for this execution of order `order_id` (`side`) at `time`.
    ///
    /// A commission taken in the base asset changes what the account holds: a buy receives less, a sell gives up
    /// more. Booking that quantity at the execution's price, with the commission's value as the fee, moves cash by
    /// exactly the traded notional and the position by what the venue moved. One in the quote asset is the fee;
    /// one in a third asset (BNB) is not counted.
    pub(super) fn fill(&self, instrument: &Instrument, order_id: OrderId, side: Side, time: Timestamp) -> Fill {
        let in_base = if self.commission_asset == instrument.base { self.commission } else { Decimal::ZERO };
        Fill {
            order_id,
            time,
            symbol: instrument.symbol,
            side,
            quantity: if side == Side::Buy { self.qty - in_base } else { self.qty + in_base },
            price: self.price,
            fee: self.commission_in_quote(instrument),
            liquidity: self.liquidity,
            trade_id: self.trade_id.map(TradeId::number),
        }
    }

    /// The commission in the quote asset: as charged, or valued at the execution's price when charged in the base
    /// asset; zero when charged in a third asset.
    pub(super) fn commission_in_quote(&self, instrument: &Instrument) -> Decimal {
        if self.commission_asset == instrument.quote {
            self.commission
        } else if self.commission_asset == instrument.base {
            self.commission * self.price
        } else {
            Decimal::ZERO
        }
    }
}

//! Binance's executions as the engine's fills: the fills of an order's answer (`fills`, newOrderRespType FULL) and
//! the trades `GET /api/v3/myTrades` lists for an order, each with its trade id and its commission as charged,
//! checked before the engine books them.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::adapter::{ListedTrade, OrderTrades};
use crate::error::{Error, Result};
use crate::model::{ExecutionEvent, Fill, Instrument, Liquidity, OrderId, OrderStatus, Side, Timestamp, TradeId};

/// Trades per `myTrades` page (Binance's maximum; its default is 500).
pub(super) const TRADES_PER_PAGE: usize = 1000;

/// One fill of an order answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FillAnswer {
    /// Price of the trade.
    pub(super) price: Decimal,
    /// Base quantity traded.
    pub(super) qty: Decimal,
    /// Commission charged, in `commission_asset`.
    pub(super) commission: Decimal,
    /// The asset the commission was taken in.
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
    /// Price of the trade.
    pub(super) price: Decimal,
    /// Base quantity traded.
    pub(super) qty: Decimal,
    /// Commission charged, in `commission_asset`.
    pub(super) commission: Decimal,
    /// The asset the commission was taken in.
    pub(super) commission_asset: String,
    /// Milliseconds since the epoch.
    pub(super) time: i64,
    /// Whether the account bought (its side, whatever the order's answer said).
    pub(super) is_buyer: bool,
    /// Whether the account's order was resting (maker).
    pub(super) is_maker: bool,
}

/// What one execution is, whichever answer reported it.
pub(super) struct Execution<'a> {
    /// Price of the trade.
    pub(super) price: Decimal,
    /// Base quantity traded.
    pub(super) qty: Decimal,
    /// Commission charged, in `commission_asset`.
    pub(super) commission: Decimal,
    /// The asset the commission was taken in.
    pub(super) commission_asset: &'a str,
    /// The symbol's trade number, when the answer gave one.
    pub(super) trade_id: Option<u64>,
    /// Maker or taker.
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
    ///
    /// # Errors
    /// [`Error::Exchange`] for a trade the engine cannot book: a quantity or price not above zero, a negative
    /// commission, a base commission that leaves nothing received, or values too large to multiply.
    pub(super) fn fill(&self, instrument: &Instrument, order_id: OrderId, side: Side, time: Timestamp) -> Result<Fill> {
        let bad = |what: &str| {
            Error::Exchange(format!(
                "binance trade {:?} of order {order_id}: {what} (quantity {}, price {}, commission {} {})",
                self.trade_id, self.qty, self.price, self.commission, self.commission_asset
            ))
        };
        if self.qty <= Decimal::ZERO || self.price <= Decimal::ZERO || self.commission < Decimal::ZERO {
            return Err(bad("not a trade that can be booked"));
        }
        let in_base = if self.commission_asset == instrument.base { self.commission } else { Decimal::ZERO };
        let quantity = match side {
            Side::Buy => self.qty.checked_sub(in_base),
            Side::Sell => self.qty.checked_add(in_base),
        };
        let quantity = quantity.filter(|q| *q > Decimal::ZERO).ok_or_else(|| bad("its commission leaves nothing"))?;
        Ok(Fill {
            order_id,
            time,
            symbol: instrument.symbol,
            side,
            quantity,
            price: self.price,
            fee: self.commission_in_quote(instrument).ok_or_else(|| bad("its commission's value overflows"))?,
            liquidity: self.liquidity,
            trade_id: self.trade_id.map(TradeId::number),
        })
    }

    /// The commission in the quote asset: as charged, or valued at the execution's price when charged in the base
    /// asset; zero when charged in a third asset. `None` when the value overflows.
    pub(super) fn commission_in_quote(&self, instrument: &Instrument) -> Option<Decimal> {
        if self.commission_asset == instrument.quote {
            Some(self.commission)
        } else if self.commission_asset == instrument.base {
            self.commission.checked_mul(self.price)
        } else {
            Some(Decimal::ZERO)
        }
    }
}

/// An order's trades, as `myTrades` listed them (pages in any order), as the engine books them.
///
/// # Errors
/// As [`Execution::fill`]; [`Error::Exchange`] when the quantities or notionals overflow when summed.
pub(super) fn order_trades(
    mut listed: Vec<TradeAnswer>,
    instrument: &Instrument,
    order_id: OrderId,
    venue_now: Timestamp,
) -> Result<OrderTrades> {
    listed.sort_by_key(|t| t.id);
    listed.dedup_by_key(|t| t.id);
    let overflow = || Error::Exchange(format!("binance order {order_id}: its trades' total overflows"));
    let mut trades = OrderTrades::default();
    for t in &listed {
        let side = if t.is_buyer { Side::Buy } else { Side::Sell };
        let time = Timestamp::from_millis(t.time).unwrap_or(venue_now);
        let fill = t.execution().fill(instrument, order_id, side, time)?;
        trades.executed = trades.executed.checked_add(t.qty).ok_or_else(overflow)?;
        trades.trades.push(ListedTrade { fill, executed: t.qty });
    }
    Ok(trades)
}

/// The fills an order answer reports (a market order's, or a limit order's that crossed) for order `order_id`
/// (`side` as the answer says it, at `time`), as executions, and the order's end when it expired after filling in
/// part; `end` is the answer's status and executed quantity.
///
/// # Errors
/// As [`Execution::fill`]; [`Error::Exchange`] for a side that is neither `BUY` nor `SELL`.
pub(super) fn answer_executions(
    fills: &[FillAnswer],
    side: &str,
    end: (&str, Decimal),
    instrument: &Instrument,
    order_id: OrderId,
    time: Timestamp,
) -> Result<Vec<ExecutionEvent>> {
    let side = match side {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        other => return Err(Error::Exchange(format!("binance order {order_id}: unexpected side '{other}'"))),
    };
    let (status, executed) = end;
    let last = fills.len().saturating_sub(1);
    let mut executions: Vec<ExecutionEvent> = fills
        .iter()
        .enumerate()
        .map(|(index, f)| {
            let fill = f.execution().fill(instrument, order_id, side, time)?;
            let done = index == last && status == "FILLED";
            let order_status = if done { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
            Ok(ExecutionEvent::Fill { fill, order_status })
        })
        .collect::<Result<_>>()?;
    if !executions.is_empty() && matches!(status, "EXPIRED" | "EXPIRED_IN_MATCH" | "CANCELED") {
        let reason = format!("{status} at the venue after filling {}", executed.normalize());
        executions.push(ExecutionEvent::Ended { order_id, time, status: OrderStatus::Expired, reason });
    }
    Ok(executions)
}

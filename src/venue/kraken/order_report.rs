//! A Kraken order as `QueryOrders` lists it, and the engine's report of it: status, side, type, prices, and what
//! it executed (`vol_exec`, at the average price `cost / vol_exec`, `fee` in the quote asset).

use rust_decimal::Decimal;
use serde::Deserialize;

use super::KrakenAdapter;
use crate::error::{Error, Result};
use crate::model::{OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side, Symbol, TimeInForce};

/// One order of `QueryOrders`.
#[derive(Deserialize)]
pub(super) struct OrderInfo {
    status: String,
    vol: Decimal,
    vol_exec: Decimal,
    cost: Decimal,
    fee: Decimal,
    descr: OrderDescription,
}

#[derive(Deserialize)]
struct OrderDescription {
    #[serde(rename = "type")]
    side: String,
    ordertype: String,
    price: Decimal,
    #[serde(default)]
    price2: Option<Decimal>,
}

impl KrakenAdapter {
    /// The engine's report of a Kraken order.
    pub(super) fn report(symbol: Symbol, id: OrderId, info: OrderInfo) -> Result<OrderReport> {
        let bad = |what: &str| Error::Exchange(format!("kraken order {id}: unexpected {what}"));
        let status = match info.status.as_str() {
            "pending" | "open" if info.vol_exec.is_zero() => OrderStatus::New,
            "pending" | "open" => OrderStatus::PartiallyFilled,
            "closed" => OrderStatus::Filled,
            "canceled" => OrderStatus::Canceled,
            "expired" => OrderStatus::Expired,
            _ => return Err(bad("status")),
        };
        let side = match info.descr.side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            _ => return Err(bad("side")),
        };
        let order_type = match info.descr.ordertype.as_str() {
            "market" => OrderType::Market,
            "limit" => OrderType::Limit,
            "stop-loss" => OrderType::StopMarket,
            "take-profit" => OrderType::TakeProfitMarket,
            "stop-loss-limit" => OrderType::StopLimit,
            "take-profit-limit" => OrderType::TakeProfitLimit,
            "trailing-stop" => OrderType::TrailingStop,
            _ => return Err(bad("order type")),
        };
        let limit = matches!(order_type, OrderType::StopLimit | OrderType::TakeProfitLimit);
        let price = match order_type {
            OrderType::Limit => Some(info.descr.price),
            _ if limit => info.descr.price2.filter(|p| !p.is_zero()),
            _ => None,
        };
        let stop_price =
            (order_type.is_triggered() && order_type != OrderType::TrailingStop).then_some(info.descr.price);
        let request = OrderRequest {
            client_order_id: id,
            symbol,
            side,
            order_type,
            quantity: OrderQty::Base(info.vol),
            price,
            stop_price,
            one_cancels_other: None,
            time_in_force: TimeInForce::Gtc,
            trail: None,
            reduce_only: false,
        };
        let filled = info.vol_exec;
        Ok(OrderReport {
            request,
            status,
            filled_quantity: filled,
            average_price: (!filled.is_zero()).then(|| info.cost / filled),
            fee: info.fee,
            reason: None,
        })
    }
}

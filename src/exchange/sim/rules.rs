//! The venue's rules for one order: what it accepts (filters and balances) and what a fill does to the account.
//! Functions over the parts they need, so the exchange can apply them while it holds its order store.

use rust_decimal::Decimal;

use super::Market;
use super::account::Account;
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::model::exact::positive;
use crate::model::{
    ExecutionEvent, Fill, Liquidity, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side,
};

/// Checks `order` against the instrument's filters and the account, returning it rounded to lot and tick.
///
/// # Errors
/// [`Error::Order`] naming the filter or balance that refused it.
pub(super) fn accept(market: &Market, account: &Account, mut order: OrderRequest) -> Result<OrderRequest> {
    let inst = &market.instrument;
    let refuse =
        |why: String| Err(Error::Order(format!("{} {} {}: {why}", order.side, inst.symbol, order.order_type.as_str())));
    match (order.order_type, order.price) {
        (OrderType::Limit, None) => return refuse("a limit order needs a price".into()),
        (OrderType::Limit, Some(p)) if !positive(p) => return refuse(format!("price {p} is not positive")),
        (OrderType::Limit, Some(p)) => order.price = Some(inst.round_price(p, order.side == Side::Sell)),
        (_, Some(_)) => return refuse("only a limit order takes a price".into()),
        (_, None) => {}
    }
    match (order.order_type.is_triggered(), order.stop_price) {
        (true, None) => return refuse("a stop or take-profit order needs a stop price".into()),
        (true, Some(p)) if !positive(p) => return refuse(format!("stop price {p} is not positive")),
        // Triggers round to the tick on the side that triggers later: a stop-loss further from the market, a
        // take-profit further into profit.
        (true, Some(p)) => {
            let up = (order.order_type == OrderType::StopMarket) == (order.side == Side::Buy);
            order.stop_price = Some(inst.round_price(p, up));
        }
        (false, Some(_)) => return refuse("only stop and take-profit orders take a stop price".into()),
        (false, None) => {}
    }
    let reference = order.price.or(order.stop_price).or(market.last_bar.map(|b| b.close));
    let (base, quote) = (account.free(market.base), account.free(market.quote));
    match order.quantity {
        OrderQty::Base(q) => {
            let rounded = inst.round_quantity_down(q);
            if !positive(rounded) {
                return refuse(format!("quantity {q} is below the lot size {}", inst.lot_size));
            }
            order.quantity = OrderQty::Base(rounded);
            if let Some(price) = reference {
                let notional = rounded * price;
                if notional < inst.min_notional {
                    return refuse(format!("notional {notional} is below the minimum {}", inst.min_notional));
                }
                if order.side == Side::Buy && notional > quote {
                    return refuse(format!("insufficient {} balance {quote} for {notional}", inst.quote));
                }
            }
            if order.side == Side::Sell && rounded > base {
                return refuse(format!("insufficient {} balance {base} to sell {rounded}", inst.base));
            }
        }
        OrderQty::Quote(amount) => {
            if order.order_type != OrderType::Market {
                return refuse("only market orders can be sized in the quote asset".into());
            }
            if !positive(amount) || amount < inst.min_notional {
                return refuse(format!("quote amount {amount} is below the minimum notional {}", inst.min_notional));
            }
            if order.side == Side::Buy && amount > quote {
                return refuse(format!("insufficient {} balance {quote} for {amount}", inst.quote));
            }
        }
    }
    Ok(order)
}

/// Fills the rest of `report` at `price` — or rejects it when the account or the filters no longer allow the fill —
/// updating the account and the report. Returns what happened, for the engine.
pub(super) fn fill(
    market: &Market,
    account: &mut Account,
    fee_rate: Decimal,
    report: &mut OrderReport,
    price: Decimal,
    liquidity: Liquidity,
    time: Timestamp,
) -> ExecutionEvent {
    let inst = &market.instrument;
    let order = report.request;
    let order_id = order.client_order_id;
    let quantity = match order.quantity {
        OrderQty::Base(q) => q - report.filled_quantity,
        OrderQty::Quote(amount) => inst.quantity_for_amount(amount, price * (Decimal::ONE + fee_rate)),
    };
    let notional = quantity * price;
    let fee = notional * fee_rate;
    let problem = if !positive(quantity) || notional < inst.min_notional {
        Some(format!("fill of {quantity} at {price} is below the minimum notional {}", inst.min_notional))
    } else if order.side == Side::Buy && notional + fee > account.free(market.quote) {
        Some(format!("insufficient {} balance for {notional} plus fee {fee}", inst.quote))
    } else if order.side == Side::Sell && quantity > account.free(market.base) {
        Some(format!("insufficient {} balance to sell {quantity}", inst.base))
    } else {
        None
    };
    if let Some(reason) = problem {
        report.status = OrderStatus::Rejected;
        report.reason = Some(reason.clone());
        return ExecutionEvent::Ended { order_id, time, status: OrderStatus::Rejected, reason };
    }
    let (base_delta, quote_delta) = match order.side {
        Side::Buy => (quantity, -(notional + fee)),
        Side::Sell => (-quantity, notional - fee),
    };
    account.add(market.base, base_delta);
    account.add(market.quote, quote_delta);
    report.status = OrderStatus::Filled;
    report.filled_quantity += quantity;
    report.average_price = Some(price);
    report.fee += fee;
    let fill = Fill { order_id, time, symbol: order.symbol, side: order.side, quantity, price, fee, liquidity };
    ExecutionEvent::Fill { fill, order_status: OrderStatus::Filled }
}

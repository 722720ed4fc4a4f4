//! The venue's rules for one order: what it accepts (filters and balances) and what a fill does to the account.
//! Functions over the parts they need, so the exchange can apply them while it holds its order store.

use rust_decimal::Decimal;

use super::Market;
use super::account::Account;
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::model::exact::positive;
use crate::model::{
    ExecutionEvent, Fill, Liquidity, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side, TimeInForce,
    Trail,
};

/// Checks `order` against the instrument's filters and the account. With `round`, prices and quantities are first
/// rounded to the tick and lot (explicitly, as the scenario asked); otherwise an off-tick price or off-lot quantity
/// is refused, as the real venue refuses it.
///
/// # Errors
/// [`Error::Order`] naming the filter (`PRICE_FILTER`, `LOT_SIZE`, `MIN_NOTIONAL`) or the balance that refused it.
pub(super) fn accept(market: &Market, account: &Account, order: OrderRequest, round: bool) -> Result<OrderRequest> {
    let inst = &market.instrument;
    let refuse =
        |why: String| Err(Error::Order(format!("{} {} {}: {why}", order.side, inst.symbol, order.order_type.as_str())));
    if !round {
        let off_tick = |p: Option<Decimal>| p.filter(|p| inst.round_price(*p, false) != *p);
        if let Some(p) = off_tick(order.price).or(off_tick(order.stop_price)) {
            return refuse(format!("PRICE_FILTER: price {p} is not a multiple of the tick {}", inst.tick_size));
        }
        if let OrderQty::Base(q) = order.quantity
            && inst.round_quantity_down(q) != q
        {
            return refuse(format!("LOT_SIZE: quantity {q} is not a multiple of the lot {}", inst.lot_size));
        }
    }
    check(market, account, order)
}

/// [`accept`]'s checks and roundings (a no-op on values already on the tick and lot).
fn check(market: &Market, account: &Account, mut order: OrderRequest) -> Result<OrderRequest> {
    let inst = &market.instrument;
    let refuse =
        |why: String| Err(Error::Order(format!("{} {} {}: {why}", order.side, inst.symbol, order.order_type.as_str())));
    let takes_limit = matches!(order.order_type, OrderType::Limit | OrderType::StopLimit | OrderType::TakeProfitLimit);
    match (takes_limit, order.price) {
        (true, None) => return refuse("a limit price is needed".into()),
        (true, Some(p)) if !positive(p) => return refuse(format!("price {p} is not positive")),
        (true, Some(p)) => order.price = Some(inst.round_price(p, order.side == Side::Sell)),
        (false, Some(_)) => return refuse("only limit, stop-limit and take-profit-limit orders take a price".into()),
        (false, None) => {}
    }
    // The last bar's close (none on a level-2 market, where the book decides post-only when the order arrives).
    let last = market.last_bar.map(|b| b.close);
    if order.order_type == OrderType::TrailingStop {
        let (Some(trail), Some(last)) = (order.trail, last) else {
            return refuse("a trailing stop needs a trail and a last price to trail from".into());
        };
        let distance = match trail {
            Trail::Amount(amount) => amount,
            Trail::Percent(percent) if percent < Decimal::ONE_HUNDRED => percent,
            Trail::Percent(percent) => return refuse(format!("trail of {percent} % is not below 100 %")),
        };
        if !positive(distance) || order.stop_price.is_some() {
            return refuse("a trailing stop takes a positive trail and no stop price".into());
        }
        order.stop_price = Some(inst.round_price(trail.level(order.side, last), order.side == Side::Buy));
    } else if order.trail.is_some() {
        return refuse("only a trailing stop takes a trail".into());
    }
    match (order.order_type.is_triggered(), order.stop_price) {
        (true, None) => return refuse("a stop or take-profit order needs a stop price".into()),
        (true, Some(p)) if !positive(p) => return refuse(format!("stop price {p} is not positive")),
        // Triggers round to the tick on the side that triggers later: a stop-loss further from the market, a
        // take-profit further into profit.
        (true, Some(p)) => {
            let up = order.order_type.is_stop() == (order.side == Side::Buy);
            order.stop_price = Some(inst.round_price(p, up));
        }
        (false, Some(_)) => return refuse("only stop and take-profit orders take a stop price".into()),
        (false, None) => {}
    }
    match (order.time_in_force, order.order_type, order.price, last) {
        (TimeInForce::Gtc, ..) => {}
        (tif, OrderType::Limit, ..) if tif != TimeInForce::PostOnly => {}
        (TimeInForce::PostOnly, OrderType::Limit, Some(limit), Some(last)) => {
            let takes = if order.side == Side::Buy { limit >= last } else { limit <= last };
            if takes {
                return refuse(format!("post-only: limit {} would take at the last price {last}", limit.normalize()));
            }
        }
        (TimeInForce::PostOnly, OrderType::Limit, ..) => {}
        (tif, ..) => return refuse(format!("time in force {} applies to limit orders only", tif.as_str())),
    }
    if order.reduce_only && (order.side == Side::Buy || matches!(order.quantity, OrderQty::Quote(_))) {
        return refuse("REDUCE_ONLY: a spot account holds no short for a buy to reduce; sell a base quantity".into());
    }
    let reference = order.price.or(order.stop_price).or(market.last_price());
    let (base, quote) = (account.free(market.base), account.free(market.quote));
    match order.quantity {
        OrderQty::Base(q) => {
            let rounded = inst.round_quantity_down(q);
            if !positive(rounded) {
                return refuse(format!("LOT_SIZE: quantity {q} is below the lot size {}", inst.lot_size));
            }
            if let Some(max) = inst.max_quantity.filter(|max| rounded > *max) {
                return refuse(format!("LOT_SIZE: quantity {rounded} is above the maximum {max}"));
            }
            if let Some(min) = inst.min_quantity.filter(|min| rounded < *min) {
                return refuse(format!("LOT_SIZE: quantity {rounded} is below the minimum {min}"));
            }
            order.quantity = OrderQty::Base(rounded);
            if let Some(price) = reference {
                let notional = rounded * price;
                if notional < inst.min_notional {
                    return refuse(format!(
                        "MIN_NOTIONAL: notional {} is below the minimum {}",
                        notional.normalize(),
                        inst.min_notional
                    ));
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
                return refuse(format!(
                    "MIN_NOTIONAL: quote amount {amount} is below the minimum {}",
                    inst.min_notional
                ));
            }
            if order.side == Side::Buy && amount > quote {
                return refuse(format!("insufficient {} balance {quote} for {amount}", inst.quote));
            }
        }
    }
    Ok(order)
}

/// A fill of `report` at `price`: its whole rest (`part` = `None`, as on bars) or `part` of it (a level of a book).
#[derive(Clone, Copy, Debug)]
pub(super) struct FillAt {
    pub(super) price: Decimal,
    pub(super) part: Option<Decimal>,
    pub(super) liquidity: Liquidity,
    pub(super) time: Timestamp,
}

/// Fills `report` as `at` says — or rejects it when the account or the filters no longer allow the fill — updating
/// the account and the report. Returns what happened, for the engine. The minimum notional applies to whole fills
/// only: venues fill a part of an order below it.
pub(super) fn fill(
    market: &Market,
    account: &mut Account,
    fee_rate: Decimal,
    report: &mut OrderReport,
    at: FillAt,
) -> ExecutionEvent {
    let rest = rest_of(&market.instrument, report, at.price, fee_rate, Decimal::ZERO);
    let quantity = at.part.map_or(rest, |part| part.min(rest));
    settle(market, account, fee_rate, report, at, Sized { quantity, rest, whole: at.part.is_none() })
}

/// What is left of `report` to fill at `price`: of a base-sized order, its quantity less what filled; of a
/// quote-sized one, the whole lots its amount less `spent` (its earlier parts, fees included) buys at price plus fee.
pub(super) fn rest_of(
    instrument: &crate::model::Instrument,
    report: &OrderReport,
    price: Decimal,
    fee_rate: Decimal,
    spent: Decimal,
) -> Decimal {
    match report.request.quantity {
        OrderQty::Base(q) => q - report.filled_quantity,
        OrderQty::Quote(amount) => {
            instrument.quantity_for_amount((amount - spent).max(Decimal::ZERO), price * (Decimal::ONE + fee_rate))
        }
    }
}

/// The size of a fill: `quantity` of the order's `rest`; `whole` when it is the order's one fill for all of it,
/// which the minimum notional applies to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sized {
    pub(super) quantity: Decimal,
    pub(super) rest: Decimal,
    pub(super) whole: bool,
}

/// Fills `sized.quantity` of `report` at `at.price` (see [`fill`]).
pub(super) fn settle(
    market: &Market,
    account: &mut Account,
    fee_rate: Decimal,
    report: &mut OrderReport,
    at: FillAt,
    sized: Sized,
) -> ExecutionEvent {
    let FillAt { price, liquidity, time, .. } = at;
    let Sized { mut quantity, rest, whole } = sized;
    let inst = &market.instrument;
    let order = report.request;
    let order_id = order.client_order_id;
    // Only a reduce-only sell looks at what is held (the common path does no extra arithmetic).
    let held = if order.reduce_only && order.side == Side::Sell {
        inst.round_quantity_down(account.free(market.base))
    } else {
        quantity
    };
    let cut_to_position = quantity > held;
    if cut_to_position {
        quantity = held;
        if !positive(quantity) {
            let (status, reason) = (OrderStatus::Expired, "REDUCE_ONLY: no position left to reduce".to_string());
            report.status = status;
            report.reason = Some(reason.clone());
            return ExecutionEvent::Ended { order_id, time, status, reason };
        }
    }
    let notional = quantity * price;
    let fee = notional * fee_rate;
    let problem = if let Some(max) = inst.max_quantity.filter(|max| quantity > *max) {
        Some(format!("LOT_SIZE: fill of {quantity} is above the maximum quantity {max}"))
    } else if !positive(quantity) || (whole && !cut_to_position && notional < inst.min_notional) {
        Some(format!("fill of {quantity} at {price} is below the minimum notional {}", inst.min_notional))
    } else if order.side == Side::Buy && notional + fee > account.free(market.quote) {
        Some(format!("insufficient {} balance for {notional} plus fee {fee}", inst.quote))
    } else if order.side == Side::Sell && quantity > account.free(market.base) {
        Some(format!("insufficient {} balance to sell {quantity}", inst.base))
    } else {
        None
    };
    if let Some(problem) = problem {
        // An order with fills is never rejected (Binance reports no REJECTED after an execution): its rest expires.
        let (status, reason) = if report.filled_quantity.is_zero() {
            (OrderStatus::Rejected, problem)
        } else {
            let filled = report.filled_quantity.normalize();
            (OrderStatus::Expired, format!("{problem}; the rest expires after {filled} filled"))
        };
        report.status = status;
        report.reason = Some(reason.clone());
        return ExecutionEvent::Ended { order_id, time, status, reason };
    }
    let (base_delta, quote_delta) = match order.side {
        Side::Buy => (quantity, -(notional + fee)),
        Side::Sell => (-quantity, notional - fee),
    };
    account.add(market.base, base_delta);
    account.add(market.quote, quote_delta);
    let filled = report.filled_quantity + quantity;
    report.average_price = Some(match report.average_price {
        Some(average) if !report.filled_quantity.is_zero() => (average * report.filled_quantity + notional) / filled,
        _ => price,
    });
    report.filled_quantity = filled;
    report.status = if cut_to_position {
        report.reason = Some(format!("REDUCE_ONLY: the rest exceeded the {} {} held", held.normalize(), inst.base));
        OrderStatus::Expired
    } else if quantity < rest {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::Filled
    };
    report.fee += fee;
    let (symbol, side) = (order.symbol, order.side);
    let fill = Fill { order_id, time, symbol, side, quantity, price, fee, liquidity, trade_id: None };
    ExecutionEvent::Fill { fill, order_status: report.status }
}

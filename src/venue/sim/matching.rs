//! Fill prices of orders against a bar. Pure functions: the rules, stated once, and tested by hand.
//!
//! * A market order fills at the reference price (next open or signal close) moved against the trader by the
//!   slippage, rounded to the tick against the trader, and kept inside the bar's range.
//! * A resting limit order fills only when the bar trades *through* the limit (a touch is not enough: with bars we
//!   cannot know our place in the queue). It fills at the limit, or at the open when the bar opened beyond it.
//! * A stop or take-profit order triggers when the bar reaches its stop price (a touch is enough: the trigger is
//!   the last price, not a place in the queue) and then executes as a market order from the stop price, or from
//!   the open when the bar opened beyond it.
//! * Inside one bar, orders are tried in two passes whose order the venue's [`BarPath`] sets
//!   ([`execution_pass`]); within a pass, in the order they were placed.

use rust_decimal::Decimal;

use super::config::BarPath;
use crate::model::{Bar, Instrument, Liquidity, OrderRequest, OrderStatus, OrderType, Side, TimeInForce};

/// Whether `order` executes when the price falls to it (a buy limit, a sell stop, a buy take-profit) rather than
/// when it rises to it.
pub(super) fn executes_on_the_way_down(order: &OrderRequest) -> bool {
    match order.order_type {
        OrderType::Limit | OrderType::TakeProfitMarket | OrderType::TakeProfitLimit => order.side == Side::Buy,
        OrderType::StopMarket | OrderType::StopLimit | OrderType::TrailingStop | OrderType::Market => {
            order.side == Side::Sell
        }
    }
}

/// What the venue keeps of a working order besides its request, for the orders whose rules need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Working {
    /// The order has not met a bar yet: the next bar is its arrival (time in force, post-only).
    pub first_bar: bool,
    /// A stop-limit or take-profit-limit has triggered and rests as a limit order.
    pub triggered: bool,
    /// A trailing stop's best price so far (highest for a sell, lowest for a buy).
    pub extreme: Option<Decimal>,
    /// A market order the `close` fill model first tried at a close: with a participation cap, its rest fills at
    /// the closes of the following bars.
    pub at_close: bool,
    /// The quote a quote-sized order has spent so far, fees included (its earlier parts under a participation cap).
    pub spent: Decimal,
    /// The participation cap has limited the order (counted once).
    pub capped: bool,
}

/// Whether `order`, in state `working`, is the rest of a taking execution that started in an earlier bar (a
/// triggered stop- or take-profit-market order, a market order filling at closes): it fills as a market order, so
/// with the orders every bar executes at its open.
pub(super) fn continues(order: &OrderRequest, working: &Working) -> bool {
    match order.order_type {
        OrderType::StopMarket | OrderType::TakeProfitMarket | OrderType::TrailingStop => working.triggered,
        OrderType::Market => working.at_close,
        _ => false,
    }
}

/// What a working order does in a bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing (yet).
    Wait,
    /// It fills at this price, as maker or taker.
    Fill(Decimal, Liquidity),
    /// It ends unfilled: expired (IOC, FOK) or rejected (post-only that would take), with the reason.
    End(OrderStatus, String),
}

/// Whether a limit of `side` at `limit` can trade at `price` (a buy at or below, a sell at or above).
fn marketable(side: Side, limit: Decimal, price: Decimal) -> bool {
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

/// What `order` (in state `working`, updated in place) does during `bar`. The rules beyond [`fill_price`]:
/// * IOC and FOK limits meet the market once, at the open of the first bar after they were placed: marketable
///   there, they fill at the open in full (a bar has no depth to fill part of); otherwise they expire.
/// * A post-only limit whose first bar opens through its limit would have taken: it is rejected. Later it fills
///   only as a maker, by the limit rule.
/// * A stop-limit or take-profit-limit triggers as its market twin does; at the trigger point (the stop, or the
///   open when the bar opened beyond it) it fills there as a taker if that price satisfies its limit, otherwise it
///   rests as a limit: from a gap at the open, the rest of the bar may still trade through it (maker, at the
///   limit); from a trigger inside the bar, the next bars.
/// * A trailing stop triggers like a stop at its current stop price (from the bars before this one).
/// * The rest of a taking execution that a participation cap cut short ([`continues`]) fills as a market order:
///   a triggered stop's at the open, a market order's that the `close` model started at the close.
pub(super) fn step(
    instrument: &Instrument,
    slippage: Decimal,
    bar: &Bar,
    order: &OrderRequest,
    working: &mut Working,
) -> Step {
    let first_bar = std::mem::take(&mut working.first_bar);
    if continues(order, working) {
        let from = if order.order_type == OrderType::Market { bar.close } else { bar.open };
        return Step::Fill(
            market_fill_price(instrument, (bar.low, bar.high), order.side, from, slippage),
            Liquidity::Taker,
        );
    }
    let limit = order.price;
    match (order.order_type, order.time_in_force, limit) {
        (OrderType::Limit, TimeInForce::Ioc | TimeInForce::Fok, Some(limit)) => {
            if marketable(order.side, limit, bar.open) {
                Step::Fill(bar.open, Liquidity::Taker)
            } else {
                let tif = order.time_in_force.as_str();
                Step::End(
                    OrderStatus::Expired,
                    format!("{tif}: not marketable at the open of its first bar ({})", bar.open),
                )
            }
        }
        (OrderType::Limit, TimeInForce::PostOnly, Some(limit))
            if first_bar && marketable(order.side, limit, bar.open) =>
        {
            Step::End(
                OrderStatus::Rejected,
                format!("post-only: the market opened through its limit at {}; it would have taken", bar.open),
            )
        }
        (OrderType::StopLimit | OrderType::TakeProfitLimit, _, Some(limit)) if working.triggered => {
            limit_fill_price(bar, order.side, limit).map_or(Step::Wait, |p| Step::Fill(p, Liquidity::Maker))
        }
        (OrderType::StopLimit | OrderType::TakeProfitLimit, _, Some(limit)) => {
            let twin = if order.order_type == OrderType::StopLimit {
                OrderType::StopMarket
            } else {
                OrderType::TakeProfitMarket
            };
            let Some(at) = order.stop_price.and_then(|stop| trigger_price(bar, twin, order.side, stop)) else {
                return Step::Wait;
            };
            working.triggered = true;
            if marketable(order.side, limit, at) {
                let price = market_fill_price(instrument, (bar.low, bar.high), order.side, at, slippage);
                let capped = if order.side == Side::Buy { price.min(limit) } else { price.max(limit) };
                return Step::Fill(capped, Liquidity::Taker);
            }
            let through = if order.side == Side::Buy { bar.low < limit } else { bar.high > limit };
            if at == bar.open && through { Step::Fill(limit, Liquidity::Maker) } else { Step::Wait }
        }
        _ => fill_price(instrument, slippage, bar, order).map_or(Step::Wait, |(p, l)| Step::Fill(p, l)),
    }
}

/// A trailing stop's stop price after `bar` (which did not trigger it): the best price now, `working.extreme`,
/// at the trail's distance, rounded to the tick on the side that triggers later.
pub(super) fn trail_after(
    instrument: &Instrument,
    bar: &Bar,
    order: &OrderRequest,
    working: &mut Working,
) -> Option<Decimal> {
    let trail = order.trail?;
    let best = match (order.side, working.extreme) {
        (Side::Sell, Some(e)) => e.max(bar.high),
        (Side::Buy, Some(e)) => e.min(bar.low),
        (Side::Sell, None) => bar.high,
        (Side::Buy, None) => bar.low,
    };
    working.extreme = Some(best);
    let level = instrument.round_price(trail.level(order.side, best), order.side == Side::Buy);
    Some(match (order.side, order.stop_price) {
        // A stop only ever follows the price, never retreats.
        (Side::Sell, Some(stop)) => level.max(stop),
        (Side::Buy, Some(stop)) => level.min(stop),
        (_, None) => level,
    })
}

/// Whether `order` executes at `bar`'s open: a market order, or a resting order the bar opened beyond (a gap).
/// Those come first whatever the rule: the open is the first price of every path.
pub(super) fn executes_at_open(bar: &Bar, order: &OrderRequest) -> bool {
    let down = executes_on_the_way_down(order);
    let level = match order.order_type {
        OrderType::Market => return true,
        OrderType::Limit => order.price,
        _ => order.stop_price,
    };
    match (level, order.order_type) {
        (Some(limit), OrderType::Limit) => {
            if down {
                bar.open < limit
            } else {
                bar.open > limit
            }
        }
        (Some(stop), _) => {
            if down {
                bar.open <= stop
            } else {
                bar.open >= stop
            }
        }
        (None, _) => false,
    }
}

/// The pass (0, 1 or 2) in which `order` is tried against `bar` under `path`. Pass 0: orders that execute at the
/// open. Then adverse tries stops before the rest; optimistic tries them after; `ohlc` first tries the orders on
/// the side the bar's path reached first (a bar that closed at or above its open dipped first).
pub(super) fn execution_pass(path: BarPath, bar: &Bar, order: &OrderRequest) -> u8 {
    if executes_at_open(bar, order) {
        return 0;
    }
    let stop = order.order_type.is_stop();
    1 + match path {
        BarPath::Adverse => u8::from(!stop),
        BarPath::Optimistic => u8::from(stop),
        BarPath::Ohlc => u8::from(executes_on_the_way_down(order) != (bar.close >= bar.open)),
    }
}

/// Fill price of a market order of `side` whose reference price is `reference`, within the bar's `(low, high)`.
pub fn market_fill_price(
    instrument: &Instrument,
    (low, high): (Decimal, Decimal),
    side: Side,
    reference: Decimal,
    slippage: Decimal,
) -> Decimal {
    if slippage.is_zero() {
        return reference;
    }
    match side {
        Side::Buy => instrument.round_price(reference * (Decimal::ONE + slippage), true).min(high),
        Side::Sell => instrument.round_price(reference * (Decimal::ONE - slippage), false).max(low),
    }
}

/// Fill price of a resting limit order at `limit` during `bar`, or `None` when the bar did not trade through it.
pub fn limit_fill_price(bar: &Bar, side: Side, limit: Decimal) -> Option<Decimal> {
    match side {
        Side::Buy if bar.low < limit => Some(bar.open.min(limit)),
        Side::Sell if bar.high > limit => Some(bar.open.max(limit)),
        _ => None,
    }
}

/// Whether and at what price a working `order` executes during `bar`, and as maker or taker: a limit order by
/// [`limit_fill_price`], a market order from the open, a stop or take-profit from [`trigger_price`]; market
/// executions move by the slippage.
pub(super) fn fill_price(
    instrument: &Instrument,
    slippage: Decimal,
    bar: &Bar,
    order: &OrderRequest,
) -> Option<(Decimal, Liquidity)> {
    let market_price = |from: Decimal| market_fill_price(instrument, (bar.low, bar.high), order.side, from, slippage);
    match order.order_type {
        OrderType::Limit => {
            order.price.and_then(|limit| limit_fill_price(bar, order.side, limit)).map(|p| (p, Liquidity::Maker))
        }
        OrderType::Market => Some((market_price(bar.open), Liquidity::Taker)),
        OrderType::StopMarket | OrderType::TakeProfitMarket | OrderType::TrailingStop => order
            .stop_price
            .and_then(|stop| trigger_price(bar, order.order_type, order.side, stop))
            .map(|from| (market_price(from), Liquidity::Taker)),
        // Their own rules are in [`step`]; this answers whether they could execute at all in the bar.
        OrderType::StopLimit | OrderType::TakeProfitLimit => order
            .stop_price
            .and_then(|stop| trigger_price(bar, order.order_type, order.side, stop))
            .map(|from| (from, Liquidity::Taker)),
    }
}

/// The price a triggered order (stop-loss or take-profit) executes from during `bar`, or `None` when the bar did
/// not reach its stop price. Slippage is applied to it as to a market order.
pub fn trigger_price(bar: &Bar, order_type: OrderType, side: Side, stop: Decimal) -> Option<Decimal> {
    // A sell stop and a buy take-profit trigger on the way down; a buy stop and a sell take-profit on the way up.
    let on_the_way_down = order_type.is_stop() == (side == Side::Sell);
    match on_the_way_down {
        true if bar.low <= stop => Some(bar.open.min(stop)),
        false if bar.high >= stop => Some(bar.open.max(stop)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Symbol, Timestamp};
    use rust_decimal::dec;

    fn bar(open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> Bar {
        Bar { open_time: Timestamp(0), close_time: Timestamp(60), open, high, low, close, volume: dec!(1) }
    }

    fn instrument() -> Instrument {
        Instrument {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: dec!(0.01),
            lot_size: dec!(0.0001),
            min_notional: dec!(5),
            min_quantity: None,
            max_quantity: None,
        }
    }

    #[test]
    fn market_orders_fill_at_the_reference_without_slippage() {
        let b = bar(dec!(100), dec!(110), dec!(90), dec!(105));
        assert_eq!(market_fill_price(&instrument(), (b.low, b.high), Side::Buy, dec!(100), dec!(0)), dec!(100));
    }

    #[test]
    fn slippage_moves_against_the_trader_rounds_adversely_and_stays_in_the_bar() {
        let b = bar(dec!(100), dec!(100.04), dec!(99), dec!(100));
        // 100 * 1.0003 = 100.03 exactly; 100 * 0.99985 = 99.985 -> rounds down to 99.98 for a seller
        assert_eq!(market_fill_price(&instrument(), (b.low, b.high), Side::Buy, dec!(100), dec!(0.0003)), dec!(100.03));
        assert_eq!(
            market_fill_price(&instrument(), (b.low, b.high), Side::Sell, dec!(100), dec!(0.00015)),
            dec!(99.98)
        );
        // 100 * 1.001 = 100.1 is above the bar's high of 100.04: capped there
        assert_eq!(market_fill_price(&instrument(), (b.low, b.high), Side::Buy, dec!(100), dec!(0.001)), dec!(100.04));
    }

    #[test]
    fn buy_limit_fills_at_limit_when_traded_through_and_at_open_when_gapped() {
        let through = bar(dec!(100), dec!(101), dec!(94), dec!(96));
        assert_eq!(limit_fill_price(&through, Side::Buy, dec!(95)), Some(dec!(95)));
        let gapped = bar(dec!(93), dec!(94), dec!(92), dec!(93.5));
        assert_eq!(limit_fill_price(&gapped, Side::Buy, dec!(95)), Some(dec!(93)));
    }

    #[test]
    fn a_touch_does_not_fill_a_limit() {
        let touch = bar(dec!(100), dec!(105), dec!(95), dec!(100));
        assert_eq!(limit_fill_price(&touch, Side::Buy, dec!(95)), None);
        assert_eq!(limit_fill_price(&touch, Side::Sell, dec!(105)), None);
        assert_eq!(limit_fill_price(&touch, Side::Sell, dec!(104.99)), Some(dec!(104.99)));
    }

    #[test]
    fn stops_and_take_profits_trigger_on_a_touch_and_fill_from_the_open_when_gapped() {
        let b = bar(dec!(100), dec!(106), dec!(98), dec!(101));
        assert_eq!(trigger_price(&b, OrderType::StopMarket, Side::Sell, dec!(98)), Some(dec!(98)));
        assert_eq!(trigger_price(&b, OrderType::StopMarket, Side::Sell, dec!(97.99)), None);
        assert_eq!(trigger_price(&b, OrderType::TakeProfitMarket, Side::Sell, dec!(106)), Some(dec!(106)));
        assert_eq!(trigger_price(&b, OrderType::TakeProfitMarket, Side::Sell, dec!(106.01)), None);
        assert_eq!(trigger_price(&b, OrderType::StopMarket, Side::Buy, dec!(105)), Some(dec!(105)));
        assert_eq!(trigger_price(&b, OrderType::TakeProfitMarket, Side::Buy, dec!(99)), Some(dec!(99)));
        // Opened below a sell stop at 102: it fills from the open, 100, not from 102.
        assert_eq!(trigger_price(&b, OrderType::StopMarket, Side::Sell, dec!(102)), Some(dec!(100)));
        // Opened above a sell take-profit at 95: it fills from the open, 100.
        assert_eq!(trigger_price(&b, OrderType::TakeProfitMarket, Side::Sell, dec!(95)), Some(dec!(100)));
    }
}

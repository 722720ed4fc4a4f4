//! Fills on bars under the venue's liquidity rules ([`BarLiquidity`]): the participation cap cuts a fill to its
//! share of the bar's volume, and the rest keeps working in the next bars or expires by its time in force; the
//! impact model moves the price of taking fills. Only venues with the rules on come here: without them a bar fill
//! is [`rules::fill`], unchanged.

use rust_decimal::Decimal;

use super::Market;
use super::account::Account;
use super::liquidity::{BarLiquidity, LiquidityStats, MarketImpact, impact_price};
use super::matching::Working;
use super::rules::{self, FillAt, Sized};
use crate::model::exact::positive;
use crate::model::{Bar, ExecutionEvent, Liquidity, OrderQty, OrderReport, OrderStatus, OrderType, TimeInForce};

/// What one bar's fill needs besides the order: the market and account it settles in, the rules, the bar whose
/// volume and range apply, and the counts it adds to.
pub(super) struct BarFill<'a> {
    pub(super) market: &'a Market,
    pub(super) account: &'a mut Account,
    pub(super) stats: &'a mut LiquidityStats,
    pub(super) rules: BarLiquidity,
    pub(super) bar: &'a Bar,
}

impl BarFill<'_> {
    /// Fills `report` (in state `working`) as far as the bar allows, at `at.price` moved by the impact model:
    /// up to two executions, a fill and an end.
    ///
    /// * The quantity is the order's rest — for a quote-sized order, the lots its unspent amount buys at the fill
    ///   price plus fee — cut to the bar's cap. The rest keeps working; an `IOC` order's expires after its fill, a
    ///   `FOK` order the cap cannot fill whole expires untouched. A cap of zero lots fills nothing this bar.
    /// * Impact applies to taking fills. A quote-sized order's quantity is found at the price before impact, the
    ///   impact computed for it, and the quantity found again at the moved price (so the amount still pays for
    ///   price and fee; the price stays the one the larger quantity moved it to — against the trader).
    /// * The minimum notional applies, as without the rules, to an order's one fill for all of it; the parts a cap
    ///   cuts an order into may be below it, as a real venue's executions of an accepted order may.
    pub(super) fn fill(
        &mut self,
        report: &mut OrderReport,
        working: &mut Working,
        fee_rate: Decimal,
        at: FillAt,
    ) -> [Option<ExecutionEvent>; 2] {
        let instrument = &self.market.instrument;
        let order = report.request;
        if matches!(order.order_type, OrderType::StopMarket | OrderType::TakeProfitMarket | OrderType::TrailingStop) {
            // Triggered: what the cap leaves fills as a market order in the next bars.
            working.triggered = true;
        }
        let cap = self.rules.cap(instrument, self.bar.volume);
        let mut price = at.price;
        let mut rest = rules::rest_of(instrument, report, price, fee_rate, working.spent);
        let mut quantity = cap.map_or(rest, |cap| cap.min(rest));
        if let (Some(MarketImpact::SquareRoot { coefficient }), Liquidity::Taker) = (self.rules.impact, at.liquidity)
            && positive(quantity)
        {
            price = impact_price(instrument, self.bar, order.side, (price, quantity), coefficient, order.price);
            if matches!(order.quantity, OrderQty::Quote(_)) {
                rest = rules::rest_of(instrument, report, price, fee_rate, working.spent);
                quantity = quantity.min(rest);
            }
        }
        let cap = cap.filter(|cap| *cap < rest);
        if cap.is_some() && !working.capped {
            working.capped = true;
            self.stats.capped_orders += 1;
        }
        let volume = self.bar.volume.normalize();
        let why = |cap: Decimal| format!("the bar's volume cap is {} (of its volume {volume})", cap.normalize());
        match cap {
            Some(cap) if order.time_in_force == TimeInForce::Fok => {
                let reason = format!("FOK: {}; it cannot fill the whole {}", why(cap), rest.normalize());
                return [Some(end(report, at, reason)), None];
            }
            Some(cap) if cap.is_zero() => {
                let ioc = order.time_in_force == TimeInForce::Ioc;
                return [ioc.then(|| end(report, at, format!("IOC: {}; nothing filled", why(cap)))), None];
            }
            None if rest.is_zero() && !report.filled_quantity.is_zero() => {
                // A quote-sized order whose amount left buys no whole lot at this price: it is done.
                let reason = format!("the rest of its amount buys less than one lot at {price}");
                return [Some(end(report, at, reason)), None];
            }
            _ => {}
        }
        let whole = report.filled_quantity.is_zero() && quantity == rest;
        let sized = Sized { quantity, rest, whole };
        let event = rules::settle(self.market, self.account, fee_rate, report, FillAt { price, ..at }, sized);
        let ExecutionEvent::Fill { fill, .. } = &event else { return [Some(event), None] };
        if matches!(order.quantity, OrderQty::Quote(_)) {
            working.spent += fill.notional() + fill.fee;
        }
        if cap.is_some() {
            self.stats.partial_fills += 1;
        }
        if price != at.price {
            self.stats.impact_fills += 1;
            self.stats.impact_cost += (price - at.price).abs() * fill.quantity;
        }
        // Only the cap leaves an IOC order partly filled (a reduce-only cut expires it in the fill itself).
        let then = match cap {
            Some(cap) if report.status == OrderStatus::PartiallyFilled && order.time_in_force == TimeInForce::Ioc => {
                let left = (rest - fill.quantity).normalize();
                Some(end(report, at, format!("IOC: {}; the rest of {left} expires", why(cap))))
            }
            _ => None,
        };
        [Some(event), then]
    }
}

/// `report` expires at `at.time` for `reason`.
fn end(report: &mut OrderReport, at: FillAt, reason: String) -> ExecutionEvent {
    report.status = OrderStatus::Expired;
    report.reason = Some(reason.clone());
    let order_id = report.request.client_order_id;
    ExecutionEvent::Ended { order_id, time: at.time, status: OrderStatus::Expired, reason }
}

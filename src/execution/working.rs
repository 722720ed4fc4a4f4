//! [`WorkingOrders`]: the engine's view of its orders still open at venues — how many per instrument (strategies
//! see it), what they would buy and what they would sell once filled, the cash buys would spend, and the stop-loss /
//! take-profit exits attached to positions. The risk manager counts the exposure of open orders as already taken, so two entries
//! sent at one close cannot together exceed a limit each keeps alone.

use rust_decimal::Decimal;

use crate::model::{OrderId, OrderStatus, OrderType, Side};
use crate::risk::ExitDistances;
use crate::strategy::OpenOrder;

/// What an open order is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A strategy's (or the engine's) order; each of its fills gets exits at these distances from its price.
    Trade { exits: Option<ExitDistances> },
    /// A stop-loss or take-profit attached to a position: it only reduces it, and strategies do not see it.
    Exit,
}

/// One open order.
#[derive(Clone, Copy, Debug)]
struct Working {
    id: OrderId,
    slot: usize,
    side: Side,
    order_type: OrderType,
    /// Whether part of it filled.
    partly_filled: bool,
    /// Base quantity not yet filled (an estimate at the admission price for quote-sized orders).
    remaining: Decimal,
    /// Price the remaining quantity is valued at: the limit, or the last price at admission.
    price: Decimal,
    /// The fee rate a buy pays on top of `remaining × price` (zero for a quote-sized order, whose amount covers
    /// its fee).
    fee_rate: Decimal,
    /// For a quote-sized buy, the part of its amount not yet spent: the amount less each fill's notional and fee.
    amount_left: Option<Decimal>,
    purpose: Purpose,
}

impl Working {
    fn is_trade(&self) -> bool {
        matches!(self.purpose, Purpose::Trade { .. })
    }
}

/// The open orders, by instrument slot.
#[derive(Clone, Debug)]
pub(crate) struct WorkingOrders {
    orders: Vec<Working>,
    per_slot: Vec<usize>,
}

impl WorkingOrders {
    /// No open orders, for `slots` instruments.
    pub(crate) fn new(slots: usize) -> Self {
        WorkingOrders { orders: Vec::new(), per_slot: vec![0; slots] }
    }

    /// Open trade orders (not exits) of the instrument in `slot`.
    #[inline]
    pub(crate) fn count(&self, slot: usize) -> usize {
        self.per_slot[slot]
    }

    /// An order became open at its venue with `remaining` base quantity valued at `value`: its price, and the fee
    /// rate it pays on top (zero when its size already covers the fee: a quote-sized order).
    pub(crate) fn open(
        &mut self,
        id: OrderId,
        slot: usize,
        kind: (Side, OrderType),
        remaining: Decimal,
        value: (Decimal, Decimal),
        purpose: Purpose,
    ) {
        let ((side, order_type), (price, fee_rate)) = (kind, value);
        let order = Working {
            id,
            slot,
            side,
            order_type,
            partly_filled: false,
            remaining,
            price,
            fee_rate,
            amount_left: None,
            purpose,
        };
        if order.is_trade() {
            self.per_slot[slot] += 1;
        }
        self.orders.push(order);
    }

    /// Open order `id` is a quote-sized buy of `amount`: the cash it commits is what its fills have not yet spent
    /// of it, not its estimated quantity at the admission price.
    pub(crate) fn quote_sized(&mut self, id: OrderId, amount: Decimal) {
        if let Some(order) = self.orders.iter_mut().find(|o| o.id == id && o.side == Side::Buy) {
            order.amount_left = Some(amount);
        }
    }

    /// A fill of order `id` cost `cash` (notional plus fee): a quote-sized buy has that much less of its amount left.
    pub(crate) fn spent(&mut self, id: OrderId, cash: Decimal) {
        if let Some(order) = self.orders.iter_mut().find(|o| o.id == id) {
            order.amount_left = order.amount_left.map(|left| (left - cash).max(Decimal::ZERO));
        }
    }

    /// `quantity` of order `id` filled; the order leaves when `finished`. Returns its slot and what it was for;
    /// `None` when it was not open.
    pub(crate) fn filled(&mut self, id: OrderId, quantity: Decimal, finished: bool) -> Option<(usize, Purpose)> {
        let index = self.orders.iter().position(|o| o.id == id)?;
        let order = &mut self.orders[index];
        if !finished {
            order.remaining = (order.remaining - quantity).max(Decimal::ZERO);
            order.partly_filled |= !quantity.is_zero();
            return Some((order.slot, order.purpose));
        }
        let order = self.orders.swap_remove(index);
        if order.is_trade() {
            self.per_slot[order.slot] -= 1;
        }
        Some((order.slot, order.purpose))
    }

    /// Order `id` ended without (further) fills: canceled, rejected or expired. Returns its slot when it was open.
    pub(crate) fn closed(&mut self, id: OrderId) -> Option<usize> {
        self.filled(id, Decimal::ZERO, true).map(|(slot, _)| slot)
    }

    /// Order `id` was amended at its venue: `remaining` base quantity is left, valued at `price` (or, for an order
    /// without a price of its own, at the price it was valued at before).
    pub(crate) fn amended(&mut self, id: OrderId, remaining: Decimal, price: Option<Decimal>) {
        if let Some(order) = self.orders.iter_mut().find(|o| o.id == id) {
            order.remaining = remaining;
            order.price = price.unwrap_or(order.price);
        }
    }

    /// The open trade orders of `slot` as a strategy sees them, in the order they were opened.
    pub(crate) fn trades_of(&self, slot: usize) -> impl Iterator<Item = OpenOrder> + '_ {
        self.orders.iter().filter(move |o| o.slot == slot && o.is_trade()).map(|o| OpenOrder {
            id: o.id,
            side: o.side,
            order_type: o.order_type,
            status: if o.partly_filled { OrderStatus::PartiallyFilled } else { OrderStatus::New },
            price: o.price,
            remaining: o.remaining,
        })
    }

    /// An exit still working on the position in `slot`.
    pub(crate) fn exit_of(&self, slot: usize) -> Option<OrderId> {
        self.orders.iter().find(|o| o.slot == slot && o.purpose == Purpose::Exit).map(|o| o.id)
    }

    /// Base quantities the open trade orders of `slot` would buy and would sell if they filled: each side on its
    /// own, since either may fill without the other.
    pub(crate) fn sides(&self, slot: usize) -> (Decimal, Decimal) {
        let mut sides = (Decimal::ZERO, Decimal::ZERO);
        for o in self.orders.iter().filter(|o| o.slot == slot && o.is_trade()) {
            match o.side {
                Side::Buy => sides.0 += o.remaining,
                Side::Sell => sides.1 += o.remaining,
            }
        }
        sides
    }

    /// Cash the open trade buys would spend, at their prices, with their fees.
    pub(crate) fn committed_cash(&self) -> Decimal {
        let buys = self.orders.iter().filter(|o| o.is_trade() && o.side == Side::Buy);
        buys.map(|o| o.amount_left.unwrap_or_else(|| o.remaining * o.price * (Decimal::ONE + o.fee_rate))).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn open_orders_add_exposure_until_they_fill_and_exits_do_not() {
        let mut w = WorkingOrders::new(2);
        let trade = Purpose::Trade { exits: None };
        w.open(OrderId(1), 0, (Side::Buy, OrderType::Limit), dec!(2), (dec!(100), dec!(0)), trade);
        w.open(OrderId(2), 0, (Side::Sell, OrderType::Limit), dec!(0.5), (dec!(110), dec!(0.001)), trade);
        w.open(OrderId(3), 0, (Side::Sell, OrderType::StopMarket), dec!(2), (dec!(95), dec!(0)), Purpose::Exit);
        assert_eq!((w.count(0), w.count(1)), (2, 0), "exits are not the strategy's orders");
        assert_eq!(w.exit_of(0), Some(OrderId(3)));
        assert_eq!(w.sides(0), (dec!(2), dec!(0.5)), "a buy of 2 and a sell of 0.5, not a net 1.5");
        assert_eq!(w.committed_cash(), dec!(200));
        assert_eq!(w.filled(OrderId(1), dec!(0.5), false), Some((0, trade)));
        let first = w.trades_of(0).next().map(|o| (o.status, o.remaining));
        assert_eq!(first, Some((OrderStatus::PartiallyFilled, dec!(1.5))));
        assert_eq!(w.sides(0), (dec!(1.5), dec!(0.5)));
        assert_eq!(w.committed_cash(), dec!(150));
        assert_eq!(w.filled(OrderId(1), dec!(1.5), true), Some((0, trade)));
        assert_eq!(w.closed(OrderId(2)), Some(0));
        assert_eq!(w.closed(OrderId(9)), None);
        assert_eq!((w.count(0), w.sides(0), w.committed_cash()), (0, (dec!(0), dec!(0)), dec!(0)));
        assert_eq!(w.closed(OrderId(3)), Some(0));
        assert_eq!(w.exit_of(0), None);
    }

    #[test]
    fn a_base_sized_buy_commits_its_fee_and_a_quote_sized_one_its_amount() {
        let mut w = WorkingOrders::new(1);
        let trade = Purpose::Trade { exits: None };
        // 2 at 100 with a 0.1 % fee: 200.2; a quote-sized buy estimated at 3 at 100: its 300 covers its fee.
        w.open(OrderId(1), 0, (Side::Buy, OrderType::Limit), dec!(2), (dec!(100), dec!(0.001)), trade);
        w.open(OrderId(2), 0, (Side::Buy, OrderType::Market), dec!(3), (dec!(100), dec!(0)), trade);
        assert_eq!(w.committed_cash(), dec!(500.2));
    }

    #[test]
    fn a_quote_sized_buy_commits_its_amount_less_what_its_fills_spent() {
        let mut w = WorkingOrders::new(1);
        let trade = Purpose::Trade { exits: None };
        // A buy for 300 USDT, estimated at admission as 2.997 at 100.
        w.open(OrderId(1), 0, (Side::Buy, OrderType::Market), dec!(2.997), (dec!(100), dec!(0)), trade);
        w.quote_sized(OrderId(1), dec!(300));
        assert_eq!(w.committed_cash(), dec!(300));
        // 1 fills at 110, fee 0.11: 110.11 of the 300 is spent, 189.89 is left (the estimate would say
        // (2.997 − 1) × 100 = 199.7).
        w.spent(OrderId(1), dec!(110.11));
        w.filled(OrderId(1), dec!(1), false);
        assert_eq!(w.committed_cash(), dec!(189.89));
    }
}

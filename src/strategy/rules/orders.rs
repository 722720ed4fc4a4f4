//! The orders a rule plan places: an entry sized by its [`Sizing`] as a market, limit or stop order (with its
//! stop-loss / take-profit bracket), an exit of the whole position, and the trailing stop that protects it. Prices
//! from expressions are rounded to [`PRICE_DECIMALS`] (a buy's limit down, its stop up; a sell's mirrored), not to
//! the venue's tick, which a strategy is not told: the venue refuses a price off its tick unless the scenario's
//! `round_orders` rounds it there. All arithmetic on settings is checked.

use rust_decimal::{Decimal, RoundingStrategy};

use super::plan::{OrderKind, Plan, Sizing, TrailPlan};
use super::program::{Frame, Program, Stacks};
use crate::model::exact::positive;
use crate::model::{OrderQty, Side, Trail, lots_for_amount};
use crate::strategy::{Context, OrderIntent};

/// Decimals a price or distance from an expression keeps.
pub(super) const PRICE_DECIMALS: u32 = 8;

/// What an order is built from besides the plan.
pub(super) struct OrderInputs<'a, 'b> {
    /// The event's context (venue, symbol, cash, equity).
    pub ctx: &'a Context<'b>,
    /// The values the plan's programs read.
    pub frame: &'a Frame<'a>,
    /// The stream's lot step (0: unknown).
    pub lot: Decimal,
}

/// The value of a price or distance program as a positive `Decimal` of [`PRICE_DECIMALS`], rounded by `rounding`.
fn price_of(
    program: &Program,
    inputs: &OrderInputs<'_, '_>,
    stacks: &mut Stacks,
    rounding: RoundingStrategy,
) -> Option<Decimal> {
    let value = program.value(inputs.frame, stacks)?.to_decimal()?;
    Some(value.round_dp_with_strategy(PRICE_DECIMALS, rounding)).filter(|p| positive(*p))
}

/// The order kind's price for `side`: `None` for a market order, `Some(None)` when the program has no value.
fn order_price(
    kind: &OrderKind,
    side: Side,
    inputs: &OrderInputs<'_, '_>,
    stacks: &mut Stacks,
) -> Option<Option<Decimal>> {
    // a buy limit rounds down (never pays more), a buy stop up (never triggers early); a sell's mirrored
    let (program, rounding) = match (kind, side) {
        (OrderKind::Market, _) => return None,
        (OrderKind::Limit(p), Side::Buy) | (OrderKind::Stop(p), Side::Sell) => {
            (p, RoundingStrategy::ToNegativeInfinity)
        }
        (OrderKind::Limit(p), Side::Sell) | (OrderKind::Stop(p), Side::Buy) => {
            (p, RoundingStrategy::ToPositiveInfinity)
        }
    };
    Some(price_of(program, inputs, stacks, rounding))
}

/// An order of `kind` on `side`: a market order of `quantity`, or a limit / stop at `price` of `base`.
fn place(
    kind: &OrderKind,
    side: Side,
    inputs: &OrderInputs<'_, '_>,
    quantity: OrderQty,
    price: Option<Decimal>,
) -> Option<OrderIntent> {
    let (venue, symbol) = (inputs.ctx.venue, inputs.ctx.symbol);
    let base = |price: Decimal| match quantity {
        OrderQty::Base(q) => Some(q),
        OrderQty::Quote(amount) => Some(lots(amount, price, inputs.lot)?),
    };
    let intent = match (kind, price) {
        (OrderKind::Market, _) => OrderIntent::market(venue, symbol, side, quantity),
        (OrderKind::Limit(_), Some(p)) => OrderIntent::limit(venue, symbol, side, base(p)?, p),
        (OrderKind::Stop(_), Some(p)) => OrderIntent::stop(venue, symbol, side, base(p)?, p),
        _ => return None,
    };
    Some(intent)
}

/// The whole lots `amount` buys at `price` (8 decimals when the lot is unknown); `None` for none.
fn lots(amount: Decimal, price: Decimal, lot: Decimal) -> Option<Decimal> {
    let quantity = if positive(lot) {
        lots_for_amount(amount, price, lot)
    } else {
        amount.checked_div(price)?.round_dp_with_strategy(8, RoundingStrategy::ToZero)
    };
    positive(quantity).then_some(quantity)
}

/// The entry the plan asks for now, or `None` when one of its values is missing or it would buy nothing.
pub(super) fn entry(plan: &Plan, inputs: &OrderInputs<'_, '_>, stacks: &mut Stacks) -> Option<OrderIntent> {
    let cash = inputs.ctx.cash;
    let price = match order_price(&plan.entry_order, Side::Buy, inputs, stacks) {
        None => None,
        Some(price) => Some(price?),
    };
    let bracket = match &plan.bracket {
        None => None,
        Some((stop, take)) => {
            let stop = price_of(stop, inputs, stacks, RoundingStrategy::MidpointAwayFromZero)?;
            let take = price_of(take, inputs, stacks, RoundingStrategy::MidpointAwayFromZero)?;
            Some((stop, take))
        }
    };
    let percent_of_equity = |p: Decimal| inputs.ctx.equity().checked_mul(p)?.checked_div(Decimal::ONE_HUNDRED);
    let quantity = match plan.sizing {
        Sizing::AllCash | Sizing::Kelly => OrderQty::Quote(cash),
        Sizing::PercentOfEquity(p) => OrderQty::Quote(percent_of_equity(p)?.min(cash)),
        Sizing::Quote(amount) => OrderQty::Quote(amount.min(cash)),
        Sizing::RiskPercent(r) => {
            let (stop, _) = bracket?;
            let base = percent_of_equity(r)?.checked_div(stop)?;
            let base = if positive(inputs.lot) {
                (base.checked_div(inputs.lot)?.floor()).checked_mul(inputs.lot)?.normalize()
            } else {
                base.round_dp_with_strategy(8, RoundingStrategy::ToZero)
            };
            OrderQty::Base(base)
        }
    };
    let amount = match quantity {
        OrderQty::Base(q) | OrderQty::Quote(q) => q,
    };
    if !positive(amount) {
        return None;
    }
    let intent = place(&plan.entry_order, Side::Buy, inputs, quantity, price)?;
    Some(match bracket {
        Some((stop, take)) => intent.with_bracket(stop, take),
        None => intent,
    })
}

/// The exit of the whole (long) position the plan asks for now.
pub(super) fn exit(plan: &Plan, inputs: &OrderInputs<'_, '_>, stacks: &mut Stacks) -> Option<OrderIntent> {
    let price = match order_price(&plan.exit_order, Side::Sell, inputs, stacks) {
        None => None,
        Some(price) => Some(price?),
    };
    place(&plan.exit_order, Side::Sell, inputs, OrderQty::Base(inputs.ctx.position), price)
}

/// The trailing stop protecting the (long) position.
pub(super) fn trailing_stop(
    trail: &TrailPlan,
    inputs: &OrderInputs<'_, '_>,
    stacks: &mut Stacks,
) -> Option<OrderIntent> {
    let trail = match trail {
        TrailPlan::Percent(p) => Trail::Percent(*p),
        TrailPlan::Distance(program) => {
            Trail::Amount(price_of(program, inputs, stacks, RoundingStrategy::MidpointAwayFromZero)?)
        }
    };
    let (venue, symbol) = (inputs.ctx.venue, inputs.ctx.symbol);
    Some(OrderIntent::trailing_stop(venue, symbol, Side::Sell, inputs.ctx.position, trail))
}

//! [`RunLog`]: everything the engine decided and observed during a run, in order — orders with their outcome,
//! fills, risk decisions and the equity curve. Reports are written from it; nothing in it depends on wall time.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::execution::{FillRecord, OrderRecord, Orders};
use crate::model::exact::PackedDecimal;
use crate::model::{OrderId, OrderStatus, Symbol, Timestamp};
use crate::portfolio::RoundTrip;
use crate::risk::RiskRule;

/// What a risk decision or a limit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskAction {
    /// An order went out smaller than asked.
    Resized,
    /// An order did not go out.
    Rejected,
    /// The drawdown emergency stop tripped: only reducing orders pass from now on.
    Halted,
    /// The day's loss limit was reached: no new risk until the next UTC day.
    DailyLimit,
    /// A cool-off started after a streak of losing trades.
    CoolingOff,
    /// An amendment of a working order was refused; the order works on as it was.
    AmendmentRefused,
}

impl RiskAction {
    /// The action's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskAction::Resized => "resized",
            RiskAction::Rejected => "rejected",
            RiskAction::Halted => "halted",
            RiskAction::DailyLimit => "daily_limit",
            RiskAction::CoolingOff => "cooling_off",
            RiskAction::AmendmentRefused => "amendment_refused",
        }
    }
}

/// One decision of the risk manager that changed an order, or one limit reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskEvent {
    /// Engine time.
    pub time: Timestamp,
    /// The rule.
    pub rule: RiskRule,
    /// What it did.
    pub action: RiskAction,
    /// Order concerned, for order decisions.
    pub order_id: Option<OrderId>,
    /// Instrument concerned, for order decisions.
    pub symbol: Option<Symbol>,
    /// The risk manager's reason, with the numbers.
    pub reason: String,
    /// Size the order went out with (base quantity, or quote amount for quote-sized orders; zero when rejected).
    pub adjusted_size: Option<Decimal>,
}

/// The portfolio's value at one mark time. Kept to 24 bytes: a run stores one per bar, and memory written per bar
/// is what a long replay pays for most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EquityPoint {
    /// Mark time (a bar close).
    pub time: Timestamp,
    /// Cash plus positions at their closes, packed (see [`PackedDecimal`]).
    pub value: PackedDecimal,
}

impl EquityPoint {
    /// A mark of `equity` at `time`.
    pub fn new(time: Timestamp, equity: Decimal) -> Self {
        EquityPoint { time, value: PackedDecimal::from_decimal(equity) }
    }

    /// Cash plus positions at their closes.
    #[inline]
    pub fn equity(&self) -> Decimal {
        self.value.to_decimal()
    }
}

/// Cash after a fill. Cash changes only at fills, so it is recorded then, not at every mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CashChange {
    /// Index of the first mark that includes this fill.
    pub from_mark: usize,
    /// Free cash after the fill.
    pub cash: Decimal,
}

/// The record of one run.
#[derive(Clone, Debug, Default)]
pub struct RunLog {
    /// Every order, indexed by `OrderId - 1`.
    pub orders: Orders,
    /// Every fill, in time order.
    pub fills: Vec<FillRecord>,
    /// Risk decisions that changed an order.
    pub risk_events: Vec<RiskEvent>,
    /// Equity at every distinct bar-close time.
    pub equity: Vec<EquityPoint>,
    /// Cash after every fill, in fill order.
    pub cash_changes: Vec<CashChange>,
    /// Closed round trips, in the order they closed.
    pub round_trips: Vec<RoundTrip>,
}

impl RunLog {
    /// The record of order `id`.
    pub fn order(&self, id: OrderId) -> Option<&OrderRecord> {
        self.orders.get(id)
    }

    /// Empties the record but keeps its memory, so that a later run can reuse it (see
    /// [`crate::engine::run_prepared_reusing`]).
    pub fn clear(&mut self) {
        self.orders.clear();
        self.fills.clear();
        self.risk_events.clear();
        self.equity.clear();
        self.cash_changes.clear();
        self.round_trips.clear();
    }

    /// Free cash at every mark, in mark order, for a run that started with `starting_cash`.
    pub fn cash_at_marks(&self, starting_cash: Decimal) -> impl Iterator<Item = Decimal> + '_ {
        self.cash_from_mark(0, starting_cash)
    }

    /// Free cash at every mark from mark `first` on (so that long curves can be written in parallel pieces).
    pub fn cash_from_mark(&self, first: usize, starting_cash: Decimal) -> impl Iterator<Item = Decimal> + '_ {
        let before = self.cash_changes.partition_point(|c| c.from_mark <= first);
        let mut cash = before.checked_sub(1).map_or(starting_cash, |i| self.cash_changes[i].cash);
        let mut changes = self.cash_changes[before..].iter().peekable();
        (first..self.equity.len()).map(move |mark| {
            while let Some(change) = changes.next_if(|c| c.from_mark <= mark) {
                cash = change.cash;
            }
            cash
        })
    }

    /// The marks in runs of equal free cash (cash changes only at fills): each range of mark indices with its cash,
    /// in mark order, covering every mark once.
    pub fn cash_segments(
        &self,
        starting_cash: Decimal,
    ) -> impl Iterator<Item = (std::ops::Range<usize>, Decimal)> + '_ {
        let marks = self.equity.len();
        let starts = std::iter::once((0, starting_cash)).chain(self.cash_changes.iter().map(|c| (c.from_mark, c.cash)));
        let mut starts = starts.map(move |(from, cash)| (from.min(marks), cash)).peekable();
        std::iter::from_fn(move || {
            let (from, mut cash) = starts.next()?;
            // Several fills before one mark: the last cash counts.
            while let Some(&(next, later)) = starts.peek() {
                if next > from {
                    break;
                }
                cash = later;
                starts.next();
            }
            let to = starts.peek().map_or(marks, |&(next, _)| next);
            Some((from..to, cash))
        })
        .filter(|(range, _)| !range.is_empty())
    }

    /// Number of orders with `status`.
    pub fn count_orders(&self, status: OrderStatus) -> usize {
        self.orders.iter().filter(|o| o.report.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use rust_decimal::dec;

    #[test]
    fn cash_segments_cover_every_mark_with_the_cash_cash_at_marks_gives() {
        let equity = (0..6).map(|i| EquityPoint::new(Timestamp(i), dec!(100))).collect();
        let mut log = RunLog { equity, ..RunLog::default() };
        // Fills before mark 0, two before mark 2, and one after the last mark.
        for (from_mark, cash) in [(0, dec!(90)), (2, dec!(80)), (2, dec!(70)), (6, dec!(60))] {
            log.cash_changes.push(CashChange { from_mark, cash });
        }
        let segments: Vec<_> = log.cash_segments(dec!(100)).collect();
        assert_eq!(segments, [(0..2, dec!(90)), (2..6, dec!(70))]);
        let expanded: Vec<Decimal> = segments.iter().flat_map(|(r, c)| r.clone().map(move |_| *c)).collect();
        assert_eq!(expanded, log.cash_at_marks(dec!(100)).collect::<Vec<_>>());
    }
}

//! Reading a journal back into the engine's records, for a live session that resumes: its orders (as last
//! written), equity marks and risk decisions. Names are read back by matching the spellings the journal wrote.

use rust_decimal::Decimal;

use super::store::{Kind, Value};
use super::{Journal, text};
use crate::engine::{EquityPoint, OrderRecord, RiskAction, RiskEvent};
use crate::error::{Error, Result};
use crate::execution::OrderState;
use crate::model::{
    OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side, Symbol, TimeInForce, Timestamp,
};
use crate::model::{Trail, VenueId};
use crate::risk::RiskRule;

const TIMES_IN_FORCE: [TimeInForce; 4] = [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok, TimeInForce::PostOnly];
const SIDES: [Side; 2] = [Side::Buy, Side::Sell];
const RULES: [RiskRule; 12] = [
    RiskRule::InvalidOrder,
    RiskRule::PositionSize,
    RiskRule::Kelly,
    RiskRule::Balance,
    RiskRule::Leverage,
    RiskRule::OpenPositions,
    RiskRule::Correlation,
    RiskRule::ExchangeMinimum,
    RiskRule::DailyLoss,
    RiskRule::Drawdown,
    RiskRule::ConsecutiveLosses,
    RiskRule::RiskReward,
];
const ACTIONS: [RiskAction; 6] = [
    RiskAction::Resized,
    RiskAction::Rejected,
    RiskAction::Halted,
    RiskAction::DailyLimit,
    RiskAction::CoolingOff,
    RiskAction::AmendmentRefused,
];

/// The value of `all` spelled `text` by `name`.
fn named<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, text: &str, what: &str) -> Result<T> {
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| Error::Data(format!("journal: unknown {what} '{text}'")))
}

fn decimal(text: &str, what: &str) -> Result<Decimal> {
    text.parse().map_err(|_| Error::Data(format!("journal: unreadable {what} '{text}'")))
}

fn optional_decimal(value: &Value, what: &str) -> Result<Option<Decimal>> {
    value.text().map(|t| decimal(t, what)).transpose()
}

/// An order quantity as the journal writes it (`Base(0.001)`, `Quote(100)`).
fn quantity(text: &str) -> Result<OrderQty> {
    let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')'));
    match (inner("Base("), inner("Quote(")) {
        (Some(q), _) => Ok(OrderQty::Base(decimal(q, "quantity")?)),
        (_, Some(a)) => Ok(OrderQty::Quote(decimal(a, "quote amount")?)),
        _ => Err(Error::Data(format!("journal: unreadable quantity '{text}'"))),
    }
}

/// A trailing stop's distance as [`super::Journal`] writes it.
fn trail(id: OrderId, text: &str) -> Result<Trail> {
    let bad = || Error::Data(format!("journal order {id}: bad trail {text:?}"));
    let (kind, value) = text.split_once(':').ok_or_else(bad)?;
    let value: Decimal = value.parse().map_err(|_| bad())?;
    match kind {
        "amount" => Ok(Trail::Amount(value)),
        "percent" => Ok(Trail::Percent(value)),
        _ => Err(bad()),
    }
}

impl Journal {
    /// The session's orders as last written, by id.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a row that does not read back.
    pub fn orders(&mut self) -> Result<Vec<OrderRecord>> {
        use Kind::{Int, Text};
        let rows = self.store.query(
            "SELECT order_id, created, venue, symbol, side, order_type, time_in_force, quantity, price, status, \
             filled, average_price, fee, reason, stop_price, trail, reduce_only, one_cancels_other, lifecycle \
             FROM orders WHERE session = $1 ORDER BY order_id",
            &[text(&self.session)],
            &[
                Int, Int, Int, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Int, Int,
                Text,
            ],
        )?;
        rows.iter()
            .map(|r| {
                let t = |i: usize| r[i].text().unwrap_or_default();
                let id = OrderId(r[0].int().unwrap_or_default() as u64);
                let symbol = Symbol::new(t(3)).map_err(|_| Error::Data(format!("journal order {id}: bad symbol")))?;
                let side = named(&SIDES, Side::as_str, t(4), "side")?;
                let request = OrderRequest {
                    order_type: named(&OrderType::ALL, OrderType::as_str, t(5), "order type")?,
                    time_in_force: named(&TIMES_IN_FORCE, TimeInForce::as_str, t(6), "time in force")?,
                    stop_price: optional_decimal(&r[14], "stop price")?,
                    trail: r[15].text().map(|text| trail(id, text)).transpose()?,
                    reduce_only: r[16].int().unwrap_or_default() != 0,
                    one_cancels_other: r[17].int().map(|o| OrderId(o as u64)),
                    ..OrderRequest::new(id, symbol, side, quantity(t(7))?, optional_decimal(&r[8], "price")?)
                };
                let report = OrderReport {
                    request,
                    status: named(&OrderStatus::ALL, OrderStatus::as_str, t(9), "status")?,
                    filled_quantity: decimal(t(10), "filled quantity")?,
                    average_price: optional_decimal(&r[11], "average price")?,
                    fee: decimal(t(12), "fee")?,
                    reason: r[13].text().map(str::to_string),
                };
                let (created, venue) =
                    (Timestamp(r[1].int().unwrap_or_default()), VenueId(r[2].int().unwrap_or_default() as usize));
                let record = OrderRecord::from_report(venue, created, report);
                match t(18) {
                    // A journal written before orders had a life of their own: the state of the status.
                    "" => Ok(record),
                    state => Ok(OrderRecord { state: OrderState::parse(state)?, ..record }),
                }
            })
            .collect()
    }

    /// The session's equity marks, in order.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a row that does not read back.
    pub fn equity(&mut self) -> Result<Vec<EquityPoint>> {
        let rows = self.store.query(
            "SELECT time, value FROM equity WHERE session = $1 ORDER BY seq",
            &[text(&self.session)],
            &[Kind::Int, Kind::Text],
        )?;
        rows.iter()
            .map(|r| {
                Ok(EquityPoint::new(
                    Timestamp(r[0].int().unwrap_or_default()),
                    decimal(r[1].text().unwrap_or_default(), "equity")?,
                ))
            })
            .collect()
    }

    /// The session's risk decisions, in order.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a row that does not read back.
    pub fn risk_events(&mut self) -> Result<Vec<RiskEvent>> {
        use Kind::{Int, Text};
        let rows = self.store.query(
            "SELECT time, rule, action, order_id, symbol, reason FROM risk_events WHERE session = $1 ORDER BY seq",
            &[text(&self.session)],
            &[Int, Text, Text, Int, Text, Text],
        )?;
        rows.iter()
            .map(|r| {
                Ok(RiskEvent {
                    time: Timestamp(r[0].int().unwrap_or_default()),
                    rule: named(&RULES, RiskRule::as_str, r[1].text().unwrap_or_default(), "risk rule")?,
                    action: named(&ACTIONS, RiskAction::as_str, r[2].text().unwrap_or_default(), "risk action")?,
                    order_id: r[3].int().map(|o| OrderId(o as u64)),
                    symbol: r[4].text().and_then(|s| Symbol::new(s).ok()),
                    reason: r[5].text().unwrap_or_default().to_string(),
                    adjusted_size: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn quantities_and_names_read_back_as_the_journal_writes_them() {
        assert_eq!(quantity(&format!("{:?}", OrderQty::Base(dec!(0.001)))).unwrap(), OrderQty::Base(dec!(0.001)));
        assert_eq!(quantity(&format!("{:?}", OrderQty::Quote(dec!(100)))).unwrap(), OrderQty::Quote(dec!(100)));
        assert!(quantity("Lots(3)").is_err());
        for status in OrderStatus::ALL {
            assert_eq!(named(&OrderStatus::ALL, OrderStatus::as_str, status.as_str(), "status").unwrap(), status);
        }
        assert!(named(&SIDES, Side::as_str, "HOLD", "side").is_err());
    }
}

//! `ctb reconcile`: a session's journal against the replay of its recording, order by order — each fill's time,
//! price, quantity and fee. Identical, or every difference listed.

use std::collections::BTreeMap;
use std::path::Path;

use super::journal::{Journal, is_postgres_url};
use super::paper::recorded_scenario;
use crate::config::Scenario;
use crate::engine::{FillRecord, run_backtest, run_book_backtest};
use crate::error::{Error, Result};
use crate::model::OrderId;
use crate::strategy::StrategyRegistry;

/// What reconciling a session found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    /// Fills in the journal.
    pub fills: usize,
    /// Orders the replay made.
    pub orders: usize,
    /// Every difference (none: identical).
    pub differences: Vec<String>,
}

/// Reconciles session `session` (its recording in `recordings/<session>`, its journal in
/// `reports/<session>/journal.sqlite`) with the replay of its recording — under the scenario it ran (its strategy
/// looked up in `strategies`), or `scenario`.
///
/// # Errors
/// [`Error::Config`] when the session has no journal; as the replay.
pub async fn reconcile_session(
    recordings: &Path,
    reports: &Path,
    session: &str,
    scenario: Option<&Scenario>,
    strategies: &StrategyRegistry,
    database_url: Option<&str>,
) -> Result<Reconciliation> {
    let recording = recordings.join(session);
    let replay = match scenario {
        Some(scenario) => super::paper::with_recorded_overrides(&recording, scenario.clone())?.replaying(&recording),
        None => recorded_scenario(&recording, strategies)?,
    };
    let mut journal = open_journal(reports, session, database_url)?;
    let journaled: Vec<FillRecord> = journal.fills()?.into_iter().map(|(_, fill)| fill).collect();
    let result = if replay.is_book() {
        run_book_backtest(&replay.setup, replay.load_book_streams()?.into()).await?
    } else {
        run_backtest(&replay.setup, replay.load_market_data()?.0).await?
    };
    Ok(Reconciliation {
        fills: journaled.len(),
        orders: result.log.orders.len(),
        differences: fill_differences(&journaled, &result.log.fills),
    })
}

/// The journal of an existing `session`: in PostgreSQL when `database_url` says so, else its SQLite file under
/// `reports`.
///
/// # Errors
/// [`Error::Config`] when there is no such SQLite journal, or PostgreSQL holds no such session; as opening.
pub fn open_journal(reports: &Path, session: &str, database_url: Option<&str>) -> Result<Journal> {
    let path = reports.join(session).join("journal.sqlite");
    let postgres = database_url.is_some_and(is_postgres_url);
    if !postgres && !path.exists() {
        return Err(Error::Config(format!("session {session}: no journal at {}", path.display())));
    }
    let mut journal = Journal::open(database_url, &path, session)?;
    if journal.session()?.is_none() {
        return Err(Error::Config(format!("session {session}: the journal holds no such session")));
    }
    Ok(journal)
}

/// The differences between the journaled fills and the replay's, order by order (none: identical).
pub fn fill_differences(journal: &[FillRecord], replay: &[FillRecord]) -> Vec<String> {
    let by_order = |fills: &[FillRecord]| {
        let mut orders: BTreeMap<OrderId, Vec<FillRecord>> = BTreeMap::new();
        for record in fills {
            orders.entry(record.fill.order_id).or_default().push(*record);
        }
        orders
    };
    let (journal, replay) = (by_order(journal), by_order(replay));
    let ids: std::collections::BTreeSet<OrderId> = journal.keys().chain(replay.keys()).copied().collect();
    let mut differences = Vec::new();
    for id in ids {
        let (ours, theirs) =
            (journal.get(&id).map_or(&[][..], Vec::as_slice), replay.get(&id).map_or(&[][..], Vec::as_slice));
        if ours.len() != theirs.len() {
            differences.push(format!(
                "order {id}: {} fill(s) in the journal, {} in the replay",
                ours.len(),
                theirs.len()
            ));
            continue;
        }
        for (n, (a, b)) in ours.iter().zip(theirs).enumerate() {
            let (a, b) = (&a.fill, &b.fill);
            let mut fields = Vec::new();
            if a.time != b.time {
                fields.push(format!("time {} vs {}", a.time, b.time));
            }
            if a.price != b.price {
                fields.push(format!("price {} vs {}", a.price.normalize(), b.price.normalize()));
            }
            if a.quantity != b.quantity {
                fields.push(format!("quantity {} vs {}", a.quantity.normalize(), b.quantity.normalize()));
            }
            if a.fee != b.fee {
                fields.push(format!("fee {} vs {}", a.fee.normalize(), b.fee.normalize()));
            }
            if !fields.is_empty() {
                differences.push(format!("order {id}, fill {} (journal vs replay): {}", n + 1, fields.join(", ")));
            }
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VenueId;
    use crate::model::{Fill, Liquidity, Side, Symbol, Timestamp};
    use rust_decimal::dec;

    fn fill(order: u64, time: i64, fee: rust_decimal::Decimal) -> FillRecord {
        let fill = Fill {
            order_id: OrderId(order),
            time: Timestamp(time),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            quantity: dec!(0.001),
            price: dec!(61000),
            fee,
            liquidity: Liquidity::Maker,
            trade_id: None,
        };
        FillRecord { venue: VenueId(0), fill }
    }

    #[test]
    fn identical_fills_give_no_difference_and_each_kind_of_difference_is_named() {
        let journal = [fill(1, 10, dec!(0.0073)), fill(2, 20, dec!(0.0073))];
        assert!(fill_differences(&journal, &journal).is_empty());
        let replay = [fill(1, 10, dec!(0.0146)), fill(3, 30, dec!(0.0073))];
        assert_eq!(
            fill_differences(&journal, &replay),
            vec![
                "order 1, fill 1 (journal vs replay): fee 0.0073 vs 0.0146".to_string(),
                "order 2: 1 fill(s) in the journal, 0 in the replay".to_string(),
                "order 3: 0 fill(s) in the journal, 1 in the replay".to_string(),
            ]
        );
    }
}

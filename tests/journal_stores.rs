//! The session journal behaves the same on SQLite and on a real PostgreSQL server: versioned schema, a session
//! bound to its scenario, every fill written once (a re-derived fill is checked, a different one refused), steps
//! committed whole, and everything read back after reopening.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;

use common::postgres::{fresh_session, postgres_url};
use cryptotradebot::Error;
use cryptotradebot::engine::{EquityPoint, FillRecord, OrderRecord};
use cryptotradebot::execution::OrderState;
use cryptotradebot::model::VenueId;
use cryptotradebot::model::{
    Fill, Liquidity, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side, Symbol, Timestamp,
    TradeId, Trail,
};
use cryptotradebot::session::{Journal, JournalStep, SessionInfo, SessionState};

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn fill(order: u64, price: rust_decimal::Decimal) -> FillRecord {
    let fill = Fill {
        order_id: OrderId(order),
        time: Timestamp(1_723_161_255_000_000_000 + order as i64),
        symbol: btc(),
        side: Side::Buy,
        quantity: dec!(0.001),
        price,
        fee: dec!(0.0074196024),
        liquidity: Liquidity::Maker,
        trade_id: Some(TradeId::parse("TCWJEG-FL4SZ-3FKGH6").expect("trade id")),
    };
    FillRecord { venue: VenueId(0), fill }
}

/// The same story on any store; `open` opens the session's journal afresh each time.
fn journal_story(open: &dyn Fn() -> Journal, session: &str) {
    let mut journal = open();
    assert_eq!(journal.schema_version().unwrap(), 6);
    assert_eq!(journal.session().unwrap(), None);
    let info = SessionInfo {
        session: session.into(),
        mode: "paper".into(),
        exchange: "binance".into(),
        scenario: "name: x\n".into(),
        content_hash: "abc".into(),
        client_tag: "0000abcd".into(),
    };
    // A session journaled before sessions had client-id tags takes the tag given when it is next opened.
    journal.open_session(&SessionInfo { client_tag: String::new(), ..info.clone() }).unwrap();
    assert_eq!(journal.session().unwrap().map(|s| s.client_tag), Some(String::new()));
    journal.open_session(&info).unwrap();
    journal.open_session(&info).unwrap();
    assert_eq!(journal.session().unwrap().map(|s| s.client_tag), Some("0000abcd".to_string()));
    assert_eq!(journal.starting_cash().unwrap(), None, "not recorded yet");
    journal.record_starting_cash(dec!(8123.45)).unwrap();
    journal.record_starting_cash(dec!(10000)).unwrap();
    let other = SessionInfo { content_hash: "def".into(), ..info.clone() };
    assert!(
        matches!(journal.open_session(&other), Err(Error::Validation(m)) if m.contains("was started with scenario abc"))
    );

    let (first, second) = (fill(1, dec!(61830)), fill(2, dec!(61829.99)));
    journal.record_fill(0, &first).unwrap();
    journal.record_fill(1, &second).unwrap();
    journal.record_fill(0, &first).unwrap();
    let refused = journal.record_fill(1, &fill(2, dec!(61000)));
    assert!(matches!(refused, Err(Error::Data(m)) if m.contains("journal fill #1")), "a different fill under #1");
    // A fill journaled without a trade id (by a session older than trade ids) is the same fill re-derived with one:
    // it takes the id; another id for a row that has one is a different fill.
    let older = FillRecord { fill: Fill { trade_id: None, ..fill(3, dec!(61000)).fill }, ..fill(3, dec!(61000)) };
    journal.record_fill(2, &older).unwrap();
    let numbered = FillRecord { fill: Fill { trade_id: Some(TradeId::number(77)), ..older.fill }, ..older };
    journal.record_fill(2, &numbered).unwrap();
    assert_eq!(journal.fills().unwrap()[2], (2, numbered));
    let renumbered = FillRecord { fill: Fill { trade_id: Some(TradeId::number(78)), ..older.fill }, ..older };
    assert!(matches!(journal.record_fill(2, &renumbered), Err(Error::Data(m)) if m.contains("journal fill #2")));

    let request = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(0.001)), Some(dec!(61830)));
    let report = OrderReport { status: OrderStatus::Filled, filled_quantity: dec!(0.001), ..OrderReport::new(request) };
    let order = OrderRecord::from_report(VenueId(0), Timestamp(5), report);
    // A trailing stop and a stop-loss of an exit pair, journaled before they are sent: read back as they were.
    let trailing = OrderRequest {
        order_type: OrderType::TrailingStop,
        trail: Some(Trail::Percent(dec!(1.5))),
        reduce_only: true,
        ..OrderRequest::new(OrderId(2), btc(), Side::Sell, OrderQty::Base(dec!(0.001)), None)
    };
    let stop = OrderRequest {
        order_type: OrderType::StopMarket,
        stop_price: Some(dec!(60000)),
        one_cancels_other: Some(OrderId(4)),
        ..OrderRequest::new(OrderId(3), btc(), Side::Sell, OrderQty::Base(dec!(0.001)), None)
    };
    let resting: Vec<OrderRecord> = [trailing, stop]
        .into_iter()
        .map(|request| OrderRecord {
            state: OrderState::Journaled,
            ..OrderRecord::from_report(VenueId(0), Timestamp(6), OrderReport::new(request))
        })
        .collect();
    for record in &resting {
        journal.record_order(record).unwrap();
    }
    let state = SessionState {
        time: Timestamp(7),
        messages: 42,
        cash: dec!(9938.1625803976),
        positions: BTreeMap::from([(btc(), dec!(0.001))]),
        balances: BTreeMap::from([("BTC".to_string(), dec!(0.001)), ("USDT".to_string(), dec!(9938.1625803976))]),
    };
    let equity = [EquityPoint::new(Timestamp(6), dec!(10000)), EquityPoint::new(Timestamp(7), dec!(9999.99))];
    journal
        .record_step(&JournalStep { orders: &[&order], equity: (0, &equity), risk_events: (0, &[]), state: &state })
        .unwrap();
    drop(journal);

    let mut reopened = open();
    assert_eq!(reopened.schema_version().unwrap(), 6, "no migration runs twice");
    assert_eq!(reopened.session().unwrap(), Some(info));
    assert_eq!(reopened.starting_cash().unwrap(), Some(dec!(8123.45)), "the first start stands");
    assert_eq!(reopened.fills().unwrap(), vec![(0, first), (1, second), (2, numbered)]);
    assert_eq!(reopened.state().unwrap(), Some(state));
    assert_eq!(reopened.orders().unwrap(), [vec![order], resting].concat());
}

#[test]
fn the_sqlite_journal_keeps_a_session_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    journal_story(&|| Journal::open_sqlite(&path, "s").unwrap(), "s");
}

#[test]
fn the_postgresql_journal_keeps_a_session_as_written() {
    let Some(url) = postgres_url("the_postgresql_journal_keeps_a_session_as_written") else { return };
    let session = fresh_session("journal");
    journal_story(&|| Journal::open_postgres(&url, &session).unwrap(), &session);
}

#[test]
fn a_postgresql_server_that_cannot_be_reached_is_a_journal_error_without_the_password() {
    let failed = Journal::open_postgres("postgresql://ctb:s3cret-pw@127.0.0.1:1/none", "s").unwrap_err();
    let message = failed.to_string();
    assert!(message.starts_with("JournalError: connecting to PostgreSQL (DATABASE_URL)"), "{message}");
    assert!(!message.contains("s3cret-pw"));
}

#[test]
fn session_options_never_print_the_database_password() {
    use cryptotradebot::config::Scenario;
    use cryptotradebot::session::{Limits, LiveOptions, PaperOptions};
    use cryptotradebot::venue::VenueConfig;
    let scenario = Scenario::load(&common::repo("scenarios/btc_l2_market_maker.yaml")).unwrap();
    let url = Some("postgresql://ctb:s3cret-pw@127.0.0.1:5432/ctb".to_string());
    let paper = PaperOptions {
        scenario: scenario.clone(),
        exchange: "binance".into(),
        venue: VenueConfig::default(),
        session: "p".into(),
        recordings: "data/recordings".into(),
        reports: "reports".into(),
        resume: false,
        limits: Limits::default(),
        database_url: url.clone(),
    };
    let live = LiveOptions {
        scenario,
        exchange: "binance".into(),
        config_dir: "config".into(),
        session: "l".into(),
        recordings: "data/recordings".into(),
        reports: "reports".into(),
        limits: Limits::default(),
        confirmed: true,
        keep_orders: false,
        resume: false,
        database_url: url,
    };
    let printed = format!("{paper:?} {live:?}");
    assert!(printed.contains("PostgreSQL (DATABASE_URL)") && printed.contains("(set)"), "{printed}");
    assert!(!printed.contains("s3cret-pw"), "{printed}");
}

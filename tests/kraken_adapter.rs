//! The Kraken adapter with real HTTP against a loopback mock of Kraken's REST API that recomputes every `API-Sign`
//! (HMAC-SHA512 of path + SHA-256(nonce + POST data)), checks nonces only increase, and answers in Kraken's
//! `{"error": [...], "result": ...}` format.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;

use common::mock_kraken::{KEY, SECRET, mock_kraken, mock_kraken_venue};
use cryptotradebot::Error;
use cryptotradebot::model::{OrderId, OrderQty, OrderRequest, OrderStatus, Side, Symbol};
use cryptotradebot::venue::ClientTag;
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::kraken::KrakenAdapter;
use cryptotradebot::venue::{Credentials, ExchangeAdapter, Secret};

fn adapter(base: &str, key: &str) -> KrakenAdapter {
    // A loopback mock need not be spared: 100 requests a second instead of Kraken's 1.
    let limits = serde_json::json!({ "requests_per_minute": 6000 });
    let config: VenueConfig = serde_json::from_value(
        serde_json::json!({ "base_url": base, "rate_limits": limits, "request_timeout_ms": 300 }),
    )
    .unwrap();
    let credentials = Credentials { api_key: Secret::new(key), api_secret: Secret::new(SECRET), passphrase: None };
    KrakenAdapter::new(&config, Some(credentials)).unwrap()
}

fn btc() -> Symbol {
    Symbol::new("BTCUSD").unwrap()
}

#[tokio::test]
async fn ticker_book_balance_and_an_order_round_trip_against_the_mock_venue() {
    let mut kraken = adapter(&mock_kraken().await, KEY);
    assert!(kraken.connect().await.unwrap());
    let ticker = kraken.get_ticker(btc()).await.unwrap();
    assert_eq!((ticker.bid, ticker.ask, ticker.last), (dec!(61602), dec!(61602.1), dec!(61602.1)));
    let book = kraken.get_orderbook(btc(), 2).await.unwrap();
    assert_eq!((book.bids.len(), book.bids[1].price, book.asks[0].quantity), (2, dec!(61601.9), dec!(0.5)));
    let balances = kraken.get_account_balance().await.unwrap();
    assert_eq!(
        balances,
        BTreeMap::from([("BTC".into(), dec!(0.5)), ("USD".into(), dec!(1000))]),
        "common names, free of what orders hold"
    );

    let instrument = kraken.instrument(btc()).await.unwrap();
    assert_eq!(
        (
            instrument.base.as_str(),
            instrument.quote.as_str(),
            instrument.tick_size,
            instrument.lot_size,
            instrument.min_notional
        ),
        ("BTC", "USD", dec!(0.1), dec!(0.00000001), dec!(0.5)),
        "AssetPairs: tick_size, lot_decimals, costmin"
    );
    // Rounded before sending: the volume down to 8 decimals, a buy's limit down to the 0.1 tick.
    let order =
        OrderRequest::new(OrderId(7), btc(), Side::Buy, OrderQty::Base(dec!(1.2500000099)), Some(dec!(37500.09)));
    let placed = kraken.place_order(order).await.unwrap();
    assert_eq!(
        (placed.status, placed.request.client_order_id, placed.request.price),
        (OrderStatus::New, OrderId(7), Some(dec!(37500)))
    );
    assert_eq!(placed.request.quantity, OrderQty::Base(dec!(1.25)));
    assert_eq!(kraken.get_order_status(btc(), OrderId(7)).await.unwrap().status, OrderStatus::New);
    assert_eq!(kraken.cancel_order(btc(), OrderId(7)).await.unwrap().status, OrderStatus::Canceled);

    let too_big = OrderRequest::new(OrderId(8), btc(), Side::Buy, OrderQty::Base(dec!(100)), Some(dec!(37500)));
    let err = kraken.place_order(too_big).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("EOrder:Insufficient funds")), "{err:?}");
    let err = kraken.get_order_status(btc(), OrderId(9)).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("no order with cl_ord_id")), "{err:?}");
}

#[tokio::test]
async fn an_order_placed_by_another_process_of_the_session_is_found_by_its_cl_ord_id_once() {
    let (base, venue) = mock_kraken_venue().await;
    let tag = ClientTag::new(0x5e55);
    let mut placing = adapter(&base, KEY);
    placing.set_client_tag(tag);
    let order = OrderRequest::new(OrderId(7), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    placing.place_order(order).await.unwrap();
    // A later process (a resumed session, `ctb exchange cancel`) never saw the txid: it looks the order up.
    let mut later = adapter(&base, KEY);
    later.set_client_tag(tag);
    assert_eq!(later.get_order_status(btc(), OrderId(7)).await.unwrap().status, OrderStatus::New);
    assert_eq!(later.cancel_order(btc(), OrderId(7)).await.unwrap().status, OrderStatus::Canceled);
    assert_eq!(later.get_order_status(btc(), OrderId(7)).await.unwrap().status, OrderStatus::Canceled, "closed");
    // It was open at the first look (one OpenOrders call); the txid found then serves the cancel and the next poll.
    assert_eq!(venue.lock().unwrap().lookups, 1, "the txid is looked up once");
    let mut stranger = adapter(&base, KEY);
    stranger.set_client_tag(ClientTag::new(0x0dd));
    assert!(stranger.get_order_status(btc(), OrderId(7)).await.is_err(), "another session's order is not its own");
}

#[tokio::test]
async fn a_wrong_key_is_an_authentication_error_that_names_no_credential() {
    let mut kraken = adapter(&mock_kraken().await, "wrong-key");
    let err = kraken.connect().await.unwrap_err();
    assert!(matches!(&err, Error::Authentication(m) if m.contains("EAPI:Invalid key")), "{err:?}");
    let shown = format!("{err} {err:?} {kraken:?}");
    assert!(!shown.contains("wrong-key") && !shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn an_add_order_without_an_answer_is_found_by_its_client_order_id_never_sent_again() {
    let mut kraken = adapter(&mock_kraken().await, KEY);
    let placed = OrderRequest::new(OrderId(99), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let report = kraken.place_order(placed).await.unwrap();
    assert_eq!((report.status, report.request.client_order_id), (OrderStatus::New, OrderId(99)));
    assert_eq!(kraken.cancel_order(btc(), OrderId(99)).await.unwrap().status, OrderStatus::Canceled, "known by txid");
    let lost = OrderRequest::new(OrderId(98), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let err = kraken.place_order(lost).await.unwrap_err();
    assert!(
        matches!(&err, Error::Exchange(m) if m.contains("AddOrder") && m.contains("order 98 is not at the venue")),
        "{err:?}"
    );
}

/// An engine trading at the mock Kraken through the adapter (dead man's switch after `timeout` seconds, if set).
async fn kraken_engine(base: &str, timeout: Option<u64>) -> cryptotradebot::engine::TradingEngine {
    kraken_engine_tagged(base, timeout, ClientTag::fresh("kraken")).await
}

/// [`kraken_engine`] whose client order ids carry `tag` (those of an earlier process of the session).
async fn kraken_engine_tagged(
    base: &str,
    timeout: Option<u64>,
    tag: ClientTag,
) -> cryptotradebot::engine::TradingEngine {
    use cryptotradebot::portfolio::Portfolio;
    use cryptotradebot::risk::{RiskLimits, RiskManager};
    let mut config = serde_json::json!({ "base_url": base, "rate_limits": { "requests_per_minute": 6000 } });
    if let Some(seconds) = timeout {
        config["dead_mans_switch_seconds"] = seconds.into();
    }
    let config: VenueConfig = serde_json::from_value(config).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut router = cryptotradebot::venue::OrderRouter::new();
    let mut kraken = KrakenAdapter::new(&config, Some(credentials)).unwrap();
    kraken.set_client_tag(tag);
    router.add(Box::new(kraken)).unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine =
        cryptotradebot::engine::TradingEngine::new(router, risk, Portfolio::new("USD", dec!(1000), &[btc()]));
    engine.start().await.unwrap();
    engine
}

#[tokio::test]
async fn the_dead_mans_switch_is_renewed_with_sixty_seconds_and_disarmed_when_orders_are_kept() {
    let (base, venue) = mock_kraken_venue().await;
    let mut engine = kraken_engine(&base, None).await;
    engine.place_order("kraken", btc(), Side::Buy, dec!(0.01), Some(dec!(37500))).await.unwrap();
    assert_eq!(engine.dead_mans_switches(true).await.unwrap(), 1, "Kraken has one");
    assert_eq!(engine.dead_mans_switches(true).await.unwrap(), 1);
    // --keep-orders: the order stays, and so that Kraken does not cancel it a minute later, the switch is disarmed.
    assert_eq!(engine.kill_switch(true).await.unwrap(), 0);
    let state = venue.lock().unwrap();
    assert_eq!(state.switch, [60, 60, 0]);
    assert!(state.orders.values().all(|(_, status)| *status == "open"), "the kept order rests");
}

#[tokio::test]
async fn the_kill_switch_cancels_then_disarms_and_a_switch_turned_off_is_never_called() {
    let (base, venue) = mock_kraken_venue().await;
    let mut engine = kraken_engine(&base, None).await;
    engine.place_order("kraken", btc(), Side::Buy, dec!(0.01), Some(dec!(37500))).await.unwrap();
    engine.dead_mans_switches(true).await.unwrap();
    assert_eq!(engine.kill_switch(false).await.unwrap(), 1);
    {
        let state = venue.lock().unwrap();
        assert_eq!(state.switch, [60, 0]);
        assert!(state.orders.values().all(|(_, status)| *status == "canceled"));
    }
    let (base, venue) = mock_kraken_venue().await;
    let mut engine = kraken_engine(&base, Some(0)).await;
    assert_eq!(engine.dead_mans_switches(true).await.unwrap(), 0, "turned off in exchanges.yaml");
    engine.kill_switch(true).await.unwrap();
    assert!(venue.lock().unwrap().switch.is_empty());
}

#[tokio::test]
async fn a_market_order_sized_in_the_quote_asset_goes_out_at_the_pairs_cost_decimals() {
    let (base, venue) = mock_kraken_venue().await;
    let mut kraken = adapter(&base, KEY);
    // 100.1234567 USD: Kraken takes 5 decimals for USD amounts of XBTUSD (cost_decimals), so 100.12345 goes out.
    let order = OrderRequest {
        order_type: cryptotradebot::model::OrderType::Market,
        ..OrderRequest::new(OrderId(11), btc(), Side::Buy, OrderQty::Quote(dec!(100.1234567)), None)
    };
    assert_eq!(kraken.place_order(order).await.unwrap().status, OrderStatus::New);
    let sent = venue.lock().unwrap().orders.values().next().unwrap().0.clone();
    assert_eq!((sent["volume"].as_str(), sent["oflags"].as_str()), ("100.12345", "viqc"));
    let dust = OrderRequest {
        order_type: cryptotradebot::model::OrderType::Market,
        ..OrderRequest::new(OrderId(12), btc(), Side::Buy, OrderQty::Quote(dec!(0.000001)), None)
    };
    let err = kraken.place_order(dust).await.unwrap_err();
    assert!(matches!(&err, Error::Order(m) if m.contains("rounds to nothing at 5 decimals")), "{err:?}");
}

#[tokio::test]
async fn an_order_kraken_took_but_does_not_list_yet_is_reported_accepted_not_refused() {
    let (base, venue) = mock_kraken_venue().await;
    venue.lock().unwrap().unlisted_queries = 1;
    let mut kraken = adapter(&base, KEY);
    let order = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    let report = kraken.place_order(order).await.expect("AddOrder gave a txid: the order is at the venue");
    assert_eq!((report.status, report.filled_quantity), (OrderStatus::New, dec!(0)));
    assert_eq!(venue.lock().unwrap().orders.len(), 1, "added once");
    // Listed a moment later, by the txid AddOrder gave.
    assert_eq!(kraken.get_order_status(btc(), OrderId(1)).await.unwrap().status, OrderStatus::New);
    // A status call refused for its nonce (another process of the key overtook it) does not undo the order either.
    {
        let mut state = venue.lock().unwrap();
        (state.unlisted_queries, state.query_refusal) = (1, Some("EAPI:Invalid nonce"));
    }
    let order = OrderRequest::new(OrderId(2), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    assert_eq!(kraken.place_order(order).await.expect("added").status, OrderStatus::New);
    assert_eq!(venue.lock().unwrap().orders.len(), 2);
}

#[tokio::test]
async fn an_acknowledged_order_the_venue_does_not_list_yet_keeps_working_and_the_kill_switch_cancels_it() {
    use cryptotradebot::execution::OrderState;
    let (base, venue) = mock_kraken_venue().await;
    let mut engine = kraken_engine(&base, Some(0)).await;
    // Unlisted for the status asked right after AddOrder and for the engine's next round of questions.
    venue.lock().unwrap().unlisted_queries = 2;
    let report = engine.place_order("kraken", btc(), Side::Buy, dec!(0.01), Some(dec!(37500))).await.unwrap();
    let id = report.request.client_order_id;
    let state = |engine: &cryptotradebot::engine::TradingEngine| engine.run_log().order(id).map(|o| o.state);
    assert_eq!(state(&engine), Some(OrderState::Acknowledged));
    engine.track_orders().await.unwrap();
    assert_eq!(state(&engine), Some(OrderState::Acknowledged), "not ended on the venue's word that it lacks it");
    engine.track_orders().await.unwrap();
    assert_eq!(state(&engine), Some(OrderState::Acknowledged), "listed now, still open");
    // Before, the order was booked as rejected while it rested at Kraken, and the kill switch left it there.
    assert_eq!(engine.kill_switch(false).await.unwrap(), 1);
    assert!(venue.lock().unwrap().orders.values().all(|(_, status)| *status == "canceled"));
}

#[tokio::test]
async fn an_order_behind_a_5xx_that_kraken_lists_only_seconds_later_is_found_not_called_unplaced() {
    let (base, venue) = mock_kraken_venue().await;
    // The first two lookups (OpenOrders and ClosedOrders each) find nothing; the third finds it.
    venue.lock().unwrap().unlisted_lookups = 4;
    let mut kraken = adapter(&base, KEY);
    let order = OrderRequest::new(OrderId(87), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    let report = kraken.place_order(order).await.expect("found on the third lookup");
    assert_eq!((report.status, report.request.client_order_id), (OrderStatus::New, OrderId(87)));
    let state = venue.lock().unwrap();
    assert_eq!((state.orders.len(), state.lookups), (1, 5), "added once, never re-sent; found by the fifth call");
}

#[tokio::test]
async fn an_acknowledged_order_kraken_no_longer_lists_a_minute_on_ends_as_canceled_with_nothing_filled() {
    use cryptotradebot::execution::OrderState;
    use cryptotradebot::model::{Bar, NANOS_PER_SECOND, Timestamp, VenueId};
    use cryptotradebot::strategy::{SmaCross, SmaCrossParams, StreamInfo, StreamKind};
    let (base, venue) = mock_kraken_venue().await;
    let mut engine = kraken_engine(&base, Some(0)).await;
    let report = engine.place_order("kraken", btc(), Side::Buy, dec!(0.01), Some(dec!(37500))).await.unwrap();
    let id = report.request.client_order_id;
    // From here on Kraken does not list the order (as Coinbase forgets canceled orders that never filled).
    venue.lock().unwrap().unlisted_queries = u32::MAX;
    let record = |engine: &cryptotradebot::engine::TradingEngine| engine.run_log().order(id).cloned().unwrap();
    engine.track_orders().await.unwrap();
    assert_eq!(record(&engine).state, OrderState::Acknowledged, "within the minute a venue may take to list it");
    // A closed bar 61 s after the venue first did not list it moves the engine's clock on.
    let created = record(&engine).created;
    let mut strategy = SmaCross::new(SmaCrossParams { fast: 2, slow: 3 }).unwrap();
    let stream = StreamInfo {
        symbol: btc(),
        venue: VenueId(0),
        kind: StreamKind::Bars,
        close_scale: 1,
        lot_size: dec!(0.00000001),
    };
    let mut run = engine.start_bar_run(&[stream], &mut strategy).unwrap();
    let price = dec!(37600);
    let bar = Bar {
        open_time: Timestamp(created.0 + NANOS_PER_SECOND),
        close_time: Timestamp(created.0 + 61 * NANOS_PER_SECOND),
        open: price,
        high: price,
        low: price,
        close: price,
        volume: dec!(1),
    };
    engine.bar_step(&mut run, 0, &bar, &mut strategy).unwrap();
    engine.track_orders().await.unwrap();
    let ended = record(&engine);
    assert_eq!((ended.state, ended.report.filled_quantity), (OrderState::Canceled, dec!(0)));
    assert!(ended.report.reason.unwrap().contains("has not listed it for a minute"));
}

#[tokio::test]
async fn a_lookup_held_back_by_the_rate_limit_is_waited_out_and_the_order_found() {
    let (base, venue) = mock_kraken_venue().await;
    venue.lock().unwrap().limited_lookups = 1;
    let mut kraken = adapter(&base, KEY);
    let order = OrderRequest::new(OrderId(87), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    let report = kraken.place_order(order).await.expect("found after the limited lookup");
    assert_eq!(report.request.client_order_id, OrderId(87));
    let state = venue.lock().unwrap();
    assert_eq!((state.orders.len(), state.lookups), (1, 2), "one limited call, then found among the open orders");
}

#[tokio::test]
async fn an_order_restored_as_sent_that_kraken_reports_is_acknowledged_and_one_miss_later_does_not_reject_it() {
    use cryptotradebot::execution::{OrderRecord, OrderState};
    use cryptotradebot::model::{OrderReport, Timestamp, VenueId};
    let (base, venue) = mock_kraken_venue().await;
    // Placed by a session that stopped before its journal recorded the order as sent.
    let request = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(37500)));
    let tag = ClientTag::new(0x7e57);
    let mut earlier = adapter(&base, KEY);
    earlier.set_client_tag(tag);
    earlier.place_order(request).await.unwrap();
    let mut engine = kraken_engine_tagged(&base, Some(0), tag).await;
    let record = OrderRecord {
        state: OrderState::Journaled,
        ..OrderRecord::from_report(VenueId(0), Timestamp(0), OrderReport::new(request))
    };
    engine.restore(vec![record], Vec::new(), Vec::new(), Vec::new()).unwrap();
    let state = |engine: &cryptotradebot::engine::TradingEngine| engine.run_log().order(OrderId(1)).unwrap().state;
    assert_eq!(state(&engine), OrderState::Sent, "restored as possibly sent");
    engine.track_orders().await.unwrap();
    assert_eq!(state(&engine), OrderState::Acknowledged, "Kraken reported it: it knows the order");
    venue.lock().unwrap().unlisted_queries = 1;
    engine.track_orders().await.unwrap();
    assert_eq!(state(&engine), OrderState::Acknowledged, "not rejected as never placed on one miss");
}

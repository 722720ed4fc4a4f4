//! Fills from Kraken's private stream: the engine on the Kraken adapter, its REST at the loopback mock venue (which
//! gives out WebSocket tokens) and its `executions` channel at a loopback `ws-auth` that accepts only those tokens.
//! Trades on the channel are booked with their fees, once each; a trade REST already booked as part of an order's
//! status is not booked again when the channel reports it.

mod common;

use rust_decimal::dec;
use std::sync::{Arc, Mutex};

use common::mock_kraken::{KEY, SECRET, Venue, mock_kraken_venue};
use common::mock_kraken_auth::{KrakenAuth, kraken_trade, serve_kraken_auth};
use common::private_streams::{booked, collect_until, collect_until_status};
use cryptotradebot::engine::TradingEngine;
use cryptotradebot::model::{Liquidity, OrderStatus, Side, Symbol};
use cryptotradebot::portfolio::Portfolio;
use cryptotradebot::risk::{RiskLimits, RiskManager};
use cryptotradebot::venue::live::live_adapter;
use cryptotradebot::venue::{ClientTag, Credentials, OrderRouter, Secret, VenueConfig};

/// The `cl_ord_id` of the engine's order 1 under tag 7.
const ORDER_1: &str = "00000007-0000-4000-8000-000000000001";

fn btc() -> Symbol {
    Symbol::new("BTCUSD").unwrap()
}

/// The mock venue, its `ws-auth`, and an engine on the Kraken adapter at both (tag 7), started, the channel
/// subscribed, holding a resting buy of 0.002 BTC at 60,000 (its order 1).
async fn engine_with_a_resting_buy() -> (TradingEngine, Arc<Mutex<Venue>>, KrakenAuth) {
    engine_with_a_buy(None).await
}

/// [`engine_with_a_resting_buy`], the buy executing `on_arrival` (vol_exec, cost, fee) as it is placed.
async fn engine_with_a_buy(on_arrival: Option<(&str, &str, &str)>) -> (TradingEngine, Arc<Mutex<Venue>>, KrakenAuth) {
    let (base, venue) = mock_kraken_venue().await;
    venue.lock().unwrap().fill_on_add = on_arrival.map(|(v, c, f)| (v.into(), c.into(), f.into()));
    let auth = serve_kraken_auth(venue.clone()).await;
    let config = serde_json::json!({
        "base_url": base, "user_stream_url": auth.url, "rate_limits": { "requests_per_minute": 6000 },
        "dead_mans_switch_seconds": 0,
    });
    let config: VenueConfig = serde_json::from_value(config).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut adapter = live_adapter("kraken", &config, Some(credentials)).unwrap();
    adapter.set_client_tag(ClientTag::new(7));
    let mut router = OrderRouter::new();
    router.add(adapter).unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine = TradingEngine::new(router, risk, Portfolio::new("USD", dec!(10000), &[btc()]));
    engine.start().await.unwrap();
    auth.subscribed(1).await;
    let placed = engine.place_order("kraken", btc(), Side::Buy, dec!(0.002), Some(dec!(60000))).await.unwrap();
    let expected = if on_arrival.is_some() { OrderStatus::PartiallyFilled } else { OrderStatus::New };
    assert_eq!(placed.status, expected);
    (engine, venue, auth)
}

/// What the two trades leave, worked by hand: 0.0005 + 0.0015 BTC; 10,000 − 0.0005 × 60,000 − 0.078 −
/// 0.0015 × 59,999.5 − 0.234 = 10,000 − 30 − 0.078 − 89.99925 − 0.234 USD.
async fn assert_both_trades_paid_for(engine: &TradingEngine) {
    let status = engine.get_portfolio_status().await;
    assert_eq!(status.cash, dec!(9879.68875));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.002)]);
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Filled);
}

#[tokio::test]
async fn trades_on_krakens_executions_channel_are_booked_with_their_fees_once_each() {
    let (mut engine, venue, auth) = engine_with_a_resting_buy().await;
    assert_eq!(venue.lock().unwrap().tokens.len(), 1, "one token, fetched at connect, subscribed with");

    // Trade 1100, the same execution again, an order placed by hand (not the session's), then trade 1101.
    let first = kraken_trade(ORDER_1, 1100, "0.0005", "60000.0", "0.078", "0.0005", "partially_filled");
    auth.send(&first);
    auth.send(&first);
    auth.send(&kraken_trade("manual-order", 77, "1", "60000.0", "0.1", "1", "filled"));
    auth.send(&kraken_trade(ORDER_1, 1101, "0.0015", "59999.5", "0.234", "0.002", "filled"));
    collect_until(&mut engine, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.collect_venue_reports().unwrap();

    assert_eq!(
        booked(&engine),
        [
            (dec!(0.0005), dec!(60000), dec!(0.078), "1100".into(), Liquidity::Maker),
            (dec!(0.0015), dec!(59999.5), dec!(0.234), "1101".into(), Liquidity::Maker),
        ]
    );
    assert_both_trades_paid_for(&engine).await;
    assert!(engine.executions_streamed());
}

#[tokio::test]
async fn a_trade_rest_booked_from_the_orders_status_is_not_booked_again_when_the_channel_reports_it() {
    let (mut engine, venue, auth) = engine_with_a_resting_buy().await;
    // The market trades 0.0005 through the buy; the status says so before the channel does, and the question books
    // it as the status's increment (no trade id).
    {
        let mut venue = venue.lock().unwrap();
        let txid = venue.txid_of(1);
        venue.executed.insert(txid, ("0.0005".into(), "30".into(), "0.078".into()));
    }
    engine.track_orders().await.unwrap();
    assert_eq!(booked(&engine), [(dec!(0.0005), dec!(60000), dec!(0.078), String::new(), Liquidity::Maker)]);

    // The channel's report of that trade comes late: not booked again. Then trade 1101, which the channel reports
    // first: booked with its id; the order is over only once the status says so (the channel saw 0.0015 of 0.002).
    auth.send(&kraken_trade(ORDER_1, 1100, "0.0005", "60000.0", "0.078", "0.0005", "partially_filled"));
    auth.send(&kraken_trade(ORDER_1, 1101, "0.0015", "59999.5", "0.234", "0.002", "filled"));
    collect_until(&mut engine, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.collect_venue_reports().unwrap();
    assert_eq!(booked(&engine).len(), 2, "trade 1100 once");
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::PartiallyFilled);

    {
        let mut venue = venue.lock().unwrap();
        let txid = venue.txid_of(1);
        venue.executed.insert(txid.clone(), ("0.002".into(), "119.99925".into(), "0.312".into()));
        venue.orders.get_mut(&txid).unwrap().1 = "closed";
    }
    engine.track_orders().await.unwrap();
    assert_eq!(
        booked(&engine),
        [
            (dec!(0.0005), dec!(60000), dec!(0.078), String::new(), Liquidity::Maker),
            (dec!(0.0015), dec!(59999.5), dec!(0.234), "1101".into(), Liquidity::Maker),
        ],
        "the status's 0.002 is all booked: nothing more"
    );
    assert_both_trades_paid_for(&engine).await;
}

#[tokio::test]
async fn a_trade_made_as_the_order_arrived_is_booked_from_the_channel_and_its_cancel_ends_the_order() {
    // The buy trades 0.0005 on arrival; the answer to the order (its status right after AddOrder) says so, but the
    // engine books nothing from that answer: the channel's report of the trade is booked, and its cancel (the rest of
    // an order that was to trade at once) ends it with that fill.
    let (mut engine, _venue, auth) = engine_with_a_buy(Some(("0.0005", "30", "0.078"))).await;
    auth.send(&kraken_trade(ORDER_1, 1100, "0.0005", "60000.0", "0.078", "0.0005", "partially_filled"));
    let mut canceled = kraken_trade(ORDER_1, 0, "0", "0", "0", "0.0005", "canceled");
    canceled["exec_type"] = "canceled".into();
    canceled["fees"] = serde_json::json!([]);
    auth.send(&canceled);
    collect_until(&mut engine, 1).await;
    collect_until_status(&mut engine, OrderStatus::Canceled).await;
    assert_eq!(booked(&engine), [(dec!(0.0005), dec!(60000), dec!(0.078), "1100".into(), Liquidity::Maker)]);
    let order = &engine.run_log().orders[0];
    assert_eq!((order.report.status, order.report.filled_quantity), (OrderStatus::Canceled, dec!(0.0005)));
    assert_eq!(engine.get_portfolio_status().await.cash, dec!(9969.922));
}

#[tokio::test]
async fn a_trade_rest_booked_is_not_booked_again_when_its_late_report_is_drained_during_the_cancel() {
    let (mut engine, venue, auth) = engine_with_a_resting_buy().await;
    // 0.0005 executes; the question books it as the status's increment (no trade id).
    {
        let mut venue = venue.lock().unwrap();
        let txid = venue.txid_of(1);
        venue.executed.insert(txid, ("0.0005".into(), "30".into(), "0.078".into()));
    }
    engine.track_orders().await.unwrap();
    // The channel's report of that trade arrives late, while the kill switch cancels the rest: the cancel's answer
    // (canceled, 0.0005 executed) is read, the channel drained, and then the answer booked. The trade was booked by
    // the question: not again.
    auth.send(&kraken_trade(ORDER_1, 1100, "0.0005", "60000.0", "0.078", "0.0005", "partially_filled"));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    engine.collect_venue_reports().unwrap();
    assert_eq!(booked(&engine), [(dec!(0.0005), dec!(60000), dec!(0.078), String::new(), Liquidity::Maker)]);
    let order = &engine.run_log().orders[0];
    assert_eq!((order.report.status, order.report.filled_quantity), (OrderStatus::Canceled, dec!(0.0005)));
    assert_eq!(engine.get_portfolio_status().await.cash, dec!(9969.922));
}

//! Fills from Binance's private stream: the engine on the Binance adapter, its REST at the loopback mock venue and
//! its private stream at a loopback WebSocket API that checks the subscription's signature. Trades reported on the
//! stream are booked as charged, once each, as the stream reports them; a report the stream lost is found by asking,
//! and the order ends only when every trade of it was seen; a refused subscription is made again.

mod common;

use rust_decimal::dec;

use common::mock_binance::{KEY, MockOrders, SECRET, mock_binance_venue, trade_through};
use common::mock_user_stream::{UserStream, serve_user_stream, trade_report};
use common::private_streams::{booked, collect_until, collect_until_status};
use cryptotradebot::engine::TradingEngine;
use cryptotradebot::model::{Liquidity, OrderStatus, Side, Symbol};
use cryptotradebot::portfolio::Portfolio;
use cryptotradebot::risk::{RiskLimits, RiskManager};
use cryptotradebot::venue::live::live_adapter;
use cryptotradebot::venue::{ClientTag, Credentials, OrderRouter, Secret, VenueConfig};

/// The engine's order 1 under tag 7, as Binance receives its client order id.
const ORDER_1: &str = "ctb-00000007-1";

/// An engine on the Binance adapter at the mock venue `base`, its private stream at `stream`, client order ids
/// under tag 7; started (the stream subscribed) and holding a resting buy of 0.002 BTC at 60,000 (its order 1).
async fn engine_with_a_resting_buy(base: &str, stream: &UserStream) -> TradingEngine {
    let yaml = format!(
        "base_url: '{base}'\nuser_stream_url: '{}'\nrate_limits: {{ requests_per_second: 1000 }}\n",
        stream.url
    );
    let config: VenueConfig = serde_saphyr::from_str(&yaml).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut adapter = live_adapter("binance", &config, Some(credentials)).unwrap();
    adapter.set_client_tag(ClientTag::new(7));
    let mut router = OrderRouter::new();
    router.add(adapter).unwrap();
    let btc = Symbol::new("BTCUSDT").unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine = TradingEngine::new(router, risk, Portfolio::new("USDT", dec!(10000), &[btc]));
    engine.start().await.unwrap();
    stream.subscribed(1).await;
    let placed = engine.place_order("binance", btc, Side::Buy, dec!(0.002), Some(dec!(60000))).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    engine
}

/// The mock venue trades the resting buy (order 1) twice: 0.0005 at 60,000 with 0.1 % taken in BTC (trade 1100),
/// then 0.0015 at 59,999.5 with the commission in BNB (trade 1101) — what its status and trade list then say.
fn venue_fills_the_buy(orders: &MockOrders) {
    trade_through(orders, 1, "0.0005", "60000", "0.0000005", "BTC");
    trade_through(orders, 1, "0.0015", "59999.5", "0.00123", "BNB");
}

/// What both trades leave, worked by hand: 0.0005 − 0.0000005 (the commission in BTC) + 0.0015 BTC received;
/// 10,000 − 0.0005 × 60,000 − 0.0015 × 59,999.5 = 10,000 − 30 − 89.99925 USDT; the BTC commission worth
/// 0.0000005 × 60,000 = 0.03 USDT as the first fill's fee; the BNB commission is no USDT.
async fn assert_both_trades_booked_once(engine: &TradingEngine) {
    let status = engine.get_portfolio_status().await;
    assert_eq!(status.cash, dec!(9880.00075));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.0019995)]);
    let mut fills = booked(engine);
    fills.sort_by(|a, b| a.3.cmp(&b.3));
    assert_eq!(
        fills,
        [
            (dec!(0.0004995), dec!(60000), dec!(0.03), "1100".into(), Liquidity::Maker),
            (dec!(0.0015), dec!(59999.5), dec!(0), "1101".into(), Liquidity::Maker),
        ]
    );
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Filled);
}

#[tokio::test]
async fn trades_on_the_private_stream_are_booked_as_charged_once_each_as_the_stream_reports_them() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    venue_fills_the_buy(&orders);

    // Trade 1100, then the same report again (Binance may deliver twice), an order placed by hand on the website
    // (not the session's: not booked), then trade 1101, which fills the order.
    let first = trade_report(ORDER_1, 1100, "0.0005", "60000", "0.0000005", "BTC", "0.0005", "PARTIALLY_FILLED");
    stream.send(&first);
    stream.send(&first);
    stream.send(&trade_report("web_8f3a1c", 77, "1", "60000", "0.001", "BTC", "1", "FILLED"));
    stream.send(&trade_report(ORDER_1, 1101, "0.0015", "59999.5", "0.00123", "BNB", "0.002", "FILLED"));
    collect_until(&mut engine, 2).await;
    // Whatever else was delivered by now is booked too.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.collect_venue_reports().unwrap();

    assert_both_trades_booked_once(&engine).await;
    assert_eq!(engine.run_log().fills.len(), 2, "the duplicate and the manual order booked nothing");
}

#[tokio::test]
async fn a_trade_the_private_stream_lost_is_found_by_asking_and_the_order_ends_only_then() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    venue_fills_the_buy(&orders);

    // The connection drops while trade 1100 is reported: the report is lost. The adapter connects again and
    // subscribes again (a fresh signature), and then hears of trade 1101, which says the order is filled.
    stream.cut();
    stream.subscribed(2).await;
    stream.send(&trade_report(ORDER_1, 1101, "0.0015", "59999.5", "0.00123", "BNB", "0.002", "FILLED"));
    collect_until(&mut engine, 1).await;
    assert_eq!(
        engine.run_log().orders[0].report.status,
        OrderStatus::PartiallyFilled,
        "0.0015 of the 0.002 Binance says it executed is booked: the order is not over"
    );

    // Asking the venue finds trade 1100 (listed with 1101, which is not booked again) and ends the order.
    engine.track_orders().await.unwrap();
    assert_both_trades_booked_once(&engine).await;
}

#[tokio::test]
async fn the_end_of_an_order_on_the_private_stream_ends_it_when_all_its_trades_are_booked() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    trade_through(&orders, 1, "0.0005", "60000", "0.0000005", "BTC");

    // Trade 1100, then the order canceled at the venue (by hand, say) with 0.0005 executed: the cancel's report
    // carries its own client id in `c` and the order's in `C`.
    let trade = trade_report(ORDER_1, 1100, "0.0005", "60000", "0.0000005", "BTC", "0.0005", "PARTIALLY_FILLED");
    stream.send(&trade);
    let mut canceled = trade.clone();
    canceled["x"] = "CANCELED".into();
    canceled["X"] = "CANCELED".into();
    canceled["c"] = "web_cancel_1".into();
    canceled["C"] = ORDER_1.into();
    canceled["l"] = "0.00000000".into();
    canceled["t"] = (-1).into();
    canceled["N"] = serde_json::Value::Null;
    canceled["n"] = "0".into();
    stream.send(&canceled);
    collect_until(&mut engine, 1).await;
    collect_until_status(&mut engine, OrderStatus::Canceled).await;
    let order = &engine.run_log().orders[0];
    assert_eq!((order.report.status, order.report.filled_quantity), (OrderStatus::Canceled, dec!(0.0004995)));
    assert_eq!(engine.get_portfolio_status().await.cash, dec!(9970));
}

#[tokio::test]
async fn an_end_on_the_private_stream_after_a_lost_trade_leaves_the_order_working_until_asking_books_the_trade() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    trade_through(&orders, 1, "0.0005", "60000", "0.0000005", "BTC");

    // Trade 1100's report never comes; then the order's cancel, with 0.0005 executed: that end is not taken (a trade
    // of it is missing), so the order stays working and nothing is booked yet.
    let mut canceled = trade_report(ORDER_1, -1, "0", "0", "0", "BTC", "0.0005", "CANCELED");
    canceled["x"] = "CANCELED".into();
    canceled["c"] = "web_cancel_1".into();
    canceled["C"] = ORDER_1.into();
    stream.send(&canceled);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    engine.collect_venue_reports().unwrap();
    assert!(engine.run_log().fills.is_empty());
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::New, "the order is still working");

    // Asking the venue books the trade: 0.0004995 BTC received for 30 USDT.
    engine.track_orders().await.unwrap();
    let fills = booked(&engine);
    assert_eq!(fills, [(dec!(0.0004995), dec!(60000), dec!(0.03), "1100".into(), Liquidity::Maker)]);
    assert_eq!(engine.get_portfolio_status().await.cash, dec!(9970));
}

#[tokio::test]
async fn a_refused_subscription_is_made_again_with_a_fresh_signature_and_the_stream_then_delivers() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    // The first subscription is refused (-1021): Binance keeps the socket open and delivers nothing on it.
    stream.refuse_next.store(1, std::sync::atomic::Ordering::SeqCst);
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    assert_eq!(stream.subscriptions.lock().unwrap()[..2], [false, true], "the first one was refused");
    trade_through(&orders, 1, "0.0005", "60000", "0.0000005", "BTC");
    stream.send(&trade_report(ORDER_1, 1100, "0.0005", "60000", "0.0000005", "BTC", "0.0005", "PARTIALLY_FILLED"));
    collect_until(&mut engine, 1).await;
    assert_eq!(booked(&engine), [(dec!(0.0004995), dec!(60000), dec!(0.03), "1100".into(), Liquidity::Maker)]);
}

#[tokio::test]
async fn the_engine_counts_on_the_private_stream_only_while_it_is_subscribed_and_nothing_was_lost() {
    let (base, _) = mock_binance_venue("0.00001").await;
    let stream = serve_user_stream().await;
    let mut engine = engine_with_a_resting_buy(&base, &stream).await;
    engine.collect_venue_reports().unwrap();
    assert!(engine.executions_streamed(), "subscribed: a live session asks every 15 s instead of every second");

    // The connection drops and is made again at once: reports may have been lost meanwhile, so the session asks the
    // venue once (within a second) before it counts on the stream again.
    stream.cut();
    stream.subscribed(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.collect_venue_reports().unwrap();
    assert!(!engine.executions_streamed(), "a loss was met: ask the venue");
    // Once the new subscription's answer is in and nothing is lost since: 15 s again.
    for _ in 0..500 {
        engine.collect_venue_reports().unwrap();
        if engine.executions_streamed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(engine.executions_streamed(), "subscribed again with nothing lost since: 15 s again");

    // It drops again and Binance refuses every subscription from then on: the stream no longer counts.
    stream.refuse_next.store(usize::MAX, std::sync::atomic::Ordering::SeqCst);
    stream.cut();
    for _ in 0..500 {
        if stream.subscriptions.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    engine.collect_venue_reports().unwrap();
    engine.collect_venue_reports().unwrap();
    assert!(!engine.executions_streamed(), "not subscribed: back to asking every second");
}

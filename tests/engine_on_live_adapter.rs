//! One engine, two venues: a scenario's strategy, risk manager and portfolio run once against the simulated exchange
//! and once against the Binance adapter pointed at the loopback mock venue. Only the router differs; the orders are
//! decided at the same bars, and the ledger books exactly what the mock venue filled.

mod common;

use rust_decimal::{Decimal, dec};
use std::sync::Arc;

use common::mock_binance::{
    KEY, MockOrders, SECRET, lag_trades, mock_binance_venue, mock_binance_with_lot, trade_through,
};
use cryptotradebot::config::Scenario;
use cryptotradebot::engine::TradingEngine;
use cryptotradebot::engine::{BacktestResult, prepare_market, run_prepared, run_prepared_on};
use cryptotradebot::model::{OrderQty, OrderStatus, Side};
use cryptotradebot::portfolio::Portfolio;
use cryptotradebot::risk::{RiskLimits, RiskManager};
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::live::live_adapter;
use cryptotradebot::venue::{Credentials, OrderRouter, Secret};

/// (time placed, side, sized in the quote asset) of every order.
fn decisions(result: &BacktestResult) -> Vec<(i64, Side, bool)> {
    let orders = &result.log.orders;
    orders
        .iter()
        .map(|o| (o.created.millis(), o.report.request.side, matches!(o.report.request.quantity, OrderQty::Quote(_))))
        .collect()
}

#[tokio::test]
async fn a_scenario_runs_unchanged_against_the_simulated_venue_and_the_binance_adapter() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let setup = &scenario.setup;
    let (series, _) = scenario.load_market_data().unwrap();
    let market = Arc::new(prepare_market(setup, series).unwrap());

    let simulated = run_prepared(setup, market.clone()).await.unwrap();

    // The switch: a router holding the Binance adapter (configured as config/exchanges.yaml would, pointed at the
    // mock) instead of the simulated venue.
    let base = mock_binance_with_lot("0.00000001").await;
    let config: VenueConfig =
        serde_saphyr::from_str(&format!("base_url: '{base}'\nrate_limits: {{ requests_per_second: 1000 }}\n")).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut router = OrderRouter::new();
    router.add(live_adapter("binance", &config, Some(credentials)).unwrap()).unwrap();
    let live = run_prepared_on(setup, market, router).await.unwrap();

    assert!(simulated.log.orders.len() > 20, "{} orders", simulated.log.orders.len());
    assert_eq!(decisions(&live), decisions(&simulated), "the same orders at the same bars");
    assert!(live.log.orders.iter().all(|o| o.report.status == OrderStatus::Filled), "every market order filled");

    // The ledger, recomputed from the mock venue's rules alone: a buy spends its USDT amount on BTC at 61602.02
    // (rounded down to 1e-8, commission 0.1 % of it in BTC, to 1e-8); a sell of the position gets 61602.01 less 0.1 %.
    let (mut cash, mut position) = (dec!(10000), Decimal::ZERO);
    for order in &live.log.orders {
        match order.report.request.quantity {
            OrderQty::Quote(amount) => {
                // All the cash, rounded down to USDT's 8 decimals (the mock refuses more with -1111, as Binance).
                assert_eq!(amount, cash.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero));
                let bought =
                    (amount / dec!(61602.02)).round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero);
                cash -= bought * dec!(61602.02);
                position += bought - (bought * dec!(0.001)).round_dp(8);
            }
            OrderQty::Base(sold) => {
                assert_eq!(sold, position, "the whole position");
                cash += sold * dec!(61602.01) * dec!(0.999);
                position = Decimal::ZERO;
            }
        }
    }
    let btc = live.portfolio.positions()[0].quantity;
    assert_eq!((live.portfolio.cash(), btc), (cash, position));
    assert_ne!(live.portfolio.cash(), simulated.portfolio.cash(), "the fills came from the mock, not the simulation");
}

#[tokio::test]
async fn a_cancel_answer_that_reports_an_execution_books_it_before_the_order_ends() {
    let (base, _) = mock_binance_venue("0.00001").await;
    let mut engine = binance_engine(&base).await;
    resting_buy(&mut engine, dec!(0.003)).await;
    // The kill switch cancels it; Binance answers CANCELED with executedQty 0.001 (cummulativeQuoteQty 60), and
    // lists that trade with its commission, 0.000001 BTC: the trade is booked — 0.000999 BTC held (what the account
    // received), 60 USDT spent, the commission worth 0.06 USDT as its fee — and then the order ends.
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    let log = engine.run_log();
    let fills: Vec<_> = log.fills.iter().map(|f| (f.fill.quantity, f.fill.price, f.fill.fee)).collect();
    assert_eq!(fills, [(dec!(0.000999), dec!(60000), dec!(0.06))]);
    assert_eq!(log.fills[0].fill.trade_id.map(|t| t.to_string()), Some("1999".to_string()));
    assert_eq!(log.orders[0].report.status, OrderStatus::Canceled);
    assert_eq!(log.orders[0].report.filled_quantity, dec!(0.000999));
    let status = engine.get_portfolio_status().await;
    assert_eq!(status.cash, dec!(9940));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.000999)]);
}

#[tokio::test]
async fn fills_learned_by_asking_the_venue_are_its_trades_with_their_commissions_each_booked_once() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let mut engine = binance_engine(&base).await;
    resting_buy(&mut engine, dec!(0.002)).await;
    engine.track_orders().await.unwrap();
    assert!(engine.run_log().fills.is_empty(), "nothing executed yet");

    // The market trades 0.0005 through the resting buy; Binance takes 0.1 % of it in BTC. The trade (id 1100) is
    // booked once — 0.0004995 BTC received, 30 USDT paid, the commission worth 0.03 USDT — though it is listed again
    // with the next trade.
    trade_through(&orders, 1, "0.0005", "60000", "0.0000005", "BTC");
    engine.track_orders().await.unwrap();
    engine.track_orders().await.unwrap();
    // Then 0.0015 at 59999.5, the commission paid in BNB: the whole quantity is received, and the BNB is not USDT.
    trade_through(&orders, 1, "0.0015", "59999.5", "0.00123", "BNB");
    engine.track_orders().await.unwrap();
    engine.track_orders().await.unwrap();

    let log = engine.run_log();
    let fills: Vec<_> = log
        .fills
        .iter()
        .map(|f| (f.fill.quantity, f.fill.price, f.fill.fee, f.fill.trade_id.map(|t| t.to_string()), f.fill.liquidity))
        .collect();
    use cryptotradebot::model::Liquidity::Maker;
    assert_eq!(
        fills,
        [
            (dec!(0.0004995), dec!(60000), dec!(0.03), Some("1100".into()), Maker),
            (dec!(0.0015), dec!(59999.5), dec!(0), Some("1101".into()), Maker),
        ]
    );
    assert_eq!(log.orders[0].report.status, OrderStatus::Filled);
    let status = engine.get_portfolio_status().await;
    // 10000 - 0.0005 × 60000 - 0.0015 × 59999.5 = 10000 - 30 - 89.99925.
    assert_eq!(status.cash, dec!(9880.00075));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.0019995)]);
}

/// An engine on the Binance adapter at the mock venue `base`, its client order ids under tag 7 (as a session's are,
/// across restarts).
async fn binance_engine(base: &str) -> TradingEngine {
    let config: VenueConfig =
        serde_saphyr::from_str(&format!("base_url: '{base}'\nrate_limits: {{ requests_per_second: 1000 }}\n")).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut adapter = live_adapter("binance", &config, Some(credentials)).unwrap();
    adapter.set_client_tag(cryptotradebot::venue::ClientTag::new(7));
    let mut router = OrderRouter::new();
    router.add(adapter).unwrap();
    let btc = cryptotradebot::model::Symbol::new("BTCUSDT").unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine = TradingEngine::new(router, risk, Portfolio::new("USDT", dec!(10000), &[btc]));
    engine.start().await.unwrap();
    engine
}

/// What a journal written before trades were listed holds of `engine`'s order 1, a buy at 60,000: the order partly
/// filled (`filled`), and one fill without a trade id per (quantity, fee) of `fills`.
fn journaled_without_ids(
    engine: &TradingEngine,
    filled: Decimal,
    fills: &[(Decimal, Decimal)],
) -> (cryptotradebot::execution::OrderRecord, Vec<cryptotradebot::execution::FillRecord>) {
    let mut order = engine.run_log().orders[0].clone();
    order.state = cryptotradebot::execution::OrderState::PartiallyFilled;
    order.report.status = OrderStatus::PartiallyFilled;
    order.report.filled_quantity = filled;
    let request = order.report.request;
    let records = fills
        .iter()
        .zip(1..)
        .map(|(&(quantity, fee), time)| cryptotradebot::execution::FillRecord {
            venue: cryptotradebot::model::VenueId(0),
            fill: cryptotradebot::model::Fill {
                order_id: request.client_order_id,
                time: cryptotradebot::model::Timestamp(time),
                symbol: request.symbol,
                side: Side::Buy,
                quantity,
                price: dec!(60000),
                fee,
                liquidity: cryptotradebot::model::Liquidity::Maker,
                trade_id: None,
            },
        })
        .collect();
    (order, records)
}

/// The engine's booked fills: quantity, fee and the venue's trade id.
fn booked(engine: &TradingEngine) -> Vec<(Decimal, Decimal, Option<String>)> {
    let fills = &engine.run_log().fills;
    fills.iter().map(|f| (f.fill.quantity, f.fill.fee, f.fill.trade_id.map(|t| t.to_string()))).collect()
}

/// A resting buy of `quantity` at 60,000 placed by `engine` (its order 1).
async fn resting_buy(engine: &mut TradingEngine, quantity: Decimal) {
    let btc = cryptotradebot::model::Symbol::new("BTCUSDT").unwrap();
    let placed = engine.place_order("binance", btc, Side::Buy, quantity, Some(dec!(60000))).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
}

#[tokio::test]
async fn a_trade_the_venue_never_lists_at_the_kill_switch_is_not_guessed_and_is_booked_once_listed() {
    let (base, orders): (String, MockOrders) = mock_binance_venue("0.00001").await;
    let mut engine = binance_engine(&base).await;
    // 0.003: the mock executes 0.001 of it just before the cancel arrives, and its trade list trails behind.
    resting_buy(&mut engine, dec!(0.003)).await;
    lag_trades(&orders, 1, true);
    // Asked three more times, a second apart, then reported: nothing is booked from the status (its commission is
    // unknown), and the order stays with its cancel requested, as the journal holds it.
    let failure = engine.cancel_open_orders().await.unwrap_err().to_string();
    assert!(failure.contains("has not listed all its trades: resume the session"), "{failure}");
    assert!(engine.run_log().fills.is_empty());
    assert_eq!(engine.run_log().orders[0].state, cryptotradebot::execution::OrderState::CancelRequested);
    // Listed at last (as a resumed session asks): booked with its id and commission, and the order ends.
    lag_trades(&orders, 1, false);
    engine.track_orders().await.unwrap();
    assert_eq!(booked(&engine), [(dec!(0.000999), dec!(0.06), Some("1999".into()))]);
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Canceled);
}

#[tokio::test]
async fn fills_a_journal_holds_without_ids_cover_as_many_listed_trades_as_they_add_up_to() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let mut before = binance_engine(&base).await;
    resting_buy(&mut before, dec!(0.003)).await;
    for _ in 0..3 {
        trade_through(&orders, 1, "0.001", "60000", "0.000001", "BTC");
    }
    // Two trades booked without ids, each as the quantity received (0.000999): they stand for trades 1100 and 1101;
    // only 1102 is new.
    let (order, fills) = journaled_without_ids(&before, dec!(0.001998), &[(dec!(0.000999), dec!(0.06)); 2]);
    let mut engine = binance_engine(&base).await;
    engine.restore(vec![order], fills, vec![], vec![]).unwrap();
    engine.track_orders().await.unwrap();
    let fills: Vec<_> =
        engine.run_log().fills.iter().map(|f| (f.fill.quantity, f.fill.trade_id.map(|t| t.to_string()))).collect();
    assert_eq!(fills, [(dec!(0.000999), None), (dec!(0.000999), None), (dec!(0.000999), Some("1102".into()))]);
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Filled);
}

#[tokio::test]
async fn a_trade_listed_in_time_at_the_kill_switch_is_booked_with_its_id_and_commission() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let mut engine = binance_engine(&base).await;
    resting_buy(&mut engine, dec!(0.003)).await;
    lag_trades(&orders, 1, true);
    let unlag = orders.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        lag_trades(&unlag, 1, false);
    });
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    assert_eq!(booked(&engine), [(dec!(0.000999), dec!(0.06), Some("1999".into()))]);
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Canceled);
}

#[tokio::test]
async fn a_resumed_session_does_not_book_again_a_fill_its_journal_holds_without_a_trade_id() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let mut before = binance_engine(&base).await;
    resting_buy(&mut before, dec!(0.002)).await;
    trade_through(&orders, 1, "0.0005", "60000", "0.0000005", "BTC");
    // A journal written before trades were listed: the order's status increment booked as a fill, no trade id.
    let (order, fills) = journaled_without_ids(&before, dec!(0.0005), &[(dec!(0.0005), dec!(0))]);
    let mut engine = binance_engine(&base).await;
    engine.restore(vec![order], fills, vec![], vec![]).unwrap();
    engine.track_orders().await.unwrap();
    assert_eq!(engine.run_log().fills.len(), 1, "trade 1100 is the journal's fill");
    // The next trade is booked, once.
    trade_through(&orders, 1, "0.0015", "60000", "0.0000015", "BTC");
    engine.track_orders().await.unwrap();
    engine.track_orders().await.unwrap();
    let fills: Vec<_> =
        engine.run_log().fills.iter().map(|f| (f.fill.quantity, f.fill.trade_id.map(|t| t.to_string()))).collect();
    assert_eq!(fills, [(dec!(0.0005), None), (dec!(0.0014985), Some("1101".into()))]);
    assert_eq!(engine.run_log().orders[0].report.status, OrderStatus::Filled);
}

#[tokio::test]
async fn an_order_of_more_trades_than_one_page_lists_is_booked_whole() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let mut engine = binance_engine(&base).await;
    // 1,200 trades of 0.00001 each: Binance lists at most 1,000 per call.
    resting_buy(&mut engine, dec!(0.012)).await;
    for _ in 0..1200 {
        trade_through(&orders, 1, "0.00001", "60000", "0.006", "USDT");
    }
    engine.track_orders().await.unwrap();
    let log = engine.run_log();
    assert_eq!(log.fills.len(), 1200);
    assert_eq!(log.orders[0].report.status, OrderStatus::Filled);
    assert_eq!(log.orders[0].report.fee, dec!(7.2));
    assert_eq!(engine.get_portfolio_status().await.cash, dec!(10000) - dec!(720) - dec!(7.2));
}

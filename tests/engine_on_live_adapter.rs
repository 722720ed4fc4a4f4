//! One engine, two venues: a scenario's strategy, risk manager and portfolio run once against the simulated exchange
//! and once against the Binance adapter pointed at the loopback mock venue. Only the router differs; the orders are
//! decided at the same bars, and the ledger books exactly what the mock venue filled.

mod common;

use rust_decimal::{Decimal, dec};
use std::sync::Arc;

use common::mock_binance::{KEY, SECRET, mock_binance_venue, mock_binance_with_lot, trade_through};
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
    let base = mock_binance_with_lot("0.00001").await;
    let config: VenueConfig =
        serde_saphyr::from_str(&format!("base_url: '{base}'\nrate_limits: {{ requests_per_second: 1000 }}\n")).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut router = OrderRouter::new();
    router.add(live_adapter("binance", &config, Some(credentials)).unwrap()).unwrap();
    let btc = cryptotradebot::model::Symbol::new("BTCUSDT").unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine = TradingEngine::new(router, risk, Portfolio::new("USDT", dec!(10000), &[btc]));
    engine.start().await.unwrap();
    let placed = engine.place_order("binance", btc, Side::Buy, dec!(0.003), Some(dec!(60000))).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    // The kill switch cancels it; Binance answers CANCELED with executedQty 0.001 (cummulativeQuoteQty 60), and
    // lists that trade with its commission, 0.000001 BTC: the trade is booked — 0.000999 BTC held (what the account
    // received), 60 USDT spent, the commission worth 0.06 USDT as its fee — and then the order ends.
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    let log = engine.run_log();
    let fills: Vec<_> = log.fills.iter().map(|f| (f.fill.quantity, f.fill.price, f.fill.fee)).collect();
    assert_eq!(fills, [(dec!(0.000999), dec!(60000), dec!(0.06))]);
    assert_eq!(log.fills[0].fill.trade_id.map(|t| t.to_string()), Some("19".to_string()));
    assert_eq!(log.orders[0].report.status, OrderStatus::Canceled);
    assert_eq!(log.orders[0].report.filled_quantity, dec!(0.000999));
    let status = engine.get_portfolio_status().await;
    assert_eq!(status.cash, dec!(9940));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.000999)]);
}

#[tokio::test]
async fn fills_learned_by_asking_the_venue_are_its_trades_with_their_commissions_each_booked_once() {
    let (base, orders) = mock_binance_venue("0.00001").await;
    let config: VenueConfig =
        serde_saphyr::from_str(&format!("base_url: '{base}'\nrate_limits: {{ requests_per_second: 1000 }}\n")).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(SECRET), passphrase: None };
    let mut router = OrderRouter::new();
    router.add(live_adapter("binance", &config, Some(credentials)).unwrap()).unwrap();
    let btc = cryptotradebot::model::Symbol::new("BTCUSDT").unwrap();
    let risk = RiskManager::new(RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() });
    let mut engine = TradingEngine::new(router, risk, Portfolio::new("USDT", dec!(10000), &[btc]));
    engine.start().await.unwrap();
    let placed = engine.place_order("binance", btc, Side::Buy, dec!(0.002), Some(dec!(60000))).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    engine.track_orders().await.unwrap();
    assert!(engine.run_log().fills.is_empty(), "nothing executed yet");

    // The market trades 0.0005 through the resting buy; Binance takes 0.1 % of it in BTC. Asked twice, the trade
    // (id 15) is booked once: 0.0004995 BTC received, 30 USDT paid, the commission worth 0.03 USDT.
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
            (dec!(0.0004995), dec!(60000), dec!(0.03), Some("15".into()), Maker),
            (dec!(0.0015), dec!(59999.5), dec!(0), Some("16".into()), Maker),
        ]
    );
    assert_eq!(log.orders[0].report.status, OrderStatus::Filled);
    let status = engine.get_portfolio_status().await;
    // 10000 - 0.0005 × 60000 - 0.0015 × 59999.5 = 10000 - 30 - 89.99925.
    assert_eq!(status.cash, dec!(9880.00075));
    assert_eq!(status.positions.iter().map(|p| p.quantity).collect::<Vec<_>>(), [dec!(0.0019995)]);
}

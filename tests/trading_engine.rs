//! The seed's "Basic Trading Setup", in Rust: an engine over a map of named venues plus a risk manager, started,
//! given an order, asked for the portfolio, stopped. Every order passes the risk manager; a refusal is the typed
//! `RiskManagementError` with the reason.

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::Arc;

use cryptotradebot::Error;
use cryptotradebot::engine::{MarketData, TradingEngine};
use cryptotradebot::model::VenueId;
use cryptotradebot::model::{BarSeries, Instrument, OrderStatus, Side, Symbol, Timestamp};
use cryptotradebot::portfolio::Portfolio;
use cryptotradebot::risk::{ExitPolicy, RiskLimits, RiskManager, RiskPolicy};
use cryptotradebot::venue::sim::SimConfig;
use cryptotradebot::venue::{OrderRouter, SimulatedExchange};

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// The seed's setup: one simulated Binance venue.
fn engine() -> TradingEngine {
    let mut exchanges = OrderRouter::new();
    exchanges.add_simulated(binance()).unwrap();
    engine_on(exchanges, RiskPolicy::default())
}

fn binance() -> SimulatedExchange {
    let instrument = Instrument {
        symbol: btc(),
        base: "BTC".into(),
        quote: "USDT".into(),
        tick_size: dec!(0.01),
        lot_size: dec!(0.00001),
        min_notional: dec!(5),
        min_quantity: None,
        max_quantity: None,
    };
    let balances = BTreeMap::from([("USDT".to_string(), dec!(10000))]);
    SimulatedExchange::new("binance", SimConfig::default(), vec![instrument], balances).unwrap()
}

fn engine_on(exchanges: OrderRouter, policy: RiskPolicy) -> TradingEngine {
    // The seed's limits: 5 % per position, 3 % daily loss, 10 % drawdown.
    let limits = RiskLimits {
        max_position_size_percent: dec!(5),
        max_daily_loss_percent: dec!(3),
        max_drawdown_percent: dec!(10),
        ..RiskLimits::default()
    };
    let series = BarSeries {
        symbol: btc(),
        interval: 3_600_000_000_000,
        open_time: vec![Timestamp(0), Timestamp(3_600_000_000_000)],
        open: vec![dec!(50000); 2],
        high: vec![dec!(50100); 2],
        low: vec![dec!(49900); 2],
        close: vec![dec!(50000); 2],
        volume: vec![dec!(1); 2],
    };
    let market = MarketData::new(vec![series], vec![VenueId(0)]).unwrap();
    TradingEngine::new(
        exchanges,
        RiskManager::new(limits).with_policy(policy),
        Portfolio::new("USDT", dec!(10000), &[btc()]),
    )
    .with_market_data(Arc::new(market))
}

#[tokio::test]
async fn the_seed_setup_places_a_limit_order_that_passes_risk_and_reports_the_portfolio() {
    let mut engine = engine();
    engine.start().await.unwrap();
    // 0.001 BTC at 50,000 = 50 USDT, within 5 % of 10,000
    let report = engine.place_order("binance", btc(), Side::Buy, dec!(0.001), Some(dec!(50000))).await.unwrap();
    assert_eq!((report.status, report.request.price), (OrderStatus::New, Some(dec!(50000))));
    let status = engine.get_portfolio_status().await;
    assert_eq!((status.cash, status.equity, status.quote.as_str()), (dec!(10000), dec!(10000), "USDT"));
    assert!(status.positions.is_empty(), "a resting limit order holds nothing yet");
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn an_order_the_risk_manager_refuses_is_a_risk_management_error_with_the_reason() {
    let mut engine = engine();
    engine.start().await.unwrap();
    // A sell with nothing held would open a short of 1 BTC = 50,000 USDT: far beyond 5 % of 10,000. Resizing it to the
    // limit (0.01 BTC) is allowed, so the risk manager passes a smaller order — and the spot venue then refuses the
    // sale of BTC the account does not hold.
    let sell = engine.place_order("binance", btc(), Side::Sell, dec!(1), Some(dec!(50000))).await;
    assert!(matches!(&sell, Err(Error::Order(m)) if m.contains("insufficient BTC balance")), "{sell:?}");
    let log = engine.run_log();
    assert_eq!(log.risk_events.len(), 1, "the resize is recorded");
    assert!(log.risk_events[0].reason.starts_with("resized from 1 to 0.01"), "{}", log.risk_events[0].reason);
    // An order of nothing is refused outright, recorded as rejected.
    let refused = engine.place_order("binance", btc(), Side::Buy, dec!(0), Some(dec!(50000))).await;
    assert!(matches!(&refused, Err(Error::RiskManagement(m)) if m.contains("must be positive")), "{refused:?}");
    assert_eq!(engine.run_log().orders.last().map(|o| o.report.status), Some(OrderStatus::Rejected));
    let negative = engine.place_order("binance", btc(), Side::Buy, dec!(1), Some(dec!(-1))).await;
    assert!(matches!(&negative, Err(Error::Order(m)) if m.contains("limit price -1")), "{negative:?}");
}

#[tokio::test]
async fn an_unknown_venue_is_a_config_error_listing_the_venues() {
    let mut engine = engine();
    engine.start().await.unwrap();
    let err = engine.place_order("kraken", btc(), Side::Buy, dec!(0.001), None).await.unwrap_err();
    assert!(matches!(&err, Error::Config(m) if m.contains("'kraken'") && m.contains("binance")), "{err:?}");
}

#[tokio::test]
async fn strategies_run_only_on_a_started_engine() {
    let mut engine = engine();
    let err = engine.execute_strategy("sma_cross", &serde_json::json!({"fast": 1, "slow": 2})).await.unwrap_err();
    assert!(matches!(err, Error::Validation(m) if m.contains("start()")));
    engine.start().await.unwrap();
    let run = engine.execute_strategy("sma_cross", &serde_json::json!({"fast": 1, "slow": 2})).await.unwrap();
    assert_eq!((run.strategy.as_str(), run.events), ("sma_cross", 2));
}

#[tokio::test]
async fn attached_exits_are_refused_at_start_for_a_venue_that_cannot_hold_them() {
    // Through the plain adapter interface the engine cannot place the bracket in the same step as the entry's fill,
    // so it refuses to start rather than trade without the exits the scenario asked for.
    let mut exchanges = OrderRouter::new();
    exchanges.add(Box::new(binance())).unwrap();
    let attach = RiskPolicy { exits: ExitPolicy { attach: true, ..ExitPolicy::default() }, ..RiskPolicy::default() };
    let err = engine_on(exchanges, attach).start().await.unwrap_err();
    assert!(
        matches!(&err, Error::Validation(m) if m.contains("risk_policy.exits.attach") && m.contains("'binance'")),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_order_and_every_cancel_is_journaled_before_it_leaves_and_its_life_follows_the_state_machine() {
    use cryptotradebot::engine::JournalHooks;
    use cryptotradebot::execution::OrderState;
    use std::sync::Mutex;
    let seen: Arc<Mutex<Vec<(u64, OrderState)>>> = Arc::default();
    let journaled = Arc::clone(&seen);
    let hooks = JournalHooks {
        orders: Box::new(move |record| {
            journaled.lock().unwrap().push((record.report.request.client_order_id.0, record.state));
            Ok(())
        }),
        fills: Box::new(|_, _| Ok(())),
    };
    let mut engine = engine().with_journal(hooks);
    engine.start().await.unwrap();
    // A resting buy (order 1), then the kill switch cancels it.
    engine.place_order("binance", btc(), Side::Buy, dec!(0.001), Some(dec!(49000))).await.unwrap();
    assert_eq!(engine.run_log().orders[0].state, OrderState::Acknowledged);
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    let order = &engine.run_log().orders[0];
    assert_eq!((order.state, order.report.status), (OrderState::Canceled, OrderStatus::Canceled));
    // The journal saw it before the order left (journaled) and before the cancel left (cancel requested).
    assert_eq!(*seen.lock().unwrap(), [(1, OrderState::Journaled), (1, OrderState::CancelRequested)]);
    // Nothing is left to cancel. An order the risk manager refuses is journaled at once, as rejected, so that the
    // journal's order ids never skip one — and never as journaled for sending.
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 0);
    let refused = engine.place_order("binance", btc(), Side::Buy, dec!(0), Some(dec!(50000))).await;
    assert!(refused.is_err());
    assert_eq!(engine.run_log().orders[1].state, OrderState::Rejected);
    assert_eq!(seen.lock().unwrap()[2..], [(2, OrderState::Rejected)]);
}

#[tokio::test]
async fn an_order_the_journal_cannot_record_is_never_sent() {
    use cryptotradebot::engine::JournalHooks;
    use cryptotradebot::execution::OrderState;
    let hooks =
        JournalHooks { orders: Box::new(|_| Err(Error::Journal("disk full".into()))), fills: Box::new(|_, _| Ok(())) };
    let mut engine = engine().with_journal(hooks);
    engine.start().await.unwrap();
    let sent = engine.place_order("binance", btc(), Side::Buy, dec!(0.001), Some(dec!(49000))).await;
    assert!(matches!(&sent, Err(Error::Journal(m)) if m.contains("disk full")), "{sent:?}");
    let order = &engine.run_log().orders[0];
    assert_eq!((order.state, order.report.status), (OrderState::Rejected, OrderStatus::Rejected));
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 0, "nothing of it is at the venue");
}

/// Buys 0.01 BTC at the first close with a bracket of 1,000 / 2,000 USDT: the entry fills at the next bar's open
/// (50,000), then the venue holds a stop at 49,000 and a take-profit at 52,000 as one-cancels-the-other.
struct BracketBuyer;

impl cryptotradebot::strategy::Strategy for BracketBuyer {
    fn name(&self) -> &str {
        "bracket_buyer"
    }
    fn on_start(&mut self, _streams: &[cryptotradebot::strategy::StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn on_event(
        &mut self,
        ctx: &cryptotradebot::strategy::Context<'_>,
        commands: &mut Vec<cryptotradebot::strategy::Command>,
    ) {
        use cryptotradebot::model::OrderQty;
        use cryptotradebot::strategy::{Command, OrderIntent};
        if ctx.position.is_zero() && ctx.open_orders.is_empty() && ctx.time == Timestamp(3_600_000_000_000) {
            let entry = OrderIntent::market(ctx.venue, ctx.symbol, Side::Buy, OrderQty::Base(dec!(0.01)));
            commands.push(Command::Submit(entry.with_bracket(dec!(1000), dec!(2000))));
        }
    }
}

#[tokio::test]
async fn the_kill_switch_cancels_an_exit_pair_once_and_skips_the_partner_the_venue_canceled_with_it() {
    use cryptotradebot::model::OrderType;
    let series = BarSeries {
        symbol: btc(),
        interval: 3_600_000_000_000,
        open_time: (0..3).map(|h| Timestamp(h * 3_600_000_000_000)).collect(),
        open: vec![dec!(50000); 3],
        high: vec![dec!(50100); 3],
        low: vec![dec!(49900); 3],
        close: vec![dec!(50000); 3],
        volume: vec![dec!(1); 3],
    };
    let mut exchanges = OrderRouter::new();
    exchanges.add_simulated(binance()).unwrap();
    let market = MarketData::new(vec![series], vec![VenueId(0)]).unwrap();
    let mut engine = engine_on(exchanges, RiskPolicy::default()).with_market_data(Arc::new(market));
    engine.start().await.unwrap();
    engine.run_strategy(&mut BracketBuyer).await.unwrap();
    let working = |engine: &TradingEngine| {
        let orders = engine.run_log().orders.iter();
        orders.filter(|o| !o.report.status.is_final()).map(|o| o.report.request.order_type).collect::<Vec<_>>()
    };
    assert_eq!(working(&engine), [OrderType::StopMarket, OrderType::TakeProfitMarket], "the pair rests");

    // Canceling the stop makes the venue cancel its partner too; the kill switch then finds the take-profit ended
    // and goes on instead of failing.
    assert_eq!(engine.cancel_open_orders().await.unwrap(), 1);
    assert!(working(&engine).is_empty());
    let statuses: Vec<OrderStatus> = engine.run_log().orders.iter().map(|o| o.report.status).collect();
    assert_eq!(statuses, [OrderStatus::Filled, OrderStatus::Canceled, OrderStatus::Canceled]);
    assert_eq!(engine.portfolio().position(0).quantity, dec!(0.01), "the position stays; only orders are canceled");
}

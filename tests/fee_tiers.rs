//! Volume-tiered fees, worked by hand: a ladder of three levels (from 0, 1,000 and 3,000 USDT of 30-day volume; the
//! top one pays makers a rebate) moves a venue's rate as its fills add up and as old fills leave the 30-day window;
//! and a scenario naming the shipped Binance ladder pays the regular 0.1 % its volume earns.

mod common;

use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;

use common::sim_venue::{btc, btc_instrument};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{
    Bar, ExecutionEvent, MarketEvent, NANOS_PER_DAY, OrderId, OrderQty, OrderRequest, Side, Timestamp,
};
use cryptotradebot::runner::run_scenario;
use cryptotradebot::venue::ExchangeAdapter;
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::SimConfig;

fn flat_bar(day: i64) -> MarketEvent {
    let (open_time, close_time) = (Timestamp(day * NANOS_PER_DAY), Timestamp((day + 1) * NANOS_PER_DAY));
    let p = dec!(100);
    MarketEvent::bar(
        btc(),
        Bar { open_time, close_time, open: p, high: dec!(101), low: dec!(99), close: p, volume: dec!(1) },
    )
}

fn fees(v: &mut SimulatedExchange) -> Vec<Decimal> {
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    events
        .iter()
        .filter_map(|e| if let ExecutionEvent::Fill { fill, .. } = e { Some(fill.fee) } else { None })
        .collect()
}

#[tokio::test]
async fn the_rate_follows_the_thirty_day_volume_up_the_ladder_and_back_down() {
    let dir = tempfile::tempdir().unwrap();
    let ladder = common::write(
        dir.path(),
        "ladder.yaml",
        "name: test\nas_of: 2026-11-24\nsource: worked by hand\ntiers:\n  - { level: base, min_volume: 0, maker_percent: 0.1, taker_percent: 0.1 }\n  - { level: one, min_volume: 1000, maker_percent: 0.05, taker_percent: 0.08 }\n  - { level: two, min_volume: 3000, maker_percent: -0.01, taker_percent: 0.05 }\n",
    );
    let instrument = btc_instrument(dec!(1));
    let cash = BTreeMap::from([("USDT".to_string(), dec!(10000))]);
    let mut v = SimulatedExchange::new("sim", SimConfig::default(), vec![instrument], cash)
        .unwrap()
        .with_fee_ladder(cryptotradebot::config::read_fee_ladder(&ladder).unwrap());
    v.connect().await.unwrap();
    v.on_market_event(&flat_bar(0));
    let buy = |id, quantity| OrderRequest::new(OrderId(id), btc(), Side::Buy, OrderQty::Base(quantity), None);
    // Day 1 opens at 100: 9 BTC (900) at the base 0.1 % = 0.9; then 2 (200) — the volume before it is 900, still
    // base: 0.2. Day 2: 1 (100) at level one's taker 0.08 % = 0.08 (volume 1,100).
    v.place_order(buy(1, dec!(9))).await.unwrap();
    v.place_order(buy(2, dec!(2))).await.unwrap();
    v.on_market_event(&flat_bar(1));
    v.place_order(buy(3, dec!(1))).await.unwrap();
    v.on_market_event(&flat_bar(2));
    assert_eq!(fees(&mut v), [dec!(0.9), dec!(0.2), dec!(0.08)]);
    // Day 3: 20 more (2,000) at 0.08 % = 1.6, volume 3,200: level two. A resting sell limit at 100.5 that day 4
    // trades through is paid the maker rebate: 10 × 100.5 = 1,005, fee −0.1005.
    v.place_order(buy(4, dec!(20))).await.unwrap();
    v.on_market_event(&flat_bar(3));
    let sell = OrderRequest::new(OrderId(5), btc(), Side::Sell, OrderQty::Base(dec!(10)), Some(dec!(100.5)));
    v.place_order(sell).await.unwrap();
    v.on_market_event(&flat_bar(4));
    assert_eq!(fees(&mut v), [dec!(1.6), dec!(-0.1005)]);
    let usdt = v.get_account_balance().await.unwrap()["USDT"];
    // 10,000 − 900.9 − 200.2 − 100.08 − 2,001.6 + 1,005 + 0.1005 (the rebate is paid)
    assert_eq!(usdt, dec!(7802.3205));
    // Day 33: the fills of days 1 to 3 have left the 30-day window (one exactly 30 days old no longer counts),
    // leaving the 1,005 of day 4: level one, 1 BTC at 0.08 % = 0.08. Day 35: that has left too, leaving the 100 of
    // day 33: the base level, 0.1.
    for day in 5..33 {
        v.on_market_event(&flat_bar(day));
    }
    v.place_order(buy(6, dec!(1))).await.unwrap();
    v.on_market_event(&flat_bar(33));
    for day in 34..35 {
        v.on_market_event(&flat_bar(day));
    }
    v.place_order(buy(7, dec!(1))).await.unwrap();
    v.on_market_event(&flat_bar(35));
    assert_eq!(fees(&mut v), [dec!(0.08), dec!(0.1)]);
}

#[test]
fn a_scenario_on_the_shipped_binance_ladder_pays_the_regular_rate_its_volume_earns() {
    let flat = Scenario::load(&common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    // Under 1,000,000 USDT of 30-day volume, Binance's regular level: 0.1 % both ways, as fee_bps 10 / 10.
    let text = flat.text.replace("fee_bps: { maker: 10, taker: 10 }", "fee_tiers: ../config/fees/binance_spot.yaml");
    let tiered = Scenario::parse(&common::repo("scenarios/btc_sma_cross.yaml"), text).unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (flat_run, tiered_run) = (run_scenario(&flat, a.path()).unwrap(), run_scenario(&tiered, b.path()).unwrap());
    assert_eq!(tiered_run.result.log.fills, flat_run.result.log.fills);
    assert!(tiered_run.summary.metrics.fees > Decimal::ZERO);

    let both = flat.text.replace("slippage_bps: 0", "slippage_bps: 0\n  fee_tiers: ../config/fees/binance_spot.yaml");
    let err = Scenario::parse(&common::repo("scenarios/btc_sma_cross.yaml"), both).unwrap_err();
    assert!(err.to_string().contains("give fee_bps or fee_tiers, not both"), "{err}");
}

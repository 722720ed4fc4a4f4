//! Properties of the simulated venue over random bars and random orders of every type and time in force:
//! * quantity is conserved: no order fills more than it asked for, and one that ends filled filled all of it;
//! * no fill lies outside its bar's range;
//! * every fee is the rate of the fee tier its venue was in (by the volume it had filled before) × the fill's
//!   notional, maker or taker by the fill's liquidity;
//! * a post-only order never takes;
//! * balances never go negative;
//! * under a participation cap and square-root impact (`exchange.liquidity`): no order fills more in a bar than the
//!   cap, a fill-or-kill fills all or nothing, and the same hold (quantity, range, fee, balances).

use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;

use cryptotradebot::model::{
    Bar, ExecutionEvent, Instrument, Liquidity, MarketEvent, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType,
    Side, Symbol, TimeInForce, Timestamp, Trail,
};
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::{BarLiquidity, BarPath, FeeLadder, FeeTier, MarketImpact, SimConfig};

const HOUR: i64 = 3_600_000_000_000;

#[derive(Clone, Debug)]
struct Placed {
    at_bar: usize,
    side: bool,
    kind: u8,
    tif: u8,
    /// Offsets from the last close, in cents.
    price_offset: i64,
    stop_offset: i64,
    thousandths: i64,
}

fn placed() -> impl Strategy<Value = Placed> {
    (0usize..20, any::<bool>(), 0u8..7, 0u8..4, -300i64..300, -300i64..300, 1i64..3000).prop_map(
        |(at_bar, side, kind, tif, price_offset, stop_offset, thousandths)| Placed {
            at_bar,
            side,
            kind,
            tif,
            price_offset,
            stop_offset,
            thousandths,
        },
    )
}

/// A random walk of `moves` (cents) into bars: open = previous close + gap, close = open + step, high and low
/// beyond both.
fn bars(moves: &[(i64, i64, i64, i64)]) -> Vec<Bar> {
    let mut close = dec!(100);
    moves
        .iter()
        .enumerate()
        .map(|(i, &(gap, step, up, down))| {
            let open = (close + Decimal::new(gap, 2)).max(dec!(50));
            close = (open + Decimal::new(step, 2)).max(dec!(50));
            let high = open.max(close) + Decimal::new(up, 2);
            let low = (open.min(close) - Decimal::new(down, 2)).max(dec!(1));
            let (open_time, close_time) = (Timestamp(i as i64 * HOUR), Timestamp((i as i64 + 1) * HOUR));
            Bar { open_time, close_time, open, high, low, close, volume: dec!(1) }
        })
        .collect()
}

fn request(id: u64, p: &Placed, last: Decimal) -> OrderRequest {
    let side = if p.side { Side::Buy } else { Side::Sell };
    let order_type = OrderType::ALL[p.kind as usize];
    let limit = matches!(order_type, OrderType::Limit | OrderType::StopLimit | OrderType::TakeProfitLimit);
    let triggered = matches!(
        order_type,
        OrderType::StopMarket | OrderType::TakeProfitMarket | OrderType::StopLimit | OrderType::TakeProfitLimit
    );
    let time_in_force = if order_type == OrderType::Limit {
        [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok, TimeInForce::PostOnly][p.tif as usize]
    } else {
        TimeInForce::Gtc
    };
    OrderRequest {
        order_type,
        price: limit.then(|| (last + Decimal::new(p.price_offset, 2)).max(dec!(1))),
        stop_price: triggered.then(|| (last + Decimal::new(p.stop_offset, 2)).max(dec!(1))),
        time_in_force,
        trail: (order_type == OrderType::TrailingStop)
            .then(|| Trail::Amount(Decimal::new(p.price_offset.abs() + 1, 2))),
        ..OrderRequest::new(
            OrderId(id),
            Symbol::new("BTCUSDT").unwrap(),
            side,
            OrderQty::Base(Decimal::new(p.thousandths, 3)),
            None,
        )
    }
}

/// Three levels: from 0, 1,000 and 3,000 USDT of volume; the last pays makers a rebate.
fn ladder() -> FeeLadder {
    let tier = |level: &str, min_volume, maker_percent, taker_percent| FeeTier {
        level: level.into(),
        min_volume,
        maker_percent,
        taker_percent,
    };
    FeeLadder {
        name: "test".into(),
        as_of: "2026-11-24".into(),
        source: "hand-made".into(),
        tiers: vec![
            tier("base", dec!(0), dec!(0.02), dec!(0.1)),
            tier("one", dec!(1000), dec!(0.01), dec!(0.08)),
            tier("two", dec!(3000), dec!(-0.01), dec!(0.04)),
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn fills_conserve_quantity_stay_in_the_bar_charge_the_right_fee_and_post_only_never_takes(
        moves in prop::collection::vec((-150i64..150, -400i64..400, 0i64..300, 0i64..300), 21..30),
        orders in prop::collection::vec(placed(), 1..25),
        path in 0u8..3,
    ) {
        let instrument = Instrument {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: dec!(0.01),
            lot_size: dec!(0.001),
            min_notional: dec!(1),
            min_quantity: None,
            max_quantity: None,
        };
        let bar_path = [BarPath::Adverse, BarPath::Optimistic, BarPath::Ohlc][path as usize];
        let config = SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), bar_path, ..SimConfig::default() };
        let balances = BTreeMap::from([("USDT".to_string(), dec!(100000)), ("BTC".to_string(), dec!(20))]);
        // The flat rates of `config` are replaced by the ladder's.
        let mut venue = SimulatedExchange::new("sim", config, vec![instrument], balances).unwrap().with_fee_ladder(ladder());
        venue.set_connected(true);
        let bars = bars(&moves);
        let mut accepted: BTreeMap<OrderId, (OrderRequest, usize)> = BTreeMap::new();
        let mut events = Vec::new();
        let mut bar_of_event = Vec::new();
        for (i, bar) in bars.iter().enumerate() {
            venue.market_event(&MarketEvent::bar(Symbol::new("BTCUSDT").unwrap(), *bar));
            let before = events.len();
            venue.take_executions(&mut events);
            bar_of_event.extend(std::iter::repeat_n(i, events.len() - before));
            for (n, p) in orders.iter().enumerate().filter(|(_, p)| p.at_bar == i) {
                if let Ok(report) = venue.submit(request(n as u64 + 1, p, bar.close)) {
                    accepted.insert(report.request.client_order_id, (report.request, i));
                }
            }
            for asset in ["USDT", "BTC"] {
                prop_assert!(venue.balances().get(asset).copied().unwrap_or_default() >= Decimal::ZERO);
            }
        }
        let mut filled: BTreeMap<OrderId, Decimal> = BTreeMap::new();
        let mut volume = Decimal::ZERO;
        for (event, &i) in events.iter().zip(&bar_of_event) {
            let ExecutionEvent::Fill { fill, .. } = event else { continue };
            let bar = &bars[i];
            prop_assert!(bar.low <= fill.price && fill.price <= bar.high, "{fill:?} outside {bar:?}");
            // Every fill of a run lies within 30 days of the others: all earlier volume counts.
            let (maker, taker) = if volume >= dec!(3000) {
                (dec!(-0.0001), dec!(0.0004))
            } else if volume >= dec!(1000) {
                (dec!(0.0001), dec!(0.0008))
            } else {
                (dec!(0.0002), dec!(0.001))
            };
            let rate = if fill.liquidity == Liquidity::Maker { maker } else { taker };
            prop_assert_eq!(fill.fee, fill.quantity * fill.price * rate);
            volume += fill.quantity * fill.price;
            let (order, placed_at) = accepted[&fill.order_id];
            if order.time_in_force == TimeInForce::PostOnly {
                // It never took: it filled as a maker, and the market had not moved through its limit when it
                // arrived (the open of the bar after it was placed).
                prop_assert_eq!(fill.liquidity, Liquidity::Maker, "a post-only order took: {:?}", fill);
                let (limit, arrival) = (order.price.unwrap(), bars[placed_at + 1].open);
                let crossed = if order.side == Side::Buy { arrival <= limit } else { arrival >= limit };
                prop_assert!(!crossed, "post-only {:?} filled though it arrived at {}", order, arrival);
            }
            *filled.entry(fill.order_id).or_default() += fill.quantity;
        }
        for (id, (order, _)) in &accepted {
            let OrderQty::Base(ordered) = order.quantity else { continue };
            let done = filled.get(id).copied().unwrap_or_default();
            prop_assert!(done <= ordered, "order {id} filled {done} of {ordered}");
            let status = venue.order_status(order.symbol, *id).map(|r| r.status).unwrap();
            if status == OrderStatus::Filled {
                prop_assert_eq!(done, ordered);
            } else {
                prop_assert_eq!(done, Decimal::ZERO, "order {} ended {:?} after filling part", id, status);
            }
        }
    }

    #[test]
    fn under_liquidity_rules_no_order_fills_more_than_the_cap_of_a_bar_and_the_other_properties_hold(
        moves in prop::collection::vec((-150i64..150, -400i64..400, 0i64..300, 0i64..300), 21..30),
        volumes in prop::collection::vec(0i64..400, 30),
        orders in prop::collection::vec(placed(), 1..25),
        percent in 1i64..1000,
        coefficient in prop::option::of(1i64..300),
    ) {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let instrument = Instrument {
            symbol,
            base: "BTC".into(),
            quote: "USDT".into(),
            tick_size: dec!(0.01),
            lot_size: dec!(0.001),
            min_notional: dec!(1),
            min_quantity: None,
            max_quantity: None,
        };
        // A cap of 0.1 % to 100 % of volumes of 0 to 40 BTC, and maybe an impact coefficient of 0.01 to 3.
        let liquidity = BarLiquidity {
            max_volume_percent: Some(Decimal::new(percent, 1)),
            impact: coefficient.map(|c| MarketImpact::SquareRoot { coefficient: Decimal::new(c, 2) }),
        };
        let config = SimConfig { maker_fee: dec!(0.0002), taker_fee: dec!(0.001), liquidity, ..SimConfig::default() };
        let balances = BTreeMap::from([("USDT".to_string(), dec!(100000)), ("BTC".to_string(), dec!(20))]);
        let mut venue = SimulatedExchange::new("sim", config, vec![instrument.clone()], balances).unwrap();
        venue.set_connected(true);
        let mut bars = bars(&moves);
        for (bar, volume) in bars.iter_mut().zip(&volumes) {
            bar.volume = Decimal::new(*volume, 1);
        }
        let mut accepted: BTreeMap<OrderId, OrderRequest> = BTreeMap::new();
        let mut filled: BTreeMap<OrderId, Decimal> = BTreeMap::new();
        for (i, bar) in bars.iter().enumerate() {
            venue.market_event(&MarketEvent::bar(symbol, *bar));
            let mut events = Vec::new();
            venue.take_executions(&mut events);
            let cap = liquidity.cap(&instrument, bar.volume).unwrap();
            for event in &events {
                let ExecutionEvent::Fill { fill, .. } = event else { continue };
                prop_assert!(fill.quantity <= cap, "{fill:?} above the cap {cap} of {bar:?}");
                prop_assert!(bar.low <= fill.price && fill.price <= bar.high, "{fill:?} outside {bar:?}");
                let rate = if fill.liquidity == Liquidity::Maker { dec!(0.0002) } else { dec!(0.001) };
                prop_assert_eq!(fill.fee, fill.quantity * fill.price * rate);
                *filled.entry(fill.order_id).or_default() += fill.quantity;
            }
            for (n, p) in orders.iter().enumerate().filter(|(_, p)| p.at_bar == i) {
                if let Ok(report) = venue.submit(request(n as u64 + 1, p, bar.close)) {
                    accepted.insert(report.request.client_order_id, report.request);
                }
            }
            for asset in ["USDT", "BTC"] {
                prop_assert!(venue.balances().get(asset).copied().unwrap_or_default() >= Decimal::ZERO);
            }
        }
        for (id, order) in &accepted {
            let OrderQty::Base(ordered) = order.quantity else { continue };
            let done = filled.get(id).copied().unwrap_or_default();
            prop_assert!(done <= ordered, "order {id} filled {done} of {ordered}");
            let report = venue.order_status(order.symbol, *id).unwrap();
            prop_assert_eq!(report.filled_quantity, done);
            if report.status == OrderStatus::Filled || order.time_in_force == TimeInForce::Fok {
                prop_assert!(done == ordered || (done.is_zero() && report.status != OrderStatus::Filled));
            }
        }
    }
}

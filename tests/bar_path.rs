//! The path assumed inside a bar, worked by hand. A long position of 2 BTC bought at 100 holds a stop-loss at 95 and
//! a take-profit at 110 (one cancels the other); then one bar reaches both. Adverse (the default) fills the stop,
//! optimistic the take-profit, `ohlc` by the candle's colour. Either way the bar is counted as ambiguous — unless it
//! opened beyond one of them, which settles it on every rule.

mod common;

use rust_decimal::{Decimal, dec};

use common::sim_venue::{HOUR, bar, btc, venue};

use cryptotradebot::model::{ExecutionEvent, OrderId, OrderQty, OrderRequest, OrderStatus, OrderType, Side, Timestamp};
use cryptotradebot::venue::ExchangeAdapter;
use cryptotradebot::venue::SimulatedExchange;
use cryptotradebot::venue::sim::{BarPath, SimConfig};

/// A venue (fees 0.1 % taker) holding 2 BTC bought at 100 at hour 1, with the stop at 95 and the take-profit at
/// 110 placed after the entry bar.
async fn long_with_exits(bar_path: BarPath) -> SimulatedExchange {
    let config = SimConfig { maker_fee: dec!(0.001), taker_fee: dec!(0.001), bar_path, ..SimConfig::default() };
    let mut v = venue(config, &[("USDT", dec!(1000))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99), dec!(100)));
    let buy = OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), None);
    v.place_order(buy).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(101), dec!(99), dec!(100)));
    let exit = |id, order_type, stop| OrderRequest {
        order_type,
        stop_price: Some(stop),
        ..OrderRequest::new(OrderId(id), btc(), Side::Sell, OrderQty::Base(dec!(2)), None)
    };
    v.submit_exits(
        exit(2, OrderType::StopMarket, dec!(95)),
        exit(3, OrderType::TakeProfitMarket, dec!(110)),
        &buy,
        Timestamp(HOUR),
    )
    .unwrap();
    let mut entry = Vec::new();
    v.drain_executions(&mut entry);
    assert_eq!(entry.len(), 1, "the entry filled at 100");
    v
}

/// (order, price, fee) of the fill and (order, status) of the partner's end.
fn outcome(v: &mut SimulatedExchange) -> ((OrderId, Decimal, Decimal), (OrderId, OrderStatus)) {
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    let [ExecutionEvent::Fill { fill, .. }, ExecutionEvent::Ended { order_id, status, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    ((fill.order_id, fill.price, fill.fee), (*order_id, *status))
}

#[tokio::test]
async fn adverse_fills_the_stop_when_one_bar_reaches_both_exits() {
    let mut v = long_with_exits(BarPath::Adverse).await;
    // Open 100, high 111, low 94: both 95 and 110 were reached; the stop sells 2 at 95 (fee 0.19).
    v.on_market_event(&bar(2, dec!(100), dec!(111), dec!(94), dec!(105)));
    assert_eq!(outcome(&mut v), ((OrderId(2), dec!(95), dec!(0.19)), (OrderId(3), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 1);
    // 1000 − 200 − 0.2 + 190 − 0.19
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(989.61));
}

#[tokio::test]
async fn optimistic_fills_the_take_profit_when_one_bar_reaches_both_exits() {
    let mut v = long_with_exits(BarPath::Optimistic).await;
    v.on_market_event(&bar(2, dec!(100), dec!(111), dec!(94), dec!(105)));
    // The take-profit sells 2 at 110 (fee 0.22).
    assert_eq!(outcome(&mut v), ((OrderId(3), dec!(110), dec!(0.22)), (OrderId(2), OrderStatus::Canceled)));
    assert_eq!(v.ambiguous_bars(), 1);
    // 1000 − 200 − 0.2 + 220 − 0.22
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(1019.58));
}

#[tokio::test]
async fn ohlc_follows_the_candle_colour() {
    // Closed above its open (105 ≥ 100): open → low → high → close, so 95 came first.
    let mut up = long_with_exits(BarPath::Ohlc).await;
    up.on_market_event(&bar(2, dec!(100), dec!(111), dec!(94), dec!(105)));
    assert_eq!(outcome(&mut up).0, (OrderId(2), dec!(95), dec!(0.19)));
    // Closed below its open (96 < 100): open → high → low → close, so 110 came first.
    let mut down = long_with_exits(BarPath::Ohlc).await;
    down.on_market_event(&bar(2, dec!(100), dec!(111), dec!(94), dec!(96)));
    assert_eq!(outcome(&mut down).0, (OrderId(3), dec!(110), dec!(0.22)));
    assert_eq!((up.ambiguous_bars(), down.ambiguous_bars()), (1, 1));
}

#[tokio::test]
async fn a_bar_that_opens_beyond_an_exit_settles_it_on_every_rule() {
    for path in [BarPath::Adverse, BarPath::Optimistic, BarPath::Ohlc] {
        let mut v = long_with_exits(path).await;
        // Gapped up to 112, above the take-profit, then fell to 94: the open came first, so the take-profit sold
        // at 112 (fee 0.224) whatever the rule; nothing was ambiguous.
        v.on_market_event(&bar(2, dec!(112), dec!(113), dec!(94), dec!(96)));
        assert_eq!(outcome(&mut v).0, (OrderId(3), dec!(112), dec!(0.224)), "{path:?}");
        assert_eq!(v.ambiguous_bars(), 0, "{path:?}");
    }
}

#[tokio::test]
async fn a_bar_that_reaches_only_one_exit_is_not_ambiguous() {
    let mut v = long_with_exits(BarPath::Adverse).await;
    v.on_market_event(&bar(2, dec!(100), dec!(109), dec!(94), dec!(105)));
    assert_eq!(outcome(&mut v).0, (OrderId(2), dec!(95), dec!(0.19)));
    assert_eq!(v.ambiguous_bars(), 0);
}

//! Exits of an entry that filled inside a bar, without finer data. After a fill inside the bar the path certainly ran
//! from the fill price to the close, while the bar's high and low may have come before the fill. By default
//! (`mid_bar_exits: next_bar`) the exits are matched against that known part only — an exit between the fill and
//! the close fills at its level, the rest waits for the next bar; under `ambiguous`, the adverse path rule lets the
//! extreme on the stop's side follow the fill, the optimistic rule the one on the take-profit's side, and a bar the
//! two read differently is counted as ambiguous. An entry that filled at the open (a market order, a limit the bar
//! opened through) still has the rest of its bar matched at once.
//! Hand-worked: BTCUSDT hourly bars, fees 0.1 %, 1,000 USDT.

mod common;

use common::sim_venue::{HOUR, bar, btc, venue};
use cryptotradebot::config::Scenario;
use cryptotradebot::model::{ExecutionEvent, OrderId, OrderQty, OrderRequest, OrderType, Side, Timestamp};
use cryptotradebot::venue::sim::{BarPath, MidBarExits, SimConfig};
use cryptotradebot::venue::{ExchangeAdapter, SimulatedExchange};
use rust_decimal::{Decimal, dec};

fn config(mid_bar_exits: MidBarExits) -> SimConfig {
    SimConfig { maker_fee: dec!(0.001), taker_fee: dec!(0.001), mid_bar_exits, ..SimConfig::default() }
}

fn buy_limit(id: u64, price: Decimal) -> OrderRequest {
    OrderRequest::new(OrderId(id), btc(), Side::Buy, OrderQty::Base(dec!(2)), Some(price))
}

fn exit(id: u64, order_type: OrderType, stop: Decimal) -> OrderRequest {
    OrderRequest {
        order_type,
        stop_price: Some(stop),
        ..OrderRequest::new(OrderId(id), btc(), Side::Sell, OrderQty::Base(dec!(2)), None)
    }
}

/// (order, price, fee, time) of every fill since the last look.
fn fills(v: &mut SimulatedExchange) -> Vec<(OrderId, Decimal, Decimal, Timestamp)> {
    let mut events = Vec::new();
    v.drain_executions(&mut events);
    events
        .iter()
        .filter_map(|e| match e {
            ExecutionEvent::Fill { fill, .. } => Some((fill.order_id, fill.price, fill.fee, fill.time)),
            _ => None,
        })
        .collect()
}

/// A venue set as `config` whose buy limit of 2 BTC at 99 filled inside hour 1 (`open`, `high`, `low`, `close`),
/// with its stop at 95 and take-profit at 110 placed for the fill.
async fn entry_filled_inside_hour_one(config: SimConfig, hour_one: [Decimal; 4]) -> SimulatedExchange {
    let mut v = venue(config, &[("USDT", dec!(1000))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99.5), dec!(100)));
    let entry = buy_limit(1, dec!(99));
    v.place_order(entry).await.unwrap();
    let [open, high, low, close] = hour_one;
    v.on_market_event(&bar(1, open, high, low, close));
    // Maker fill at the limit: 2 × 99 = 198, fee 0.198.
    assert_eq!(fills(&mut v), [(OrderId(1), dec!(99), dec!(0.198), Timestamp(HOUR))]);
    let (stop, take) = (exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(110)));
    v.submit_exits(stop, take, &entry, Timestamp(HOUR)).unwrap();
    v
}

/// Hour 1 opens at 100, rallies to 112 and dips to 98 in an unknown order, and closes at 105.
const RALLY_AND_DIP: [Decimal; 4] = [dec!(100), dec!(112), dec!(98), dec!(105)];

#[tokio::test]
async fn exits_of_an_entry_filled_inside_a_bar_wait_for_the_next_bar_by_default() {
    let mut v = entry_filled_inside_hour_one(config(MidBarExits::default()), RALLY_AND_DIP).await;
    // Hour 1's high of 112 may have come before the dip that filled the entry; after the fill only 99 to 105 is
    // certain, which reaches neither exit.
    assert_eq!(fills(&mut v), []);
    v.on_market_event(&bar(2, dec!(104), dec!(108), dec!(101), dec!(102)));
    assert_eq!(fills(&mut v), [], "hour 2 (101..108) reaches neither exit");
    v.on_market_event(&bar(3, dec!(100), dec!(101), dec!(94), dec!(96)));
    // Hour 3 falls through the stop: 2 × 95 = 190, taker fee 0.19.
    assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(3 * HOUR))]);
    assert_eq!(v.ambiguous_bars(), 0);
    // 1000 − 198 − 0.198 + 190 − 0.19
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(991.612));
}

#[tokio::test]
async fn under_mid_bar_exits_ambiguous_the_path_rule_decides_the_entry_bar_and_the_bar_counts_as_ambiguous() {
    // Optimistic: the rally to 112 came after the fill, so the take-profit at 110 sells 2 (fee 0.22) in hour 1.
    // 1000 − 198 − 0.198 + 220 − 0.22 = 1021.582.
    let optimistic = SimConfig { bar_path: BarPath::Optimistic, ..config(MidBarExits::Ambiguous) };
    let mut v = entry_filled_inside_hour_one(optimistic, RALLY_AND_DIP).await;
    assert_eq!(fills(&mut v), [(OrderId(3), dec!(110), dec!(0.22), Timestamp(HOUR))]);
    assert_eq!(v.ambiguous_bars(), 1);
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(1021.582));
    // Adverse (the default rule): the dip to 98 came after the fill and the rally before it; 98 does not reach the
    // stop, so nothing fills in hour 1 — the bar still counts as ambiguous — and hour 3 stops out at 95, as under
    // next_bar: 991.612. The two ends of the interval, 991.612 and 1021.582, are both possible.
    let mut v = entry_filled_inside_hour_one(config(MidBarExits::Ambiguous), RALLY_AND_DIP).await;
    assert_eq!(fills(&mut v), []);
    assert_eq!(v.ambiguous_bars(), 1);
    v.on_market_event(&bar(2, dec!(104), dec!(108), dec!(101), dec!(102)));
    v.on_market_event(&bar(3, dec!(100), dec!(101), dec!(94), dec!(96)));
    assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(3 * HOUR))]);
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(991.612));
    // A dip to 94 would have reached the stop after the fill: adverse stops out at 95 in hour 1 itself.
    let deep = [dec!(100), dec!(112), dec!(94), dec!(105)];
    let mut v = entry_filled_inside_hour_one(config(MidBarExits::Ambiguous), deep).await;
    assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(HOUR))]);
    assert_eq!(v.ambiguous_bars(), 1);
}

#[tokio::test]
async fn an_exit_between_the_fill_and_the_close_with_the_other_out_of_reach_fills_in_the_entry_bar_under_every_rule() {
    for rule in [MidBarExits::NextBar, MidBarExits::Ambiguous] {
        for path in [BarPath::Adverse, BarPath::Optimistic] {
            let setting = SimConfig { bar_path: path, ..config(rule) };
            // Hour 1 closes at 111: after the fill at 99 the price ran up through 110, so the take-profit sold at
            // 110 in hour 1 whatever came before (not at hour 2's open): 1000 − 198 − 0.198 + 220 − 0.22.
            let up = [dec!(100), dec!(112), dec!(98), dec!(111)];
            let mut v = entry_filled_inside_hour_one(setting, up).await;
            assert_eq!(fills(&mut v), [(OrderId(3), dec!(110), dec!(0.22), Timestamp(HOUR))], "{rule:?} {path:?}");
            assert_eq!(v.ambiguous_bars(), 0, "{rule:?} {path:?}");
            assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(1021.582));
            // Hour 1 closes at 94.5, below the stop: it sold at 95 in hour 1: 1000 − 198 − 0.198 + 190 − 0.19.
            let down = [dec!(100), dec!(101), dec!(94), dec!(94.5)];
            let mut v = entry_filled_inside_hour_one(setting, down).await;
            assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(HOUR))], "{rule:?} {path:?}");
            assert_eq!(v.ambiguous_bars(), 0, "{rule:?} {path:?}");
            assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(991.612));
        }
    }
}

#[tokio::test]
async fn exits_of_an_entry_filled_at_the_open_are_matched_against_the_rest_of_its_bar() {
    for rule in [MidBarExits::NextBar, MidBarExits::Ambiguous] {
        let mut v = venue(config(rule), &[("USDT", dec!(1000))]);
        v.connect().await.unwrap();
        v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99.5), dec!(100)));
        let entry = buy_limit(1, dec!(99));
        v.place_order(entry).await.unwrap();
        // Hour 1 opens at 98, below the limit: the entry buys 2 at the open (98, fee 0.196); all of the bar,
        // down to 94, came after it, so the stop at 95 sells in it (190, fee 0.19). Nothing is ambiguous.
        v.on_market_event(&bar(1, dec!(98), dec!(99), dec!(94), dec!(96)));
        assert_eq!(fills(&mut v), [(OrderId(1), dec!(98), dec!(0.196), Timestamp(HOUR))], "{rule:?}");
        let (stop, take) = (exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(110)));
        v.submit_exits(stop, take, &entry, Timestamp(HOUR)).unwrap();
        assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(HOUR))], "{rule:?}");
        assert_eq!(v.ambiguous_bars(), 0, "{rule:?}");
        // 1000 − 196 − 0.196 + 190 − 0.19
        assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(993.614), "{rule:?}");
    }
}

#[tokio::test]
async fn a_bracket_whose_limit_entry_fills_inside_a_bar_activates_its_exits_from_the_next_bar() {
    let mut v = venue(config(MidBarExits::default()), &[("USDT", dec!(1000))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99.5), dec!(100)));
    let (stop, take) = (exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(110)));
    v.submit_bracket(buy_limit(1, dec!(99)), stop, take).unwrap();
    // The entry fills at 99 inside hour 1, which closes at 105: its take-profit would have sold at 110 on hour 1's
    // high of 112 only if the rally came after the dip.
    v.on_market_event(&bar(1, dec!(100), dec!(112), dec!(98), dec!(105)));
    assert_eq!(fills(&mut v), [(OrderId(1), dec!(99), dec!(0.198), Timestamp(HOUR))]);
    v.on_market_event(&bar(2, dec!(100), dec!(101), dec!(94), dec!(96)));
    assert_eq!(fills(&mut v), [(OrderId(2), dec!(95), dec!(0.19), Timestamp(2 * HOUR))]);
    assert_eq!(v.get_account_balance().await.unwrap()["USDT"], dec!(991.612));
}

#[test]
fn a_scenario_chooses_the_rule_with_exchange_mid_bar_exits() {
    let yaml = std::fs::read_to_string("scenarios/btc_sma_cross.yaml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with = |rule: &str| {
        let path = dir.path().join(format!("{rule}.yaml"));
        let text = yaml.replacen("exchange:\n", &format!("exchange:\n  mid_bar_exits: {rule}\n"), 1);
        assert_ne!(text, yaml, "the scenario has an exchange section");
        let text = text.replace("../data/", &format!("{}/data/", env!("CARGO_MANIFEST_DIR")));
        std::fs::write(&path, text).unwrap();
        Scenario::load(&path)
    };
    assert_eq!(with("ambiguous").unwrap().setup.venues[0].sim.mid_bar_exits, MidBarExits::Ambiguous);
    assert_eq!(with("next_bar").unwrap().setup.venues[0].sim.mid_bar_exits, MidBarExits::NextBar);
    let wrong = with("sometimes").map(|_| ()).unwrap_err().to_string();
    assert!(wrong.contains("mid_bar_exits"), "{wrong}");
}

#[tokio::test]
async fn a_take_profit_the_close_proves_is_ambiguous_when_the_low_could_have_stopped_the_position_out_first() {
    // Hour 1: 100, 106, 94, 105 with the take-profit at 104. The price ran from the fill at 99 to 105, through 104 —
    // but the low of 94 may have come right after the fill, through the stop at 95. Under every setting the bar is
    // ambiguous; the default adverse rule takes the stop (190, fee 0.19), the optimistic one the take-profit (208,
    // fee 0.208).
    for (path, filled, price, fee) in
        [(BarPath::Adverse, 2, dec!(95), dec!(0.19)), (BarPath::Optimistic, 3, dec!(104), dec!(0.208))]
    {
        let mut v = venue(SimConfig { bar_path: path, ..config(MidBarExits::NextBar) }, &[("USDT", dec!(1000))]);
        v.connect().await.unwrap();
        v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99.5), dec!(100)));
        let entry = buy_limit(1, dec!(99));
        v.place_order(entry).await.unwrap();
        v.on_market_event(&bar(1, dec!(100), dec!(106), dec!(94), dec!(105)));
        fills(&mut v);
        let (stop, take) = (exit(2, OrderType::StopMarket, dec!(95)), exit(3, OrderType::TakeProfitMarket, dec!(104)));
        v.submit_exits(stop, take, &entry, Timestamp(HOUR)).unwrap();
        assert_eq!(fills(&mut v), [(OrderId(filled), price, fee, Timestamp(HOUR))], "{path:?}");
        assert_eq!(v.ambiguous_bars(), 1, "{path:?}");
    }
}

#[tokio::test]
async fn under_ohlc_the_exits_follow_the_candles_path_from_the_fill_on_never_the_part_before_it() {
    let ohlc = SimConfig { bar_path: BarPath::Ohlc, ..config(MidBarExits::Ambiguous) };
    // A buy stop at 105 in a rising hour (100, 112, 98, 111: open → low 98 → high 112 → close): it fills on the
    // way up to 112, after the low, so its stop at 101 is not reached and the take-profit at 110 sells (220, fee
    // 0.22) — not the stop at the bar's open, before the entry existed.
    let mut v = venue(ohlc, &[("USDT", dec!(1000))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(99.5), dec!(100)));
    let entry = OrderRequest {
        order_type: OrderType::StopMarket,
        stop_price: Some(dec!(105)),
        ..OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), None)
    };
    v.place_order(entry).await.unwrap();
    v.on_market_event(&bar(1, dec!(100), dec!(112), dec!(98), dec!(111)));
    assert_eq!(fills(&mut v), [(OrderId(1), dec!(105), dec!(0.21), Timestamp(HOUR))]);
    let (stop, take) = (exit(2, OrderType::StopMarket, dec!(101)), exit(3, OrderType::TakeProfitMarket, dec!(110)));
    v.submit_exits(stop, take, &entry, Timestamp(HOUR)).unwrap();
    assert_eq!(fills(&mut v), [(OrderId(3), dec!(110), dec!(0.22), Timestamp(HOUR))]);
    // A buy limit at 99 in a falling hour (100, 112, 98, 99.5: open → high 112 → low 98 → close): it fills on the
    // way down, after the high, so the take-profit at 110 is not reached in it.
    let mut v = entry_filled_inside_hour_one(ohlc, [dec!(100), dec!(112), dec!(98), dec!(99.5)]).await;
    assert_eq!(fills(&mut v), []);
}

/// A venue with the default rules whose `entry` filled inside hour 1 (`hour_one`: open, high, low, close) at
/// `fill` (2 BTC), with a stop at `stop` and a take-profit at `take` placed for it; the fills hour 1 then makes.
async fn exits_after(
    entry: OrderRequest,
    hour_one: [Decimal; 4],
    fill: Decimal,
    stop: Decimal,
    take: Decimal,
) -> Vec<(OrderId, Decimal, Decimal, Timestamp)> {
    let mut v = venue(config(MidBarExits::NextBar), &[("USDT", dec!(1000))]);
    v.connect().await.unwrap();
    v.on_market_event(&bar(0, dec!(100), dec!(101), dec!(97), dec!(100)));
    v.place_order(entry).await.unwrap();
    let [open, high, low, close] = hour_one;
    v.on_market_event(&bar(1, open, high, low, close));
    assert_eq!(fills(&mut v).iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(), [(OrderId(1), fill)]);
    let (stop, take) = (exit(2, OrderType::StopMarket, stop), exit(3, OrderType::TakeProfitMarket, take));
    v.submit_exits(stop, take, &entry, Timestamp(HOUR)).unwrap();
    assert_eq!(v.ambiguous_bars(), 0);
    fills(&mut v)
}

#[tokio::test]
async fn the_extreme_on_the_entrys_own_side_came_after_the_fill_so_an_exit_it_reaches_fills_in_the_entry_bar() {
    // A buy limit at 99 fills on the way down from the open at 100: the low of 94 came after it, through the stop at
    // 95 (190, fee 0.19), whatever the high of 101 did.
    let limit = buy_limit(1, dec!(99));
    let got = exits_after(limit, [dec!(100), dec!(101), dec!(94), dec!(100)], dec!(99), dec!(95), dec!(110)).await;
    assert_eq!(got, [(OrderId(2), dec!(95), dec!(0.19), Timestamp(HOUR))]);
    // A buy stop at 105 fills on the way up from the open at 100: the high of 112 came after it, through the
    // take-profit at 110 (220, fee 0.22); the stop at 99 is below the bar.
    let stop_entry = OrderRequest {
        order_type: OrderType::StopMarket,
        stop_price: Some(dec!(105)),
        ..OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), None)
    };
    let got =
        exits_after(stop_entry, [dec!(100), dec!(112), dec!(100), dec!(104)], dec!(105), dec!(99), dec!(110)).await;
    assert_eq!(got, [(OrderId(3), dec!(110), dec!(0.22), Timestamp(HOUR))]);
}

#[tokio::test]
async fn a_stop_limit_entry_marketable_at_its_trigger_is_known_from_its_trigger_not_from_its_limit() {
    // Stop 100, limit 102: it fills at 100 when the price rises through 100. The hour's high is 101, so the
    // take-profit at 101.5 cannot have filled (the limit, 102, was never traded).
    let entry = OrderRequest {
        order_type: OrderType::StopLimit,
        stop_price: Some(dec!(100)),
        ..OrderRequest::new(OrderId(1), btc(), Side::Buy, OrderQty::Base(dec!(2)), Some(dec!(102)))
    };
    let got =
        exits_after(entry, [dec!(98), dec!(101), dec!(97.5), dec!(100.5)], dec!(100), dec!(97), dec!(101.5)).await;
    assert_eq!(got, []);
}

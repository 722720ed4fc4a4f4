//! Several simulated venues in one scenario (the seed's multi-exchange routing): scenarios/btc_eth_two_venues.yaml
//! trades BTCUSDT on "binance" (10 bps) and ETHUSDT on "kraken" (25 / 40 bps), each holding 5,000 USDT.

mod common;

use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderStatus, Side};
use cryptotradebot::runner::run_scenario;

fn scenario() -> Scenario {
    Scenario::load(&common::repo("scenarios/btc_eth_two_venues.yaml")).unwrap()
}

#[test]
fn each_order_goes_to_the_venue_of_its_symbol_and_pays_that_venues_fee_from_that_venues_cash() {
    let scenario = scenario();
    let run = run_scenario(&scenario, tempfile::tempdir().unwrap().path()).unwrap();
    let log = &run.result.log;
    assert!(log.fills.len() > 10 && log.orders.iter().all(|o| o.report.status == OrderStatus::Filled));
    // Independently, from the scenario's own numbers: binance charges 0.1 %, kraken 0.4 % for taking.
    let venue_rate =
        |symbol: &str| if symbol == "BTCUSDT" { ("binance", dec!(0.001)) } else { ("kraken", dec!(0.004)) };
    let mut cash: BTreeMap<&str, Decimal> = BTreeMap::from([("binance", dec!(5000)), ("kraken", dec!(5000))]);
    for record in log.fills.iter() {
        let fill = &record.fill;
        let (venue, rate) = venue_rate(fill.symbol.as_str());
        assert_eq!(scenario.setup.venues[record.venue.0].name, venue, "{fill:?}");
        assert_eq!(fill.fee, fill.notional() * rate, "{fill:?}");
        let change = match fill.side {
            Side::Buy => -(fill.notional() + fill.fee),
            Side::Sell => fill.notional() - fill.fee,
        };
        *cash.get_mut(venue).unwrap() += change;
        assert!(cash[venue] >= Decimal::ZERO, "{venue} never spends cash it does not hold");
    }
    let total: Decimal = cash.values().sum();
    assert_eq!(run.result.venue_balances["USDT"], total);
    assert_eq!(run.result.portfolio.cash(), total, "the ledger agrees with the venues");
}

#[test]
fn venue_mistakes_name_the_key() {
    let path = common::repo("scenarios/btc_eth_two_venues.yaml");
    let text = scenario().text;
    for (from, to, words) in [
        (
            "symbol: ETHUSDT, venue: kraken",
            "symbol: ETHUSDT, venue: bitstamp",
            "data[1].venue: no venue named 'bitstamp'",
        ),
        (
            "symbol: ETHUSDT, venue: kraken",
            "symbol: ETHUSDT, venue: binance",
            "data[1]: venue 'binance' has no instrument ETHUSDT",
        ),
        (
            "    balance: 5000\n    fee_bps: { maker: 25",
            "    balance: 4000\n    fee_bps: { maker: 25",
            "add up to 9000, not portfolio.starting_cash 10000",
        ),
        (
            "    balance: 5000\n    fee_bps: { maker: 25",
            "    fee_bps: { maker: 25",
            "exchanges[1].balance: with several venues",
        ),
        (
            "      ETHUSDT: { base: ETH",
            "      BTCUSDT: { base: BTC, quote: USDT, tick_size: 0.01, lot_size: 0.00001 }\n      ETHUSDT: { base: ETH",
            "BTCUSDT is listed at venues 'binance' and 'kraken'",
        ),
        ("  - name: kraken", "  - name: binance", "exchanges[1].name: venue 'binance' is listed twice"),
    ] {
        assert!(text.contains(from), "{from}");
        let err = Scenario::parse(&path, text.replace(from, to)).unwrap_err().to_string();
        assert!(err.contains(words), "{words}: {err}");
    }
}

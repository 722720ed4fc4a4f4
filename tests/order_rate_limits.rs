//! Simulated order-rate limits: a backtest whose strategy sends orders faster than the venue's limit gets
//! `RateLimitError` on those orders, recorded as rejections, and the run goes on.

mod common;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::{NANOS_PER_DAY, OrderStatus};
use cryptotradebot::runner::run_scenario;

/// scenarios/btc_sma_cross.yaml with `exchange_lines` added to its exchange section and `params` for the strategy.
fn scenario_with(exchange_lines: &str, params: &str) -> Scenario {
    let path = common::repo("scenarios/btc_sma_cross.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("  slippage_bps: 0", &format!("  slippage_bps: 0\n{exchange_lines}"))
        .replace("params: { fast: 10, slow: 30 }", params);
    Scenario::parse(&path, text).unwrap()
}

#[test]
fn orders_beyond_one_a_day_are_refused_with_a_rate_limit_error_and_the_run_goes_on() {
    // sma_cross(5, 20) crosses often on 1-hour bars: several days hold two signals.
    let scenario = scenario_with("  rate_limits: { orders_per_day: 1 }", "params: { fast: 5, slow: 20 }");
    let run = run_scenario(&scenario, tempfile::tempdir().unwrap().path()).unwrap();
    let orders = &run.result.log.orders;
    let refused: Vec<_> =
        orders.iter().filter(|o| o.report.reason.as_deref().is_some_and(|r| r.starts_with("RateLimitError"))).collect();
    let accepted: Vec<_> = orders.iter().filter(|o| o.report.status != OrderStatus::Rejected).collect();
    assert!(!refused.is_empty(), "some day has two signals");
    for order in &refused {
        let reason = order.report.reason.as_deref().unwrap();
        assert!(reason.contains("orders_per_day is 1"), "{reason}");
        // The window was full: an accepted order lies within the 24 hours before.
        let t = order.created.0;
        assert!(accepted.iter().any(|a| a.created.0 <= t && a.created.0 > t - NANOS_PER_DAY), "{reason}");
    }
    // No two accepted orders within 24 hours of each other.
    for pair in accepted.windows(2) {
        assert!(
            pair[1].created.0 - pair[0].created.0 >= NANOS_PER_DAY,
            "{:?} and {:?}",
            pair[0].created,
            pair[1].created
        );
    }
    assert_eq!(run.summary.orders.rejected_by_venue, refused.len());
}

#[test]
fn the_limits_can_come_from_the_seeds_exchanges_yaml_by_venue_name() {
    // config/exchanges.yaml: binance allows 10 orders a second and 200,000 a day; hourly signals never reach them.
    let limited = scenario_with("  rate_limits_from: ../config/exchanges.yaml", "params: { fast: 10, slow: 30 }");
    assert_eq!(
        (limited.setup.venues[0].rate_limits.orders_per_second, limited.setup.venues[0].rate_limits.orders_per_day),
        (Some(10), Some(200_000))
    );
    let run = run_scenario(&limited, tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(run.summary.orders.rejected_by_venue, 0);
    let path = common::repo("scenarios/btc_sma_cross.yaml");
    let both = limited.text.replace("rate_limits_from", "rate_limits: { orders_per_day: 1 }\n  rate_limits_from");
    let err = Scenario::parse(&path, both).unwrap_err().to_string();
    assert!(err.contains("give rate_limits or rate_limits_from, not both"), "{err}");
}

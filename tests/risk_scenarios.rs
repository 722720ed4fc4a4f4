//! The risk rules on the shipped data, end to end (scenario → engine → report), against numbers worked out
//! independently: a Python re-implementation of the strategy, fills and rules in exact decimals (the scripts are in
//! the comments' terms: all-in SMA(10)/SMA(30) on BTCUSDT 1h, Jan–Feb 2023, next-open fills, 0.1 % fee, quantity
//! floored to 1e-8), and the correlation arithmetic by hand.

mod common;

use rust_decimal::dec;

use cryptotradebot::config::Scenario;
use cryptotradebot::data::parse_timestamp;
use cryptotradebot::engine::RiskAction;
use cryptotradebot::model::{OrderType, Side, Timestamp};
use cryptotradebot::risk::RiskRule;
use cryptotradebot::runner::{ScenarioRun, run_scenario};

fn run(name: &str) -> ScenarioRun {
    run_into(name, tempfile::tempdir().unwrap().path())
}

/// Runs the shipped scenario `name`, writing its report into `out`.
fn run_into(name: &str, out: &std::path::Path) -> ScenarioRun {
    let scenario = Scenario::load(&common::repo(&format!("scenarios/{name}.yaml"))).unwrap();
    run_scenario(&scenario, out).unwrap()
}

fn time(rfc3339: &str) -> Timestamp {
    parse_timestamp(rfc3339).unwrap()
}

#[test]
fn a_tight_drawdown_limit_halts_at_the_bar_the_reference_finds_and_no_entry_follows() {
    // Reference: equity peaks at 12,875.5455018141769 and the close of 2023-01-27 22:00–23:00 marks it at
    // 12,226.5292402538287, 5.0406 % below: the first mark at or below 95 % of the peak. The open position is
    // closed later by the strategy (a reducing order passes); the final equity is 12,200.1232558… USDT.
    let run = run("btc_drawdown_halt");
    let halted = time("2023-01-27T23:00:00Z");
    assert_eq!(run.summary.risk.halted_at, Some(halted));
    let log = &run.result.log;
    let halt = log.risk_events.iter().find(|e| e.action == RiskAction::Halted).unwrap();
    assert!(
        halt.reason.contains("drawdown 5.0406 % from the peak 12875.5455018141769 to 12226.5292402538287"),
        "{}",
        halt.reason
    );
    assert!(
        log.fills.iter().filter(|f| f.fill.time > halted).all(|f| f.fill.side == Side::Sell),
        "an entry after the halt"
    );
    assert_eq!(log.fills.iter().filter(|f| f.fill.time > halted).count(), 1, "the strategy's exit still passes");
    let refused = log.risk_events.iter().filter(|e| e.rule == RiskRule::Drawdown && e.action == RiskAction::Rejected);
    assert_eq!(refused.count(), 13);
    assert_eq!(run.result.portfolio.equity().round_dp(4), dec!(12200.1233));
}

#[test]
fn a_losing_streak_starts_cool_offs_that_refuse_exactly_the_reference_entries() {
    // Reference (2 losers in a row, 48 h): five cool-offs; the crossovers refused are these six.
    let run = run("btc_cool_off");
    assert_eq!(run.summary.risk.cool_offs, 5);
    let refused: Vec<Timestamp> = run
        .result
        .log
        .risk_events
        .iter()
        .filter(|e| e.rule == RiskRule::ConsecutiveLosses && e.action == RiskAction::Rejected)
        .map(|e| e.time)
        .collect();
    let expected = [
        "2023-01-06T00:00:00Z",
        "2023-01-06T22:00:00Z",
        "2023-01-27T17:00:00Z",
        "2023-01-29T02:00:00Z",
        "2023-02-04T19:00:00Z",
        "2023-02-23T05:00:00Z",
    ];
    assert_eq!(refused, expected.map(time));
    assert_eq!(run.result.portfolio.equity().round_dp(4), dec!(12790.4486));
}

#[test]
fn correlated_btc_and_eth_share_one_exposure_cap() {
    // At the close of 23:58:20 both crossovers fire with equity 9,970.8184642556. BTC goes first: 25 % of it,
    // 2,492.7046160639 USDT, which at the close 61,687.71 is 0.0404 BTC (lot 0.00001) = 2,492.183484 of exposure,
    // still working. ETH moves with BTC (return correlation ≥ 0.6 over 12 bars), so the two share 30 % of equity,
    // 2,991.24553927668: ETH gets 2,991.24553927668 − 2,492.183484 = 499.06205527668 USDT instead of 25 %.
    let run = run("btc_eth_correlation");
    let log = &run.result.log;
    let first = log.risk_events.iter().find(|e| e.rule == RiskRule::Correlation).unwrap();
    assert_eq!(first.time, time("2024-08-08T23:58:20Z"));
    assert_eq!(first.symbol.map(|s| s.to_string()), Some("ETHUSDT".into()));
    assert_eq!(first.action, RiskAction::Resized);
    let equity = dec!(9970.8184642556);
    let btc_exposure = dec!(0.0404) * dec!(61687.71);
    assert_eq!(btc_exposure, dec!(2492.183484));
    assert_eq!(first.adjusted_size, Some(dec!(0.30) * equity - btc_exposure));
    assert!(first.reason.contains("with 2492.183484 in BTCUSDT correlated ≥ 0.6"), "{}", first.reason);
    let by_correlation = log.risk_events.iter().filter(|e| e.rule == RiskRule::Correlation).count();
    assert!(by_correlation >= 2, "{by_correlation}");
    // Every order went out as a market order and filled: the rule resizes, it does not starve the strategy.
    assert!(log.orders.iter().all(|o| o.report.request.order_type == OrderType::Market));
    assert_eq!(run.summary.risk.events["correlation"]["resized"], by_correlation);
}

#[test]
fn the_report_lists_every_risk_decision_and_summary_json_counts_them_by_rule() {
    let out = tempfile::tempdir().unwrap();
    run_into("btc_drawdown_halt", out.path());
    let csv = std::fs::read_to_string(out.path().join("risk_events.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time,rule,action,order_id,symbol,adjusted_quantity,reason");
    assert_eq!(lines.len(), 1 + 1 + 13, "header, the halt, thirteen refused entries");
    assert!(
        lines[1].starts_with("2023-01-27T23:00:00Z,drawdown,halted,,,,drawdown 5.0406 % from the peak"),
        "{}",
        lines[1]
    );
    let refused: Vec<&str> = lines[2].splitn(7, ',').collect();
    assert_eq!(refused[..6], ["2023-01-29T02:00:00Z", "drawdown", "rejected", "27", "BTCUSDT", "0"]);
    assert!(
        refused[6].starts_with("emergency stop since 2023-01-27T23:00:00Z")
            && refused[6].ends_with("only reducing orders pass")
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    let risk = &summary["risk"];
    assert_eq!(risk["events"], serde_json::json!({"drawdown": {"halted": 1, "rejected": 13}}));
    assert_eq!(risk["halted_at"], "2023-01-27T23:00:00Z");
    assert_eq!((risk["daily_limits"].as_u64(), risk["cool_offs"].as_u64()), (Some(0), Some(0)));
    assert_eq!(risk["limits"]["max_drawdown_percent"], "5");
}

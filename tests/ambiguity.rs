//! The ambiguity report on the shipped 1-hour data: a bracket strategy (scenarios/btc_bracket_ambiguity.yaml) counts
//! the bars in which its stop-loss and take-profit were both reached, and states the final equity under the adverse
//! and the optimistic rule. The count is re-derived here from the orders and the bars alone; the optimistic bound
//! equals a plain run of the scenario with `bar_path: optimistic`.

mod common;

use std::collections::BTreeSet;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::{OrderStatus, OrderType, Side};
use cryptotradebot::runner::run_scenario;

#[test]
fn a_bracket_strategy_reports_its_ambiguous_bars_and_both_equity_bounds() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_bracket_ambiguity.yaml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(&scenario, out.path()).unwrap();
    let report = &run.summary.bar_path;

    // Independently: every exit pair that ended with a fill, and the bar it filled in. The bar is ambiguous when
    // its range held both exits' prices and it opened between them (a gap through either settles it).
    let (series, _) = scenario.load_market_data().unwrap();
    let bars: Vec<_> = series.iter().flat_map(|s| (0..s.len()).map(move |i| s.bar(i))).collect();
    let orders = &run.result.log.orders;
    let mut ambiguous = BTreeSet::new();
    for filled in orders.iter().filter(|o| o.report.status == OrderStatus::Filled) {
        let request = filled.report.request;
        if request.order_type != OrderType::StopMarket {
            continue;
        }
        let fill = run.result.log.fills.iter().find(|f| f.fill.order_id == request.client_order_id).unwrap();
        let take = orders.iter().find(|o| Some(o.report.request.client_order_id) == request.one_cancels_other);
        let (Some(stop), Some(take)) = (request.stop_price, take.and_then(|t| t.report.request.stop_price)) else {
            panic!("a stop without its take-profit")
        };
        assert_eq!(request.side, Side::Sell, "long-only: the exits sell");
        let bar = bars.iter().find(|b| b.open_time == fill.fill.time).unwrap();
        if bar.low <= stop && bar.high >= take && bar.open > stop && bar.open < take {
            ambiguous.insert(bar.open_time);
        }
    }
    assert_eq!(report.ambiguous_bars, ambiguous.len() as u64);
    assert_eq!(report.ambiguous_bars, 3);
    assert_eq!(
        report.final_equity_adverse,
        run.result.portfolio.equity().normalize(),
        "the run itself is the adverse bound"
    );
    assert!(report.final_equity_optimistic > report.final_equity_adverse, "{report:?}");

    let optimistic_text = scenario.text.replace("bar_path: adverse", "bar_path: optimistic");
    let optimistic = Scenario::parse(&common::repo("scenarios/btc_bracket_ambiguity.yaml"), optimistic_text).unwrap();
    let other = run_scenario(&optimistic, tempfile::tempdir().unwrap().path()).unwrap();
    assert_eq!(other.result.portfolio.equity().normalize(), report.final_equity_optimistic);
    let (theirs, ours) = (&other.summary.bar_path, report);
    assert_eq!(
        (theirs.final_equity_adverse, theirs.final_equity_optimistic),
        (ours.final_equity_adverse, ours.final_equity_optimistic),
        "the same interval, whichever rule the run uses"
    );

    let summary = std::fs::read_to_string(out.path().join("summary.json")).unwrap();
    assert!(summary.contains(r#""bar_path": {"#) && summary.contains(r#""ambiguous_bars": 3"#), "{summary}");
}

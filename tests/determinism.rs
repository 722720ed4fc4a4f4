//! Same inputs, same bytes: two runs of a scenario write identical report files.

mod common;

use cryptotradebot::config::Scenario;
use cryptotradebot::report::REPORT_FILES;
use cryptotradebot::runner::run_scenario;

#[test]
fn two_runs_of_a_scenario_write_byte_identical_reports() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_scenario(&scenario, a.path()).unwrap();
    run_scenario(&scenario, b.path()).unwrap();
    for name in REPORT_FILES {
        let (x, y) = (std::fs::read(a.path().join(name)).unwrap(), std::fs::read(b.path().join(name)).unwrap());
        assert!(!x.is_empty(), "{name} is empty");
        assert!(x == y, "{name} differs between two runs");
    }
}

#[test]
fn the_binary_gives_the_same_report_from_any_working_directory() {
    // Paths in the scenario resolve against its own folder, so running from elsewhere changes nothing.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let scenario = common::repo("scenarios/btc_sma_cross.yaml");
    let (ok_a, stdout, stderr) =
        common::ctb(&common::repo(""), &["backtest", scenario.to_str().unwrap(), "--out", a.path().to_str().unwrap()]);
    assert!(ok_a, "{stderr}");
    assert!(stdout.contains("Trades (closed round trips)") && stdout.contains("26"), "{stdout}");
    let (ok_b, _, stderr) =
        common::ctb(b.path(), &["backtest", scenario.to_str().unwrap(), "--out", "report", "--quiet"]);
    assert!(ok_b, "{stderr}");
    let summary = |dir: &std::path::Path| std::fs::read(dir.join("summary.json")).unwrap();
    assert_eq!(summary(a.path()), summary(&b.path().join("report")));
}

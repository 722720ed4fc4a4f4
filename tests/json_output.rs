//! `--json` on `ctb backtest`, `ctb validate` and `ctb sweep`: stdout is the JSON the run wrote (summary.json,
//! validation.json) byte for byte, or, for a sweep, its ranking as results.csv has it; nothing else is printed there,
//! and a failed validation still exits with status 1.

mod common;

use std::path::Path;

use common::{ctb, repo};
use serde_json::Value;

/// The shipped SMA scenario with absolute data paths and `extra` appended, written into `dir`.
fn sma_scenario(dir: &Path, extra: &str) -> String {
    let text = std::fs::read_to_string(repo("scenarios/btc_sma_cross.yaml")).expect("scenario");
    let text = text.replace("../data", repo("data").to_str().expect("utf-8 path")) + extra;
    common::write(dir, "sma.yaml", &text).to_str().expect("utf-8 path").to_string()
}

fn parse(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"))
}

#[test]
fn backtest_json_prints_summary_json_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let scenario = sma_scenario(dir.path(), "");
    let (ok, stdout, stderr) = ctb(dir.path(), &["backtest", &scenario, "--json", "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let written = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    assert_eq!(stdout, written, "stdout is summary.json and nothing else");
    let json = parse(&stdout);
    // The shipped run's numbers (spec sma_cross_v1, as the reference tools computed them).
    assert_eq!(json["metrics"]["trades"], 26);
    let final_equity = json["metrics"]["final_equity"].as_str().expect("exact decimal string");
    let final_equity: rust_decimal::Decimal = final_equity.parse().expect("a decimal");
    assert_eq!(final_equity.round_dp(4), rust_decimal::dec!(12020.6013));
}

#[test]
fn validate_json_prints_validation_json_and_a_failed_check_still_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reports = dir.path().join("reports");
    let reports_arg = reports.to_str().unwrap();
    // 26 round trips are 52 fills.
    let passing = sma_scenario(dir.path(), "validation:\n  min_fills: 52\n");
    let (ok, stdout, stderr) = ctb(dir.path(), &["validate", &passing, "--json", "--reports-dir", reports_arg]);
    assert!(ok, "{stderr}");
    let written = std::fs::read_to_string(reports.join("btc_sma_cross/validation.json")).expect("validation.json");
    assert_eq!(stdout, written);
    assert_eq!(parse(&stdout)["passed"], true);

    let failing = sma_scenario(dir.path(), "validation:\n  min_fills: 53\n");
    let (ok, stdout, stderr) = ctb(dir.path(), &["validate", &failing, "--json", "--reports-dir", reports_arg]);
    assert!(!ok, "53 fills are not there: the validation fails");
    let json = parse(&stdout);
    assert_eq!(json["passed"], false);
    assert!(stderr.contains("failed validation"), "{stderr}");
}

#[test]
fn sweep_json_ranks_the_combinations_as_results_csv_holds_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let scenario = repo("scenarios/btc_sma_sweep.yaml");
    let (ok, stdout, stderr) =
        ctb(&repo(""), &["sweep", scenario.to_str().unwrap(), "--json", "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let json = parse(&stdout);
    assert_eq!(json["objective"], "sharpe");
    assert_eq!(json["combinations"], 90);
    assert_eq!(json["finished"], 90);

    // The ranking, recomputed from results.csv: Sharpe descending, ties by combination number.
    let mut reader = csv::Reader::from_path(out.join("sweep/results.csv")).expect("results.csv");
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (number, fast, slow, sharpe) = (column("combination"), column("fast"), column("slow"), column("sharpe"));
    let mut rows: Vec<(f64, u64, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[sharpe].parse().expect("sharpe"), r[number].parse().expect("number"), r[fast].into(), r[slow].into())
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let top = json["top"].as_array().expect("top");
    assert!(!top.is_empty());
    for (row, expected) in top.iter().zip(&rows) {
        assert_eq!(row["combination"], expected.1);
        assert_eq!(row["params"]["fast"], expected.2.as_str());
        assert_eq!(row["params"]["slow"], expected.3.as_str());
        assert_eq!(row["score"].as_f64(), Some(expected.0));
    }
    assert_eq!(json["best"]["metrics"]["sharpe"].as_f64(), Some(rows[0].0), "the best summary is the top row's run");
}

#[test]
fn json_and_quiet_are_refused_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = sma_scenario(dir.path(), "");
    let (ok, _, stderr) = ctb(dir.path(), &["backtest", &scenario, "--json", "--quiet"]);
    assert!(!ok);
    assert!(stderr.contains("--json") && stderr.contains("--quiet"), "{stderr}");
}

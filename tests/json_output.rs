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
    let written = std::fs::read_to_string(reports.join("btc_sma_cross/validation.json")).expect("validation.json");
    assert_eq!(stdout, written, "a failed validation prints its record too");
    assert_eq!(parse(&stdout)["passed"], false);
    assert!(stderr.contains("failed validation"), "{stderr}");
}

/// Runs `ctb sweep` on the shipped sweep scenario with `args`, from a folder of its own (no `.env` of the
/// repository is read); returns stdout parsed and its text.
fn sweep_json(cwd: &Path, args: &[&str]) -> (Value, String) {
    let scenario = repo("scenarios/btc_sma_sweep.yaml");
    let mut all = vec!["sweep", scenario.to_str().expect("utf-8 path"), "--json"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = ctb(cwd, &all);
    assert!(ok, "{stderr}");
    (parse(&stdout), stdout)
}

/// results.csv's rows as (sharpe, combination, fast, slow).
fn results(path: &Path) -> Vec<(f64, u64, String, String)> {
    common::csv_rows(path)
        .into_iter()
        .map(|r| {
            let sharpe = r["sharpe"].parse().expect("sharpe");
            (sharpe, r["combination"].parse().expect("number"), r["fast"].clone(), r["slow"].clone())
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn sweep_json_ranks_the_combinations_as_results_csv_holds_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let (json, stdout) = sweep_json(dir.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(json["objective"], "sharpe");
    assert_eq!((json["combinations"].as_u64(), json["finished"].as_u64()), (Some(90), Some(90)));
    assert_eq!((json["shard"]["index"].as_u64(), json["shard"]["count"].as_u64()), (Some(0), Some(1)));
    assert_eq!(json["interrupted"], false);

    // The ranking, recomputed from results.csv: Sharpe descending, ties by combination number; `top: 10`.
    let mut rows = results(&out.join("sweep/results.csv"));
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let top = json["top"].as_array().expect("top");
    assert_eq!(top.len(), 10, "as many as the section's top");
    for (row, expected) in top.iter().zip(&rows) {
        assert_eq!(row["combination"], expected.1);
        assert_eq!(row["params"]["fast"], expected.2.as_str());
        assert_eq!(row["params"]["slow"], expected.3.as_str());
        assert!(close(row["score"].as_f64().expect("a score"), expected.0), "{row} vs {expected:?}");
    }
    // `best` is the best combination's summary.json, key for key and in its order.
    let best_file = std::fs::read_to_string(out.join("sweep/best/summary.json")).expect("best/summary.json");
    assert_eq!(json["best"], parse(&best_file));
    assert!(stdout.contains("\"best\": {\n    \"scenario\""), "summary.json's first key leads `best`");
}

#[test]
fn a_shards_sweep_json_says_which_shard_ran_and_has_no_best() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let (json, _) = sweep_json(dir.path(), &["--out", out.to_str().unwrap(), "--shard", "1/3"]);
    assert_eq!((json["shard"]["index"].as_u64(), json["shard"]["count"].as_u64()), (Some(1), Some(3)));
    let shard_rows = results(&out.join("sweep/shard-1-of-3.csv"));
    assert_eq!(json["finished"].as_u64(), Some(shard_rows.len() as u64));
    assert_eq!(json["combinations"], 90);
    assert!(json["best"].is_null());
    assert_eq!(json["interrupted"], false);
}

#[test]
fn a_walk_forwards_json_is_its_summary_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let args = ["--out", out.to_str().unwrap(), "--walk-forward", "train=336,test=168"];
    let (json, stdout) = sweep_json(dir.path(), &args);
    let written = std::fs::read_to_string(out.join("walk_forward/summary.json")).expect("walk_forward/summary.json");
    assert_eq!(stdout, written);
    assert!(!json["windows"].as_array().expect("windows").is_empty());
}

#[test]
fn json_and_quiet_are_refused_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = sma_scenario(dir.path(), "");
    let (ok, _, stderr) = ctb(dir.path(), &["backtest", &scenario, "--json", "--quiet"]);
    assert!(!ok);
    assert!(stderr.contains("--json") && stderr.contains("--quiet"), "{stderr}");
}

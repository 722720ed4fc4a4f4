//! `ctb robust` through the binary, on the shipped BTCUSDT 1h data: `scenarios/btc_sma_cross.yaml` itself (no sweep)
//! and a copy of it with a six-combination sweep grid. The report is the same bytes on every run and thread count;
//! the seed moves the Monte Carlo and nothing else; the ×1 cost row is `ctb backtest`'s result (12,020.6013 USDT,
//! 26 trades, the reference tools' numbers) and higher costs end lower; the DSR counts every combination of the grid
//! and the PBO is a probability.

mod common;

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::Value;

const SCENARIO: &str = "scenarios/btc_sma_cross.yaml";

/// The sweep the copy appends: fast 5, 10, 20 × slow 30, 60.
const SMALL_SWEEP: &str = "sweep:\n  params:\n    fast: [5, 10, 20]\n    slow: [30, 60]\n  objective: sharpe\n";

/// Combinations of [`SMALL_SWEEP`].
const SMALL_GRID: u64 = 6;

/// Runs `ctb` with `args` (and `env`) from the repository, asserting success; returns stdout.
fn ctb(args: &[&str], env: &[(&str, &str)]) -> String {
    let (ok, stdout, stderr) = common::ctb_with_env(&common::repo(""), args, env);
    assert!(ok, "ctb {args:?} failed: {stdout}{stderr}");
    stdout
}

/// `ctb robust scenario --out dir` with `extra` arguments; returns stdout and the bytes of `robust.json`.
fn robust(scenario: &Path, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (String, Vec<u8>) {
    let mut args = vec!["robust", scenario.to_str().expect("utf-8 path"), "--out", dir.to_str().expect("utf-8 path")];
    args.extend(extra);
    let stdout = ctb(&args, env);
    (stdout, read(&dir.join("robust.json")))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("robust.json is JSON")
}

/// A copy of the shipped scenario with its data paths absolute and [`SMALL_SWEEP`] appended, written into `dir`.
fn small_sweep_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(common::repo(SCENARIO)).expect("shipped scenario");
    let text = text.replace("../data", common::repo("data").to_str().expect("utf-8 path"));
    common::write(dir, "btc_sma_small_sweep.yaml", &format!("{text}{SMALL_SWEEP}"))
}

fn decimal(value: &Value) -> Decimal {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a decimal string: {value}"))
}

#[test]
fn two_runs_on_one_and_two_threads_write_the_same_robust_json_bytes() {
    let work = tempfile::tempdir().expect("temp dir");
    let scenario = small_sweep_scenario(work.path());
    let (_, one) = robust(&scenario, &work.path().join("one"), &[], &[("RAYON_NUM_THREADS", "1")]);
    let (_, two) = robust(&scenario, &work.path().join("two"), &[], &[("RAYON_NUM_THREADS", "2")]);
    assert_eq!(one, two);
    assert!(json(&one)["sweep"]["pbo"]["pbo"].is_f64(), "the sweep part is there");
}

#[test]
fn another_seed_changes_the_monte_carlo_and_nothing_but_the_draws() {
    let work = tempfile::tempdir().expect("temp dir");
    let shipped = common::repo(SCENARIO);
    let (_, default) = robust(&shipped, &work.path().join("default"), &[], &[]);
    let (_, other) = robust(&shipped, &work.path().join("other"), &["--seed", "7"], &[]);
    let (default, other) = (json(&default), json(&other));
    assert_eq!(
        (default["seed"].as_u64(), other["seed"].as_u64()),
        (Some(42), Some(7)),
        "the scenario's seed, or --seed"
    );
    assert_ne!(default["monte_carlo"], other["monte_carlo"]);
    assert_ne!(default["bootstrap"], other["bootstrap"]);
    for same in ["probabilistic_sharpe", "costs"] {
        assert_eq!(default[same], other[same], "{same} draws nothing");
    }
}

#[test]
fn the_times_one_cost_row_is_ctb_backtest_and_higher_costs_end_lower() {
    let work = tempfile::tempdir().expect("temp dir");
    let (backtest_dir, robust_dir) = (work.path().join("backtest"), work.path().join("robust"));
    ctb(&["backtest", SCENARIO, "--quiet", "--out", backtest_dir.to_str().expect("utf-8 path")], &[]);
    let (stdout, bytes) = robust(&common::repo(SCENARIO), &robust_dir, &[], &[]);
    let report = json(&bytes);
    let summary = json(&read(&backtest_dir.join("summary.json")));

    let costs = report["costs"].as_array().expect("cost rows");
    let multipliers: Vec<u64> = costs.iter().filter_map(|row| row["multiplier"].as_u64()).collect();
    assert_eq!(multipliers, [1, 2, 5]);
    let finals: Vec<Decimal> = costs.iter().map(|row| decimal(&row["final_equity"])).collect();
    assert_eq!(finals[0], decimal(&summary["metrics"]["final_equity"]), "×1 is the backtest, exactly");
    assert_eq!(finals[0].round_dp(4), Decimal::new(120_206_013, 4), "12,020.6013 USDT");
    assert_eq!(costs[0]["trades"].as_u64(), Some(26));
    assert_eq!(costs[0]["sharpe"], summary["metrics"]["sharpe"]);
    assert!(finals[1] < finals[0] && finals[2] < finals[1], "×2 and ×5 end lower: {finals:?}");
    assert!(report["sweep"].is_null(), "the shipped scenario has no sweep: section");
    assert!(stdout.contains("×5") && stdout.contains("Monte Carlo of 26 trades"), "{stdout}");

    for file in ["summary.json", "trades.csv", "equity.csv", "fills.csv", "orders.csv"] {
        assert_eq!(read(&backtest_dir.join(file)), read(&robust_dir.join(file)), "{file} as ctb backtest writes it");
    }
}

#[test]
fn the_dsr_counts_every_combination_of_the_grid_and_the_pbo_is_a_probability() {
    let work = tempfile::tempdir().expect("temp dir");
    let (_, bytes) = robust(&small_sweep_scenario(work.path()), &work.path().join("out"), &[], &[]);
    let sweep = &json(&bytes)["sweep"];
    assert_eq!(sweep["trials"].as_u64(), Some(SMALL_GRID));
    assert_eq!(sweep["deflated_sharpe"]["trials"].as_u64(), Some(SMALL_GRID));
    let probability = sweep["deflated_sharpe"]["probability"].as_f64().expect("a DSR");
    assert!((0.0..=1.0).contains(&probability), "{probability}");
    let pbo = &sweep["pbo"];
    assert_eq!(pbo["combinations"].as_u64(), Some(SMALL_GRID));
    // 59 days (2023-01-01 to 2023-02-28) are enough for the default 16 blocks: C(16, 8) splits
    assert_eq!(
        (pbo["periods"].as_u64(), pbo["blocks"].as_u64(), pbo["splits"].as_u64()),
        (Some(59), Some(16), Some(12_870))
    );
    let pbo = pbo["pbo"].as_f64().expect("a PBO");
    assert!((0.0..=1.0).contains(&pbo), "{pbo}");
}

#[test]
fn the_monte_carlo_resamples_all_26_closed_trades_as_often_as_asked() {
    let work = tempfile::tempdir().expect("temp dir");
    let (_, bytes) = robust(&common::repo(SCENARIO), work.path(), &["--resamples", "200"], &[]);
    let report = json(&bytes);
    let monte_carlo = &report["monte_carlo"];
    assert_eq!((monte_carlo["trades"].as_u64(), monte_carlo["resamples"].as_u64()), (Some(26), Some(200)));
    assert_eq!(monte_carlo["starting_equity"].as_f64(), Some(10_000.0), "from the starting cash");
    assert_eq!((report["resamples"].as_u64(), report["bootstrap"]["resamples"].as_u64()), (Some(200), Some(200)));
    let below = monte_carlo["probability_below_start"].as_f64().expect("a probability");
    assert!((0.0..=1.0).contains(&below), "{below}");
}

#[test]
fn json_prints_robust_json_to_stdout_and_nothing_else() {
    let work = tempfile::tempdir().expect("temp dir");
    let (stdout, bytes) = robust(&common::repo(SCENARIO), work.path(), &["--json", "--resamples", "50"], &[]);
    assert_eq!(stdout.as_bytes(), bytes);
}

#[test]
fn zero_resamples_and_level_2_scenarios_are_refused() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().to_str().expect("utf-8 path");
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["robust", SCENARIO, "--resamples", "0", "--out", out]);
    assert!(!ok && stderr.contains("resamples"), "{stderr}");
    let level_2 = "scenarios/btc_l2_market_maker.yaml";
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["robust", level_2, "--out", out]);
    assert!(!ok && stderr.contains("btc_l2_market_maker.yaml") && stderr.contains("bar data"), "{stderr}");
}

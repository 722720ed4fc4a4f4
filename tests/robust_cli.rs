//! `ctb robust` through the binary, on the shipped BTCUSDT 1h data: `scenarios/btc_sma_cross.yaml` itself (no
//! sweep), a copy of it with a six-combination sweep grid, and a copy with slippage and a fee ladder. The report is
//! the same bytes on every run and thread count; the seed moves the Monte Carlo and the bootstrap and nothing else;
//! the ×1 cost row, a run of the cost path of its own, is `ctb backtest`'s result (12,020.6013 USDT, 26 trades, the
//! reference tools' numbers) and its fees those of the backtest's `fills.csv`; ×2 and ×5 multiply the fees paid; the
//! DSR of the backtest and of the sweep's best combination and the PBO are the values that
//! `scripts/robust_cli_reference.py` computes with numpy/scipy from the combinations' equity curves
//! (`tests/data/robust_cli/`, checked here to be this sweep's curves).

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use cryptotradebot::config::Scenario;
use cryptotradebot::report::Curve;
use cryptotradebot::runner::plan_sweep;
use cryptotradebot::strategy::StrategyRegistry;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SCENARIO: &str = "scenarios/btc_sma_cross.yaml";

/// The sweep the copy appends: fast 5, 10, 20 × slow 30, 60.
const SMALL_SWEEP: &str = "sweep:\n  params:\n    fast: [5, 10, 20]\n    slow: [30, 60]\n  objective: sharpe\n";

/// Combinations of [`SMALL_SWEEP`].
const SMALL_GRID: u64 = 6;

/// The small sweep's combinations' equity curves, the input of `scripts/robust_cli_reference.py`.
const REFERENCE_INPUTS: &str = "tests/data/robust_cli/small_sweep_inputs.json";

/// What `scripts/robust_cli_reference.py` computed from [`REFERENCE_INPUTS`].
const REFERENCE_EXPECTED: &str = "tests/data/robust_cli/small_sweep_expected.json";

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

/// The decimals of column `name` of a CSV file's rows.
fn csv_column(path: &Path, name: &str) -> Vec<Decimal> {
    let text = String::from_utf8(read(path)).expect("utf-8 CSV");
    let mut lines = text.lines();
    let column = lines.next().and_then(|header| header.split(',').position(|c| c == name));
    let column = column.unwrap_or_else(|| panic!("{}: no column {name}", path.display()));
    lines.map(|line| line.split(',').nth(column).and_then(|v| v.parse().ok()).expect("a decimal")).collect()
}

/// Whether `actual` is `expected` within a relative `tolerance` (absolute near 0).
fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance * expected.abs().max(1e-12)
}

/// Asserts that every number of `actual` is within 1e-9 (relative) of `expected`, every other value equal.
fn assert_close(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            let (a, e) = (a.as_f64().expect("finite"), e.as_f64().expect("finite"));
            assert!(close(a, e, 1e-9), "{at}: {a} is not the reference's {e}");
        }
        (Value::Object(a), Value::Object(e)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), e.keys().collect::<Vec<_>>(), "{at}: keys");
            a.iter().for_each(|(key, value)| assert_close(value, &e[key], &format!("{at}.{key}")));
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{at}: length");
            a.iter().zip(e).enumerate().for_each(|(i, (a, e))| assert_close(a, e, &format!("{at}[{i}]")));
        }
        _ => assert_eq!(actual, expected, "{at}"),
    }
}

/// The equity curves of the small sweep's combinations, run in process by the library as `ctb robust` runs them:
/// what `scripts/robust_cli_reference.py` reads.
fn small_sweep_curves(scenario: &Path) -> Value {
    let scenario = Scenario::load_with(scenario, &StrategyRegistry::builtin()).expect("the scenario loads");
    let plan = plan_sweep(&scenario).expect("the sweep plans");
    let keep = |_: &_, curve: &Curve<'_>| {
        let times: Vec<i64> = curve.points.iter().map(|p| p.time.0).collect();
        (times, curve.values.clone())
    };
    let rows = plan.run_keeping(&AtomicBool::new(false), &|| {}, &keep).expect("the sweep runs");
    let times = &rows[0].1.0;
    assert!(rows.iter().all(|(_, (t, _))| t == times), "every combination marks the same bar closes");
    assert!(times.iter().all(|t| t % 1_000_000_000 == 0), "bar closes fall on whole seconds");
    let combinations: Vec<Value> = rows
        .iter()
        .map(|(row, (_, equity))| {
            let values: Vec<f64> = row.values.iter().map(|v| v.to_string().parse().expect("a number")).collect();
            json!({ "number": row.number, "values": values, "sharpe": row.metrics.sharpe, "equity": equity })
        })
        .collect();
    json!({
        "scenario": "scenarios/btc_sma_cross.yaml with the sweep of tests/robust_cli.rs (SMALL_SWEEP)",
        "starting_equity": 10_000.0,
        "periods_per_year": 8760.0,
        "scenario_params": { "fast": 10, "slow": 30 },
        "names": plan.grid().names,
        "objective": "sharpe",
        "mark_times_s": times.iter().map(|t| t / 1_000_000_000).collect::<Vec<i64>>(),
        "combinations": combinations,
    })
}

/// Rewrites [`REFERENCE_INPUTS`]; then run `python3 scripts/robust_cli_reference.py` for [`REFERENCE_EXPECTED`].
#[test]
#[ignore = "writes the reference inputs: cargo test --test robust_cli -- --ignored"]
fn write_the_small_sweep_reference_inputs() {
    let work = tempfile::tempdir().expect("temp dir");
    let text = serde_json::to_string(&small_sweep_curves(&small_sweep_scenario(work.path()))).expect("JSON");
    std::fs::write(common::repo(REFERENCE_INPUTS), text + "\n").expect("write the reference inputs");
}

#[test]
fn the_reference_inputs_are_the_small_sweep_s_curves() {
    let work = tempfile::tempdir().expect("temp dir");
    let curves = small_sweep_curves(&small_sweep_scenario(work.path()));
    assert_close(&curves, &json(&read(&common::repo(REFERENCE_INPUTS))), "inputs");
}

#[test]
fn the_dsrs_and_the_pbo_are_the_reference_values_of_the_small_sweep() {
    let work = tempfile::tempdir().expect("temp dir");
    let (stdout, bytes) = robust(&small_sweep_scenario(work.path()), &work.path().join("out"), &[], &[]);
    let sweep = &json(&bytes)["sweep"];
    let expected = json(&read(&common::repo(REFERENCE_EXPECTED)));
    assert_eq!(sweep["trials"].as_u64(), Some(SMALL_GRID));
    assert_eq!(sweep["scenario_combination"], expected["scenario_combination"], "fast 10, slow 30 is in the grid");
    assert_close(&sweep["deflated_sharpe"], &expected["backtest_deflated_sharpe"], "backtest DSR");
    assert_close(&sweep["best"], &expected["best"], "best");
    let pbo = &sweep["pbo"];
    // 59 days (2023-01-01 to 2023-02-28) are enough for the default 16 blocks: C(16, 8) splits
    assert_eq!(
        (pbo["periods"].as_u64(), pbo["blocks"].as_u64(), pbo["splits"].as_u64()),
        (Some(59), Some(16), Some(12_870))
    );
    assert_close(pbo, &expected["pbo"], "pbo");
    assert!(stdout.contains("59 days in 16 blocks, 12870 splits"), "{stdout}");
    assert!(stdout.contains("DSR of the best by sharpe ("), "{stdout}");
}

#[test]
fn a_scenario_outside_its_grid_is_warned_about() {
    let work = tempfile::tempdir().expect("temp dir");
    let scenario = small_sweep_scenario(work.path());
    let text = std::fs::read_to_string(&scenario).expect("the copy").replace("[30, 60]", "[40, 60]");
    let scenario = common::write(work.path(), "outside.yaml", &text);
    let out = work.path().join("out");
    let args = ["robust", scenario.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8"), "--json"];
    let (ok, stdout, stderr) = common::ctb(&common::repo(""), &args);
    assert!(ok, "{stderr}");
    assert!(json(stdout.as_bytes())["sweep"]["scenario_combination"].is_null());
    assert!(stderr.contains("warning: the scenario's own strategy parameters are not a combination"), "{stderr}");
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
fn another_seed_changes_the_draws_and_nothing_else() {
    let work = tempfile::tempdir().expect("temp dir");
    let scenario = small_sweep_scenario(work.path());
    let (_, default) = robust(&scenario, &work.path().join("default"), &[], &[]);
    let (_, other) = robust(&scenario, &work.path().join("other"), &["--seed", "7"], &[]);
    let (default, other) = (json(&default), json(&other));
    assert_eq!((default["seed"].as_u64(), other["seed"].as_u64()), (Some(42), Some(7)), "the scenario's, or --seed");
    let sections = default.as_object().expect("an object");
    let seeded = ["seed", "monte_carlo", "bootstrap"];
    for (key, value) in sections {
        if seeded.contains(&key.as_str()) {
            assert_ne!(value, &other[key], "{key} is drawn with the seed");
        } else {
            assert_eq!(value, &other[key], "{key} draws nothing");
        }
    }
    assert!(sections.len() > seeded.len() && default["sweep"].is_object(), "the sweep is among the unseeded");
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
    let fills = backtest_dir.join("fills.csv");
    assert_eq!(decimal(&costs[0]["fees"]), csv_column(&fills, "fee").iter().sum(), "the backtest's fills' fees");
    assert_eq!(decimal(&costs[0]["volume"]), csv_column(&fills, "notional").iter().sum(), "and their notional");
    assert!(finals[1] < finals[0] && finals[2] < finals[1], "×2 and ×5 end lower: {finals:?}");
    assert!(report["sweep"].is_null(), "the shipped scenario has no sweep: section");
    assert!(stdout.contains("×5") && stdout.contains("Monte Carlo of 26 trades"), "{stdout}");

    for file in ["summary.json", "trades.csv", "equity.csv", "fills.csv", "orders.csv"] {
        assert_eq!(read(&backtest_dir.join(file)), read(&robust_dir.join(file)), "{file} as ctb backtest writes it");
    }
}

/// A two-level fee ladder whose cheaper level the shipped scenario's volume reaches half way.
const LADDER: &str = "name: robust_cli_test\nas_of: 2026-12-01\nsource: made up for tests/robust_cli.rs\ntiers:\n  \
    - { level: Regular, min_volume: 0, maker_percent: 0.1, taker_percent: 0.1 }\n  \
    - { level: VIP 1, min_volume: 250000, maker_percent: 0.05, taker_percent: 0.08 }\n";

#[test]
fn costs_times_two_and_five_multiply_the_fees_of_a_fee_ladder_with_slippage() {
    let work = tempfile::tempdir().expect("temp dir");
    let ladder = common::write(work.path(), "ladder.yaml", LADDER);
    let text = std::fs::read_to_string(common::repo(SCENARIO)).expect("shipped scenario");
    let text = text.replace("../data", common::repo("data").to_str().expect("utf-8 path"));
    let (flat, ladder) = ("fee_bps: { maker: 10, taker: 10 }", format!("fee_tiers: {}", ladder.display()));
    assert!(text.contains(flat) && text.contains("slippage_bps: 0\n"), "the shipped scenario's costs");
    let text = text.replace(flat, &ladder).replace("slippage_bps: 0\n", "slippage_bps: 5\n");
    let scenario = common::write(work.path(), "ladder_and_slippage.yaml", &text);
    let out = work.path().join("out");
    let (_, bytes) = robust(&scenario, &out, &["--resamples", "20"], &[]);
    let costs = json(&bytes)["costs"].as_array().expect("cost rows").clone();

    // ×1 is the backtest whose fills.csv was written: both levels of the ladder were paid
    let fills = out.join("fills.csv");
    let (fees, notional) = (csv_column(&fills, "fee"), csv_column(&fills, "notional"));
    let rates: Vec<Decimal> = fees.iter().zip(&notional).map(|(f, n)| (f / n).round_dp(10)).collect();
    assert!(rates.contains(&Decimal::new(1, 3)) && rates.contains(&Decimal::new(8, 4)), "{rates:?}");
    assert_eq!(decimal(&costs[0]["fees"]), fees.iter().sum(), "×1's fees are the backtest's fills'");
    assert_eq!(costs[0]["fills"].as_u64(), Some(fees.len() as u64));

    let (fees_1, volume_1) = (decimal(&costs[0]["fees"]), decimal(&costs[0]["volume"]));
    for (row, k) in costs.iter().zip([1, 2, 5]).skip(1) {
        let (fees_k, volume_k) = (decimal(&row["fees"]), decimal(&row["volume"]));
        // what must hold however the trades change: each fill pays k times the rate of its level, and the run's
        // lower volume reaches the cheaper level no earlier, so the fees per unit traded are at least k times ×1's
        let rate_ratio = (fees_k / volume_k) / (fees_1 / volume_1);
        let k = Decimal::from(k);
        assert!(rate_ratio >= k * Decimal::new(999_999, 6) && rate_ratio < k * Decimal::new(105, 2), "{rate_ratio}");
        // these trades are the same at every multiplier: the fees are about k times ×1's, a little less as the
        // higher costs leave less equity to trade
        assert_eq!((row["trades"].as_u64(), &row["fills"]), (Some(26), &costs[0]["fills"]));
        let fee_ratio = fees_k / fees_1;
        assert!(fee_ratio > k * Decimal::new(85, 2) && fee_ratio <= k * Decimal::new(1005, 3), "×{k}: {fee_ratio}");
    }
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
fn resamples_out_of_bounds_and_level_2_scenarios_are_refused() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().to_str().expect("utf-8 path");
    for (resamples, bound) in [("0", "1..=1000000"), ("1000001", "1..=1000000")] {
        let args = ["robust", SCENARIO, "--resamples", resamples, "--out", out];
        let (ok, _, stderr) = common::ctb(&common::repo(""), &args);
        assert!(!ok && stderr.contains("--resamples") && stderr.contains(bound), "{stderr}");
    }
    let level_2 = "scenarios/btc_l2_market_maker.yaml";
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["robust", level_2, "--out", out]);
    assert!(!ok && stderr.contains("btc_l2_market_maker.yaml") && stderr.contains("bar data"), "{stderr}");
}

#[test]
fn report_html_shows_the_robustness_of_its_own_run_and_ctb_report_rebuilds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, bytes) = robust(&common::repo(SCENARIO), dir.path(), &["--resamples", "200"], &[]);
    let report = json(&bytes);
    let page_path = dir.path().join("report.html");
    let page = String::from_utf8(read(&page_path)).expect("utf-8");
    assert!(page.contains(r#"<section id="robustness-section">"#), "the page has the robustness section");
    // The Monte Carlo's 5/50/95 % of the final equity, to the cent, as robust.json holds them.
    for p in ["p5", "p50", "p95"] {
        let value = report["monte_carlo"]["final_equity"][p].as_f64().expect("a percentile");
        assert!(page.contains(&format!("<td>{value:.2}</td>")), "{p} = {value:.2} on the page");
    }
    // The ×5 cost row's final equity, to four decimals as the terminal prints it.
    let times_five = decimal(&report["costs"][2]["final_equity"]).round_dp(4);
    assert!(page.contains(&format!("<td>{times_five} USDT</td>")), "×5: {times_five}");

    // `ctb report DIR` reads robust.json back and rebuilds the same page.
    let scenarios = common::repo("scenarios");
    let rebuild = ["report", dir.path().to_str().unwrap(), "--scenario-dir", scenarios.to_str().unwrap()];
    ctb(&rebuild, &[]);
    assert_eq!(String::from_utf8(read(&page_path)).expect("utf-8"), page, "rebuilt byte for byte");

    // A robust.json of another run (another content hash) is not shown.
    let mut other = report.clone();
    other["content_hash"] = json!("sha256:of-another-run");
    std::fs::write(dir.path().join("robust.json"), other.to_string()).expect("write");
    ctb(&rebuild, &[]);
    let rebuilt = String::from_utf8(read(&page_path)).expect("utf-8");
    assert!(!rebuilt.contains("robustness-section"), "another run's robustness is left out");
}

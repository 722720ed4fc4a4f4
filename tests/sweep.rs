//! `ctb sweep` on the shipped data (scenarios/btc_sma_sweep.yaml: the 90 fast/slow pairs of the grid on
//! BTCUSDT 1h): the same bytes whatever the thread count or the sharding, the best combination's report equal to a
//! plain backtest of it, a stop that keeps what finished, and bad sweep sections named by key.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cryptotradebot::config::Scenario;
use cryptotradebot::sweep::{Shard, SweepPlan};

const SCENARIO: &str = "scenarios/btc_sma_sweep.yaml";

/// Runs `ctb` with `args` and `env`, asserting success.
fn ctb(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(common::repo(""))
        .output()
        .expect("run ctb");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "ctb {args:?} failed: {stdout}{stderr}");
    stdout.into_owned()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sweep scenario's text with its data paths made absolute, so that copies run from any folder.
fn scenario_text() -> String {
    let text = std::fs::read_to_string(common::repo(SCENARIO)).unwrap();
    text.replace("../data", common::repo("data").to_str().unwrap())
}

fn sweep_into(dir: &Path, env: &[(&str, &str)]) {
    ctb(&["sweep", SCENARIO, "--quiet", "--out", dir.to_str().unwrap()], env);
}

#[test]
fn results_are_the_same_bytes_on_one_and_two_threads() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    sweep_into(one.path(), &[("RAYON_NUM_THREADS", "1")]);
    sweep_into(two.path(), &[("RAYON_NUM_THREADS", "2")]);
    let results = read(&one.path().join("sweep/results.csv"));
    assert_eq!(results, read(&two.path().join("sweep/results.csv")));
    assert_eq!(String::from_utf8_lossy(&results).lines().count(), 1 + 90);
    for file in ["heatmap.png", "best/summary.json", "best/trades.csv"] {
        assert_eq!(read(&one.path().join("sweep").join(file)), read(&two.path().join("sweep").join(file)), "{file}");
    }
}

#[test]
fn three_shards_run_as_separate_processes_merge_into_the_unsharded_result() {
    let (single, sharded) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    sweep_into(single.path(), &[]);
    let out = sharded.path().to_str().unwrap();
    let shards: Vec<std::process::Child> = (0..3)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
                .args(["sweep", SCENARIO, "--quiet", "--out", out, "--shard", &format!("{i}/3")])
                .current_dir(common::repo(""))
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("start a shard")
        })
        .collect();
    for mut shard in shards {
        assert!(shard.wait().unwrap().success());
    }
    let partial = String::from_utf8(read(&sharded.path().join("sweep/shard-1-of-3.csv"))).unwrap();
    assert_eq!(partial.lines().count(), 1 + 30, "combinations 1, 4, 7, … 88");
    assert!(partial.lines().skip(1).all(|l| l.split(',').next().unwrap().parse::<usize>().unwrap() % 3 == 1));
    ctb(&["sweep", "merge", SCENARIO, "--quiet", "--out", out], &[]);
    for file in ["results.csv", "heatmap.png", "best/summary.json", "best/equity.csv"] {
        assert_eq!(
            read(&single.path().join("sweep").join(file)),
            read(&sharded.path().join("sweep").join(file)),
            "{file}"
        );
    }
}

#[test]
fn the_best_combination_report_equals_a_plain_backtest_with_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    sweep_into(dir.path(), &[]);
    let best = dir.path().join("sweep/best");
    let summary: serde_json::Value = serde_json::from_slice(&read(&best.join("summary.json"))).unwrap();
    let (fast, slow) = (&summary["params"]["fast"], &summary["params"]["slow"]);
    // The best Sharpe of the grid, as the results table ranks it: fast 20, slow 40.
    assert_eq!((fast.as_u64(), slow.as_u64()), (Some(20), Some(40)));

    // The same scenario as a plain backtest with those parameters and no sweep section.
    let plain = scenario_text()[..scenario_text().find("sweep:").unwrap()]
        .replace("{ fast: 10, slow: 30 }", "{ fast: 20, slow: 40 }");
    let scenario = common::write(dir.path(), "plain.yaml", &plain);
    let backtest = dir.path().join("plain");
    ctb(&["backtest", scenario.to_str().unwrap(), "--quiet", "--out", backtest.to_str().unwrap()], &[]);
    for file in ["trades.csv", "fills.csv", "orders.csv", "risk_events.csv", "equity.csv"] {
        assert_eq!(read(&best.join(file)), read(&backtest.join(file)), "{file}");
    }
    let plain_summary: serde_json::Value = serde_json::from_slice(&read(&backtest.join("summary.json"))).unwrap();
    for key in ["metrics", "orders", "risk", "period", "params", "venue_balances"] {
        assert_eq!(summary[key], plain_summary[key], "{key}");
    }
}

#[test]
fn a_stop_keeps_the_combinations_that_finished() {
    let scenario = Scenario::load(&common::repo(SCENARIO)).unwrap();
    let plan = SweepPlan::prepare(&scenario).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (stop, done) = (AtomicBool::new(false), AtomicUsize::new(0));
    let outcome = plan
        .run(dir.path(), Shard::ALL, &stop, &|| {
            if done.fetch_add(1, Ordering::Relaxed) + 1 == 5 {
                stop.store(true, Ordering::Relaxed);
            }
        })
        .unwrap();
    let finished = done.load(Ordering::Relaxed);
    assert!((5..90).contains(&finished), "{finished}");
    assert_eq!((outcome.finished, outcome.total), (finished, 90));
    let results = std::fs::read_to_string(dir.path().join("sweep/results.csv")).unwrap();
    assert_eq!(results.lines().count(), 1 + finished, "every finished combination, nothing else");
}

#[test]
fn bad_sweep_sections_and_incomplete_merges_are_errors_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario_text();
    for (from, to, words) in [
        ("objective: sharpe", "objective: luck", "unknown variant `luck`"),
        ("top: 10", "tops: 10", "tops"),
        ("20..200 step 20", "20..200", "sweep.params.slow"),
        ("[\"fast < slow\"]", "[\"fast < medium\"]", "medium"),
        ("[\"fast < slow\"]", "[]", "combination 30 (fast=20, slow=20)"),
    ] {
        assert!(text.contains(from), "{from}");
        let path = common::write(dir.path(), "bad.yaml", &text.replace(from, to));
        let (ok, _, stderr) = common::ctb(dir.path(), &["sweep", path.to_str().unwrap(), "--quiet"]);
        assert!(!ok && stderr.contains(words), "{from} → {to}: {stderr}");
    }
    let path = common::write(dir.path(), "good.yaml", &text);
    let out = dir.path().join("out");
    let args = ["sweep", path.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()];
    let (ok, _, stderr) = common::ctb(dir.path(), &[&args[..], &["--shard", "0/2"]].concat());
    assert!(ok, "{stderr}");
    let (ok, _, stderr) =
        common::ctb(dir.path(), &["sweep", "merge", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!ok && stderr.contains("expected shard-0-of-2.csv … shard-1-of-2.csv"), "{stderr}");
    let (ok, _, stderr) = common::ctb(dir.path(), &[&args[..], &["--shard", "2/2"]].concat());
    assert!(!ok && stderr.contains("0 <= i < n"), "{stderr}");
}

//! `ctb sweep` on the shipped data (scenarios/btc_sma_sweep.yaml: the 90 fast/slow pairs of the grid on
//! BTCUSDT 1h): the same bytes whatever the thread count or the sharding, the best combination's report equal to a
//! plain backtest of it, a stop that keeps what finished, bad sweep sections named by key, and walk-forward windows
//! that never train on their test data.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rust_decimal::Decimal;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::Timestamp;
use cryptotradebot::runner::plan_sweep;
use cryptotradebot::sweep::{Shard, WalkForward, WalkForwardOutcome};

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
fn results_and_the_sweep_page_are_the_same_bytes_on_one_and_two_threads() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    sweep_into(one.path(), &[("RAYON_NUM_THREADS", "1")]);
    sweep_into(two.path(), &[("RAYON_NUM_THREADS", "2")]);
    let results = read(&one.path().join("sweep/results.csv"));
    assert_eq!(results, read(&two.path().join("sweep/results.csv")));
    assert_eq!(String::from_utf8_lossy(&results).lines().count(), 1 + 90);
    for file in
        ["heatmap.png", "heatmap.svg", "report.html", "best/summary.json", "best/trades.csv", "best/report.html"]
    {
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
    for file in ["results.csv", "heatmap.png", "heatmap.svg", "report.html", "best/summary.json", "best/equity.csv"] {
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
    let plan = plan_sweep(&scenario).unwrap();
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

/// Walk-forward on the sweep scenario (or on a copy whose data lives in `data_dir`), written into `out`.
fn walk_forward(data_dir: &Path, out: &Path) -> WalkForwardOutcome {
    let text = std::fs::read_to_string(common::repo(SCENARIO)).unwrap().replace("../data", data_dir.to_str().unwrap());
    let scenario = Scenario::parse(&out.join("scenario.yaml"), text).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    let spec = WalkForward::parse("train=336,test=168").unwrap();
    plan.walk_forward(spec, out, &AtomicBool::new(false), &|| {}).unwrap()
}

fn time(rfc3339: &str) -> Timestamp {
    cryptotradebot::data::parse_timestamp(rfc3339).unwrap()
}

#[test]
fn walk_forward_windows_roll_by_the_test_length_and_the_stitched_curve_covers_only_test_windows() {
    let out = tempfile::tempdir().unwrap();
    let outcome = walk_forward(&common::repo("data"), out.path());
    // 1,416 hourly bars from 2023-01-01: train 336 bars (14 days), test 168 (7 days); the last test window is cut
    // at the end of the data, 2023-03-01.
    let (t0, week) = (time("2023-01-01T00:00:00Z").0, 7 * 86_400_000_000_000_i64);
    assert_eq!(outcome.windows.len(), 7);
    for (k, w) in outcome.windows.iter().enumerate() {
        let k = k as i64;
        assert_eq!(w.train_from.0, t0 + k * week);
        assert_eq!(w.test_from.0, w.train_from.0 + 2 * week, "training ends where testing starts");
        assert_eq!(w.test_to.0, (w.test_from.0 + week).min(time("2023-03-01T00:00:00Z").0));
    }
    assert!(
        outcome.windows.windows(2).all(|p| p[0].test_to == p[1].test_from && p[0].test_equity.1 == p[1].test_equity.0)
    );
    let csv = std::fs::read_to_string(out.path().join("walk_forward/equity.csv")).unwrap();
    let marks: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(marks.len(), 1416 - 336, "one mark per test bar, none from training");
    assert_eq!((marks[0], *marks.last().unwrap()), ("2023-01-15T01:00:00Z", "2023-03-01T00:00:00Z"));
    let windows_csv = std::fs::read_to_string(out.path().join("walk_forward/windows.csv")).unwrap();
    assert_eq!(windows_csv.lines().count(), 1 + 7);
    for file in ["summary.json", "trades.csv", "equity.png", "equity.svg", "drawdown.png", "drawdown.svg"] {
        assert!(out.path().join("walk_forward").join(file).exists(), "{file}");
    }
}

#[test]
fn changing_the_bars_after_a_training_window_does_not_change_what_it_chose() {
    // Mirror every bar from 2023-01-22 (window 1's test start) on around the price there: windows 0 and 1 train
    // only before that time, so they must choose the same combinations; later windows see the change.
    let cutoff_ms = time("2023-01-22T00:00:00Z").0 / 1_000_000;
    let altered = tempfile::tempdir().unwrap();
    let binance = altered.path().join("binance");
    std::fs::create_dir_all(&binance).unwrap();
    let pivot = Decimal::from(46_000);
    for month in ["01", "02"] {
        let name = format!("BTCUSDT-1h-2023-{month}.csv");
        let text = std::fs::read_to_string(common::repo("data/binance").join(&name)).unwrap();
        let lines: Vec<String> = text
            .lines()
            .map(|line| {
                let mut cells: Vec<String> = line.split(',').map(String::from).collect();
                match cells[0].parse::<i64>() {
                    Ok(open_ms) if open_ms >= cutoff_ms => {
                        let mirror = |cell: &str| (pivot - cell.parse::<Decimal>().unwrap()).to_string();
                        let (o, h, l, c) = (mirror(&cells[1]), mirror(&cells[3]), mirror(&cells[2]), mirror(&cells[4]));
                        (cells[1], cells[2], cells[3], cells[4]) = (o, h, l, c);
                        cells.join(",")
                    }
                    _ => line.to_string(),
                }
            })
            .collect();
        std::fs::write(binance.join(&name), lines.join("\n") + "\n").unwrap();
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let original = walk_forward(&common::repo("data"), a.path());
    let mirrored = walk_forward(altered.path(), b.path());
    let chosen = |o: &WalkForwardOutcome| o.windows.iter().map(|w| w.combination).collect::<Vec<_>>();
    let (before, after) = (chosen(&original), chosen(&mirrored));
    assert_eq!(before[..2], after[..2], "windows trained before the change chose alike");
    assert_ne!(before[2..], after[2..], "later windows trained on the changed bars");
    assert_ne!(original.windows[1].test_equity.1, mirrored.windows[1].test_equity.1, "window 1 traded the change");
}

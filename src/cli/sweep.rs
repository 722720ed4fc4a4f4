//! `ctb sweep SCENARIO [--shard i/n]` and `ctb sweep merge SCENARIO`: run a scenario's parameter sweep, or
//! combine the partial results of its shards.

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Scenario;
use crate::error::{Error, Result};
use crate::runner::plan_sweep;
use crate::strategy::StrategyRegistry;
use crate::sweep::{Shard, SweepOutcome, WalkForward, top_table, windows_table};

/// Arguments of `ctb sweep`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Scenario file with a `sweep:` section.
    #[arg(required = true)]
    scenario: Option<PathBuf>,
    #[command(flatten)]
    output: Output,
    /// Run only shard i of n (0 <= i < n): the combinations whose number is i modulo n. Writes
    /// sweep/shard-<i>-of-<n>.csv; `ctb sweep merge` combines the shards.
    #[arg(long, value_name = "i/n", env = "CTB_SHARD", conflicts_with = "walk_forward")]
    shard: Option<String>,
    /// Walk-forward analysis instead of one sweep: optimise on each training window, trade the winner on the test
    /// window after it, roll forward by the test length; writes walk_forward/ with the stitched out-of-sample
    /// report. Lengths in bars (train=2000,test=500) or durations (train=30d,test=7d; m, h, d, w). A position open
    /// when a test window ends is closed through the venue or carried into the next window, as the scenario's
    /// sweep.walk_forward.at_window_end says (close by default).
    #[arg(long, value_name = "train=…,test=…")]
    walk_forward: Option<String>,
}

#[derive(Subcommand, Debug)]
enum SweepCommand {
    /// Combine the shard files of a sweep into results.csv, the best combination's report, the heatmap and
    /// report.html.
    Merge {
        /// The scenario the shards ran.
        scenario: PathBuf,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Args, Debug)]
struct Output {
    /// Report folder; results go to its sweep/ (or walk_forward/) subfolder [default: reports/<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no table: print only the files written.
    #[arg(long, short, conflicts_with = "json")]
    quiet: bool,
    /// No progress bar: print the outcome as JSON (the best combinations with their metrics, the best one's
    /// summary, the files; for a walk-forward, its summary.json) instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs the sweep (or the merge) and prints the best combinations.
pub fn run(args: SweepArgs, strategies: &StrategyRegistry) -> Result<()> {
    super::warn_unapplied_risk_overrides();
    match (args.command, args.scenario) {
        (Some(SweepCommand::Merge { scenario, output }), _) => {
            let scenario = Scenario::load_with(&scenario, strategies)?;
            let plan = plan_sweep(&scenario)?;
            let outcome = plan.merge(&output_dir(&output, &scenario))?;
            report(&outcome, &output, Shard::ALL, false)
        }
        (None, Some(path)) if args.walk_forward.is_some() => {
            let scenario = Scenario::load_with(&path, strategies)?;
            let spec = WalkForward::parse(args.walk_forward.as_deref().unwrap_or_default())?;
            let plan = plan_sweep(&scenario)?;
            let windows = plan.walk_forward_windows(spec).len();
            let bar = progress_bar((windows * plan.grid().combinations.len()) as u64, args.output.silent());
            let stop = stop_on_ctrl_c();
            let outcome = plan.walk_forward(spec, &output_dir(&args.output, &scenario), &stop, &|| bar.inc(1))?;
            bar.finish_and_clear();
            if stop.load(Ordering::Relaxed) {
                eprintln!(
                    "interrupted: {} of {windows} windows finished; the report holds those",
                    outcome.windows.len()
                );
            }
            if args.output.json {
                return super::print_stdout(&outcome.summary_json);
            }
            if !args.output.quiet {
                println!("{}", windows_table(&plan.grid().names, &outcome.windows));
                println!("{}", outcome.ends.line(&scenario.setup.quote));
            }
            for file in &outcome.files {
                println!("wrote {}", file.display());
            }
            Ok(())
        }
        (None, Some(path)) => {
            let scenario = Scenario::load_with(&path, strategies)?;
            let shard = args.shard.as_deref().map(Shard::parse).transpose()?.unwrap_or(Shard::ALL);
            let plan = plan_sweep(&scenario)?;
            let count = plan.grid().numbers(shard).count();
            let bar = progress_bar(count as u64, args.output.silent());
            let stop = stop_on_ctrl_c();
            let outcome = plan.run(&output_dir(&args.output, &scenario), shard, &stop, &|| bar.inc(1))?;
            bar.finish_and_clear();
            report(&outcome, &args.output, shard, stop.load(Ordering::Relaxed))
        }
        (None, None) => Err(Error::Config("ctb sweep: name a scenario file".into())),
    }
}

impl Output {
    /// No progress bar: quiet, or JSON on stdout.
    fn silent(&self) -> bool {
        self.quiet || self.json
    }
}

fn output_dir(output: &Output, scenario: &Scenario) -> PathBuf {
    output.out.clone().unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name))
}

/// A progress bar on stderr with combinations per second and the time left (hidden when `quiet` or when stderr is
/// not a terminal).
pub(super) fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} combinations  {per_sec}  ETA {eta}") {
        bar.set_style(style);
    }
    bar
}

/// A flag set by the first Ctrl-C (no new combination starts; finished ones are written); a second Ctrl-C exits at
/// once.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::Relaxed);
                eprintln!("stopping: the running combinations finish, then the finished ones are written (Ctrl-C again to quit)");
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    });
    stop
}

fn report(outcome: &SweepOutcome, output: &Output, shard: Shard, interrupted: bool) -> Result<()> {
    if interrupted {
        eprintln!(
            "interrupted: {} of {} combinations finished; the results hold those",
            outcome.finished, outcome.total
        );
    }
    if output.json {
        return super::print_stdout(&outcome.to_json(shard, interrupted)?);
    }
    if !output.quiet && !outcome.top.is_empty() {
        println!("{}", top_table(&outcome.names, outcome.objective, &outcome.top));
    }
    for file in &outcome.files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

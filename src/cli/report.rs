//! `ctb report DIR`: rebuild `report.html` from a backtest's report folder — its `scenario.yaml`, `summary.json`
//! and CSV files, and the scenario's data read again for the price charts. `ctb report compare A B [C…]`: the
//! metrics of two or more report folders side by side in the terminal, and `compare.html` with their equity
//! curves overlaid.

use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

use crate::config::Scenario;
use crate::report::compare::{compare_table, read_runs, write_compare};
use crate::report::html::{HTML_FILE, read_report_folder, write_html};
use crate::strategy::StrategyRegistry;
use crate::{Error, Result};

/// Arguments of `ctb report`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: Option<ReportCommand>,
    /// A report folder written by `ctb backtest` (reports/<scenario name> or its --out).
    #[arg(required = true)]
    dir: Option<PathBuf>,
    /// The folder of the scenario file that ran: the relative data paths in the copied scenario.yaml resolve
    /// against it [default: the report folder itself].
    #[arg(long, value_name = "FOLDER")]
    scenario_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// Two or more backtest reports side by side: their metrics in one table, and compare.html with their equity
    /// curves overlaid (in the quote currency, and in percent from each run's start). A folder named `compare`
    /// is given as ./compare.
    Compare {
        /// Report folders written by `ctb backtest`, two or more; a column each, in this order.
        #[arg(required = true, num_args = 2.., value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where to write the page.
        #[arg(long, value_name = "PATH", default_value = "reports/compare.html")]
        out: PathBuf,
    },
}

/// Rebuilds `report.html` in the folder, or compares folders.
pub fn run(args: ReportArgs, strategies: &StrategyRegistry) -> Result<()> {
    match (args.command, args.dir) {
        (Some(ReportCommand::Compare { dirs, out }), _) => compare(&dirs, &out, strategies),
        (None, Some(dir)) => rebuild(&dir, args.scenario_dir, strategies),
        (None, None) => Err(Error::Config("ctb report: name a report folder".into())),
    }
}

/// The copied scenario of a report folder: its path and text.
fn scenario_copy(dir: &Path) -> Result<(PathBuf, String)> {
    let copy = dir.join("scenario.yaml");
    if !copy.is_file() {
        return Err(Error::Data(format!(
            "{} holds no scenario.yaml: give the folder `ctb backtest` wrote its report to",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&copy).map_err(|e| Error::io("reading", &copy, e))?;
    Ok((copy, text))
}

/// Rebuilds `report.html` in `dir`, the scenario's relative paths resolving against `scenario_dir`.
fn rebuild(dir: &Path, scenario_dir: Option<PathBuf>, strategies: &StrategyRegistry) -> Result<()> {
    let (_, text) = scenario_copy(dir)?;
    let folder = scenario_dir.unwrap_or_else(|| dir.to_path_buf());
    let scenario = Scenario::parse_with(&folder.join("scenario.yaml"), text, strategies)?;
    let data = read_report_folder(dir, &scenario.setup.quote)?;
    let hint = |e: Error| {
        e.context(format!(
            "the scenario's relative paths resolve against {} (pass --scenario-dir with the folder of the scenario file that ran)",
            folder.display()
        ))
    };
    let hash = format!("sha256:{}", scenario.content_hash().map_err(hint)?);
    let recorded = data.summary.pointer("/content_hash").and_then(|v| v.as_str()).unwrap_or_default();
    if hash != recorded {
        return Err(Error::Data(format!(
            "{}: the scenario and data read now hash to {hash}, but the run's content_hash is {recorded}: they are not the inputs of this report",
            dir.join("summary.json").display()
        )));
    }
    let bars = if scenario.is_book() { Vec::new() } else { scenario.load_market_data().map_err(hint)?.0 };
    write_html(dir, &data, &bars)?;
    println!("{}", dir.join(HTML_FILE).display());
    Ok(())
}

/// Prints the comparison of `dirs` and writes its page to `out`. Each run's quote currency comes from its copied
/// scenario (the summary does not record it); nothing else of the scenario is read again.
fn compare(dirs: &[PathBuf], out: &Path, strategies: &StrategyRegistry) -> Result<()> {
    let folders = dirs
        .iter()
        .map(|dir| {
            let (copy, text) = scenario_copy(dir)?;
            Ok((dir.clone(), Scenario::parse_with(&copy, text, strategies)?.setup.quote))
        })
        .collect::<Result<Vec<_>>>()?;
    refuse_inside(out, dirs)?;
    let runs = read_runs(&folders)?;
    write_compare(out, &runs)?;
    println!("{}", compare_table(&runs));
    println!("wrote {}", out.display());
    Ok(())
}

/// Refuses an `out` page that would land inside one of the compared `dirs` (where it could replace that run's own
/// file), however the path is spelled: the folder it goes to is created first, then it and the page (a link to a
/// file is followed) are resolved.
///
/// # Errors
/// [`Error::Config`] naming the folder; [`Error::Io`] when the page's folder cannot be created or resolved.
fn refuse_inside(out: &Path, dirs: &[PathBuf]) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    let folder = parent.canonicalize().map_err(|e| Error::io("resolving", parent, e))?;
    let page = out.canonicalize().ok().or_else(|| out.file_name().map(|name| folder.join(name)));
    let lands_in = page.as_deref().and_then(Path::parent).unwrap_or(&folder);
    match dirs.iter().find(|d| d.canonicalize().is_ok_and(|d| lands_in.starts_with(&d) || folder.starts_with(&d))) {
        Some(dir) => Err(Error::Config(format!(
            "--out {} is inside the compared folder {}: write the comparison elsewhere",
            out.display(),
            dir.display()
        ))),
        None => Ok(()),
    }
}

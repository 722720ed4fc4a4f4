//! `ctb report DIR`: rebuild `report.html` from a backtest's report folder — its `scenario.yaml`, `summary.json`
//! and CSV files, and the scenario's data read again for the price charts.

use clap::Args;
use std::path::PathBuf;

use crate::config::Scenario;
use crate::report::html::{HTML_FILE, read_report_folder, write_html};
use crate::strategy::StrategyRegistry;
use crate::{Error, Result};

/// Arguments of `ctb report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A report folder written by `ctb backtest` (reports/<scenario name> or its --out).
    dir: PathBuf,
    /// The folder of the scenario file that ran: the relative data paths in the copied scenario.yaml resolve
    /// against it [default: the report folder itself].
    #[arg(long, value_name = "FOLDER")]
    scenario_dir: Option<PathBuf>,
}

/// Rebuilds `report.html` in the folder.
pub fn run(args: ReportArgs, strategies: &StrategyRegistry) -> Result<()> {
    let dir = &args.dir;
    let copy = dir.join("scenario.yaml");
    if !copy.is_file() {
        return Err(Error::Data(format!(
            "{} holds no scenario.yaml: give the folder `ctb backtest` wrote its report to",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&copy).map_err(|e| Error::io("reading", &copy, e))?;
    let folder = args.scenario_dir.clone().unwrap_or_else(|| dir.clone());
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

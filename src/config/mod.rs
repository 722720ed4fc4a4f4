//! Configuration in: scenario files (`scenarios/*.yaml`), the seed's `config/risk_management.yaml` and
//! `config/exchanges.yaml`. Every error names the file and the key.

mod exchanges;
mod risk_overrides;
mod scenario;
mod settings_files;

pub use exchanges::{ExchangesConfig, VENUES, configured_adapter};
pub use risk_overrides::set_overrides;
pub use scenario::{Scenario, ScenarioData, bar_recording_file, recording_file};
pub use settings_files::{read_fee_ladder, read_risk_limits};

/// One line describing a YAML error (message and position), without the source snippet.
pub fn yaml_error_line(error: &serde_saphyr::Error) -> String {
    let inner = error.without_snippet();
    let message = inner.to_string().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    match inner.location() {
        Some(at) if !message.contains("line") => format!("{message} (line {}, column {})", at.line(), at.column()),
        _ => message,
    }
}

//! Configuration in: scenario files (`scenarios/*.yaml`), the seed's `config/risk_management.yaml` and
//! `config/exchanges.yaml`. Every error names the file and the key.

mod exchange_section;
mod exchanges;
mod risk_overrides;
mod scenario;
mod settings_files;
mod yaml_errors;

pub use exchanges::{ExchangesConfig, VENUES, configured_adapter};
pub use risk_overrides::set_overrides;
pub use scenario::{Scenario, ScenarioData, bar_recording_file, recording_file};
pub use settings_files::{read_fee_ladder, read_risk_limits};
pub use yaml_errors::yaml_error_line;

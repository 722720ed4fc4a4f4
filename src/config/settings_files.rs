//! The settings files a scenario names besides itself: the seed's `risk_management.yaml` (risk limits) and a
//! venue's fee ladder (`config/fees/*.yaml`). Each is read and checked here, at the edge, and handed down as the
//! plain typed value the risk manager or the simulated venue takes.

use serde::Deserialize;
use std::path::Path;

use super::yaml_error_line;
use crate::data::read_settings_file;
use crate::error::{Error, Result};
use crate::risk::RiskLimits;
use crate::venue::sim::FeeLadder;

/// The seed's file layout: the limits under a `risk_limits` key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskFile {
    risk_limits: RiskLimits,
}

/// Reads a `risk_management.yaml` in the seed's format and validates it.
///
/// # Errors
/// [`Error::Io`] if unreadable, [`Error::Config`] naming the unknown or malformed key, [`Error::Validation`]
/// naming an out-of-range key.
pub fn read_risk_limits(path: &Path) -> Result<RiskLimits> {
    let text = read_settings_file(path)?;
    let file: RiskFile = serde_saphyr::from_str(&text)
        .map_err(|e| Error::Config(format!("{}: {}", path.display(), yaml_error_line(&e, &text))))?;
    file.risk_limits.validate()?;
    Ok(file.risk_limits)
}

/// Reads and checks a fee ladder file.
///
/// # Errors
/// [`Error::Io`] if unreadable; [`Error::Config`] naming the file and what is wrong: unknown keys, no tiers, a
/// first tier above zero volume, volumes not increasing, a rate not below 100 % or a taker rate below zero.
pub fn read_fee_ladder(path: &Path) -> Result<FeeLadder> {
    let text = read_settings_file(path)?;
    let at = |message: String| Error::Config(format!("{}: {message}", path.display()));
    let ladder: FeeLadder = serde_saphyr::from_str(&text).map_err(|e| at(yaml_error_line(&e, &text)))?;
    ladder.validate().map_err(at)?;
    Ok(ladder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn the_shipped_binance_ladder_loads_and_names_its_source() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/fees/binance_spot.yaml");
        let ladder = read_fee_ladder(&path).unwrap();
        assert_eq!((ladder.tiers.len(), ladder.as_of.as_str()), (10, "2026-11-24"));
        assert_eq!(ladder.tier(dec!(25000000)).level, "VIP 3");
        assert!(ladder.source.contains("binance.com"));
    }
}

//! The `exchange:` (or `exchanges:`) section of a scenario: one simulated venue's fees, fill rules, limits,
//! instruments and balance, read and checked here and handed down as a plain [`VenueSetup`].

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::ExchangesConfig;
use crate::engine::VenueSetup;
use crate::error::{Error, Result};
use crate::model::{Instrument, NANOS_PER_MILLI, Symbol};
use crate::venue::RateLimits;
use crate::venue::sim::{BarLiquidity, BarPath, FillModel, Latency, MarketImpact, MidBarExits, QueueModel, SimConfig};

/// One venue's section, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExchangeSection {
    #[serde(default = "default_venue")]
    name: String,
    #[serde(default)]
    fee_bps: Option<FeeBps>,
    #[serde(default)]
    fill_model: FillModel,
    #[serde(default)]
    slippage_bps: Decimal,
    #[serde(default)]
    bar_path: BarPath,
    /// Exits of an entry filled inside a bar without detail data: `next_bar` (default) or `ambiguous`.
    #[serde(default)]
    mid_bar_exits: MidBarExits,
    /// A fee ladder file (volume tiers) replacing `fee_bps`.
    #[serde(default)]
    fee_tiers: Option<String>,
    /// Order-rate limits, in the seed's `exchanges.yaml` keys.
    #[serde(default)]
    rate_limits: Option<RateLimits>,
    /// An `exchanges.yaml` whose section for this venue's `name` gives the order-rate limits.
    #[serde(default)]
    rate_limits_from: Option<String>,
    /// The quote-asset balance held at this venue (with several venues; they add up to the starting cash).
    #[serde(default)]
    balance: Option<Decimal>,
    /// Round prices and quantities to tick and lot instead of refusing them.
    #[serde(default)]
    round_orders: bool,
    /// Order and cancel latency on level-2 data: milliseconds, or `[min, max]` drawn with the scenario's seed.
    #[serde(default)]
    latency_ms: Option<LatencyMs>,
    /// What a resting limit waits for at its price: `queue` (default) or `print`.
    #[serde(default)]
    queue_model: QueueModel,
    /// The liquidity of bars: a participation cap and a market-impact model (both off by default).
    #[serde(default)]
    liquidity: Option<LiquiditySection>,
    instruments: BTreeMap<Symbol, InstrumentSection>,
}

/// `liquidity`: how much of a bar's volume one order may take, and how taking moves the price.
#[derive(Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct LiquiditySection {
    /// Percentage of a bar's volume one order may fill in it, in (0, 100].
    #[serde(default)]
    max_volume_percent: Option<Decimal>,
    #[serde(default)]
    impact: Option<ImpactSection>,
}

/// `liquidity.impact`.
#[derive(Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpactSection {
    model: ImpactModel,
    coefficient: Decimal,
}

/// The impact models a scenario can name.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ImpactModel {
    SquareRoot,
}

/// The largest impact coefficient a scenario may set (published estimates of the square-root law's constant are
/// of the order of 0.1 to 1; ten times the largest is a typo, not a market).
const MAX_IMPACT_COEFFICIENT: Decimal = Decimal::TEN;

impl LiquiditySection {
    /// The venue's settings, checked; the message names the key (after `liquidity`).
    fn settings(self) -> std::result::Result<BarLiquidity, String> {
        if let Some(percent) = self.max_volume_percent
            && (percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED)
        {
            return Err(format!(".liquidity.max_volume_percent must be in (0, 100], got {percent}"));
        }
        let impact = match self.impact {
            None => None,
            Some(ImpactSection { coefficient, .. })
                if coefficient <= Decimal::ZERO || coefficient > MAX_IMPACT_COEFFICIENT =>
            {
                return Err(format!(
                    ".liquidity.impact.coefficient must be in (0, {MAX_IMPACT_COEFFICIENT}], got {coefficient}"
                ));
            }
            Some(ImpactSection { model: ImpactModel::SquareRoot, coefficient }) => {
                Some(MarketImpact::SquareRoot { coefficient })
            }
        };
        Ok(BarLiquidity { max_volume_percent: self.max_volume_percent, impact })
    }
}

/// `latency_ms`: one value, or a range to draw from.
#[derive(Clone, Copy, Deserialize)]
#[serde(untagged)]
enum LatencyMs {
    Constant(Decimal),
    Range([Decimal; 2]),
}

impl LatencyMs {
    /// The setting in nanoseconds, drawn with `seed`.
    fn latency(self, seed: u64) -> std::result::Result<Latency, String> {
        let (min, max) = match self {
            LatencyMs::Constant(ms) => (ms, ms),
            LatencyMs::Range([min, max]) => (min, max),
        };
        let nanos = |ms: Decimal| (ms * Decimal::from(NANOS_PER_MILLI)).trunc().to_i64();
        match (nanos(min), nanos(max)) {
            (Some(min_ns), Some(max_ns)) if min_ns >= 0 && max_ns >= min_ns => Ok(Latency { min_ns, max_ns, seed }),
            _ => Err(format!(
                ".latency_ms must be a non-negative number of milliseconds or [min, max], got {min}..{max}"
            )),
        }
    }
}

fn default_venue() -> String {
    "sim".into()
}

#[derive(Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeBps {
    maker: Decimal,
    taker: Decimal,
}

impl Default for FeeBps {
    /// Binance spot's base rate, 10 bps both ways.
    fn default() -> Self {
        FeeBps { maker: Decimal::TEN, taker: Decimal::TEN }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentSection {
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    quote: Option<String>,
    tick_size: Decimal,
    lot_size: Decimal,
    #[serde(default)]
    min_notional: Decimal,
    #[serde(default)]
    min_quantity: Option<Decimal>,
    #[serde(default)]
    max_quantity: Option<Decimal>,
}

/// The venue's instruments, with base and quote assets filled in from the symbol and the portfolio's quote.
fn instruments(key: &str, exchange: &ExchangeSection, portfolio_quote: &str) -> Result<Vec<Instrument>> {
    exchange
        .instruments
        .iter()
        .map(|(&symbol, spec)| {
            let quote = spec.quote.clone().unwrap_or_else(|| portfolio_quote.to_string());
            let base = match &spec.base {
                Some(base) => base.clone(),
                None => symbol.as_str().strip_suffix(quote.as_str()).filter(|b| !b.is_empty()).map(str::to_string).ok_or_else(|| {
                    Error::Config(format!("{key}.instruments.{symbol}.base is needed: it cannot be derived from the symbol and quote {quote}"))
                })?,
            };
            let instrument = Instrument {
                symbol,
                base,
                quote,
                tick_size: spec.tick_size,
                lot_size: spec.lot_size,
                min_notional: spec.min_notional,
                min_quantity: spec.min_quantity,
                max_quantity: spec.max_quantity,
            };
            instrument.validate().map_err(|e| e.context(format!("{key}.instruments.{symbol}")))?;
            Ok(instrument)
        })
        .collect()
}

/// One venue section (`exchange`, or `exchanges[i]` as `key` names it) as a venue of the backtest, and the files it
/// read.
///
/// # Errors
/// [`Error::Config`] naming the key of a value out of range, of conflicting settings, or of a file that does not load.
pub(super) fn venue_setup(
    key: &str,
    ex: &ExchangeSection,
    quote: &str,
    seed: u64,
    resolve: &dyn Fn(&str) -> PathBuf,
) -> Result<(VenueSetup, Vec<PathBuf>)> {
    let at = |message: String| Error::Config(format!("{key}{message}"));
    let instruments = instruments(key, ex, quote)?;
    let bps = Decimal::from(10_000);
    let fee_bps = ex.fee_bps.unwrap_or_default();
    for (field, value) in
        [("fee_bps.maker", fee_bps.maker), ("fee_bps.taker", fee_bps.taker), ("slippage_bps", ex.slippage_bps)]
    {
        if value < Decimal::ZERO || value >= bps {
            return Err(at(format!(".{field} must be in [0, 10000), got {value}")));
        }
    }
    let mut inputs = Vec::new();
    let fee_ladder = match (&ex.fee_tiers, ex.fee_bps) {
        (Some(_), Some(_)) => return Err(at(": give fee_bps or fee_tiers, not both".into())),
        (Some(file), None) => {
            let file = resolve(file);
            let ladder = super::read_fee_ladder(&file)?;
            inputs.push(file);
            Some(ladder)
        }
        (None, _) => None,
    };
    let rate_limits = match (&ex.rate_limits, &ex.rate_limits_from) {
        (Some(_), Some(_)) => return Err(at(": give rate_limits or rate_limits_from, not both".into())),
        (Some(limits), None) => limits.clone(),
        (None, Some(from)) => {
            let from = resolve(from);
            let venues = ExchangesConfig::from_file(&from)?.venues;
            let venue = venues
                .get(&ex.name)
                .ok_or_else(|| at(format!(".rate_limits_from: {} has no section for '{}'", from.display(), ex.name)))?;
            inputs.push(from);
            venue.rate_limits.clone()
        }
        (None, None) => RateLimits::default(),
    };
    if let Some(limit) = rate_limits.zero_limit() {
        return Err(at(format!(".rate_limits.{limit}: must be at least 1 (0 would refuse every order)")));
    }
    let sim = SimConfig {
        maker_fee: fee_bps.maker / bps,
        taker_fee: fee_bps.taker / bps,
        fill_model: ex.fill_model,
        slippage: ex.slippage_bps / bps,
        bar_path: ex.bar_path,
        mid_bar_exits: ex.mid_bar_exits,
        liquidity: ex.liquidity.map(LiquiditySection::settings).transpose().map_err(at)?.unwrap_or_default(),
        round_orders: ex.round_orders,
        latency: ex.latency_ms.map(|l| l.latency(seed)).transpose().map_err(at)?.unwrap_or_default(),
        queue_model: ex.queue_model,
        resync_books: false,
    };
    let balance = ex.balance.unwrap_or_default();
    let detail = Vec::new();
    Ok((VenueSetup { name: ex.name.clone(), sim, instruments, fee_ladder, rate_limits, balance, detail }, inputs))
}

/// The quote balance of each venue: one venue holds the whole starting cash; several must say theirs, adding up
/// to it.
pub(super) fn balances(
    venues: &mut [VenueSetup],
    sections: &[(String, &ExchangeSection)],
    starting_cash: Decimal,
) -> std::result::Result<(), String> {
    if let [only] = venues {
        if sections[0].1.balance.is_some_and(|b| b != starting_cash) {
            return Err(format!(
                "exchange.balance must equal portfolio.starting_cash ({starting_cash}) or be left out"
            ));
        }
        only.balance = starting_cash;
        return Ok(());
    }
    for (key, section) in sections {
        match section.balance {
            None => return Err(format!("{key}.balance: with several venues, give each its quote balance")),
            Some(b) if b < Decimal::ZERO => return Err(format!("{key}.balance must not be negative, got {b}")),
            Some(_) => {}
        }
    }
    let total: Decimal = venues.iter().map(|v| v.balance).sum();
    if total != starting_cash {
        return Err(format!("the venues' balances add up to {total}, not portfolio.starting_cash {starting_cash}"));
    }
    Ok(())
}

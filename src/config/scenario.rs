//! Scenario files: what to replay, which strategy, the simulated venue, the portfolio and the risk limits.
//!
//! Unknown keys are errors naming the key. Relative paths resolve against the scenario file's own folder, so a
//! scenario runs the same from any working directory.

use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use super::exchange_section::{ExchangeSection, balances, venue_setup};
use super::yaml_error_line;
use crate::data::{
    DataFile, DataFormat, SeriesQuality, detail_mismatch, load_bar_series, load_binance_capture, read_settings_file,
    stream_data_file,
};
use crate::engine::{BacktestSetup, BookStream, VenueSetup};
use crate::error::{Error, Result};
use crate::model::VenueId;
use crate::model::{BarSeries, Symbol};
use crate::risk::{RiskLimits, RiskPolicy};
use crate::strategy::{StrategyRegistry, StreamInfo, StreamKind};
use crate::sweep::{Grid, SweepSection};
use crate::validation::Thresholds;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    data: Vec<DataEntry>,
    strategy: StrategySection,
    #[serde(default)]
    exchange: Option<ExchangeSection>,
    #[serde(default)]
    exchanges: Option<Vec<ExchangeSection>>,
    portfolio: PortfolioSection,
    #[serde(default)]
    risk: Option<serde_json::Value>,
    #[serde(default)]
    risk_policy: Option<serde_json::Value>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    sweep: Option<SweepSection>,
    #[serde(default)]
    validation: Option<Thresholds>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataEntry {
    path: String,
    format: DataFormat,
    symbol: Symbol,
    /// The venue the symbol trades on (default: the first).
    #[serde(default)]
    venue: Option<String>,
    /// Finer bars of the same symbol and span that decide what happened inside its bars.
    #[serde(default)]
    detail: Option<DetailEntry>,
}

/// A data entry's `detail: { path, format }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailEntry {
    path: String,
    format: DataFormat,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrategySection {
    kind: String,
    #[serde(default)]
    params: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortfolioSection {
    quote: String,
    starting_cash: Decimal,
}

/// One data file of a scenario, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioData {
    /// Symbol the file holds.
    pub symbol: Symbol,
    /// The file (absolute or relative to the working directory) and its layout.
    pub file: DataFile,
    /// The path as written in the scenario (what reports show).
    pub written_path: String,
    /// Its `detail:` file of finer bars, when it names one.
    pub detail: Option<DataFile>,
}

/// A loaded, checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario file.
    pub path: PathBuf,
    /// Its exact text (copied into reports).
    pub text: String,
    /// Name; also the report folder's name.
    pub name: String,
    /// Data files in scenario order.
    pub data: Vec<ScenarioData>,
    /// The risk file, when `risk:` names one.
    pub risk_file: Option<PathBuf>,
    /// Other files the venues read (fee ladders, `exchanges.yaml` for rate limits): part of the content hash.
    pub extra_inputs: Vec<PathBuf>,
    /// Environment overrides applied to the risk limits (the seed's `MAX_*` variables), one line each: only a
    /// paper or live session applies them ([`Scenario::with_risk_overrides`]), never a backtest.
    pub risk_overrides: Vec<String>,
    /// The override variables applied, as `(name, value)`: a session records them so that its replay applies
    /// the same limits.
    pub risk_env: Vec<(String, String)>,
    /// Seed for any randomness of the run.
    pub seed: u64,
    /// The backtest it describes.
    pub setup: BacktestSetup,
    /// The parameter sweep, when the scenario has a `sweep:` section (checked: its grid expands).
    pub sweep: Option<SweepSection>,
    /// The validation gate's thresholds (`validation:`), when the scenario sets them.
    pub validation: Option<Thresholds>,
}

/// Where a bar session records `symbol`'s closed bars (a kline CSV) in its recording folder `dir`.
pub fn bar_recording_file(dir: &Path, symbol: Symbol) -> PathBuf {
    dir.join(format!("{symbol}.csv"))
}

/// Where a session records `symbol`'s level-2 stream in its recording folder `dir`.
pub fn recording_file(dir: &Path, symbol: Symbol) -> PathBuf {
    dir.join(format!("{symbol}.txt"))
}

impl Scenario {
    /// Reads and checks the scenario at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::Config`] naming the file and the unknown, missing or malformed key;
    /// [`Error::Validation`] for values out of range.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, &StrategyRegistry::builtin())
    }

    /// [`Scenario::load`] with the strategy kinds of `strategies` (the built-ins and a user's own).
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn load_with(path: &Path, strategies: &StrategyRegistry) -> Result<Self> {
        let text = read_settings_file(path)?;
        Self::parse_with(path, text, strategies)
    }

    /// Checks scenario `text` as if read from `path` (paths resolve against `path`'s folder), with the built-in
    /// strategy kinds.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn parse(path: &Path, text: String) -> Result<Self> {
        Self::parse_with(path, text, &StrategyRegistry::builtin())
    }

    /// [`Scenario::parse`] with the strategy kinds of `strategies`.
    ///
    /// # Errors
    /// As [`Scenario::load`].
    pub fn parse_with(path: &Path, text: String, strategies: &StrategyRegistry) -> Result<Self> {
        let at = |message: String| Error::Config(format!("{}: {message}", path.display()));
        let file: ScenarioFile = serde_saphyr::from_str(&text).map_err(|e| at(yaml_error_line(&e, &text)))?;
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let resolve = |p: &str| {
            if Path::new(p).is_absolute() { PathBuf::from(p) } else { folder.join(p) }
        };

        if file.name.is_empty()
            || file.name.starts_with('.')
            || !file.name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return Err(at(format!(
                "name '{}' must be letters, digits, '_', '-' or '.' (it names the report folder)",
                file.name
            )));
        }
        if file.data.is_empty() {
            return Err(at("data: list at least one file".into()));
        }
        let data = file
            .data
            .iter()
            .map(|d| ScenarioData {
                symbol: d.symbol,
                file: DataFile { path: resolve(&d.path), format: d.format },
                written_path: d.path.clone(),
                detail: d.detail.as_ref().map(|e| DataFile { path: resolve(&e.path), format: e.format }),
            })
            .collect::<Vec<_>>();
        let (risk, risk_file) = match &file.risk {
            None => (RiskLimits::default(), None),
            Some(serde_json::Value::String(p)) => {
                let risk_path = resolve(p);
                let limits =
                    super::read_risk_limits(&risk_path).map_err(|e| e.context(format!("{}: risk", path.display())))?;
                (limits, Some(risk_path))
            }
            Some(inline @ serde_json::Value::Object(_)) => {
                let limits: RiskLimits =
                    serde_json::from_value(inline.clone()).map_err(|e| at(format!("risk: {e}")))?;
                limits.validate().map_err(|e| e.context(path.display()))?;
                (limits, None)
            }
            Some(_) => {
                return Err(at("risk: give either the limits inline or the path of a risk_management.yaml".into()));
            }
        };
        let policy: RiskPolicy = match &file.risk_policy {
            None => RiskPolicy::default(),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| at(format!("risk_policy: {e}")))?,
        };
        policy.validate().map_err(|e| e.context(path.display()))?;
        let p = &file.portfolio;
        if p.starting_cash <= Decimal::ZERO {
            return Err(at(format!("portfolio.starting_cash must be positive, got {}", p.starting_cash)));
        }
        let sections: Vec<(String, &ExchangeSection)> = match (&file.exchange, &file.exchanges) {
            (Some(one), None) => vec![("exchange".to_string(), one)],
            (None, Some(many)) if !many.is_empty() => {
                many.iter().enumerate().map(|(i, section)| (format!("exchanges[{i}]"), section)).collect()
            }
            _ => return Err(at("give either exchange (one venue) or exchanges (a list of venues)".into())),
        };
        let mut venues = Vec::with_capacity(sections.len());
        let mut extra_inputs = Vec::new();
        for (index, (key, section)) in sections.iter().enumerate() {
            let seed = file.seed.wrapping_add(index as u64);
            let (venue, inputs) =
                venue_setup(key, section, &p.quote, seed, &resolve).map_err(|e| e.context(path.display()))?;
            if venues.iter().any(|v: &VenueSetup| v.name == venue.name) {
                return Err(at(format!("{key}.name: venue '{}' is listed twice", venue.name)));
            }
            venues.push(venue);
            extra_inputs.extend(inputs);
        }
        balances(&mut venues, &sections, p.starting_cash).map_err(at)?;
        let is_book = |d: &&DataEntry| d.format == DataFormat::BinanceL2;
        let book_symbols: Vec<Symbol> = file.data.iter().filter(is_book).map(|d| d.symbol).collect();
        let holds_books = |v: &VenueSetup| v.instruments.iter().any(|i| book_symbols.contains(&i.symbol));
        if let Some((key, _)) = sections.iter().zip(&venues).find(|(_, v)| holds_books(v) && !v.sim.liquidity.is_off())
        {
            return Err(at(format!(
                "{}.liquidity applies to bars: on level-2 data orders fill against the book's depth",
                key.0
            )));
        }
        for (i, d) in file.data.iter().enumerate() {
            let earlier = &file.data[..i];
            if earlier.iter().any(|e| e.symbol == d.symbol && (is_book(&e) || is_book(&d))) {
                return Err(at(format!(
                    "data[{i}]: {} has a level-2 file (one capture per symbol, and no bars beside it)",
                    d.symbol
                )));
            }
            let listed = |v: &VenueSetup| v.instruments.iter().any(|inst| inst.symbol == d.symbol);
            let venue = match &d.venue {
                None => venues.first(),
                Some(name) => venues.iter().find(|v| &v.name == name),
            };
            match venue {
                None => {
                    return Err(at(format!("data[{i}].venue: no venue named '{}'", d.venue.as_deref().unwrap_or(""))));
                }
                Some(v) if !listed(v) => {
                    return Err(at(format!(
                        "data[{i}]: venue '{}' has no instrument {} (add it under its instruments)",
                        v.name, d.symbol
                    )));
                }
                Some(_) => {}
            }
        }
        for v in &venues {
            for inst in &v.instruments {
                if let Some(other) =
                    venues.iter().find(|o| o.name != v.name && o.instruments.iter().any(|i| i.symbol == inst.symbol))
                {
                    return Err(at(format!(
                        "{} is listed at venues '{}' and '{}': the portfolio books positions by symbol, so a symbol trades on one venue",
                        inst.symbol, v.name, other.name
                    )));
                }
            }
        }
        if file.data.iter().any(|d| is_book(&d) && d.detail.is_some()) {
            return Err(at("data: detail bars apply to bar data, not to binance_l2 files".into()));
        }
        add_detail(&data, &mut venues).map_err(|e| e.context(path.display()))?;
        let setup = BacktestSetup {
            venues,
            quote: p.quote.clone(),
            starting_cash: p.starting_cash,
            risk,
            policy,
            strategy: file.strategy.kind.clone(),
            params: file.strategy.params.clone(),
            strategies: strategies.clone(),
        };
        // The strategy is built and shown the scenario's streams now, so a strategy that cannot trade this kind of
        // data fails at load, naming the file.
        // In the replay's order: the bar series, then the level-2 streams.
        let mut streams: Vec<StreamInfo> = Vec::new();
        for d in file.data.iter().filter(|d| !is_book(d)).chain(file.data.iter().filter(is_book)) {
            let kind = if is_book(&d) { StreamKind::Book } else { StreamKind::Bars };
            if !streams.iter().any(|s| s.symbol == d.symbol) {
                let venue = VenueId(setup.venue_of(d.symbol).unwrap_or_default());
                let lot = setup.instruments().find(|i| i.symbol == d.symbol).map(|i| i.lot_size);
                let lot_size = lot.unwrap_or_default();
                streams.push(StreamInfo { symbol: d.symbol, venue, kind, close_scale: 8, lot_size });
            }
        }
        setup
            .build_strategy()
            .and_then(|mut strategy| strategy.on_start(&streams))
            .map_err(|e| e.context(path.display()))?;
        if let Some(section) = &file.sweep {
            Grid::expand(section, file.seed).map_err(|e| e.context(path.display()))?;
        }
        Ok(Scenario {
            path: path.to_path_buf(),
            text,
            name: file.name,
            data,
            risk_file,
            extra_inputs,
            risk_overrides: Vec::new(),
            risk_env: Vec::new(),
            seed: file.seed,
            setup,
            sweep: file.sweep,
            validation: file.validation,
        })
    }

    /// Loads the data files, one series per symbol (in the order symbols first appear), with their grid quality.
    ///
    /// # Errors
    /// The loader's errors, naming file, line and column.
    pub fn load_market_data(&self) -> Result<(Vec<BarSeries>, Vec<SeriesQuality>)> {
        let mut symbols: Vec<Symbol> = Vec::new();
        for d in self.data.iter().filter(|d| d.file.format != DataFormat::BinanceL2) {
            if !symbols.contains(&d.symbol) {
                symbols.push(d.symbol);
            }
        }
        let mut series = Vec::with_capacity(symbols.len());
        let mut quality = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            let files: Vec<DataFile> =
                self.data.iter().filter(|d| d.symbol == symbol).map(|d| d.file.clone()).collect();
            let (s, q) = load_bar_series(symbol, &files)?;
            let detail = self.setup.venues.iter().flat_map(|v| &v.detail).find(|(of, _)| *of == symbol);
            if let Some(problem) = detail.and_then(|(_, bars)| detail_mismatch(&s, bars)) {
                let files: Vec<String> = self
                    .data
                    .iter()
                    .filter(|d| d.symbol == symbol)
                    .filter_map(|d| d.detail.as_ref().map(|f| f.path.display().to_string()))
                    .collect();
                return Err(Error::Data(format!("{}: {symbol}: {problem}", files.join(", "))));
            }
            series.push(s);
            quality.push(q);
        }
        Ok((series, quality))
    }

    /// The scenario replaying a session's recording in `dir` instead of its data: each symbol's level-2 stream
    /// from `dir/<SYMBOL>.txt`, with books that resync at a gap as the session's did; or, for bars, each symbol's
    /// closed bars from `dir/<SYMBOL>.csv` (one entry per symbol, however many files the scenario read).
    pub fn replaying(&self, dir: &Path) -> Scenario {
        let mut replay = self.clone();
        let book = self.is_book();
        if !book {
            // A bar session records each symbol once, however many files of it the scenario read.
            let mut seen = Vec::new();
            replay.data.retain(|d| {
                let first = !seen.contains(&d.symbol);
                seen.push(d.symbol);
                first
            });
        }
        for d in &mut replay.data {
            let (file, format) = if book {
                (recording_file(dir, d.symbol), DataFormat::BinanceL2)
            } else {
                (bar_recording_file(dir, d.symbol), DataFormat::BinanceKlines)
            };
            d.written_path = file.display().to_string();
            d.file = DataFile { path: file, format };
            // A session's bars had no detail (sessions refuse it): neither has its replay.
            d.detail = None;
        }
        for venue in &mut replay.setup.venues {
            venue.sim.resync_books = true;
            venue.detail.clear();
        }
        replay
    }

    /// Whether the scenario replays level-2 data only (every file is `binance_l2`): a level-2 strategy on books.
    pub fn is_book(&self) -> bool {
        !self.data.is_empty() && self.data.iter().all(|d| d.file.format == DataFormat::BinanceL2)
    }

    /// Whether any of the scenario's files is level-2 data (alone, or beside bars: one replay merges both).
    pub fn has_books(&self) -> bool {
        self.data.iter().any(|d| d.file.format == DataFormat::BinanceL2)
    }

    /// The level-2 captures of the scenario, each on the venue that lists its symbol.
    ///
    /// # Errors
    /// As [`load_binance_capture`].
    pub fn load_book_streams(&self) -> Result<Vec<BookStream>> {
        self.data
            .iter()
            .filter(|d| d.file.format == DataFormat::BinanceL2)
            .map(|d| {
                let venue = VenueId(self.setup.venue_of(d.symbol).unwrap_or_default());
                Ok(BookStream { symbol: d.symbol, venue, rows: load_binance_capture(&d.file.path, d.symbol)? })
            })
            .collect()
    }

    /// SHA-256 over the scenario text, the bytes of every input file (data, risk file), in scenario order, and the
    /// risk overrides applied from the environment, each length-prefixed: the same inputs give the same hash wherever the project is checked out.
    ///
    /// # Errors
    /// [`Error::Io`] when an input cannot be read.
    pub fn content_hash(&self) -> Result<String> {
        let mut hasher = Sha256::new();
        let add = |hasher: &mut Sha256, bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        add(&mut hasher, self.text.as_bytes());
        let details = self.data.iter().filter_map(|d| d.detail.as_ref().map(|f| &f.path));
        let files = self.data.iter().map(|d| &d.file.path).chain(details);
        for path in files.chain(self.risk_file.as_ref()).chain(&self.extra_inputs) {
            // Streamed: a data file may be gigabytes. Its length comes first, as for the text.
            let length = std::fs::metadata(path).map_err(|e| Error::io("hashing", path, e))?.len();
            hasher.update(length.to_le_bytes());
            let hashed = stream_data_file(path, &mut |piece| hasher.update(piece))?;
            if hashed != length {
                return Err(Error::Data(format!("{}: changed while it was hashed", path.display())));
            }
        }
        // Limits from the environment change the run: a session and its replay hash them, a plain scenario has none.
        for (name, value) in &self.risk_env {
            add(&mut hasher, name.as_bytes());
            add(&mut hasher, value.as_bytes());
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Loads the `detail:` files of each symbol (all of a symbol's, joined in time order) onto the venue listing it.
/// Whether they aggregate to the main bars is checked with those, in [`Scenario::load_market_data`].
///
/// # Errors
/// The loader's errors, naming file, line and column.
fn add_detail(data: &[ScenarioData], venues: &mut [VenueSetup]) -> Result<()> {
    let mut symbols: Vec<Symbol> = Vec::new();
    for d in data.iter().filter(|d| d.detail.is_some()) {
        if !symbols.contains(&d.symbol) {
            symbols.push(d.symbol);
        }
    }
    for symbol in symbols {
        let files: Vec<DataFile> =
            data.iter().filter(|d| d.symbol == symbol).filter_map(|d| d.detail.clone()).collect();
        let (series, _) = load_bar_series(symbol, &files)?;
        let bars: Vec<_> = (0..series.len()).map(|i| series.bar(i)).collect();
        if let Some(venue) = venues.iter_mut().find(|v| v.instruments.iter().any(|i| i.symbol == symbol)) {
            venue.detail.push((symbol, bars.into()));
        }
    }
    Ok(())
}

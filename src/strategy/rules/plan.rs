//! Reading `strategy.params` of `kind: rules` into compiled [`Plan`]s: the shared rule set and each symbol's own
//! (`symbols: { ETHUSDT: { … } }`, whose keys replace the shared ones; its indicators join the shared ones by name).
//! Everything is checked and compiled here, once; nothing is read from text afterwards.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

use super::compile::{Layout, SeriesKey, compile};
use super::indicator::{IndicatorDef, read_indicator};
use super::program::{Pair, Program, Type};
use super::settings::{Params, ROOT, Settings, config_error, json_decimal};
use crate::error::Result;
use crate::model::Symbol;

/// The keys of a rule set (shared, or a symbol's own).
const RULE_KEYS: [&str; 9] =
    ["indicators", "entry", "exit", "entry_order", "exit_order", "sizing", "stop_loss", "take_profit", "trailing_stop"];

/// Names an indicator may not take: prices, state and keywords.
const RESERVED: [&str; 11] =
    ["open", "high", "low", "close", "volume", "position", "cash", "bars_held", "and", "or", "not"];

/// How an order is placed.
#[derive(Clone, Debug)]
pub(super) enum OrderKind {
    /// At the market.
    Market,
    /// A limit order at the price the program gives.
    Limit(Program),
    /// A stop-market order triggered at the price the program gives.
    Stop(Program),
}

/// How large an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sizing {
    /// All free cash.
    AllCash,
    /// This percentage of equity (at most the free cash).
    PercentOfEquity(Decimal),
    /// This amount of the quote asset (at most the free cash).
    Quote(Decimal),
    /// A quantity that loses this percentage of equity if the stop-loss is hit: `equity × r / 100 / distance`.
    RiskPercent(Decimal),
    /// All free cash, cut by the risk manager's Kelly rule (`risk_policy.kelly`).
    Kelly,
}

/// A trailing stop's distance.
#[derive(Clone, Debug)]
pub(super) enum TrailPlan {
    /// A price distance the program gives (at the bar the stop is placed).
    Distance(Program),
    /// A percentage of the best price.
    Percent(Decimal),
}

/// One compiled rule set.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// Its indicators, in name order.
    pub indicators: Vec<IndicatorDef>,
    /// The series its programs read.
    pub layout: Layout,
    /// When to buy, flat.
    pub entry: Program,
    /// When to sell, long.
    pub exit: Program,
    /// How entries are placed.
    pub entry_order: OrderKind,
    /// How exits are placed.
    pub exit_order: OrderKind,
    /// Entry size.
    pub sizing: Sizing,
    /// Stop-loss and take-profit distances, attached to entries as a bracket.
    pub bracket: Option<(Program, Program)>,
    /// A trailing stop placed once the entry has filled.
    pub trailing: Option<TrailPlan>,
    /// The pairs of series its conditions compare at the same lag, whose orders a stream keeps.
    pub pairs: Vec<Pair>,
    /// Whether an indicator reads volume.
    pub reads_volume: bool,
    /// The longest program (for the evaluation stacks).
    pub longest: usize,
}

impl Plan {
    /// Bars a stream needs before no value the programs read depends on where the data started: for each series,
    /// the bars before its source's first value (0 for prices and volume), plus the bars its source takes after
    /// that to forget the start ([`super::settle`]: 0 for a window, the horizon of a recursive indicator), plus its
    /// depth (the deepest lag read, plus one). `usize::MAX` when a series never forgets it (OBV, session VWAP).
    pub(super) fn warm_up_bars(&self) -> usize {
        let source = |key: &SeriesKey| match *key {
            SeriesKey::Indicator { index, .. } => self
                .indicators
                .get(index)
                .map_or(Some(0), |i| i.fading.map(|fading| i.prototype.warm_up().saturating_add(fading))),
            SeriesKey::Price(_) | SeriesKey::Volume => Some(0),
        };
        let series = self.layout.series.iter();
        series.map(|(key, depth)| source(key).map_or(usize::MAX, |bars| bars.saturating_add(*depth))).max().unwrap_or(0)
    }
}

/// Every plan of a strategy: the shared one (if it has rules) and the symbols' own.
#[derive(Clone, Debug)]
pub(super) struct RuleBook {
    /// For streams whose symbol has no rules of its own.
    pub shared: Option<Plan>,
    /// By symbol.
    pub by_symbol: BTreeMap<Symbol, Plan>,
}

/// Where each rule key of a rule set comes from: its path and value.
#[derive(Clone, Default)]
struct Source<'a> {
    keys: BTreeMap<&'static str, (String, &'a Value)>,
    indicators: BTreeMap<String, (String, &'a Value)>,
}

impl<'a> Source<'a> {
    /// Adds (or replaces) the keys of `map`, found at `path`.
    fn layer(&mut self, path: &str, map: &'a Map<String, Value>) -> Result<()> {
        for (key, value) in map {
            let Some(known) = RULE_KEYS.iter().find(|k| **k == key) else { continue };
            if *known == "indicators" {
                let path = format!("{path}.indicators");
                let named =
                    value.as_object().ok_or_else(|| config_error(&path, "expected a map of named indicators"))?;
                for (name, spec) in named {
                    self.indicators.insert(name.clone(), (format!("{path}.{name}"), spec));
                }
            } else {
                self.keys.insert(known, (format!("{path}.{key}"), value));
            }
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&(String, &'a Value)> {
        self.keys.get(key)
    }
}

/// Reads and compiles `params`.
///
/// # Errors
/// [`crate::error::Error::Config`] naming the key (and, inside an expression, the column) of the first problem.
pub(super) fn read_rule_book(params: &Value) -> Result<RuleBook> {
    let map = params.as_object().ok_or_else(|| config_error(ROOT, "kind rules needs a map of rules"))?;
    let mut named = Params::default();
    let mut symbols = None;
    for (key, value) in map {
        if RULE_KEYS.contains(&key.as_str()) {
            continue;
        }
        if key == "symbols" {
            symbols = Some(value);
            continue;
        }
        let path = format!("{ROOT}.{key}");
        let Some(number) = json_decimal(value) else {
            return Err(config_error(
                &path,
                format!("unknown key; a parameter is a number (rule keys: {}, symbols)", RULE_KEYS.join(", ")),
            ));
        };
        if !is_name(key) {
            return Err(config_error(&path, "a parameter's name is lowercase letters, digits and '_'"));
        }
        named.insert(key, number);
    }
    let mut shared = Source::default();
    shared.layer(ROOT, map)?;
    let mut read_paths = BTreeSet::new();
    let mut defined: Vec<String> = shared.indicators.values().map(|(path, _)| path.clone()).collect();
    let shared_plan = match (shared.get("entry"), shared.get("exit")) {
        (None, None) => None,
        _ => Some(compile_plan(&shared, &named, None, &mut read_paths)?),
    };
    let mut by_symbol = BTreeMap::new();
    if let Some(symbols) = symbols {
        let path = format!("{ROOT}.symbols");
        let symbols = symbols.as_object().ok_or_else(|| config_error(&path, "expected a map of symbols to rules"))?;
        for (name, rules) in symbols {
            let path = format!("{path}.{name}");
            let symbol = Symbol::new(name).map_err(|e| config_error(&path, e))?;
            let rules = rules.as_object().ok_or_else(|| config_error(&path, "expected a map of rules"))?;
            if let Some(key) = rules.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
                return Err(config_error(
                    &format!("{path}.{key}"),
                    format!("unknown key (rule keys: {})", RULE_KEYS.join(", ")),
                ));
            }
            let mut source = shared.clone();
            source.layer(&path, rules)?;
            defined.extend(source.indicators.values().map(|(path, _)| path.clone()));
            by_symbol.insert(symbol, compile_plan(&source, &named, Some(&path), &mut read_paths)?);
        }
    }
    if shared_plan.is_none() && by_symbol.is_empty() {
        return Err(config_error(&format!("{ROOT}.entry"), "missing (a rule set needs entry and exit)"));
    }
    if let Some(unread) = defined.iter().find(|path| !read_paths.contains(*path)) {
        return Err(config_error(unread, "an indicator no rule reads"));
    }
    if let Some(unused) = named.unused() {
        return Err(config_error(&format!("{ROOT}.{unused}"), "a parameter no rule or indicator reads"));
    }
    Ok(RuleBook { shared: shared_plan, by_symbol })
}

fn is_name(text: &str) -> bool {
    text.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Compiles one rule set; `owner` is the symbol's path, for the error of a missing key. Adds the paths of the
/// indicators it reads to `read_paths`.
fn compile_plan(
    source: &Source<'_>,
    params: &Params,
    owner: Option<&str>,
    read_paths: &mut BTreeSet<String>,
) -> Result<Plan> {
    let missing = |key: &str| {
        let at = owner.map_or_else(|| format!("{ROOT}.{key}"), |o| format!("{o}.{key}"));
        config_error(&at, "missing (a rule set needs entry and exit)")
    };
    let mut indicators = Vec::new();
    for (name, (path, spec)) in &source.indicators {
        if !is_name(name) || RESERVED.contains(&name.as_str()) {
            return Err(config_error(
                path,
                "an indicator's name is lowercase letters, digits and '_', not a price, state or keyword",
            ));
        }
        indicators.push(read_indicator(name, Settings::of(path.clone(), spec, params)?)?);
    }
    let mut layout = Layout::default();
    let mut program = |key: &str, want: Type| -> Result<Option<Program>> {
        source.get(key).map(|(path, value)| compile(path, value, want, params, &indicators, &mut layout)).transpose()
    };
    let mut entry = program("entry", Type::Bool)?.ok_or_else(|| missing("entry"))?;
    let mut exit = program("exit", Type::Bool)?.ok_or_else(|| missing("exit"))?;
    let mut pairs = Vec::new();
    entry.order_pairs(&mut pairs);
    exit.order_pairs(&mut pairs);
    let stop_loss = program("stop_loss", Type::Num)?;
    let take_profit = program("take_profit", Type::Num)?;
    let bracket = match (stop_loss, take_profit) {
        (Some(stop), Some(take)) => Some((stop, take)),
        (None, None) => None,
        (stop, _) => {
            let (given, other) =
                if stop.is_some() { ("stop_loss", "take_profit") } else { ("take_profit", "stop_loss") };
            let path = source.get(given).map(|(p, _)| p.clone()).unwrap_or_default();
            return Err(config_error(&path, format!("needs {other} too: the two are attached as one bracket")));
        }
    };
    let entry_order = read_order(source.get("entry_order"), params, &indicators, &mut layout)?;
    let exit_order = read_order(source.get("exit_order"), params, &indicators, &mut layout)?;
    let trailing = match source.get("trailing_stop") {
        None => None,
        Some((path, value)) if value.is_object() => {
            let mut s = Settings::of(path.clone(), value, params)?;
            let percent = s.positive("percent", None)?;
            s.finish()?;
            Some(TrailPlan::Percent(percent))
        }
        Some((path, value)) => {
            Some(TrailPlan::Distance(compile(path, value, Type::Num, params, &indicators, &mut layout)?))
        }
    };
    if let (Some(_), Some((path, _))) = (&bracket, source.get("trailing_stop")) {
        return Err(config_error(
            path,
            "a trailing stop and a stop_loss/take_profit bracket would both sell the position; use one",
        ));
    }
    let sizing = read_sizing(source.get("sizing"), params)?;
    if let (Sizing::RiskPercent(_), None) = (sizing, &bracket) {
        let path = source.get("sizing").map(|(p, _)| p.clone()).unwrap_or_default();
        return Err(config_error(&path, "risk_percent sizes from the stop distance: set stop_loss (and take_profit)"));
    }
    // indicators a rule set inherits but does not read are dropped (the others renumbered); one no rule set reads
    // at all is refused by the caller
    let kept: Vec<usize> = (0..indicators.len())
        .filter(|&index| {
            layout.series.iter().any(|(key, _)| matches!(key, SeriesKey::Indicator { index: i, .. } if *i == index))
        })
        .collect();
    for (key, _) in &mut layout.series {
        if let SeriesKey::Indicator { index, .. } = key {
            *index = kept.iter().position(|k| k == index).unwrap_or(*index);
        }
    }
    let indicators: Vec<IndicatorDef> = kept.iter().map(|&k| indicators[k].clone()).collect();
    read_paths.extend(indicators.iter().map(|def| source.indicators[&def.name].0.clone()));
    let mut programs = vec![&entry, &exit];
    programs.extend(bracket.iter().flat_map(|(a, b)| [a, b]));
    for order in [&entry_order, &exit_order] {
        if let OrderKind::Limit(p) | OrderKind::Stop(p) = order {
            programs.push(p);
        }
    }
    if let Some(TrailPlan::Distance(p)) = &trailing {
        programs.push(p);
    }
    let longest = Program::longest(programs);
    let reads_volume = indicators.iter().any(IndicatorDef::reads_volume);
    Ok(Plan {
        indicators,
        layout,
        entry,
        exit,
        entry_order,
        exit_order,
        sizing,
        bracket,
        trailing,
        pairs,
        reads_volume,
        longest,
    })
}

/// `market` (the default), `{ limit: PRICE }` or `{ stop: PRICE }`.
fn read_order(
    setting: Option<&(String, &Value)>,
    params: &Params,
    indicators: &[IndicatorDef],
    layout: &mut Layout,
) -> Result<OrderKind> {
    let Some((path, value)) = setting else { return Ok(OrderKind::Market) };
    if value.as_str() == Some("market") {
        return Ok(OrderKind::Market);
    }
    let usage = "use market, { limit: PRICE } or { stop: PRICE } (PRICE an expression such as 'close * 0.99')";
    let map = value.as_object().filter(|m| m.len() == 1).ok_or_else(|| config_error(path, usage))?;
    let (kind, price) = map.iter().next().ok_or_else(|| config_error(path, usage))?;
    let at = format!("{path}.{kind}");
    let program = compile(&at, price, Type::Num, params, indicators, layout)?;
    match kind.as_str() {
        "limit" => Ok(OrderKind::Limit(program)),
        "stop" => Ok(OrderKind::Stop(program)),
        _ => Err(config_error(&at, usage)),
    }
}

/// `all_cash` (the default), `kelly`, `{ percent_of_equity: P }`, `{ quote: A }` or `{ risk_percent: R }`.
fn read_sizing(setting: Option<&(String, &Value)>, params: &Params) -> Result<Sizing> {
    let Some((path, value)) = setting else { return Ok(Sizing::AllCash) };
    let usage = "use all_cash, kelly, { percent_of_equity: P }, { quote: AMOUNT } or { risk_percent: R }";
    match value.as_str() {
        Some("all_cash") => return Ok(Sizing::AllCash),
        Some("kelly") => return Ok(Sizing::Kelly),
        Some(_) => return Err(config_error(path, usage)),
        None => {}
    }
    let map = value.as_object().filter(|m| m.len() == 1).ok_or_else(|| config_error(path, usage))?;
    let mut s = Settings::of(path.clone(), value, params)?;
    let percent = |p: Decimal, key: &str| {
        if p <= Decimal::ONE_HUNDRED {
            Ok(p)
        } else {
            Err(config_error(&format!("{path}.{key}"), format!("at most 100, got {p}")))
        }
    };
    let sizing = match map.keys().next().map(String::as_str) {
        Some("percent_of_equity") => {
            Sizing::PercentOfEquity(percent(s.positive("percent_of_equity", None)?, "percent_of_equity")?)
        }
        Some("quote") => Sizing::Quote(s.positive("quote", None)?),
        Some("risk_percent") => Sizing::RiskPercent(percent(s.positive("risk_percent", None)?, "risk_percent")?),
        _ => return Err(config_error(path, usage)),
    };
    s.finish()?;
    Ok(sizing)
}

//! Reading a rule strategy's `strategy.params`: the named numbers (`fast: 10`, referenced as `$fast` anywhere a
//! number goes, which is what a sweep varies) and [`Settings`], a map of numeric or text settings whose errors name
//! the YAML key.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::parse::whole;
use crate::error::{Error, Result};
use crate::strategy::indicators::MAX_PERIOD;

/// The root every key of a rule strategy is named under.
pub(super) const ROOT: &str = "strategy.params";

/// A configuration error at `path`.
pub(super) fn config_error(path: &str, why: impl std::fmt::Display) -> Error {
    Error::Config(format!("{path}: {why}"))
}

/// The named numbers of `strategy.params`, and which of them something read.
#[derive(Debug, Default)]
pub(super) struct Params {
    values: BTreeMap<String, Decimal>,
    used: RefCell<BTreeSet<String>>,
}

impl Params {
    /// Adds the parameter `name`.
    pub(super) fn insert(&mut self, name: &str, value: Decimal) {
        self.values.insert(name.to_string(), value);
    }

    /// The value of `$name`, marking it used.
    pub(super) fn get(&self, name: &str) -> Option<Decimal> {
        let value = self.values.get(name).copied()?;
        self.used.borrow_mut().insert(name.to_string());
        Some(value)
    }

    /// The first parameter nothing read (a typo, or a sweep varying nothing).
    pub(super) fn unused(&self) -> Option<&str> {
        let used = self.used.borrow();
        self.values.keys().find(|name| !used.contains(*name)).map(String::as_str)
    }
}

/// A number as JSON gives it: swept values arrive as integers or floats, whose shortest text is the decimal meant.
pub(super) fn json_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => n.to_string().parse::<Decimal>().ok().or_else(|| {
            let x = n.as_f64()?;
            rust_decimal::prelude::FromPrimitive::from_f64(x)
        }),
        _ => None,
    }
}

/// A number setting: a number or a `$name` text.
pub(super) fn number_at(path: &str, value: &Value, params: &Params) -> Result<Decimal> {
    if let Some(number) = json_decimal(value) {
        return Ok(number);
    }
    match value.as_str().and_then(|text| text.trim().strip_prefix('$')) {
        Some(name) => params.get(name).ok_or_else(|| {
            config_error(path, format!("'${name}' is not a parameter (name it with a number at {ROOT}.{name})"))
        }),
        None => Err(config_error(path, format!("expected a number or a $parameter, got {value}"))),
    }
}

/// The settings of one object (an indicator, a sizing), read key by key; [`Settings::finish`] refuses the keys no
/// one read.
pub(super) struct Settings<'a> {
    path: String,
    map: &'a Map<String, Value>,
    params: &'a Params,
    read: Vec<&'static str>,
}

impl<'a> Settings<'a> {
    /// The settings of the object `value` at `path`.
    ///
    /// # Errors
    /// [`Error::Config`] when `value` is not an object.
    pub(super) fn of(path: String, value: &'a Value, params: &'a Params) -> Result<Self> {
        let map = value.as_object().ok_or_else(|| config_error(&path, format!("expected a map, got {value}")))?;
        Ok(Settings { path, map, params, read: Vec::new() })
    }

    /// The path of `key`.
    pub(super) fn key_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The raw value of `key`, if given.
    pub(super) fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.read.push(key);
        self.map.get(key)
    }

    /// The number `key`, if given.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key when it is neither a number nor a known `$parameter`.
    pub(super) fn number(&mut self, key: &'static str) -> Result<Option<Decimal>> {
        let path = self.key_path(key);
        let params = self.params;
        self.raw(key).map(|value| number_at(&path, value, params)).transpose()
    }

    /// The window length `key` (a whole number from 1 to 1,000,000); `default` when not given.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key when it is missing without a default or out of range.
    pub(super) fn period(&mut self, key: &'static str, default: Option<usize>) -> Result<usize> {
        let path = self.key_path(key);
        match self.number(key)? {
            Some(value) => whole(value).filter(|n| (1..=MAX_PERIOD).contains(n)).ok_or_else(|| {
                config_error(&path, format!("must be a whole number from 1 to {MAX_PERIOD}, got {value}"))
            }),
            None => default.ok_or_else(|| config_error(&path, "missing")),
        }
    }

    /// The positive number `key`; `default` when not given.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key when it is missing without a default or not positive.
    pub(super) fn positive(&mut self, key: &'static str, default: Option<Decimal>) -> Result<Decimal> {
        let path = self.key_path(key);
        match self.number(key)? {
            Some(value) if value > Decimal::ZERO => Ok(value),
            Some(value) => Err(config_error(&path, format!("must be positive, got {value}"))),
            None => default.ok_or_else(|| config_error(&path, "missing")),
        }
    }

    /// The text `key`, if given.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key when it is not a text.
    pub(super) fn text(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        let path = self.key_path(key);
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(other) => Err(config_error(&path, format!("expected a text, got {other}"))),
        }
    }

    /// Refuses every key not read.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first unknown key and the known ones.
    pub(super) fn finish(self) -> Result<()> {
        match self.map.keys().find(|key| !self.read.contains(&key.as_str())) {
            None => Ok(()),
            Some(key) => {
                Err(config_error(&self.key_path(key), format!("unknown key (known here: {})", self.read.join(", "))))
            }
        }
    }
}

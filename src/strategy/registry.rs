//! [`StrategyRegistry`]: the strategy kinds a scenario's `strategy.kind` may name, each with the function that builds
//! it from `strategy.params`. The built-in kinds are always there; a library user's binary registers its own and
//! hands the registry to [`crate::cli`], so every `ctb` command runs them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Rules, SmaCross, SmaCrossParams, SpreadQuoter, SpreadQuoterParams, Strategy};
use crate::error::{Error, Result};

/// Builds a strategy from its scenario parameters (`strategy.params`, as JSON values).
pub type StrategyFactory = Arc<dyn Fn(&serde_json::Value) -> Result<Box<dyn Strategy>> + Send + Sync>;

/// The strategy kinds by name (in name order, so listings are deterministic).
#[derive(Clone)]
pub struct StrategyRegistry {
    kinds: BTreeMap<String, StrategyFactory>,
}

impl std::fmt::Debug for StrategyRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds.keys()).finish()
    }
}

impl Default for StrategyRegistry {
    fn default() -> Self {
        StrategyRegistry::builtin()
    }
}

/// Parses `params` into a strategy's parameter type, naming the kind in the error.
///
/// # Errors
/// [`Error::Config`] for a malformed or unknown parameter.
pub fn parse_params<P: serde::de::DeserializeOwned>(kind: &str, params: &serde_json::Value) -> Result<P> {
    serde_json::from_value(params.clone())
        .map_err(|e| Error::Config(format!("strategy.params of {kind}: {}", crate::error::plain_words(&e.to_string()))))
}

impl StrategyRegistry {
    /// The built-in kinds: `rules`, `sma_cross` and `spread_quoter`.
    pub fn builtin() -> Self {
        let mut registry = StrategyRegistry { kinds: BTreeMap::new() };
        registry.insert("rules", |params| Ok(Box::new(Rules::new(params)?)));
        registry.insert("sma_cross", |params| {
            Ok(Box::new(SmaCross::new(parse_params::<SmaCrossParams>("sma_cross", params)?)?))
        });
        registry.insert("spread_quoter", |params| {
            Ok(Box::new(SpreadQuoter::new(parse_params::<SpreadQuoterParams>("spread_quoter", params)?)?))
        });
        registry
    }

    fn insert(
        &mut self,
        kind: &str,
        factory: impl Fn(&serde_json::Value) -> Result<Box<dyn Strategy>> + Send + Sync + 'static,
    ) {
        self.kinds.insert(kind.to_string(), Arc::new(factory));
    }

    /// Adds the kind `kind`, built by `factory`.
    ///
    /// # Errors
    /// [`Error::Config`] when the kind is already registered (a built-in cannot be replaced silently) or is not a
    /// plain name (`[a-z0-9_]+`).
    pub fn register(
        &mut self,
        kind: &str,
        factory: impl Fn(&serde_json::Value) -> Result<Box<dyn Strategy>> + Send + Sync + 'static,
    ) -> Result<()> {
        let plain = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain {
            return Err(Error::Config(format!("strategy kind '{kind}': use lowercase letters, digits and '_'")));
        }
        if self.kinds.contains_key(kind) {
            return Err(Error::Config(format!("strategy kind '{kind}' is already registered")));
        }
        self.insert(kind, factory);
        Ok(())
    }

    /// Builds the strategy `kind` with `params`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown kind (listing the known ones) or malformed parameters;
    /// [`Error::Validation`] for out-of-range parameters.
    pub fn build(&self, kind: &str, params: &serde_json::Value) -> Result<Box<dyn Strategy>> {
        match self.kinds.get(kind) {
            Some(factory) => factory(params),
            None => Err(Error::Config(format!(
                "strategy.kind '{kind}' is not known (available: {})",
                self.kinds().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The registered kinds, in name order.
    pub fn kinds(&self) -> impl Iterator<Item = &str> + '_ {
        self.kinds.keys().map(String::as_str)
    }
}

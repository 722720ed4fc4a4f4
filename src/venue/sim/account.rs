//! [`Account`]: the balances a simulated venue holds, one slot per asset, so that fills update them by index.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Free balance per asset, in alphabetical order of asset names.
#[derive(Clone, Debug, Default)]
pub(super) struct Account {
    assets: Vec<(String, Decimal)>,
}

impl Account {
    /// An account holding `balances`, with a (zero) slot for every asset in `also`.
    pub(super) fn new<'a>(balances: &BTreeMap<String, Decimal>, also: impl IntoIterator<Item = &'a str>) -> Self {
        let mut all = balances.clone();
        for asset in also {
            all.entry(asset.to_string()).or_default();
        }
        Account { assets: all.into_iter().collect() }
    }

    /// Slot of `asset`; every asset was given at construction.
    pub(super) fn slot(&self, asset: &str) -> Option<usize> {
        self.assets.binary_search_by(|(name, _)| name.as_str().cmp(asset)).ok()
    }

    /// Free balance in `slot`.
    #[inline]
    pub(super) fn free(&self, slot: usize) -> Decimal {
        self.assets[slot].1
    }

    /// Adds `delta` (negative to debit) to `slot`.
    #[inline]
    pub(super) fn add(&mut self, slot: usize, delta: Decimal) {
        self.assets[slot].1 += delta;
    }

    /// Every balance, by asset name.
    pub(super) fn balances(&self) -> BTreeMap<String, Decimal> {
        self.assets.iter().cloned().collect()
    }
}

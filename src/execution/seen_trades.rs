//! [`SeenTrades`]: the venues' ids of every trade booked, so that a fill reported twice is booked once.
//!
//! Venues number most trades, and a venue's numbers of one symbol mostly arrive in increasing order (the
//! simulator's always do). Numbered ids are therefore kept per venue and symbol in a sorted vector: an id above the
//! last is one compare and a push, an earlier one a binary search. Text ids (Kraken's txids) go to a hash set.

use rustc_hash::FxHashSet;

use crate::model::{Symbol, TradeId, VenueId};

/// The set of `(venue, symbol, trade id)` booked. Only looked up, never listed, so no order of it reaches an output.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeenTrades {
    /// Sorted numbered ids per venue and symbol; a run has a few of these, so they are found by a linear scan.
    numbered: Vec<((VenueId, Symbol), Vec<u64>)>,
    /// Text ids.
    named: FxHashSet<(VenueId, Symbol, TradeId)>,
}

impl SeenTrades {
    /// Whether `trade` of `symbol` at `venue` was booked.
    pub(crate) fn contains(&self, venue: VenueId, symbol: Symbol, trade: TradeId) -> bool {
        match trade.as_number() {
            Some(number) => self.numbers(venue, symbol).is_some_and(|ids| match ids.last() {
                Some(&last) if number >= last => number == last,
                _ => ids.binary_search(&number).is_ok(),
            }),
            None => self.named.contains(&(venue, symbol, trade)),
        }
    }

    /// Records `trade` of `symbol` at `venue`; `false` when it was recorded before.
    pub(crate) fn insert(&mut self, venue: VenueId, symbol: Symbol, trade: TradeId) -> bool {
        let Some(number) = trade.as_number() else {
            return self.named.insert((venue, symbol, trade));
        };
        let key = (venue, symbol);
        let ids = match self.numbered.iter().position(|(k, _)| *k == key) {
            Some(at) => &mut self.numbered[at].1,
            None => {
                self.numbered.push((key, Vec::new()));
                let last = self.numbered.len() - 1;
                &mut self.numbered[last].1
            }
        };
        match ids.last() {
            Some(&last) if number == last => false,
            Some(&last) if number < last => match ids.binary_search(&number) {
                Ok(_) => false,
                Err(at) => {
                    ids.insert(at, number);
                    true
                }
            },
            _ => {
                ids.push(number);
                true
            }
        }
    }

    /// Forgets every trade but keeps the memory.
    pub(crate) fn clear(&mut self) {
        self.numbered.iter_mut().for_each(|(_, ids)| ids.clear());
        self.named.clear();
    }

    fn numbers(&self, venue: VenueId, symbol: Symbol) -> Option<&Vec<u64>> {
        self.numbered.iter().find(|(k, _)| *k == (venue, symbol)).map(|(_, ids)| ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn btc() -> Symbol {
        Symbol::new("BTCUSDT").expect("symbol")
    }

    #[test]
    fn numbered_ids_in_any_order_are_each_recorded_once() {
        let mut seen = SeenTrades::default();
        let mut reference = BTreeSet::new();
        // Increasing, repeated, then earlier ids filling holes, as a stream and a late status answer give them.
        for id in [5_u64, 6, 6, 9, 7, 5, 8, 1, 9, 10, 3, 3] {
            let trade = TradeId::number(id);
            assert_eq!(seen.contains(VenueId(0), btc(), trade), reference.contains(&id), "before {id}");
            assert_eq!(seen.insert(VenueId(0), btc(), trade), reference.insert(id), "insert {id}");
            assert!(seen.contains(VenueId(0), btc(), trade));
        }
        for id in 0..12 {
            assert_eq!(seen.contains(VenueId(0), btc(), TradeId::number(id)), reference.contains(&id), "id {id}");
        }
    }

    #[test]
    fn the_same_id_at_another_venue_or_symbol_or_as_text_is_another_trade() {
        let mut seen = SeenTrades::default();
        let eth = Symbol::new("ETHUSDT").expect("symbol");
        assert!(seen.insert(VenueId(0), btc(), TradeId::number(7)));
        assert!(!seen.contains(VenueId(1), btc(), TradeId::number(7)));
        assert!(!seen.contains(VenueId(0), eth, TradeId::number(7)));
        let text = TradeId::parse("007").expect("id");
        assert!(!seen.contains(VenueId(0), btc(), text));
        assert!(seen.insert(VenueId(0), btc(), text));
        assert!(!seen.insert(VenueId(0), btc(), text));
        seen.clear();
        assert!(!seen.contains(VenueId(0), btc(), TradeId::number(7)));
        assert!(!seen.contains(VenueId(0), btc(), text));
    }
}

//! The exits of an entry that filled in the bar being replayed, when no detail data says what came after the fill.
//!
//! An entry filled at the bar's open had the whole bar after it: its exits are matched against the rest of the bar.
//! An entry filled inside the bar, at price `P`, is known to have been followed by a path from `P` to the close;
//! the bar's high and low may have come before the fill or after it. So:
//!
//! * an exit whose level lies between `P` and the close certainly triggered in the bar (the path crossed it): it
//!   fills at its level, under every rule;
//! * an exit reachable only through the bar's high or low may or may not have triggered.
//!
//! [`MidBarExits::NextBar`] matches the exits against the known part only (`P` to the close); what the extremes
//! might have done is left to the next bar. [`MidBarExits::Ambiguous`] takes the extremes into account as the path
//! rule says: `adverse` lets the extreme on the stop's side come after the fill (the stop first when both trigger),
//! `optimistic` the extreme on the take-profit's side, `ohlc` the whole bar; and a bar where the adverse and the
//! optimistic reading end differently counts as ambiguous, so the report's interval covers both.

use super::SimulatedExchange;
use super::config::{BarPath, MidBarExits};
use super::matching::{self, fill_price};
use crate::model::{Bar, OrderId, OrderRequest, OrderType, Side};

impl SimulatedExchange {
    /// Matches the exit pair `pair` of `entry`, which filled in `bar` (see the module's text).
    pub(super) fn match_exits_in_entry_bar(
        &mut self,
        market: usize,
        bar: &Bar,
        entry: &OrderRequest,
        pair: [OrderId; 2],
    ) {
        if matching::executes_at_open(bar, entry) {
            self.match_open_orders(market, bar, Some(pair));
            return;
        }
        let instrument = &self.markets[market].instrument;
        // The entry's fill price: the level the bar reached it at.
        let Some((price, _)) = fill_price(instrument, self.config.slippage, bar, entry) else { return };
        let known = Bar { open: price, high: price.max(bar.close), low: price.min(bar.close), ..*bar };
        // The extreme on the stop's side: below a long entry, above a short one.
        let (adverse, optimistic) = match entry.side {
            Side::Buy => (Bar { low: bar.low, ..known }, Bar { high: bar.high, ..known }),
            Side::Sell => (Bar { high: bar.high, ..known }, Bar { low: bar.low, ..known }),
        };
        let chosen = match (self.config.mid_bar_exits, self.config.bar_path) {
            (MidBarExits::NextBar, _) => known,
            (MidBarExits::Ambiguous, BarPath::Adverse) => adverse,
            (MidBarExits::Ambiguous, BarPath::Optimistic) => optimistic,
            (MidBarExits::Ambiguous, BarPath::Ohlc) => *bar,
        };
        if self.config.mid_bar_exits == MidBarExits::Ambiguous
            && self.first_exit(market, &adverse, pair, true) != self.first_exit(market, &optimistic, pair, false)
        {
            self.count_ambiguous(market, bar);
        }
        self.match_open_orders(market, &chosen, Some(pair));
    }

    /// Which order of the exit pair `pair` would fill on `bar`: the stop first when both would and `stop_first`,
    /// the take-profit first otherwise; `None` when neither would.
    fn first_exit(&self, market: usize, bar: &Bar, pair: [OrderId; 2], stop_first: bool) -> Option<OrderId> {
        let instrument = &self.markets[market].instrument;
        let reached: Vec<(OrderId, bool)> = pair
            .iter()
            .filter_map(|&id| self.orders.get(id))
            .filter(|report| fill_price(instrument, self.config.slippage, bar, &report.request).is_some())
            .map(|report| {
                let stop = matches!(
                    report.request.order_type,
                    OrderType::StopMarket | OrderType::StopLimit | OrderType::TrailingStop
                );
                (report.request.client_order_id, stop)
            })
            .collect();
        match reached.as_slice() {
            [] => None,
            [(id, _)] => Some(*id),
            _ => reached.iter().find(|(_, stop)| *stop == stop_first).or(reached.first()).map(|(id, _)| *id),
        }
    }
}

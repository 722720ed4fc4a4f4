//! The exits of an entry that filled in the bar being replayed, when no detail data says what came after the fill.
//!
//! An entry filled at the bar's open had the whole bar after it: its exits are matched against the rest of the bar.
//! An entry filled inside the bar, at its level `P` (its limit or its stop), is known to have been followed by a path
//! from `P` to the close, and by the bar's extreme on the entry's own side (the price reached `P` on its way there
//! from the open: the low after a limit buy's fill, the high after a stop buy's); the other extreme may have come
//! before the fill or after it. Two readings bound what can have happened: the *adverse* one lets the extreme on the stop's side (the low under a long) come after the
//! fill, the stop first when both exits are reached; the *optimistic* one the extreme on the take-profit's side.
//!
//! * When both readings end alike, that is what happened: the exit fills at its level (for example a take-profit
//!   between `P` and the close with the stop out of the bar's reach), or nothing fills in this bar.
//! * When they differ and the known part from `P` to the close already reaches an exit (one certainly triggered,
//!   but the other may have come first), or the venue is set to [`MidBarExits::Ambiguous`], the bar counts as
//!   ambiguous and the path rule picks: `adverse` and `optimistic` their reading, `ohlc` the candle's path from the
//!   fill on (open → low → high → close when it closed at or above its open, else open → high → low → close).
//! * Otherwise, under [`MidBarExits::NextBar`] (the default), the exits wait for the next bar.

use super::SimulatedExchange;
use super::config::{BarPath, MidBarExits};
use super::matching::{self, fill_price};
use rust_decimal::Decimal;

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
        // The level the bar reached the entry at (its fill may be worse by slippage, but the trades went there): a
        // limit's price; a stop's trigger — also for a stop-limit whose limit was marketable when it triggered.
        let marketable =
            |limit: Decimal, stop: Decimal| if entry.side == Side::Buy { limit >= stop } else { limit <= stop };
        let level = match (entry.order_type, entry.price, entry.stop_price) {
            (OrderType::StopLimit | OrderType::TakeProfitLimit, Some(limit), Some(stop)) if marketable(limit, stop) => {
                Some(stop)
            }
            (OrderType::Limit | OrderType::StopLimit | OrderType::TakeProfitLimit, limit, _) => limit,
            (_, _, stop) => stop,
        };
        let instrument = &self.markets[market].instrument;
        let level = level.or_else(|| fill_price(instrument, self.config.slippage, bar, entry).map(|(p, _)| p));
        let Some(level) = level.map(|l| l.clamp(bar.low, bar.high)) else { return };
        // After the fill the price ran to the close; and the extreme on the entry's own side came after the fill too
        // (the price reached the level on its way there from the open): the low below a limit buy, the high above a
        // stop buy.
        let down = matching::executes_on_the_way_down(entry);
        let known = Bar {
            open: level,
            high: if down { level.max(bar.close) } else { bar.high },
            low: if down { bar.low } else { level.min(bar.close) },
            ..*bar
        };
        // The extreme on the stop's side: below a long entry, above a short one.
        let (adverse, optimistic) = match entry.side {
            Side::Buy => (Bar { low: bar.low, ..known }, Bar { high: bar.high, ..known }),
            Side::Sell => (Bar { high: bar.high, ..known }, Bar { low: bar.low, ..known }),
        };
        let (worst, best) =
            (self.first_exit(market, &adverse, pair, true), self.first_exit(market, &optimistic, pair, false));
        if worst == best {
            // Every reading ends alike: at an exit's level, or with nothing in this bar.
            self.match_open_orders(market, &adverse, Some(pair));
            return;
        }
        let certain = self.first_exit(market, &known, pair, true).is_some();
        if !certain && self.config.mid_bar_exits == MidBarExits::NextBar {
            return;
        }
        self.count_ambiguous(market, bar);
        let chosen = match self.config.bar_path {
            BarPath::Adverse => adverse,
            BarPath::Optimistic => optimistic,
            BarPath::Ohlc => after_fill_on_candle_path(bar, level, matching::executes_on_the_way_down(entry)),
        };
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

/// What `bar` did after an entry at `level` filled, on the candle's assumed path (open → low → high → close when it
/// closed at or above its open, else open → high → low → close): the path's points after the stretch where the price
/// first reached `level` (falling to it when `down`, else rising), as a bar opening at `level`.
fn after_fill_on_candle_path(bar: &Bar, level: Decimal, down: bool) -> Bar {
    let points = match bar.close >= bar.open {
        true => [bar.open, bar.low, bar.high, bar.close],
        false => [bar.open, bar.high, bar.low, bar.close],
    };
    let reached = |a: Decimal, b: Decimal| if down { a.min(b) <= level } else { a.max(b) >= level };
    let first = (0..3).find(|&i| reached(points[i], points[i + 1])).unwrap_or(2);
    let after = &points[first + 1..];
    let high = after.iter().copied().fold(level, Decimal::max);
    let low = after.iter().copied().fold(level, Decimal::min);
    Bar { open: level, high, low, ..*bar }
}

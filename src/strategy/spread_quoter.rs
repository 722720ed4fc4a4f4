//! `spread_quoter`: the simplest honest market maker. It joins the best bid with a post-only buy and, holding
//! inventory, the best ask with a post-only sell, one order per side; a quote the best price has left by more than
//! `stale_ticks` is canceled and placed again at the new best once the cancel is confirmed. It never takes: its
//! profit is the spread it earns minus maker fees and what the inventory loses while it waits.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{BookView, Command, Context, Event, OrderIntent, Strategy, StreamInfo, StreamKind};
use crate::error::{Error, Result};
use crate::model::exact::positive;
use crate::model::l2::{from_fixed, to_fixed};
use crate::model::{OrderId, Side, TimeInForce};

/// Parameters of [`SpreadQuoter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpreadQuoterParams {
    /// Base quantity of each quote.
    pub quantity: Decimal,
    /// Largest long position it quotes a bid with.
    pub max_position: Decimal,
    /// Ticks the best price may move away from a quote before it is replaced (0: at once).
    #[serde(default)]
    pub stale_ticks: u32,
}

/// The quoting strategy.
#[derive(Clone, Debug)]
pub struct SpreadQuoter {
    params: SpreadQuoterParams,
    /// Orders it asked to cancel that the venue has not confirmed yet.
    cancels_sent: Vec<OrderId>,
}

impl SpreadQuoter {
    /// A quoter with `params`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a quantity that is not positive or a maximum position below one quote.
    pub fn new(params: SpreadQuoterParams) -> Result<Self> {
        if !positive(params.quantity) || params.max_position < params.quantity {
            return Err(Error::Validation(format!(
                "spread_quoter: quantity ({}) must be positive and max_position ({}) at least one quantity",
                params.quantity, params.max_position
            )));
        }
        Ok(SpreadQuoter { params, cancels_sent: Vec::new() })
    }

    /// The price a quote of `side` should stand at now, if the side is quoted.
    fn wanted(&self, book: &BookView, position: Decimal, side: Side) -> Option<i64> {
        let q = self.params.quantity;
        match side {
            Side::Buy if position + q <= self.params.max_position => book.best_bid.map(|(price, _)| price),
            Side::Sell if position >= q => book.best_ask.map(|(price, _)| price),
            _ => None,
        }
    }
}

impl Strategy for SpreadQuoter {
    fn name(&self) -> &str {
        "spread_quoter"
    }

    fn on_start(&mut self, streams: &[StreamInfo]) -> Result<()> {
        if streams.len() != 1 || streams[0].kind != StreamKind::Book {
            return Err(Error::Validation(format!(
                "spread_quoter quotes one stream of level-2 data, got {} stream(s) of {:?}",
                streams.len(),
                streams.iter().map(|s| s.kind).collect::<Vec<_>>()
            )));
        }
        Ok(())
    }

    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Event::Book(book) = ctx.event else { return };
        if book.best_bid.is_none() || book.best_ask.is_none() {
            return;
        }
        self.cancels_sent.retain(|id| ctx.open_orders.iter().any(|o| o.id == *id));
        let tolerance = i64::from(self.params.stale_ticks) * book.tick;
        for side in [Side::Buy, Side::Sell] {
            let wanted = self.wanted(&book, ctx.position, side);
            let mut quoted = false;
            for order in ctx.open_orders.iter().filter(|o| o.side == side) {
                quoted = true;
                if self.cancels_sent.contains(&order.id) {
                    continue;
                }
                let price = to_fixed(order.price).unwrap_or_default();
                if wanted.is_none_or(|w| (w - price).abs() > tolerance) {
                    self.cancels_sent.push(order.id);
                    let (venue, symbol, order_id) = (ctx.venue, ctx.symbol, order.id);
                    commands.push(Command::Cancel { venue, symbol, order_id });
                }
            }
            if let (false, Some(price)) = (quoted, wanted) {
                let quote = OrderIntent::limit(ctx.venue, ctx.symbol, side, self.params.quantity, from_fixed(price));
                commands.push(Command::Submit(quote.with_time_in_force(TimeInForce::PostOnly)));
            }
        }
    }
}

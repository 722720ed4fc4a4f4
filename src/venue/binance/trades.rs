//! An order's trades at Binance: `GET /api/v3/myTrades?orderId=`, paged by trade id.

use rust_decimal::Decimal;

use super::{BinanceAdapter, OrderAnswer};
use crate::error::{Error, Result};
use crate::model::{OrderId, Symbol};
use crate::venue::adapter::OrderTrades;
use crate::venue::binance_fills::{TRADES_PER_PAGE, TradeAnswer, order_trades};

impl BinanceAdapter {
    /// The trades of order `order_id` as `GET /api/v3/myTrades` lists them (its venue id asked first), as the engine
    /// books them; noted as seen for the private stream.
    ///
    /// # Errors
    /// As [`order_trades`]; the venue's errors.
    pub(super) async fn listed_trades(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderTrades> {
        let instrument = self.instrument(symbol).await?;
        let params = [("symbol", symbol.to_string()), ("origClientOrderId", self.tag.short_id(order_id))];
        let answer: OrderAnswer = self.signed(reqwest::Method::GET, "/api/v3/order", &params).await?;
        let Some(venue_id) = answer.order_id else {
            return Err(Error::Exchange(format!("binance order {order_id}: the order's answer has no orderId")));
        };
        // Page by trade id: Binance lists at most 1,000 trades per call (500 unless asked).
        // From trade id 0 on: without `fromId` Binance lists the most recent trades, not the first.
        let (mut listed, mut from): (Vec<TradeAnswer>, u64) = (Vec::new(), 0);
        loop {
            let params = [
                ("symbol", symbol.to_string()),
                ("orderId", venue_id.to_string()),
                ("limit", TRADES_PER_PAGE.to_string()),
                ("fromId", from.to_string()),
            ];
            let page: Vec<TradeAnswer> = self.signed(reqwest::Method::GET, "/api/v3/myTrades", &params).await?;
            let full = page.len() >= TRADES_PER_PAGE;
            let next = page.iter().map(|t| t.id).max().and_then(|id| id.checked_add(1));
            listed.extend(page);
            match next {
                Some(next) if full => from = next,
                _ => break,
            }
        }
        let trades: Vec<(u64, Decimal)> = listed.iter().map(|t| (t.id, t.qty)).collect();
        let booked = order_trades(listed, &instrument, order_id, self.venue_now())?;
        for (trade_id, quantity) in trades {
            self.seen_elsewhere(order_id, trade_id, quantity);
        }
        Ok(booked)
    }
}

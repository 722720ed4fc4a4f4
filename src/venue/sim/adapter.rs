//! [`ExchangeAdapter`] for [`SimulatedExchange`]: the trait's async methods answer at once with the venue's
//! synchronous operations.

use async_trait::async_trait;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use super::SimulatedExchange;
use crate::error::{Error, Result};
use crate::model::{ExecutionEvent, MarketEvent, OrderBook, OrderId, OrderReport, OrderRequest, Symbol, Ticker};
use crate::venue::{ExchangeAdapter, MarketStream};

#[async_trait]
impl ExchangeAdapter for SimulatedExchange {
    fn name(&self) -> &str {
        SimulatedExchange::name(self)
    }

    async fn connect(&mut self) -> Result<bool> {
        self.set_connected(true);
        Ok(true)
    }

    async fn disconnect(&mut self) -> Result<()> {
        self.set_connected(false);
        Ok(())
    }

    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        self.ticker(symbol)
    }

    async fn get_orderbook(&self, symbol: Symbol, _limit: usize) -> Result<OrderBook> {
        self.market_index(symbol)?;
        Err(Error::Exchange(format!(
            "venue '{}' replays bars for {symbol}; it has no order book to show",
            SimulatedExchange::name(self)
        )))
    }

    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        self.submit(order)
    }

    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.cancel(symbol, order_id)
    }

    async fn amend_order(
        &mut self,
        symbol: Symbol,
        order_id: OrderId,
        quantity: Option<Decimal>,
        price: Option<Decimal>,
    ) -> Result<OrderReport> {
        self.amend(symbol, order_id, quantity, price)
    }

    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.order_status(symbol, order_id)
    }

    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        Ok(self.balances())
    }

    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream> {
        self.subscribe(symbol)
    }

    fn on_market_event(&mut self, event: &MarketEvent) -> bool {
        self.market_event(event)
    }

    fn drain_executions(&mut self, out: &mut Vec<ExecutionEvent>) {
        self.take_executions(out);
    }
}

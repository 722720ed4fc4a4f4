//! [`SimulatedExchange`]: a venue that matches orders against replayed (or live) market data, with the fees,
//! filters and balances of a real spot venue. It implements [`ExchangeAdapter`] exactly like the live adapters.

mod config;
mod matching;

use async_trait::async_trait;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

pub use config::{FillModel, SimConfig};
pub use matching::{limit_fill_price, market_fill_price};

use crate::error::{Error, Result};
use crate::exchange::{ExchangeAdapter, MarketStream};
use crate::model::{
    Bar, ExecutionEvent, Fill, Instrument, Liquidity, MarketEvent, OrderBook, OrderId, OrderQty, OrderReport,
    OrderRequest, OrderStatus, OrderType, Side, Symbol, Ticker, Timestamp,
};

/// One instrument of the venue and the latest bar seen for it.
struct Market {
    instrument: Instrument,
    last_bar: Option<Bar>,
}

/// A simulated spot venue. Balances live here, as they do at a real venue; fees are charged in the quote asset.
///
/// Rules (see also [`matching`]): quantities are rounded down to the lot and limit prices to the tick (buys down,
/// sells up, never worse than asked); an order whose notional is below the instrument's minimum is refused with
/// [`Error::Order`]; a quote-sized market order buys `floor_lot(amount / (price × (1 + taker fee)))`, so that price
/// plus fee never exceeds the amount; balances are checked when an order is placed and again when it fills.
pub struct SimulatedExchange {
    name: String,
    config: SimConfig,
    markets: Vec<Market>,
    balances: BTreeMap<String, Decimal>,
    orders: IndexMap<OrderId, OrderReport>,
    open_orders: Vec<OrderId>,
    executions: Vec<ExecutionEvent>,
    subscribers: Vec<(Symbol, UnboundedSender<MarketEvent>)>,
    connected: bool,
}

impl SimulatedExchange {
    /// A venue called `name` trading `instruments`, holding `balances` (asset → amount).
    ///
    /// # Errors
    /// [`Error::Validation`] for an invalid instrument, [`Error::Config`] for an instrument listed twice or a
    /// negative balance.
    pub fn new(
        name: &str,
        config: SimConfig,
        instruments: Vec<Instrument>,
        balances: BTreeMap<String, Decimal>,
    ) -> Result<Self> {
        let mut markets: Vec<Market> = Vec::with_capacity(instruments.len());
        for instrument in instruments {
            instrument.validate()?;
            if markets.iter().any(|m| m.instrument.symbol == instrument.symbol) {
                return Err(Error::Config(format!("venue '{name}': instrument {} is listed twice", instrument.symbol)));
            }
            markets.push(Market { instrument, last_bar: None });
        }
        if let Some((asset, amount)) = balances.iter().find(|(_, v)| **v < Decimal::ZERO) {
            return Err(Error::Config(format!("venue '{name}': starting balance of {asset} is negative ({amount})")));
        }
        Ok(SimulatedExchange {
            name: name.to_string(),
            config,
            markets,
            balances,
            orders: IndexMap::new(),
            open_orders: Vec::new(),
            executions: Vec::new(),
            subscribers: Vec::new(),
            connected: false,
        })
    }

    fn market_index(&self, symbol: Symbol) -> Result<usize> {
        self.markets
            .iter()
            .position(|m| m.instrument.symbol == symbol)
            .ok_or_else(|| Error::Order(format!("venue '{}' does not list {symbol}", self.name)))
    }

    fn balance(&self, asset: &str) -> Decimal {
        self.balances.get(asset).copied().unwrap_or_default()
    }

    fn require_connected(&self) -> Result<()> {
        if self.connected { Ok(()) } else { Err(Error::Exchange(format!("venue '{}' is not connected", self.name))) }
    }

    /// Checks `order` against the venue's filters and the account, returning it rounded to lot and tick.
    fn accept(&self, market: &Market, mut order: OrderRequest) -> Result<OrderRequest> {
        let inst = &market.instrument;
        let refuse = |why: String| {
            Err(Error::Order(format!("{} {} {}: {why}", order.side, inst.symbol, order.order_type.as_str())))
        };
        if self.orders.contains_key(&order.client_order_id) {
            return refuse(format!("client order id {} was already used", order.client_order_id));
        }
        match (order.order_type, order.price) {
            (OrderType::Market, Some(_)) => return refuse("a market order takes no price".into()),
            (OrderType::Limit, None) => return refuse("a limit order needs a price".into()),
            (OrderType::Limit, Some(p)) if p <= Decimal::ZERO => return refuse(format!("price {p} is not positive")),
            (OrderType::Limit, Some(p)) => order.price = Some(inst.round_price(p, order.side == Side::Sell)),
            (OrderType::Market, None) => {}
        }
        let reference = order.price.or(market.last_bar.map(|b| b.close));
        match order.quantity {
            OrderQty::Base(q) => {
                let rounded = inst.round_quantity_down(q);
                if rounded <= Decimal::ZERO {
                    return refuse(format!("quantity {q} is below the lot size {}", inst.lot_size));
                }
                order.quantity = OrderQty::Base(rounded);
                if let Some(price) = reference {
                    if rounded * price < inst.min_notional {
                        return refuse(format!(
                            "notional {} is below the minimum {}",
                            rounded * price,
                            inst.min_notional
                        ));
                    }
                    if order.side == Side::Buy && rounded * price > self.balance(&inst.quote) {
                        return refuse(format!(
                            "insufficient {} balance {} for {}",
                            inst.quote,
                            self.balance(&inst.quote),
                            rounded * price
                        ));
                    }
                }
                if order.side == Side::Sell && rounded > self.balance(&inst.base) {
                    return refuse(format!(
                        "insufficient {} balance {} to sell {rounded}",
                        inst.base,
                        self.balance(&inst.base)
                    ));
                }
            }
            OrderQty::Quote(amount) => {
                if order.order_type != OrderType::Market {
                    return refuse("only market orders can be sized in the quote asset".into());
                }
                if amount <= Decimal::ZERO || amount < inst.min_notional {
                    return refuse(format!(
                        "quote amount {amount} is below the minimum notional {}",
                        inst.min_notional
                    ));
                }
                if order.side == Side::Buy && amount > self.balance(&inst.quote) {
                    return refuse(format!(
                        "insufficient {} balance {} for {amount}",
                        inst.quote,
                        self.balance(&inst.quote)
                    ));
                }
            }
        }
        Ok(order)
    }

    /// Fills (or, when the account or filters no longer allow it, rejects) open order `id` at `price`.
    fn execute(&mut self, id: OrderId, market: usize, price: Decimal, liquidity: Liquidity, time: Timestamp) {
        let inst = &self.markets[market].instrument;
        let Some(report) = self.orders.get_mut(&id) else { return };
        let order = report.request;
        let fee_rate = match liquidity {
            Liquidity::Maker => self.config.maker_fee,
            Liquidity::Taker => self.config.taker_fee,
        };
        let quantity = match order.quantity {
            OrderQty::Base(q) => q - report.filled_quantity,
            OrderQty::Quote(amount) => inst.round_quantity_down(amount / (price * (Decimal::ONE + fee_rate))),
        };
        let notional = quantity * price;
        let fee = notional * fee_rate;
        let problem = if quantity <= Decimal::ZERO || notional < inst.min_notional {
            Some(format!("fill of {quantity} at {price} is below the minimum notional {}", inst.min_notional))
        } else if order.side == Side::Buy
            && notional + fee > self.balances.get(&inst.quote).copied().unwrap_or_default()
        {
            Some(format!("insufficient {} balance for {} plus fee {fee}", inst.quote, notional))
        } else if order.side == Side::Sell
            && quantity > self.balances.get(inst.base.as_str()).copied().unwrap_or_default()
        {
            Some(format!("insufficient {} balance to sell {quantity}", inst.base))
        } else {
            None
        };
        if let Some(reason) = problem {
            report.status = OrderStatus::Rejected;
            report.reason = Some(reason.clone());
            self.executions.push(ExecutionEvent::Rejected { order_id: id, time, reason });
            return;
        }
        let (base_delta, quote_delta) = match order.side {
            Side::Buy => (quantity, -(notional + fee)),
            Side::Sell => (-quantity, notional - fee),
        };
        for (asset, delta) in [(&inst.base, base_delta), (&inst.quote, quote_delta)] {
            match self.balances.get_mut(asset.as_str()) {
                Some(balance) => *balance += delta,
                None => {
                    self.balances.insert(asset.clone(), delta);
                }
            }
        }
        report.status = OrderStatus::Filled;
        report.filled_quantity += quantity;
        report.average_price = Some(price);
        report.fee += fee;
        let fill = Fill { order_id: id, time, symbol: order.symbol, side: order.side, quantity, price, fee, liquidity };
        self.executions.push(ExecutionEvent::Fill { fill, order_status: OrderStatus::Filled });
    }

    /// Tries every open order of `market` against `bar`, in the order they were placed.
    fn match_open_orders(&mut self, market: usize, bar: &Bar) {
        let symbol = self.markets[market].instrument.symbol;
        let mut open = std::mem::take(&mut self.open_orders);
        open.retain(|&id| {
            let Some(order) = self.orders.get(&id).map(|r| r.request) else {
                return false;
            };
            if order.symbol != symbol {
                return true;
            }
            let fill = match (order.order_type, order.price) {
                (OrderType::Limit, Some(limit)) => {
                    limit_fill_price(bar, order.side, limit).map(|p| (p, Liquidity::Maker))
                }
                _ => {
                    let inst = &self.markets[market].instrument;
                    Some((market_fill_price(inst, bar, order.side, bar.open, self.config.slippage), Liquidity::Taker))
                }
            };
            match fill {
                Some((price, liquidity)) => {
                    self.execute(id, market, price, liquidity, bar.open_time);
                    false
                }
                None => true,
            }
        });
        self.open_orders = open;
    }
}

#[async_trait]
impl ExchangeAdapter for SimulatedExchange {
    fn name(&self) -> &str {
        &self.name
    }

    async fn connect(&mut self) -> Result<bool> {
        self.connected = true;
        Ok(true)
    }

    async fn disconnect(&mut self) -> Result<()> {
        self.connected = false;
        Ok(())
    }

    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        let market = &self.markets[self.market_index(symbol)?];
        let bar = market
            .last_bar
            .ok_or_else(|| Error::Exchange(format!("venue '{}' has no price for {symbol} yet", self.name)))?;
        Ok(Ticker { symbol, bid: bar.close, ask: bar.close, last: bar.close, time: bar.close_time })
    }

    async fn get_orderbook(&self, symbol: Symbol, _limit: usize) -> Result<OrderBook> {
        self.market_index(symbol)?;
        Err(Error::Exchange(format!("venue '{}' replays bars for {symbol}; it has no order book to show", self.name)))
    }

    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        self.require_connected()?;
        let market = self.market_index(order.symbol)?;
        let order = self.accept(&self.markets[market], order)?;
        let id = order.client_order_id;
        let report = OrderReport {
            request: order,
            status: OrderStatus::New,
            filled_quantity: Decimal::ZERO,
            average_price: None,
            fee: Decimal::ZERO,
            reason: None,
        };
        self.orders.insert(id, report);
        match (order.order_type, self.config.fill_model, self.markets[market].last_bar) {
            (OrderType::Market, FillModel::Close, Some(bar)) => {
                let price = market_fill_price(
                    &self.markets[market].instrument,
                    &bar,
                    order.side,
                    bar.close,
                    self.config.slippage,
                );
                self.execute(id, market, price, Liquidity::Taker, bar.close_time);
            }
            _ => self.open_orders.push(id),
        }
        self.get_order_status(order.symbol, id).await
    }

    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.require_connected()?;
        let position = self.open_orders.iter().position(|&id| id == order_id);
        let report = self
            .orders
            .get_mut(&order_id)
            .filter(|r| r.request.symbol == symbol)
            .ok_or_else(|| Error::Order(format!("venue '{}' has no order {order_id} for {symbol}", self.name)))?;
        let Some(position) = position else {
            return Err(Error::Order(format!("order {order_id} is not open (status {})", report.status.as_str())));
        };
        report.status = OrderStatus::Canceled;
        let report = report.clone();
        self.open_orders.remove(position);
        Ok(report)
    }

    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.orders
            .get(&order_id)
            .filter(|r| r.request.symbol == symbol)
            .cloned()
            .ok_or_else(|| Error::Order(format!("venue '{}' has no order {order_id} for {symbol}", self.name)))
    }

    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        Ok(self.balances.clone())
    }

    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream> {
        self.market_index(symbol)
            .map_err(|_| Error::Exchange(format!("venue '{}' does not list {symbol}", self.name)))?;
        let (sender, receiver) = unbounded_channel();
        self.subscribers.push((symbol, sender));
        Ok(receiver)
    }

    #[inline]
    fn on_market_event(&mut self, event: &MarketEvent) {
        let MarketEvent::Bar { symbol, bar } = event;
        let Some(market) = self.markets.iter().position(|m| m.instrument.symbol == *symbol) else {
            return;
        };
        self.markets[market].last_bar = Some(*bar);
        if !self.open_orders.is_empty() {
            self.match_open_orders(market, bar);
        }
        if !self.subscribers.is_empty() {
            self.subscribers.retain(|(s, sender)| *s != *symbol || sender.send(*event).is_ok());
        }
    }

    fn drain_executions(&mut self, out: &mut Vec<ExecutionEvent>) {
        out.append(&mut self.executions);
    }
}

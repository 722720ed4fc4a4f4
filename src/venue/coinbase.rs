//! Coinbase Exchange (the seed's "Coinbase Pro": key, secret, passphrase) behind [`ExchangeAdapter`]: REST
//! (`/time, /products/{id}/ticker, /products/{id}/book, /orders, /accounts`) signed with `CB-ACCESS-KEY`,
//! `CB-ACCESS-SIGN` = base64(HMAC-SHA256(timestamp + method + requestPath + body, base64-decoded secret)),
//! `CB-ACCESS-TIMESTAMP` and `CB-ACCESS-PASSPHRASE`; the WebSocket feed's `ticker`, `level2` and `matches` channels
//! ([`super::streams::coinbase`]).
//! Sandbox endpoints unless `config/exchanges.yaml` says `sandbox: false`. (Coinbase's retail Advanced Trade API
//! signs with ES256 JWTs instead; it is not covered here.)
//!
//! Products: the engine's `BTCUSD` is `BTC-USD`; orders are rounded to the product's increments before they go out. Coinbase wants a UUID as client order id: engine order `n` is sent
//! as `00000000-0000-4000-8000-<n as 12 hex digits>`. Failures: 401/403 → AuthenticationError, 429 →
//! RateLimitError, other 4xx (with Coinbase's `message`) → OrderError, 5xx → ExchangeError.

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::ClientTag;
use super::adapter::{ExchangeAdapter, MarketStream};
use super::rest::{Answer, Delivery, RestClient, UnansweredLookups, book_levels, status_error};
use super::secret::Credentials;
use super::signing::coinbase_signature;
use super::streams::coinbase::CoinbaseDecoder;
use super::symbols::split_symbol;
use super::wall_clock::wall_clock_now;
use super::ws;
use crate::error::{Error, Result};
use crate::model::{
    Instrument, OrderBook, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus, OrderType, Side, Symbol, Ticker,
    TimeInForce,
};
use crate::venue::VenueConfig;

/// Production REST endpoint.
pub const REST_URL: &str = "https://api.exchange.coinbase.com";
/// Sandbox REST endpoint.
pub const SANDBOX_REST_URL: &str = "https://api-public.sandbox.exchange.coinbase.com";
/// Production WebSocket feed.
pub const WS_URL: &str = "wss://ws-feed.exchange.coinbase.com";
/// Sandbox WebSocket feed.
pub const SANDBOX_WS_URL: &str = "wss://ws-feed-public.sandbox.exchange.coinbase.com";

/// Coinbase Exchange.
#[derive(Debug)]
pub struct CoinbaseAdapter {
    rest: RestClient,
    ws_url: String,
    credentials: Option<Credentials>,
    instruments: BTreeMap<Symbol, Instrument>,
    /// The session's tag in the client order ids.
    tag: ClientTag,
}

/// A product's trading rules (`/products/{id}`).
#[derive(Deserialize)]
struct Product {
    base_currency: String,
    quote_currency: String,
    quote_increment: Decimal,
    base_increment: Decimal,
    #[serde(default)]
    min_market_funds: Option<Decimal>,
    #[serde(default)]
    base_min_size: Option<Decimal>,
    #[serde(default)]
    base_max_size: Option<Decimal>,
}

#[derive(Deserialize)]
struct ProductTicker {
    bid: Decimal,
    ask: Decimal,
    price: Decimal,
}

#[derive(Deserialize)]
struct Book {
    bids: Vec<(Decimal, Decimal, serde_json::Value)>,
    asks: Vec<(Decimal, Decimal, serde_json::Value)>,
}

#[derive(Deserialize)]
struct Account {
    currency: String,
    available: Decimal,
    balance: Decimal,
}

#[derive(Deserialize)]
struct CoinbaseOrder {
    product_id: String,
    side: String,
    #[serde(rename = "type")]
    order_type: String,
    #[serde(default)]
    price: Option<Decimal>,
    #[serde(default)]
    size: Option<Decimal>,
    /// A market order sized in the quote currency: its amount.
    #[serde(default)]
    funds: Option<Decimal>,
    #[serde(default)]
    stop_price: Option<Decimal>,
    status: String,
    #[serde(default)]
    done_reason: Option<String>,
    filled_size: Decimal,
    executed_value: Decimal,
    fill_fees: Decimal,
    #[serde(default)]
    client_oid: Option<String>,
}

/// Coinbase's product id for the engine's symbol: `BTCUSD` → `BTC-USD`.
///
/// # Errors
/// [`Error::Order`] when the symbol does not end with a known quote asset.
pub fn product_id(symbol: Symbol) -> Result<String> {
    let (base, quote) = split_symbol(&symbol)?;
    Ok(format!("{base}-{quote}"))
}

impl CoinbaseAdapter {
    /// The closed bars of `symbol` at `interval_ns` (a bar session's market data), built from the `matches`
    /// channel's trades (the feed has no candle channel): a bar closes when a trade of a later interval arrives.
    ///
    /// # Errors
    /// [`Error::Config`] for a symbol Coinbase cannot name; [`Error::Exchange`] when the first connection fails.
    pub async fn trade_bar_stream(&self, symbol: Symbol, interval_ns: i64) -> Result<MarketStream> {
        let decoder = CoinbaseDecoder::trade_bars(symbol, product_id(symbol)?, interval_ns);
        ws::open("coinbase", symbol, self.ws_url.clone(), decoder).await
    }

    /// An adapter configured by `config` (sandbox unless it says `sandbox: false`; `base_url` / `ws_url` replace the
    /// endpoints), with `credentials` (key, secret, passphrase) for the private endpoints.
    ///
    /// # Errors
    /// [`Error::Exchange`] when the HTTP client cannot be built.
    pub fn new(config: &VenueConfig, credentials: Option<Credentials>) -> Result<Self> {
        let (base_url, ws_url) = config.endpoints((REST_URL, WS_URL), (SANDBOX_REST_URL, SANDBOX_WS_URL));
        let per_second = Some(config.rate_limits.per_second(10));
        let rest = RestClient::new("coinbase", &base_url, config.request_timeout(), per_second)?;
        Ok(CoinbaseAdapter {
            rest,
            ws_url,
            credentials,
            instruments: BTreeMap::new(),
            tag: ClientTag::fresh("coinbase"),
        })
    }

    /// The instrument `symbol` as Coinbase defines its product (tick: `quote_increment`, lot step:
    /// `base_increment`, minimum notional: `min_market_funds`, minimum and maximum size: `base_min_size` and
    /// `base_max_size` where given), fetched once.
    ///
    /// # Errors
    /// The venue's errors (an unknown product is a 404: [`Error::Order`]).
    pub async fn instrument(&mut self, symbol: Symbol) -> Result<Instrument> {
        if let Some(instrument) = self.instruments.get(&symbol) {
            return Ok(instrument.clone());
        }
        let product: Product = self.public(&format!("/products/{}", product_id(symbol)?)).await?;
        let instrument = Instrument {
            symbol,
            base: product.base_currency,
            quote: product.quote_currency,
            tick_size: product.quote_increment.normalize(),
            lot_size: product.base_increment.normalize(),
            min_notional: product.min_market_funds.unwrap_or_default(),
            min_quantity: product.base_min_size.filter(|min| !min.is_zero()),
            max_quantity: product.base_max_size.filter(|max| !max.is_zero()),
        };
        instrument.validate()?;
        self.instruments.insert(symbol, instrument.clone());
        Ok(instrument)
    }

    async fn public<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        // Coinbase refuses requests without a User-Agent.
        let body = self.rest.send(reqwest::Method::GET, path, &[("User-Agent", "cryptotradebot")], None).await?;
        self.rest.parse(path.split('?').next().unwrap_or(path), &body)
    }

    /// A signed call; anything but a GET is sent once, whatever becomes of it.
    async fn private_delivery(&self, method: reqwest::Method, path: &str, body: Option<String>) -> Result<Delivery> {
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            Error::Authentication(
                "coinbase: COINBASE_API_KEY, COINBASE_API_SECRET and COINBASE_PASSPHRASE are needed".into(),
            )
        })?;
        let passphrase = credentials
            .passphrase
            .as_ref()
            .ok_or_else(|| Error::Authentication("coinbase: COINBASE_PASSPHRASE is needed".into()))?;
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
        let text = body.clone().unwrap_or_default();
        let signature = coinbase_signature(&credentials.api_secret, &timestamp, method.as_str(), path, &text)?;
        let headers = [
            ("User-Agent", "cryptotradebot"),
            ("Content-Type", "application/json"),
            ("CB-ACCESS-KEY", credentials.api_key.expose()),
            ("CB-ACCESS-SIGN", signature.as_str()),
            ("CB-ACCESS-TIMESTAMP", timestamp.as_str()),
            ("CB-ACCESS-PASSPHRASE", passphrase.expose()),
        ];
        if method == reqwest::Method::GET {
            // Reads are idempotent: the client may retry them.
            return self.rest.send_raw(method, path, &headers, body).await.map(Delivery::Answered);
        }
        self.rest.deliver(method, path, &headers, body).await
    }

    /// A signed call to `path`, its JSON answer parsed.
    async fn private<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T> {
        match self.private_delivery(method.clone(), path, body).await? {
            Delivery::Answered(answer) => self.read(&method, path, answer),
            Delivery::Unanswered(failure) => Err(failure),
        }
    }

    /// An answer as `T`, or the error its status means.
    fn read<T: DeserializeOwned>(&self, method: &reqwest::Method, path: &str, answer: Answer) -> Result<T> {
        let endpoint = path.split('?').next().unwrap_or(path);
        if !answer.is_success() {
            let (status, retry_after) = (answer.status, answer.retry_after.as_deref());
            return Err(status_error("coinbase", &format!("{method} {endpoint}"), status, retry_after, &answer.body));
        }
        self.rest.parse(endpoint, &answer.body)
    }

    /// The engine's report of a Coinbase order.
    fn report(tag: ClientTag, symbol: Symbol, order: CoinbaseOrder) -> Result<OrderReport> {
        let bad = |what: &str| Error::Exchange(format!("coinbase order on {}: unexpected {what}", order.product_id));
        let client_order_id =
            order.client_oid.as_deref().and_then(|oid| tag.parse_uuid(oid)).ok_or_else(|| bad("client_oid"))?;
        let side = match order.side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            _ => return Err(bad("side")),
        };
        let order_type = match (order.order_type.as_str(), order.stop_price.is_some()) {
            ("market", _) => OrderType::Market,
            ("limit", false) => OrderType::Limit,
            ("limit" | "stop", true) => OrderType::StopMarket,
            _ => return Err(bad("type")),
        };
        let status = match (order.status.as_str(), order.done_reason.as_deref()) {
            ("pending" | "received" | "open" | "active", _) if order.filled_size.is_zero() => OrderStatus::New,
            ("pending" | "received" | "open" | "active", _) => OrderStatus::PartiallyFilled,
            ("done" | "settled", Some("canceled")) => OrderStatus::Canceled,
            ("done" | "settled", _) => OrderStatus::Filled,
            ("rejected", _) => OrderStatus::Rejected,
            _ => return Err(bad("status")),
        };
        let filled = order.filled_size;
        let request = OrderRequest {
            client_order_id,
            symbol,
            side,
            order_type,
            quantity: match (order.size, order.funds) {
                (None, Some(funds)) => OrderQty::Quote(funds),
                (size, _) => OrderQty::Base(size.unwrap_or(filled)),
            },
            price: order.price.filter(|_| order_type == OrderType::Limit),
            stop_price: order.stop_price,
            one_cancels_other: None,
            time_in_force: TimeInForce::Gtc,
            trail: None,
            reduce_only: false,
        };
        Ok(OrderReport {
            request,
            status,
            filled_quantity: filled,
            average_price: (!filled.is_zero()).then(|| order.executed_value / filled),
            fee: order.fill_fees,
            reason: order.done_reason.filter(|r| r != "filled"),
        })
    }
}

#[async_trait]
impl ExchangeAdapter for CoinbaseAdapter {
    fn name(&self) -> &str {
        "coinbase"
    }

    fn set_client_tag(&mut self, tag: ClientTag) {
        self.tag = tag;
    }

    async fn instrument_rules(&mut self, symbol: Symbol) -> Result<Instrument> {
        CoinbaseAdapter::instrument(self, symbol).await
    }

    async fn connect(&mut self) -> Result<bool> {
        let _: serde_json::Value = self.public("/time").await?;
        if self.credentials.is_some() {
            let _: Vec<Account> = self.private(reqwest::Method::GET, "/accounts", None).await?;
        }
        Ok(true)
    }

    async fn disconnect(&mut self) -> Result<()> {
        Ok(())
    }

    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        let ticker: ProductTicker = self.public(&format!("/products/{}/ticker", product_id(symbol)?)).await?;
        Ok(Ticker { symbol, bid: ticker.bid, ask: ticker.ask, last: ticker.price, time: wall_clock_now() })
    }

    async fn get_orderbook(&self, symbol: Symbol, limit: usize) -> Result<OrderBook> {
        let book: Book = self.public(&format!("/products/{}/book?level=2", product_id(symbol)?)).await?;
        Ok(OrderBook {
            symbol,
            bids: book_levels(book.bids, limit),
            asks: book_levels(book.asks, limit),
            time: wall_clock_now(),
        })
    }

    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        let instrument = self.instrument(order.symbol).await?;
        let mut order = instrument.rounded(order);
        if let OrderQty::Quote(funds) = order.quantity {
            // Down to the quote increment: finer funds are refused ("funds is too accurate"), and rounding down
            // never spends more than the amount.
            order.quantity = OrderQty::Quote(instrument.round_price(funds, false));
        }
        let mut body = serde_json::json!({
            "product_id": product_id(order.symbol)?,
            "side": order.side.as_str().to_ascii_lowercase(),
            "client_oid": self.tag.uuid(order.client_order_id),
        });
        match (order.order_type, order.quantity) {
            (OrderType::Market, OrderQty::Quote(funds)) => {
                body["type"] = "market".into();
                body["funds"] = funds.normalize().to_string().into();
            }
            (_, OrderQty::Quote(_)) => {
                return Err(Error::Order("coinbase: only market orders can be sized in the quote asset".into()));
            }
            (OrderType::TrailingStop, _) => {
                return Err(Error::Order("coinbase: Coinbase Exchange has no trailing stop orders".into()));
            }
            (order_type, OrderQty::Base(size)) => {
                body["size"] = size.normalize().to_string().into();
                body["type"] = if order_type == OrderType::Market { "market" } else { "limit" }.into();
                if let Some(price) = order.price {
                    body["price"] = price.normalize().to_string().into();
                }
                if let Some(stop) = order.stop_price {
                    // A stop sells as the price falls ("loss") or buys as it rises ("entry"); a take-profit the
                    // other way. Without a limit the stop's own price is the limit.
                    let falls = order_type.is_stop() == (order.side == Side::Sell);
                    body["stop"] = if falls { "loss" } else { "entry" }.into();
                    body["stop_price"] = stop.normalize().to_string().into();
                    body["price"] = order.price.unwrap_or(stop).normalize().to_string().into();
                }
                match order.time_in_force {
                    TimeInForce::Gtc => {}
                    TimeInForce::Ioc | TimeInForce::Fok => body["time_in_force"] = order.time_in_force.as_str().into(),
                    TimeInForce::PostOnly => body["post_only"] = true.into(),
                }
            }
        }
        let post = reqwest::Method::POST;
        match self.private_delivery(post.clone(), "/orders", Some(body.to_string())).await? {
            Delivery::Answered(answer) => Self::report(self.tag, order.symbol, self.read(&post, "/orders", answer)?),
            // Never sent again: the order may exist. Look it up by its client_oid.
            Delivery::Unanswered(failure) => {
                let mut lookups = UnansweredLookups::new(failure, order.client_order_id);
                loop {
                    match self.get_order_status(order.symbol, order.client_order_id).await {
                        Ok(found) => return Ok(found),
                        Err(Error::Order(said)) if said.contains("HTTP 404") => lookups.not_found().await?,
                        Err(limited @ Error::RateLimit { .. }) => lookups.held_back(limited).await?,
                        Err(other) => return Err(lookups.failed(other)),
                    }
                }
            }
        }
    }

    /// Cancels the order and answers its status after the cancel. Coinbase purges the record of a canceled order
    /// that never filled, so asking for it after the cancel may answer 404: the order's status before the cancel,
    /// nothing filled, then stands for it, as canceled.
    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let before = self.get_order_status(symbol, order_id).await?;
        let path = format!("/orders/client:{}?product_id={}", self.tag.uuid(order_id), product_id(symbol)?);
        let _: serde_json::Value = self.private(reqwest::Method::DELETE, &path, None).await?;
        match self.get_order_status(symbol, order_id).await {
            Err(Error::Order(said)) if said.contains("HTTP 404") && before.filled_quantity.is_zero() => {
                Ok(OrderReport {
                    status: OrderStatus::Canceled,
                    reason: Some(
                        "canceled; Coinbase no longer lists it (it purges canceled orders that never filled)".into(),
                    ),
                    ..before
                })
            }
            after => after,
        }
    }

    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let order: CoinbaseOrder =
            self.private(reqwest::Method::GET, &format!("/orders/client:{}", self.tag.uuid(order_id)), None).await?;
        Self::report(self.tag, symbol, order)
    }

    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        let accounts: Vec<Account> = self.private(reqwest::Method::GET, "/accounts", None).await?;
        let mut balances = BTreeMap::new();
        for account in accounts.into_iter().filter(|a| !a.balance.is_zero()) {
            *balances.entry(account.currency).or_insert(Decimal::ZERO) += account.available;
        }
        Ok(balances)
    }

    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream> {
        let decoder = CoinbaseDecoder::new(symbol, product_id(symbol)?);
        ws::open("coinbase", symbol, self.ws_url.clone(), decoder).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_map_to_coinbase_ids() {
        assert_eq!(product_id(Symbol::new("BTCUSD").unwrap()).unwrap(), "BTC-USD");
    }
}

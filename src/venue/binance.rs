//! Binance spot behind [`ExchangeAdapter`]: REST v3 (`/api/v3/time, exchangeInfo, ticker/bookTicker, ticker/price,
//! depth, order, account`), requests signed with HMAC-SHA256 of the exact query string sent, `X-MBX-APIKEY`,
//! `timestamp` from the server-time offset (measured at `connect`, and again after a -1021: `binance/clock.rs`) plus
//! `recvWindow`; trades, depth diffs and closed
//! 1-minute klines from the combined WebSocket stream ([`super::streams::binance`]). Testnet endpoints unless `config/exchanges.yaml` says `testnet: false`.
//!
//! Numbers go from the venue's strings straight into `Decimal`. Quantities are rounded down to the symbol's
//! `LOT_SIZE` step and prices to its `PRICE_FILTER` tick (buys down, sells up) from `exchangeInfo` before sending.
//! Fills reported in an order's answer (`newOrderRespType=FULL`) reach the engine as executions, and so do the
//! account's execution reports on the private stream (`binance/user_stream.rs`, opened at `connect` when the adapter
//! has credentials and a WebSocket API endpoint); REST stays the reconciler. Fees paid in the
//! quote asset count as charged, in the base asset at the fill's price; fees paid in a third asset (BNB) are not
//! converted. An order POST that gets no answer is never re-sent: the order is looked up by its client order id.
//! One refused for its timestamp (-1021, placed nothing) is sent once more when the offset measured again moved.

mod clock;
mod trades;
mod user_stream;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::ClientTag;
use super::adapter::{ExchangeAdapter, MarketStream, OrderTrades};
use super::binance_fills::{FillAnswer, answer_executions};
use super::private_stream::{PrivateStream, TradesSeen};
use super::rest::{Answer, Delivery, RestClient, UnansweredLookups, status_error};
use super::secret::Credentials;
use super::signing::binance_signature;
use super::streams::binance::{BinanceDecoder, book_stream_url, kline_interval, kline_stream_url, stream_url};
use super::ws;
use super::ws::{RawMessage, RawMessages};
use crate::error::{Error, Result};
use crate::model::{
    BookLevel, ExecutionEvent, Instrument, OrderBook, OrderId, OrderQty, OrderReport, OrderRequest, OrderStatus,
    OrderType, Side, Symbol, Ticker, TimeInForce, Timestamp, Trail,
};
use crate::venue::VenueConfig;
use clock::ServerClock;
use std::sync::Arc;
use tokio::sync::mpsc::Receiver;
use user_stream::ExecutionReport;

/// Binance's production REST endpoint.
pub const REST_URL: &str = "https://api.binance.com";
/// The spot testnet's REST endpoint.
pub const TESTNET_REST_URL: &str = "https://testnet.binance.vision";
/// Production WebSocket streams.
pub const WS_URL: &str = "wss://stream.binance.com:9443";
/// Testnet WebSocket streams.
pub const TESTNET_WS_URL: &str = "wss://stream.testnet.binance.vision";

/// How long a signed request stays valid at the venue.
const RECV_WINDOW_MS: u64 = 5000;
/// The header in which Binance reports the request weight used in the current minute.
const USED_WEIGHT_HEADER: &str = "x-mbx-used-weight-1m";
/// Request weight per minute when `config/exchanges.yaml` gives no `requests_per_minute` (the seed's 1200).
const DEFAULT_WEIGHT_PER_MINUTE: u32 = 1200;

/// Binance spot.
#[derive(Debug)]
pub struct BinanceAdapter {
    rest: RestClient,
    ws_url: String,
    credentials: Option<Credentials>,
    clock: Arc<ServerClock>,
    instruments: BTreeMap<Symbol, Instrument>,
    /// Per symbol, the decimals a quote amount may have (its `quoteAssetPrecision`).
    quote_decimals: BTreeMap<Symbol, u32>,
    /// Fills reported in order answers, waiting for the engine.
    executions: Vec<ExecutionEvent>,
    /// The session's tag in the client order ids.
    tag: ClientTag,
    /// The WebSocket API the private stream subscribes at; `None`: no private stream (REST only).
    user_stream_url: Option<String>,
    /// The private stream's reports, once it is open.
    private: PrivateStream<ExecutionReport>,
    /// The trades seen of each working order, whichever way they came.
    seen: TradesSeen,
}

#[derive(Deserialize)]
struct ServerTime {
    #[serde(rename = "serverTime")]
    server_time: i64,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: i64,
    msg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookTicker {
    bid_price: Decimal,
    ask_price: Decimal,
}

#[derive(Deserialize)]
struct Price {
    price: Decimal,
}

#[derive(Deserialize)]
struct Depth {
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
}

#[derive(Deserialize)]
struct ExchangeInfo {
    symbols: Vec<SymbolInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SymbolInfo {
    symbol: String,
    base_asset: String,
    quote_asset: String,
    /// Decimals a quote amount may have (`quoteOrderQty`); more is refused with -1111.
    quote_asset_precision: Option<u32>,
    filters: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderAnswer {
    /// The venue's own id of the order (what `myTrades` is asked by).
    #[serde(default)]
    order_id: Option<u64>,
    symbol: String,
    /// The order's client id; in a cancel's answer, the cancel request's own (the order's is `origClientOrderId`).
    client_order_id: String,
    #[serde(default)]
    orig_client_order_id: Option<String>,
    price: Decimal,
    orig_qty: Decimal,
    executed_qty: Decimal,
    cummulative_quote_qty: Decimal,
    status: String,
    #[serde(rename = "type")]
    order_type: String,
    side: String,
    #[serde(default)]
    stop_price: Option<Decimal>,
    #[serde(default)]
    transact_time: Option<i64>,
    #[serde(default)]
    time_in_force: Option<String>,
    #[serde(default)]
    fills: Vec<FillAnswer>,
}

#[derive(Deserialize)]
struct Account {
    balances: Vec<Balance>,
}

#[derive(Deserialize)]
struct Balance {
    asset: String,
    free: Decimal,
    locked: Decimal,
}

impl BinanceAdapter {
    /// An adapter configured by `config` (testnet unless it says `testnet: false`; `base_url` / `ws_url` replace
    /// the endpoints), with `credentials` for the account endpoints (public ones work without).
    ///
    /// # Errors
    /// [`Error::Exchange`] when the HTTP client cannot be built.
    pub fn new(config: &VenueConfig, credentials: Option<Credentials>) -> Result<Self> {
        let (base_url, ws_url) = config.endpoints((REST_URL, WS_URL), (TESTNET_REST_URL, TESTNET_WS_URL));
        let per_second = Some(config.rate_limits.per_second(20));
        let weight_per_minute = config.rate_limits.requests_per_minute.unwrap_or(DEFAULT_WEIGHT_PER_MINUTE);
        let rest = RestClient::new("binance", &base_url, config.request_timeout(), per_second)?
            .with_weight_header(USED_WEIGHT_HEADER, weight_per_minute);
        Ok(BinanceAdapter {
            rest,
            ws_url,
            credentials,
            clock: Arc::default(),
            instruments: BTreeMap::new(),
            quote_decimals: BTreeMap::new(),
            executions: Vec::new(),
            tag: ClientTag::fresh("binance"),
            user_stream_url: user_stream::endpoint(config),
            private: PrivateStream::default(),
            seen: TradesSeen::default(),
        })
    }

    /// The venue's clock now: the local clock corrected by the offset measured at `connect`, and again after Binance
    /// refused a timestamp (signing needs it).
    fn venue_now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn venue_now(&self) -> Timestamp {
        Timestamp::from_millis(self.venue_now_ms()).unwrap_or(Timestamp(0))
    }

    /// The REST depth snapshot of `symbol` (`/api/v3/depth`, up to `limit` levels a side) as one line of JSON, as
    /// a session records it next to the stream's diffs.
    ///
    /// # Errors
    /// The venue's errors, typed.
    pub async fn depth_snapshot_json(&self, symbol: Symbol, limit: usize) -> Result<String> {
        let depth: serde_json::Value = self.public(&format!("/api/v3/depth?symbol={symbol}&limit={limit}")).await?;
        if depth.get("lastUpdateId").is_none() {
            return Err(Error::Exchange(format!("binance /api/v3/depth {symbol}: no lastUpdateId in the answer")));
        }
        serde_json::to_string(&depth).map_err(|e| Error::Exchange(format!("binance /api/v3/depth {symbol}: {e}")))
    }

    /// The level-2 stream of `symbol` (depth diffs and trades) with every message kept as it came.
    ///
    /// # Errors
    /// [`Error::Exchange`] when the first connection fails.
    pub async fn raw_book_stream(&self, symbol: Symbol) -> Result<Receiver<RawMessage>> {
        ws::open("binance", symbol, book_stream_url(&self.ws_url, symbol), RawMessages::default()).await
    }

    /// The closed klines of `symbol` at `interval_ns` (a bar session's market data): [`crate::model::StreamEvent::Market`]
    /// bars, and gaps when the connection dropped.
    ///
    /// # Errors
    /// [`Error::Config`] for an interval Binance has no klines of; [`Error::Exchange`] when the first connection
    /// fails.
    pub async fn kline_stream(&self, symbol: Symbol, interval_ns: i64) -> Result<Receiver<crate::model::StreamEvent>> {
        let url = kline_stream_url(&self.ws_url, symbol, kline_interval(interval_ns)?);
        ws::open("binance", symbol, url, BinanceDecoder::new(symbol)).await
    }

    /// A public GET of `path`, parsed.
    async fn public<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let answer = self.rest.send_raw(reqwest::Method::GET, path, &[], None).await?;
        self.read(path, answer)
    }

    /// A signed request to `endpoint` with `params` (timestamp, recvWindow and the signature are added).
    async fn signed<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        endpoint: &str,
        params: &[(&str, String)],
    ) -> Result<T> {
        match self.send_signed(method, endpoint, params, false).await? {
            Delivery::Answered(answer) => self.read(endpoint, answer),
            Delivery::Unanswered(failure) => Err(failure),
        }
    }

    /// The path of a signed request (query with recvWindow, timestamp and signature) and the API key to send.
    fn signed_path(&self, endpoint: &str, params: &[(&str, String)]) -> Result<(String, &str)> {
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            Error::Authentication("binance: BINANCE_API_KEY and BINANCE_API_SECRET are needed for this request".into())
        })?;
        let mut query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        query.push(format!("recvWindow={RECV_WINDOW_MS}"));
        query.push(format!("timestamp={}", self.venue_now_ms()));
        let query = query.join("&");
        let signature = binance_signature(&credentials.api_secret, &query)?;
        Ok((format!("{endpoint}?{query}&signature={signature}"), credentials.api_key.expose()))
    }

    /// A venue answer as `T`, or the error its status and Binance error code mean.
    fn read<T: serde::de::DeserializeOwned>(&self, path: &str, answer: Answer) -> Result<T> {
        let endpoint = path.split('?').next().unwrap_or(path);
        if answer.is_success() {
            return self.rest.parse(endpoint, &answer.body);
        }
        let coded = serde_json::from_str::<ErrorBody>(&answer.body).ok();
        match coded {
            // Bad signature, bad API key format, rejected key: the credentials.
            Some(ErrorBody { code: code @ (-1022 | -2014 | -2015), msg }) => {
                Err(Error::Authentication(format!("binance {endpoint}: {code} {msg}")))
            }
            // The request itself refused: filters, balance, unknown or finished order, bad parameter.
            Some(ErrorBody { code, msg }) if answer.status == 400 && code != -1021 => {
                Err(Error::Order(format!("binance {endpoint}: {code} {msg}")))
            }
            _ => Err(status_error("binance", endpoint, answer.status, answer.retry_after.as_deref(), &answer.body)),
        }
    }

    /// The instrument `symbol` as the venue defines it (tick, lot step, minimum notional), fetched once.
    ///
    /// # Errors
    /// [`Error::Order`] for a symbol the venue does not list; the venue's errors.
    pub async fn instrument(&mut self, symbol: Symbol) -> Result<Instrument> {
        if let Some(instrument) = self.instruments.get(&symbol) {
            return Ok(instrument.clone());
        }
        let info: ExchangeInfo = self.public(&format!("/api/v3/exchangeInfo?symbol={symbol}")).await?;
        let found = info.symbols.into_iter().find(|s| s.symbol == symbol.as_str());
        let info = found.ok_or_else(|| Error::Order(format!("binance does not list {symbol}")))?;
        let filter = |kind: &str, field: &str| {
            info.filters
                .iter()
                .find(|f| f["filterType"] == kind)
                .and_then(|f| f[field].as_str())
                .and_then(|v| v.parse::<Decimal>().ok())
                .map(|d| d.normalize())
        };
        let instrument = Instrument {
            symbol,
            base: info.base_asset.clone(),
            quote: info.quote_asset.clone(),
            tick_size: filter("PRICE_FILTER", "tickSize")
                .ok_or_else(|| Error::Exchange(format!("binance exchangeInfo {symbol}: no PRICE_FILTER tickSize")))?,
            lot_size: filter("LOT_SIZE", "stepSize")
                .ok_or_else(|| Error::Exchange(format!("binance exchangeInfo {symbol}: no LOT_SIZE stepSize")))?,
            min_notional: filter("NOTIONAL", "minNotional")
                .or(filter("MIN_NOTIONAL", "minNotional"))
                .unwrap_or_default(),
            min_quantity: filter("LOT_SIZE", "minQty").filter(|min| !min.is_zero()),
            max_quantity: filter("LOT_SIZE", "maxQty"),
        };
        instrument.validate()?;
        self.instruments.insert(symbol, instrument.clone());
        // Binance lists 8 for every spot quote asset today; 8 is also what it assumed before the field existed.
        self.quote_decimals.insert(symbol, info.quote_asset_precision.unwrap_or(8));
        Ok(instrument)
    }

    /// The request parameters of `order`, rounded to `instrument`'s filters, with the engine's id as the client
    /// order id.
    fn order_params(
        &self,
        order: &OrderRequest,
        instrument: &Instrument,
    ) -> Result<(OrderRequest, Vec<(&'static str, String)>)> {
        let mut sent = instrument.rounded(*order);
        if let OrderQty::Quote(amount) = sent.quantity {
            // Rounded down to the quote asset's precision: more decimals are refused (-1111), and rounding down
            // never spends more than the amount.
            let decimals = self.quote_decimals.get(&order.symbol).copied().unwrap_or(8);
            let amount = amount.round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero);
            if amount <= Decimal::ZERO {
                return Err(Error::Order(format!(
                    "binance {}: quote amount rounds down to 0 at {decimals} decimals: not sent",
                    order.symbol
                )));
            }
            sent.quantity = OrderQty::Quote(amount);
        }
        if let OrderQty::Base(quantity) = sent.quantity
            && quantity <= Decimal::ZERO
        {
            // Binance refuses it (LOT_SIZE); it is not sent at all.
            return Err(Error::Order(format!(
                "binance {}: quantity {quantity} after rounding down to the lot step {} (LOT_SIZE): not sent",
                order.symbol, instrument.lot_size
            )));
        }
        let post_only = order.time_in_force == TimeInForce::PostOnly;
        let kind = match order.order_type {
            OrderType::Market => "MARKET",
            OrderType::Limit if post_only => "LIMIT_MAKER",
            OrderType::Limit => "LIMIT",
            OrderType::StopMarket | OrderType::TrailingStop => "STOP_LOSS",
            OrderType::TakeProfitMarket => "TAKE_PROFIT",
            OrderType::StopLimit => "STOP_LOSS_LIMIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        };
        if post_only && order.order_type != OrderType::Limit {
            return Err(Error::Order("binance: only limit orders can be post-only (LIMIT_MAKER)".into()));
        }
        let mut params = vec![
            ("symbol", order.symbol.to_string()),
            ("side", order.side.as_str().to_string()),
            ("type", kind.to_string()),
            ("newClientOrderId", self.tag.short_id(order.client_order_id)),
            ("newOrderRespType", "FULL".to_string()),
        ];
        match sent.quantity {
            OrderQty::Base(quantity) => params.push(("quantity", quantity.normalize().to_string())),
            OrderQty::Quote(amount) if order.order_type == OrderType::Market => {
                params.push(("quoteOrderQty", amount.normalize().to_string()));
            }
            OrderQty::Quote(_) => {
                return Err(Error::Order("binance: only market orders can be sized in the quote asset".into()));
            }
        }
        if let Some(price) = sent.price {
            params.push(("price", price.normalize().to_string()));
            if !post_only {
                params.push(("timeInForce", order.time_in_force.as_str().to_string()));
            }
        }
        if let Some(stop) = sent.stop_price {
            params.push(("stopPrice", stop.normalize().to_string()));
        }
        match sent.trail {
            // Binance trails in basis points of the price (trailingDelta), starting at once without a stopPrice.
            Some(Trail::Percent(percent)) => {
                params.push(("trailingDelta", (percent * Decimal::ONE_HUNDRED).round().normalize().to_string()));
            }
            Some(Trail::Amount(_)) => {
                return Err(Error::Order("binance: a trailing stop trails by a percentage (trailingDelta)".into()));
            }
            None => {}
        }
        Ok((sent, params))
    }

    /// The engine's report of a venue order answer; `request` when the engine knows what it sent.
    fn report(&self, answer: OrderAnswer, request: Option<OrderRequest>) -> Result<OrderReport> {
        let ours = answer.orig_client_order_id.as_deref().unwrap_or(&answer.client_order_id);
        let bad = |what: &str| Error::Exchange(format!("binance order {ours}: unexpected {what}"));
        let symbol = Symbol::new(&answer.symbol)?;
        let request = match request {
            Some(request) => request,
            None => OrderRequest {
                client_order_id: self.tag.parse_short_id(ours).ok_or_else(|| bad("client order id"))?,
                symbol,
                side: match answer.side.as_str() {
                    "BUY" => Side::Buy,
                    "SELL" => Side::Sell,
                    _ => return Err(bad("side")),
                },
                order_type: match answer.order_type.as_str() {
                    "MARKET" => OrderType::Market,
                    "LIMIT" | "LIMIT_MAKER" => OrderType::Limit,
                    "STOP_LOSS" => OrderType::StopMarket,
                    "TAKE_PROFIT" => OrderType::TakeProfitMarket,
                    "STOP_LOSS_LIMIT" => OrderType::StopLimit,
                    "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
                    _ => return Err(bad("order type")),
                },
                quantity: OrderQty::Base(answer.orig_qty),
                price: (!answer.price.is_zero()).then_some(answer.price),
                stop_price: answer.stop_price.filter(|p| !p.is_zero()),
                one_cancels_other: None,
                time_in_force: match (answer.order_type.as_str(), answer.time_in_force.as_deref()) {
                    ("LIMIT_MAKER", _) => TimeInForce::PostOnly,
                    (_, Some("IOC")) => TimeInForce::Ioc,
                    (_, Some("FOK")) => TimeInForce::Fok,
                    _ => TimeInForce::Gtc,
                },
                trail: None,
                reduce_only: false,
            },
        };
        let status = match answer.status.as_str() {
            "NEW" | "PENDING_NEW" => OrderStatus::New,
            "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
            "FILLED" => OrderStatus::Filled,
            "CANCELED" | "PENDING_CANCEL" => OrderStatus::Canceled,
            "REJECTED" => OrderStatus::Rejected,
            "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::Expired,
            _ => return Err(bad("status")),
        };
        let fee = match self.instruments.get(&symbol) {
            Some(instrument) => answer
                .fills
                .iter()
                .map(|f| f.execution().commission_in_quote(instrument))
                .try_fold(Decimal::ZERO, |sum, fee| sum.checked_add(fee?))
                .ok_or_else(|| bad("commission total"))?,
            None => Decimal::ZERO,
        };
        let filled = answer.executed_qty;
        Ok(OrderReport {
            request,
            status,
            filled_quantity: filled,
            average_price: (!filled.is_zero()).then(|| answer.cummulative_quote_qty / filled),
            fee,
            reason: None,
        })
    }
}

#[async_trait]
impl ExchangeAdapter for BinanceAdapter {
    fn name(&self) -> &str {
        "binance"
    }

    fn set_client_tag(&mut self, tag: ClientTag) {
        self.tag = tag;
    }

    async fn instrument_rules(&mut self, symbol: Symbol) -> Result<Instrument> {
        BinanceAdapter::instrument(self, symbol).await
    }

    async fn connect(&mut self) -> Result<bool> {
        self.measure_clock().await?;
        if self.credentials.is_some() {
            let _: Account = self.signed(reqwest::Method::GET, "/api/v3/account", &[]).await?;
            self.open_user_stream().await;
        }
        Ok(true)
    }

    async fn disconnect(&mut self) -> Result<()> {
        Ok(())
    }

    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        let book: BookTicker = self.public(&format!("/api/v3/ticker/bookTicker?symbol={symbol}")).await?;
        let last: Price = self.public(&format!("/api/v3/ticker/price?symbol={symbol}")).await?;
        Ok(Ticker { symbol, bid: book.bid_price, ask: book.ask_price, last: last.price, time: self.venue_now() })
    }

    async fn get_orderbook(&self, symbol: Symbol, limit: usize) -> Result<OrderBook> {
        let depth: Depth = self.public(&format!("/api/v3/depth?symbol={symbol}&limit={limit}")).await?;

        Ok(OrderBook {
            symbol,
            bids: BookLevel::from_pairs(depth.bids),
            asks: BookLevel::from_pairs(depth.asks),
            time: self.venue_now(),
        })
    }

    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        let instrument = self.instrument(order.symbol).await?;
        let (sent, params) = self.order_params(&order, &instrument)?;
        let delivery = self.send_signed(reqwest::Method::POST, "/api/v3/order", &params, true).await?;
        let answer: OrderAnswer = match delivery {
            Delivery::Answered(answer) => self.read("/api/v3/order", answer)?,
            // Never sent again: the order may exist. Ask for it by its client order id.
            Delivery::Unanswered(failure) => {
                let lookup = [
                    ("symbol", order.symbol.to_string()),
                    ("origClientOrderId", self.tag.short_id(order.client_order_id)),
                ];
                let mut lookups = UnansweredLookups::new(failure, order.client_order_id);
                loop {
                    match self.signed::<OrderAnswer>(reqwest::Method::GET, "/api/v3/order", &lookup).await {
                        Ok(found) => break found,
                        Err(Error::Order(said)) if said.contains("-2013") => lookups.not_found().await?,
                        Err(limited @ Error::RateLimit { .. }) => lookups.held_back(limited).await?,
                        Err(other) => return Err(lookups.failed(other)),
                    }
                }
            }
        };
        let time = answer.transact_time.and_then(Timestamp::from_millis).unwrap_or_else(|| self.venue_now());
        let end = (answer.status.as_str(), answer.executed_qty);
        let fills = answer_executions(&answer.fills, &answer.side, end, &instrument, sent.client_order_id, time)?;
        let trades: Vec<(u64, Decimal)> =
            answer.fills.iter().filter_map(|f| f.trade_id.map(|id| (id, f.qty))).collect();
        let report = self.report(answer, Some(sent))?;
        for (trade_id, quantity) in trades {
            self.seen_elsewhere(sent.client_order_id, trade_id, quantity);
        }
        self.executions.extend(fills);
        Ok(report)
    }

    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let params = [("symbol", symbol.to_string()), ("origClientOrderId", self.tag.short_id(order_id))];
        let answer: OrderAnswer = self.signed(reqwest::Method::DELETE, "/api/v3/order", &params).await?;
        self.report(answer, None)
    }

    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let params = [("symbol", symbol.to_string()), ("origClientOrderId", self.tag.short_id(order_id))];
        let answer: OrderAnswer = self.signed(reqwest::Method::GET, "/api/v3/order", &params).await?;
        self.report(answer, None)
    }

    async fn order_trades(&mut self, symbol: Symbol, order_id: OrderId) -> Result<Option<OrderTrades>> {
        self.listed_trades(symbol, order_id).await.map(Some)
    }

    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        let account: Account = self.signed(reqwest::Method::GET, "/api/v3/account", &[]).await?;
        Ok(account.balances.into_iter().filter(|b| !(b.free + b.locked).is_zero()).map(|b| (b.asset, b.free)).collect())
    }

    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream> {
        let url = stream_url(&self.ws_url, symbol);
        ws::open("binance", symbol, url, BinanceDecoder::new(symbol)).await
    }

    fn drain_executions(&mut self, out: &mut Vec<ExecutionEvent>) {
        out.append(&mut self.executions);
        self.drain_user_stream(out);
    }

    fn streams_executions(&self) -> bool {
        self.private.is_live()
    }
}

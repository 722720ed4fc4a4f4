//! Kraken spot behind [`ExchangeAdapter`]: REST (`/0/public/Time, Ticker, Depth`, `/0/private/AddOrder,
//! CancelOrder, QueryOrders, BalanceEx, CancelAllOrdersAfter, GetWebSocketsToken`), private calls signed with `API-Key` and `API-Sign` = base64(HMAC-SHA512(path +
//! SHA-256(nonce + POST data), base64-decoded secret)) and a strictly increasing nonce; tickers, book, trades and
//! 1-minute candles from WebSocket v2 ([`super::streams::kraken`]); the account's executions from its private
//! `executions` channel (`kraken/executions.rs`), REST reconciling.
//!
//! Symbols: the engine's `BTCUSD` is split into base and quote ([`super::symbols::split_symbol`]) and Kraken's asset codes make the
//! pair (`XBTUSD`); answers keyed by Kraken's own pair name (`XXBTZUSD`) and balances in its asset codes (`XXBT`,
//! `ZUSD`) are mapped back. Orders are rounded to the pair's tick and lot step from `AssetPairs` before they go out. Kraken
//! reports failures in an `error` array: `EAPI:Invalid key/signature/nonce` → AuthenticationError, `…Rate limit
//! exceeded` → RateLimitError, other `EOrder`/`EGeneral:Invalid`/`EQuery` → OrderError, the rest → ExchangeError.

mod executions;
mod order_report;

use async_trait::async_trait;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::ClientTag;
use super::adapter::{ExchangeAdapter, MarketStream};
use super::private_stream::PrivateStream;
use super::rest::{Delivery, RestClient, UnansweredLookups, book_levels, status_error};
use super::secret::Credentials;
use super::signing::kraken_signature;
use super::streams::kraken::KrakenDecoder;
use super::wall_clock::wall_clock_now;
use super::ws;
use crate::error::{Error, Result};
use crate::model::{
    Instrument, OrderBook, OrderId, OrderQty, OrderReport, OrderRequest, OrderType, Symbol, Ticker, TimeInForce, Trail,
};
use crate::venue::VenueConfig;
use executions::{KrakenExecution, OrderExecutions};
use order_report::OrderInfo;
use std::sync::Arc;

/// Kraken's REST endpoint.
pub const REST_URL: &str = "https://api.kraken.com";
/// Kraken's WebSocket v2 endpoint.
pub const WS_URL: &str = "wss://ws.kraken.com/v2";

/// Kraken spot.
#[derive(Debug)]
pub struct KrakenAdapter {
    rest: RestClient,
    ws_url: String,
    credentials: Option<Credentials>,
    last_nonce: AtomicU64,
    /// Kraken's order id (txid) of each engine order placed through this adapter, or looked up once by its
    /// `cl_ord_id` (a status poll takes `&self`, hence the lock; it is never held across a request).
    txids: Mutex<BTreeMap<OrderId, String>>,
    /// The session's tag in the client order ids (`cl_ord_id`).
    tag: ClientTag,
    instruments: BTreeMap<Symbol, Instrument>,
    /// Per pair, the decimals of an amount in its quote asset (`cost_decimals`).
    cost_decimals: BTreeMap<Symbol, u32>,
    /// The dead man's switch's timeout in seconds (0: off).
    dead_mans_switch_seconds: u64,
    /// The private stream's endpoint (`executions`); `None`: no private stream (REST only).
    user_stream_url: Option<String>,
    /// The token the private stream subscribes with, and when it was fetched.
    stream_token: Arc<Mutex<Option<super::Secret>>>,
    token_fetched: Option<std::time::Instant>,
    /// The private stream, once it is open.
    private: PrivateStream<KrakenExecution>,
    /// What the stream and the statuses said each working order executed.
    executed: OrderExecutions,
}

/// The dead man's switch's timeout unless `exchanges.yaml` says otherwise: Kraken's own suggestion, renewed every
/// 15 to 30 seconds.
pub const DEAD_MANS_SWITCH_SECONDS: u64 = 60;

/// One asset of `BalanceEx`.
#[derive(Deserialize)]
struct ExtendedBalance {
    /// The total.
    balance: Decimal,
    /// What open orders hold of it.
    #[serde(default)]
    hold_trade: Decimal,
}

/// A pair's trading rules in `AssetPairs`.
#[derive(Deserialize)]
struct PairInfo {
    base: String,
    quote: String,
    pair_decimals: u32,
    lot_decimals: u32,
    /// Decimals of an amount in the quote asset (a `viqc` order's volume); Kraken's default when absent is taken
    /// as the price's.
    #[serde(default)]
    cost_decimals: Option<u32>,
    #[serde(default)]
    tick_size: Option<Decimal>,
    #[serde(default)]
    costmin: Option<Decimal>,
    #[serde(default)]
    ordermin: Option<Decimal>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    error: Vec<String>,
    result: Option<T>,
}

#[derive(Deserialize)]
struct TickerInfo {
    a: Vec<Decimal>,
    b: Vec<Decimal>,
    c: Vec<Decimal>,
}

pub use super::kraken_names::{common_asset, kraken_asset, kraken_pair, kraken_ws_symbol};

#[derive(Deserialize)]
struct DepthInfo {
    asks: Vec<(Decimal, Decimal, serde_json::Value)>,
    bids: Vec<(Decimal, Decimal, serde_json::Value)>,
}

#[derive(Deserialize)]
struct AddOrderResult {
    txid: Vec<String>,
}

impl KrakenAdapter {
    /// The closed candles of `symbol` at `interval_ns` (a bar session's market data): the `ohlc` channel alone,
    /// each candle closed once the next one begins.
    ///
    /// # Errors
    /// [`Error::Config`] for an interval Kraken has no candles of or a symbol it cannot name;
    /// [`Error::Exchange`] when the first connection fails.
    pub async fn candle_stream(&self, symbol: Symbol, interval_ns: i64) -> Result<MarketStream> {
        let decoder = KrakenDecoder::candles(symbol, kraken_ws_symbol(symbol)?, interval_ns)?;
        ws::open("kraken", symbol, self.ws_url.clone(), decoder).await
    }

    /// An adapter configured by `config` (`base_url` replaces the endpoint), with `credentials` for the private
    /// endpoints.
    ///
    /// # Errors
    /// [`Error::Exchange`] when the HTTP client cannot be built.
    pub fn new(config: &VenueConfig, credentials: Option<Credentials>) -> Result<Self> {
        // Kraken has no separate test endpoints.
        let (base_url, ws_url) = config.endpoints((REST_URL, WS_URL), (REST_URL, WS_URL));
        let per_second = Some(config.rate_limits.per_second(1));
        let rest = RestClient::new("kraken", &base_url, config.request_timeout(), per_second)?;
        Ok(KrakenAdapter {
            rest,
            ws_url,
            credentials,
            last_nonce: AtomicU64::new(0),
            txids: Mutex::new(BTreeMap::new()),
            tag: ClientTag::fresh("kraken"),
            instruments: BTreeMap::new(),
            cost_decimals: BTreeMap::new(),
            dead_mans_switch_seconds: config.dead_mans_switch_seconds.unwrap_or(DEAD_MANS_SWITCH_SECONDS),
            user_stream_url: executions::endpoint(config),
            stream_token: Arc::default(),
            token_fetched: None,
            private: PrivateStream::default(),
            executed: OrderExecutions::default(),
        })
    }

    /// The instrument `symbol` as Kraken defines it in `AssetPairs` (tick: `tick_size`, else `pair_decimals`; lot
    /// step: `lot_decimals`; minimum notional: `costmin`; minimum quantity: `ordermin`), fetched once.
    ///
    /// # Errors
    /// [`Error::Order`] for a pair Kraken does not list; the venue's errors.
    pub async fn instrument(&mut self, symbol: Symbol) -> Result<Instrument> {
        if let Some(instrument) = self.instruments.get(&symbol) {
            return Ok(instrument.clone());
        }
        let pair = kraken_pair(symbol)?;
        let pairs: BTreeMap<String, PairInfo> = self.public(&format!("/0/public/AssetPairs?pair={pair}")).await?;
        let info = Self::only("/0/public/AssetPairs", pairs)?;
        let instrument = Instrument {
            symbol,
            base: common_asset(&info.base),
            quote: common_asset(&info.quote),
            tick_size: info.tick_size.unwrap_or_else(|| Decimal::new(1, info.pair_decimals)).normalize(),
            lot_size: Decimal::new(1, info.lot_decimals),
            min_notional: info.costmin.unwrap_or_default(),
            min_quantity: info.ordermin.filter(|min| !min.is_zero()),
            max_quantity: None,
        };
        instrument.validate()?;
        self.cost_decimals.insert(symbol, info.cost_decimals.unwrap_or(info.pair_decimals));
        self.instruments.insert(symbol, instrument.clone());
        Ok(instrument)
    }

    /// A nonce above every earlier one: the time in milliseconds, or one more than the last.
    fn next_nonce(&self) -> u64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut last = self.last_nonce.load(Ordering::SeqCst);
        loop {
            let next = now.max(last + 1);
            match self.last_nonce.compare_exchange(last, next, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    async fn public<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let answer = self.rest.send_raw(reqwest::Method::GET, path, &[], None).await?;
        self.read(path, answer)
    }

    async fn private<T: DeserializeOwned>(&self, method: &str, params: &[(&str, String)]) -> Result<T> {
        match self.private_delivery(method, params).await? {
            Delivery::Answered(answer) => self.read(&format!("/0/private/{method}"), answer),
            Delivery::Unanswered(failure) => Err(failure),
        }
    }

    /// A private call sent once, whatever becomes of it.
    async fn private_delivery(&self, method: &str, params: &[(&str, String)]) -> Result<Delivery> {
        let credentials = self.credentials.as_ref().ok_or_else(|| {
            Error::Authentication("kraken: KRAKEN_API_KEY and KRAKEN_API_SECRET are needed for this request".into())
        })?;
        let path = format!("/0/private/{method}");
        let nonce = self.next_nonce();
        let mut form = vec![format!("nonce={nonce}")];
        form.extend(params.iter().map(|(k, v)| format!("{k}={v}")));
        let form = form.join("&");
        let signature = kraken_signature(&credentials.api_secret, &path, nonce, &form)?;
        let headers = [
            ("API-Key", credentials.api_key.expose()),
            ("API-Sign", signature.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        self.rest.deliver(reqwest::Method::POST, &path, &headers, Some(form)).await
    }

    /// The txid of the order Kraken holds under the `cl_ord_id` of engine order `order_id`, open or closed: how an
    /// `AddOrder` whose answer was lost is found without sending it again.
    async fn find_by_client_id(&self, order_id: OrderId) -> Result<Option<String>> {
        #[derive(Deserialize)]
        struct Listed {
            #[serde(default, alias = "closed")]
            open: BTreeMap<String, serde_json::Value>,
        }
        for method in ["OpenOrders", "ClosedOrders"] {
            let listed: Listed = self.private(method, &[("cl_ord_id", self.tag.uuid(order_id))]).await?;
            if let Some(txid) = listed.open.into_keys().next() {
                return Ok(Some(txid));
            }
        }
        Ok(None)
    }

    /// The `result` of an answer, or the error its status or `error` array means.
    fn read<T: DeserializeOwned>(&self, path: &str, answer: super::rest::Answer) -> Result<T> {
        let endpoint = path.split('?').next().unwrap_or(path);
        if !answer.is_success() {
            return Err(status_error("kraken", endpoint, answer.status, answer.retry_after.as_deref(), &answer.body));
        }
        let envelope: Envelope<T> = self.rest.parse(endpoint, &answer.body)?;
        if let Some(first) = envelope.error.first() {
            let message = format!("kraken {endpoint}: {}", envelope.error.join("; "));
            return Err(if first.contains("Rate limit") {
                Error::RateLimit { message, retry_after: None }
            } else if first.starts_with("EAPI:Invalid key")
                || first.starts_with("EAPI:Invalid signature")
                || first.starts_with("EAPI:Invalid nonce")
                || first.starts_with("EGeneral:Permission denied")
            {
                Error::Authentication(message)
            } else if first.starts_with("EOrder:")
                || first.starts_with("EGeneral:Invalid")
                || first.starts_with("EQuery:")
            {
                Error::Order(message)
            } else {
                Error::Exchange(message)
            });
        }
        envelope.result.ok_or_else(|| Error::Exchange(format!("kraken {endpoint}: an answer without a result")))
    }

    /// The one entry of a result keyed by Kraken's pair name.
    fn only<T>(endpoint: &str, map: BTreeMap<String, T>) -> Result<T> {
        map.into_values().next().ok_or_else(|| Error::Exchange(format!("kraken {endpoint}: empty result")))
    }

    /// Kraken's txid of engine order `order_id`: known when this adapter placed it, otherwise looked up by its
    /// `cl_ord_id` (an order placed by another process of the session, or by an earlier `ctb exchange order`).
    /// A txid looked up is kept, so polling an order placed by an earlier process costs one private call, not three.
    async fn txid(&self, order_id: OrderId) -> Result<String> {
        let known = self.txids.lock().unwrap_or_else(PoisonError::into_inner).get(&order_id).cloned();
        if let Some(txid) = known {
            return Ok(txid);
        }
        let txid = self.find_by_client_id(order_id).await?.ok_or_else(|| {
            Error::Order(format!("kraken: no order with cl_ord_id {} (order {order_id})", self.tag.uuid(order_id)))
        })?;
        self.remember_txid(order_id, txid.clone());
        Ok(txid)
    }

    fn remember_txid(&self, order_id: OrderId, txid: String) {
        self.txids.lock().unwrap_or_else(PoisonError::into_inner).insert(order_id, txid);
    }

    async fn query(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let txid = self.txid(order_id).await?;
        let orders: BTreeMap<String, OrderInfo> = self.private("QueryOrders", &[("txid", txid.clone())]).await?;
        let info = orders.into_iter().find(|(k, _)| *k == txid).map(|(_, v)| v);
        Self::report(symbol, order_id, info.ok_or_else(|| Error::Order(format!("kraken: no order {txid}")))?)
    }

    /// `report`, which the engine books (a question's answer, a cancel's), noted for the private stream: what it
    /// books of the order as increments the stream does not book again.
    fn booked_status(&self, report: Result<OrderReport>) -> Result<OrderReport> {
        if let Ok(report) = &report
            && self.private.is_open()
        {
            let id = report.request.client_order_id;
            self.executed.status_said(id, report.filled_quantity);
        }
        report
    }
}

#[async_trait]
impl ExchangeAdapter for KrakenAdapter {
    fn name(&self) -> &str {
        "kraken"
    }

    fn set_client_tag(&mut self, tag: ClientTag) {
        self.tag = tag;
    }

    async fn instrument_rules(&mut self, symbol: Symbol) -> Result<Instrument> {
        KrakenAdapter::instrument(self, symbol).await
    }

    async fn connect(&mut self) -> Result<bool> {
        let _: serde_json::Value = self.public("/0/public/Time").await?;
        if self.credentials.is_some() {
            self.get_account_balance().await?;
            self.open_executions_stream().await;
        }
        Ok(true)
    }

    async fn disconnect(&mut self) -> Result<()> {
        Ok(())
    }

    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        let pair = kraken_pair(symbol)?;
        let result: BTreeMap<String, TickerInfo> = self.public(&format!("/0/public/Ticker?pair={pair}")).await?;
        let t = Self::only("/0/public/Ticker", result)?;
        let first = |v: &[Decimal], what: &str| {
            v.first().copied().ok_or_else(|| Error::Exchange(format!("kraken /0/public/Ticker: no {what} price")))
        };
        Ok(Ticker {
            symbol,
            bid: first(&t.b, "bid")?,
            ask: first(&t.a, "ask")?,
            last: first(&t.c, "last")?,
            time: wall_clock_now(),
        })
    }

    async fn get_orderbook(&self, symbol: Symbol, limit: usize) -> Result<OrderBook> {
        let pair = kraken_pair(symbol)?;
        let result: BTreeMap<String, DepthInfo> =
            self.public(&format!("/0/public/Depth?pair={pair}&count={limit}")).await?;
        let depth = Self::only("/0/public/Depth", result)?;
        Ok(OrderBook {
            symbol,
            bids: book_levels(depth.bids, limit),
            asks: book_levels(depth.asks, limit),
            time: wall_clock_now(),
        })
    }

    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        let instrument = self.instrument(order.symbol).await?;
        let order = instrument.rounded(order);
        let ordertype = match order.order_type {
            OrderType::Market => "market",
            OrderType::Limit => "limit",
            OrderType::StopMarket => "stop-loss",
            OrderType::TakeProfitMarket => "take-profit",
            OrderType::StopLimit => "stop-loss-limit",
            OrderType::TakeProfitLimit => "take-profit-limit",
            OrderType::TrailingStop => "trailing-stop",
        };
        let mut params = vec![
            ("pair", kraken_pair(order.symbol)?),
            ("type", order.side.as_str().to_ascii_lowercase()),
            ("ordertype", ordertype.to_string()),
            ("cl_ord_id", self.tag.uuid(order.client_order_id)),
        ];
        match order.quantity {
            OrderQty::Base(volume) => params.push(("volume", volume.normalize().to_string())),
            OrderQty::Quote(amount) if order.order_type == OrderType::Market => {
                // Rounded down to the quote asset's decimals: Kraken refuses a volume more precise than that.
                let decimals = self.cost_decimals.get(&order.symbol).copied().unwrap_or(instrument.tick_size.scale());
                let amount = amount.round_dp_with_strategy(decimals, RoundingStrategy::ToZero);
                if amount <= Decimal::ZERO {
                    return Err(Error::Order(format!(
                        "kraken: a quote amount for {} rounds to nothing at {decimals} decimals",
                        order.symbol
                    )));
                }
                params.push(("volume", amount.normalize().to_string()));
                params.push(("oflags", "viqc".to_string()));
            }
            OrderQty::Quote(_) => {
                return Err(Error::Order("kraken: only market orders can be sized in the quote asset".into()));
            }
        }
        // Kraken's `price` is the trigger of triggered orders (their limit goes in `price2`), the limit otherwise;
        // a trailing stop's `price` is its offset, `+<amount>` or `+<percent>%`.
        match (order.stop_price, order.price, order.trail) {
            (_, _, Some(trail)) => params.push((
                "price",
                match trail {
                    Trail::Amount(amount) => format!("+{}", amount.normalize()),
                    Trail::Percent(percent) => format!("+{}%", percent.normalize()),
                },
            )),
            (Some(stop), limit, None) => {
                params.push(("price", stop.normalize().to_string()));
                if let Some(limit) = limit {
                    params.push(("price2", limit.normalize().to_string()));
                }
            }
            (None, Some(limit), None) => params.push(("price", limit.normalize().to_string())),
            (None, None, None) => {}
        }
        match order.time_in_force {
            TimeInForce::Gtc => {}
            TimeInForce::Ioc => params.push(("timeinforce", "IOC".to_string())),
            TimeInForce::PostOnly => params.push(("oflags", "post".to_string())),
            TimeInForce::Fok => {
                return Err(Error::Order("kraken: no fill-or-kill time in force (GTC, IOC, GTD)".into()));
            }
        }
        let txid = match self.private_delivery("AddOrder", &params).await? {
            Delivery::Answered(answer) => {
                let added: AddOrderResult = self.read("/0/private/AddOrder", answer)?;
                added.txid.into_iter().next().ok_or_else(|| Error::Exchange("kraken AddOrder: no txid".into()))?
            }
            // Never sent again: the order may exist. Look for it by its client order id.
            Delivery::Unanswered(failure) => {
                let mut lookups = UnansweredLookups::new(failure, order.client_order_id);
                loop {
                    match self.find_by_client_id(order.client_order_id).await {
                        Ok(Some(txid)) => break txid,
                        Ok(None) => lookups.not_found().await?,
                        Err(limited @ Error::RateLimit { .. }) => lookups.held_back(limited).await?,
                        Err(other) => return Err(lookups.failed(other)),
                    }
                }
            }
        };
        self.remember_txid(order.client_order_id, txid.clone());
        // The venue holds the order now (it gave its txid): a status it cannot tell yet (QueryOrders does not list
        // an order the instant it is added, or the call fails) is not a refusal. The order is reported accepted
        // with nothing filled, and its status asked later — a rejection here would leave it working at the venue
        // with no one tracking it or canceling it.
        // An authentication failure here (a nonce overtaken by another process of the key, a key that may trade but
        // not query) does not undo the order either; the next private call shows a lasting one.
        match self.query(order.symbol, order.client_order_id).await {
            Ok(report) => Ok(report),
            Err(failure) => {
                tracing::warn!(order = %order.client_order_id, %txid, %failure, "added, status not known yet; asked later");
                Ok(OrderReport::new(order))
            }
        }
    }

    async fn cancel_order(&mut self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        let txid = self.txid(order_id).await?;
        let _: serde_json::Value = self.private("CancelOrder", &[("txid", txid)]).await?;
        self.booked_status(self.query(symbol, order_id).await)
    }

    async fn get_order_status(&self, symbol: Symbol, order_id: OrderId) -> Result<OrderReport> {
        self.booked_status(self.query(symbol, order_id).await)
    }

    /// Also keeps the private stream's token fresh (a chore of the same clock), so that a reconnect can subscribe.
    async fn renew_dead_mans_switch(&mut self) -> Result<bool> {
        if let Err(failure) = self.refresh_stream_token().await {
            tracing::warn!(%failure, "kraken: the private stream's token was not renewed; tried again later");
        }
        if self.dead_mans_switch_seconds == 0 {
            return Ok(false);
        }
        let timeout = self.dead_mans_switch_seconds.to_string();
        let _: serde_json::Value = self.private("CancelAllOrdersAfter", &[("timeout", timeout)]).await?;
        Ok(true)
    }

    async fn disarm_dead_mans_switch(&mut self) -> Result<bool> {
        if self.dead_mans_switch_seconds == 0 {
            return Ok(false);
        }
        let _: serde_json::Value = self.private("CancelAllOrdersAfter", &[("timeout", "0".to_string())]).await?;
        Ok(true)
    }

    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        // `Balance` gives totals, funds held by open orders included; `BalanceEx` gives what is held apart.
        let balances: BTreeMap<String, ExtendedBalance> = self.private("BalanceEx", &[]).await?;
        let mut out = BTreeMap::new();
        for (code, b) in balances {
            // More held than held in all (credit): nothing of it is free.
            let free = b.balance.checked_sub(b.hold_trade).filter(|f| !f.is_sign_negative()).unwrap_or_else(|| {
                tracing::warn!(asset = %code, balance = %b.balance, held = %b.hold_trade, "kraken: more held than the balance");
                Decimal::ZERO
            });
            if !free.is_zero() {
                let total = out.entry(common_asset(&code)).or_insert(Decimal::ZERO);
                *total = total.checked_add(free).ok_or_else(|| Error::Exchange("kraken balances overflow".into()))?;
            }
        }
        Ok(out)
    }

    async fn start_websocket_stream(&mut self, symbol: Symbol) -> Result<MarketStream> {
        let decoder = KrakenDecoder::new(symbol, kraken_ws_symbol(symbol)?);
        ws::open("kraken", symbol, self.ws_url.clone(), decoder).await
    }

    fn drain_executions(&mut self, out: &mut Vec<crate::model::ExecutionEvent>) {
        self.drain_executions_stream(out);
    }

    fn streams_executions(&self) -> bool {
        self.private.is_live()
    }
}

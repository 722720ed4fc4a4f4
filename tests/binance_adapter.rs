//! The Binance adapter with real HTTP against a loopback mock of Binance spot REST v3 that recomputes every
//! signature (HMAC-SHA256 of the exact query string) and answers in Binance's documented formats; and the kline
//! stream's message format, from a recorded Binance message.

mod common;

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::mock_http::{Answer, Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::config::VenueConfig;
use cryptotradebot::exchange::binance::BinanceAdapter;
use cryptotradebot::exchange::signing::binance_signature;
use cryptotradebot::exchange::{Credentials, ExchangeAdapter, Secret};
use cryptotradebot::model::{ExecutionEvent, OrderId, OrderQty, OrderRequest, OrderStatus, Side, Symbol};

const KEY: &str = "test-api-key";
const SECRET: &str = "test-api-secret";

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn params(query: &str) -> BTreeMap<String, String> {
    query.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The mock venue: public endpoints, signed ones checked, orders kept by client order id.
async fn mock_binance() -> String {
    let orders: Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>> = Arc::default();
    serve(move |seen: Seen| {
        let orders = orders.clone();
        async move {
            // Order 99 is placed but its answer never arrives in time; order 98 is lost on the way.
            let slow = seen.method == "POST" && seen.target.contains("newClientOrderId=ctb-9");
            let answer = if seen.target.contains("newClientOrderId=ctb-98") {
                (500, vec![], String::new())
            } else {
                answer(&seen, &orders)
            };
            if slow {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            answer
        }
    })
    .await
}

fn answer(seen: &Seen, orders: &Mutex<BTreeMap<String, BTreeMap<String, String>>>) -> Answer {
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let ok = |body: &str| (200, vec![], body.to_string());
    let signed = matches!(path, "/api/v3/order" | "/api/v3/account");
    if signed {
        let (unsigned, signature) = query.rsplit_once("&signature=").unwrap_or((query, ""));
        let expected = binance_signature(&Secret::new(SECRET), unsigned).unwrap();
        if seen.header("x-mbx-apikey") != Some(KEY) {
            return (401, vec![], r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#.into());
        }
        if signature != expected {
            return (400, vec![], r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#.into());
        }
        assert!(params(unsigned).contains_key("timestamp") && params(unsigned)["recvWindow"] == "5000");
    }
    let p = params(query);
    let order_json = |o: &BTreeMap<String, String>, status: &str| {
        // A market order fills at once against the book below: a buy takes 0.5 at 61602.02 and the rest at
        // 61602.03, paying 0.1 % commission in BTC; a sell hits 61602.01 and pays 0.1 % in USDT.
        let market = o["type"] == "MARKET";
        let buy = o["side"] == "BUY";
        let quantity: rust_decimal::Decimal = match o.get("quantity") {
            Some(q) => q.parse().unwrap(),
            None => (o["quoteOrderQty"].parse::<rust_decimal::Decimal>().unwrap() / dec!(61602.02))
                .round_dp_with_strategy(5, rust_decimal::RoundingStrategy::ToZero),
        };
        let mut fills = Vec::new();
        if market && buy {
            let first = quantity.min(dec!(0.5));
            for (price, qty) in [(dec!(61602.02), first), (dec!(61602.03), quantity - first)] {
                if !qty.is_zero() {
                    fills.push(format!(
                        r#"{{"price":"{price}","qty":"{qty}","commission":"{}","commissionAsset":"BTC","tradeId":1}}"#,
                        qty * dec!(0.001)
                    ));
                }
            }
        } else if market {
            fills.push(format!(
                r#"{{"price":"61602.01","qty":"{quantity}","commission":"{}","commissionAsset":"USDT","tradeId":2}}"#,
                quantity * dec!(61602.01) * dec!(0.001)
            ));
        }
        let executed = if market { quantity } else { dec!(0) };
        let quote: rust_decimal::Decimal = if market && buy {
            let first = quantity.min(dec!(0.5));
            first * dec!(61602.02) + (quantity - first) * dec!(61602.03)
        } else if market {
            quantity * dec!(61602.01)
        } else {
            dec!(0)
        };
        format!(
            r#"{{"symbol":"BTCUSDT","orderId":1,"clientOrderId":"{}","transactTime":1700000000123,"price":"{}","origQty":"{quantity}","executedQty":"{executed}","cummulativeQuoteQty":"{quote}","status":"{}","type":"{}","side":"{}","fills":[{}]}}"#,
            o["newClientOrderId"],
            o.get("price").map_or("0.00000000", String::as_str),
            if market { "FILLED" } else { status },
            o["type"],
            o["side"],
            fills.join(",")
        )
    };
    match (seen.method.as_str(), path) {
        ("GET", "/api/v3/time") => ok(r#"{"serverTime":1700000000000}"#),
        ("GET", "/api/v3/exchangeInfo") => ok(
            r#"{"symbols":[{"symbol":"BTCUSDT","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},{"filterType":"NOTIONAL","minNotional":"5.00000000"}]}]}"#,
        ),
        ("GET", "/api/v3/ticker/bookTicker") => ok(
            r#"{"symbol":"BTCUSDT","bidPrice":"61602.01000000","bidQty":"1.20000000","askPrice":"61602.02000000","askQty":"0.50000000"}"#,
        ),
        ("GET", "/api/v3/ticker/price") => ok(r#"{"symbol":"BTCUSDT","price":"61602.02000000"}"#),
        ("GET", "/api/v3/depth") => ok(
            r#"{"lastUpdateId":50093239218,"bids":[["61602.01000000","1.50000000"],["61602.00000000","2.00000000"]],"asks":[["61602.02000000","0.50000000"]]}"#,
        ),
        ("GET", "/api/v3/account") => ok(
            r#"{"canTrade":true,"balances":[{"asset":"BTC","free":"0.50000000","locked":"0.00000000"},{"asset":"USDT","free":"10000.00000000","locked":"250.00000000"},{"asset":"ETH","free":"0.00000000","locked":"0.00000000"}]}"#,
        ),
        ("POST", "/api/v3/order") => {
            let body = order_json(&p, "NEW");
            orders.lock().unwrap().insert(p["newClientOrderId"].clone(), p.clone());
            ok(&body)
        }
        ("GET" | "DELETE", "/api/v3/order") => match orders.lock().unwrap().get(&p["origClientOrderId"]) {
            Some(o) => ok(&order_json(o, if seen.method == "DELETE" { "CANCELED" } else { "NEW" })),
            None => (400, vec![], r#"{"code":-2013,"msg":"Order does not exist."}"#.into()),
        },
        _ => (404, vec![], "{}".into()),
    }
}

fn adapter(base: &str, secret: &str) -> BinanceAdapter {
    let config: VenueConfig =
        serde_json::from_value(serde_json::json!({ "base_url": base, "request_timeout_ms": 300 })).unwrap();
    let credentials = Credentials { api_key: Secret::new(KEY), api_secret: Secret::new(secret), passphrase: None };
    BinanceAdapter::new(&config, Some(credentials)).unwrap()
}

#[tokio::test]
async fn ticker_book_balance_and_an_order_round_trip_against_the_mock_venue() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    assert!(binance.connect().await.unwrap());
    let ticker = binance.get_ticker(btc()).await.unwrap();
    assert_eq!((ticker.bid, ticker.ask, ticker.last), (dec!(61602.01), dec!(61602.02), dec!(61602.02)));
    let book = binance.get_orderbook(btc(), 2).await.unwrap();
    assert_eq!((book.bids.len(), book.bids[0].price, book.asks[0].quantity), (2, dec!(61602.01), dec!(0.5)));
    let balances = binance.get_account_balance().await.unwrap();
    assert_eq!(
        balances,
        BTreeMap::from([("BTC".into(), dec!(0.5)), ("USDT".into(), dec!(10000))]),
        "free, held assets"
    );

    let instrument = binance.instrument(btc()).await.unwrap();
    assert_eq!(
        (instrument.tick_size, instrument.lot_size, instrument.min_notional),
        (dec!(0.01), dec!(0.00001), dec!(5))
    );
    // 0.123456 BTC rounds down to the 0.00001 step; a buy's limit rounds down to the 0.01 tick.
    let order = OrderRequest::new(OrderId(7), btc(), Side::Buy, OrderQty::Base(dec!(0.123456)), Some(dec!(61000.019)));
    let placed = binance.place_order(order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    assert_eq!((placed.request.quantity, placed.request.price), (OrderQty::Base(dec!(0.12345)), Some(dec!(61000.01))));
    let status = binance.get_order_status(btc(), OrderId(7)).await.unwrap();
    assert_eq!(
        (status.status, status.request.client_order_id, status.request.side),
        (OrderStatus::New, OrderId(7), Side::Buy)
    );
    assert_eq!(status.request.quantity, OrderQty::Base(dec!(0.12345)));
    let canceled = binance.cancel_order(btc(), OrderId(7)).await.unwrap();
    assert_eq!(canceled.status, OrderStatus::Canceled);
    let unknown = binance.get_order_status(btc(), OrderId(8)).await.unwrap_err();
    assert!(matches!(&unknown, Error::Order(m) if m.contains("-2013") && m.contains("does not exist")), "{unknown:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error_that_names_no_secret() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, "wrong-secret");
    let err = binance.connect().await.unwrap_err();
    assert!(matches!(&err, Error::Authentication(m) if m.contains("-1022")), "{err:?}");
    let shown = format!("{err} {err:?} {binance:?}");
    assert!(!shown.contains("wrong-secret") && !shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn a_market_orders_fills_reach_the_engine_as_executions_with_the_commission_in_the_quote_asset() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    binance.connect().await.unwrap();
    let buy = OrderRequest::new(OrderId(3), btc(), Side::Buy, OrderQty::Base(dec!(0.8)), None);
    let report = binance.place_order(buy).await.unwrap();
    // 0.5 × 61602.02 + 0.3 × 61602.03 = 30801.01 + 18480.609 = 49281.619; commission 0.0005 + 0.0003 BTC valued at the fill prices.
    assert_eq!((report.status, report.filled_quantity), (OrderStatus::Filled, dec!(0.8)));
    assert_eq!(report.average_price, Some(dec!(49281.619) / dec!(0.8)));
    assert_eq!(report.fee, dec!(0.0005) * dec!(61602.02) + dec!(0.0003) * dec!(61602.03));
    let mut executions = Vec::new();
    binance.drain_executions(&mut executions);
    let fills: Vec<_> = executions
        .iter()
        .map(|e| match e {
            ExecutionEvent::Fill { fill, order_status } => {
                (fill.order_id, fill.quantity, fill.price, fill.fee, *order_status, fill.time.millis())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        fills,
        [
            (OrderId(3), dec!(0.5), dec!(61602.02), dec!(30.80101), OrderStatus::PartiallyFilled, 1_700_000_000_123),
            (OrderId(3), dec!(0.3), dec!(61602.03), dec!(18.480609), OrderStatus::Filled, 1_700_000_000_123),
        ]
    );
    binance.drain_executions(&mut executions);
    assert_eq!(executions.len(), 2, "drained once");
}

#[tokio::test]
async fn an_order_post_without_an_answer_is_looked_up_by_client_order_id_never_sent_again() {
    let base = mock_binance().await;
    let mut binance = adapter(&base, SECRET);
    binance.connect().await.unwrap();
    // Placed at the venue, but the answer comes after the 300 ms timeout: the adapter finds it by client order id.
    let placed = OrderRequest::new(OrderId(99), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let report = binance.place_order(placed).await.unwrap();
    assert_eq!((report.status, report.request.client_order_id), (OrderStatus::New, OrderId(99)));
    // Lost on the way: not at the venue, so it was not placed — said as such, and not retried.
    let lost = OrderRequest::new(OrderId(98), btc(), Side::Buy, OrderQty::Base(dec!(0.01)), Some(dec!(60000)));
    let err = binance.place_order(lost).await.unwrap_err();
    assert!(
        matches!(&err, Error::Exchange(m) if m.contains("POST /api/v3/order: timed out") && m.contains("order 98 is not at the venue")),
        "{err:?}"
    );
}

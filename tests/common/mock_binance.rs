//! A loopback mock of Binance spot REST v3 that recomputes every signature (HMAC-SHA256 of the exact query string)
//! and answers in Binance's documented formats. Orders are kept by client order id; market orders fill at once;
//! resting limit orders fill when a test trades through them ([`trade_through`]), each trade with its own id and
//! commission, listed by `GET /api/v3/myTrades` as Binance lists them.

use rust_decimal::dec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::mock_http::{Answer, Seen, serve};
use cryptotradebot::model::Symbol;
use cryptotradebot::venue::Secret;
use cryptotradebot::venue::signing::binance_signature;

pub const KEY: &str = "test-api-key";
pub const SECRET: &str = "test-api-secret";

pub fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn params(query: &str) -> BTreeMap<String, String> {
    query.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The engine's order number in a request's `newClientOrderId=ctb-<tag>-<number>`.
fn order_number(target: &str) -> Option<&str> {
    let id = target.split(['?', '&']).find_map(|p| p.strip_prefix("newClientOrderId="))?;
    id.rsplit('-').next()
}

/// The mock venue: public endpoints, signed ones checked, orders kept by client order id.
pub async fn mock_binance() -> String {
    mock_binance_with_lot("0.00001").await
}

/// The mock venue's orders by client order id, each its request's parameters and what the venue added.
pub type MockOrders = Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>>;

/// [`mock_binance`] whose BTCUSDT lot step is `lot` (market buys sized in USDT are rounded down to it).
pub async fn mock_binance_with_lot(lot: &'static str) -> String {
    mock_binance_venue(lot).await.0
}

/// [`mock_binance_with_lot`], with its orders for a test to trade through.
pub async fn mock_binance_venue(lot: &'static str) -> (String, MockOrders) {
    let orders: MockOrders = Arc::default();
    let shared = orders.clone();
    let base = serve(move |seen: Seen| {
        let orders = orders.clone();
        async move {
            // Order 99 (and every order numbered 9…) is placed but its answer never arrives in time; order 98 is lost
            // on the way.
            let number = order_number(&seen.target).unwrap_or_default();
            let slow = seen.method == "POST" && number.starts_with('9');
            let answer = if number == "98" { (500, vec![], String::new()) } else { answer(&seen, &orders, lot) };
            if slow {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            answer
        }
    })
    .await;
    (base, shared)
}

/// The market trades `quantity` of the engine's resting order number `number` at `price`: one more trade of it,
/// with `commission` charged in `asset`, as the maker. Its trade id is the order's venue id × 1,000 + 100 + its index
/// (Binance numbers a symbol's trades uniquely; these never meet another order's).
pub fn trade_through(orders: &MockOrders, number: u64, quantity: &str, price: &str, commission: &str, asset: &str) {
    let mut orders = orders.lock().unwrap();
    let order = orders.values_mut().find(|o| o["newClientOrderId"].ends_with(&format!("-{number}"))).unwrap();
    let venue_id: u64 = order["orderId"].parse().unwrap();
    let trades = order.entry("trades".into()).or_default();
    let id = venue_id * 1000 + 100 + trades.split(';').filter(|t| !t.is_empty()).count() as u64;
    trades.push_str(&format!("{price},{quantity},{commission},{asset},{id},true;"));
}

/// While `lagging`, `myTrades` does not list order number `number`'s trades yet, though its status counts them (as
/// Binance's trade list can trail the order's status).
pub fn lag_trades(orders: &MockOrders, number: u64, lagging: bool) {
    let mut orders = orders.lock().unwrap();
    let order = orders.values_mut().find(|o| o["newClientOrderId"].ends_with(&format!("-{number}"))).unwrap();
    if lagging {
        order.insert("lagging".into(), "true".into());
    } else {
        order.remove("lagging");
    }
}

/// One trade of an order: (price, quantity, commission, commission asset, trade id, maker).
type Trade = (rust_decimal::Decimal, rust_decimal::Decimal, rust_decimal::Decimal, String, u64, bool);

/// An order's base quantity: as sent, or a quote amount's at the mock's ask, rounded down to the lot.
fn quantity_of(o: &BTreeMap<String, String>, lot: &str) -> rust_decimal::Decimal {
    match o.get("quantity") {
        Some(q) => q.parse().unwrap(),
        None => (o["quoteOrderQty"].parse::<rust_decimal::Decimal>().unwrap() / dec!(61602.02))
            .round_dp_with_strategy(lot.len() as u32 - 2, rust_decimal::RoundingStrategy::ToZero),
    }
}

/// The mock's answer to `seen` (orders kept in `orders`, BTCUSDT's lot step `lot`).
pub fn answer(seen: &Seen, orders: &Mutex<BTreeMap<String, BTreeMap<String, String>>>, lot: &str) -> Answer {
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let ok = |body: &str| (200, vec![], body.to_string());
    let signed = matches!(path, "/api/v3/order" | "/api/v3/account" | "/api/v3/myTrades");
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
    // Binance's LOT_SIZE filter: a quantity of zero (or under the step) is refused, as the venue does.
    if seen.method == "POST"
        && p.get("quantity")
            .is_some_and(|q| q.parse::<rust_decimal::Decimal>().map_or(true, |q| q < lot.parse().unwrap()))
    {
        return (400, vec![], r#"{"code":-1013,"msg":"Filter failure: LOT_SIZE"}"#.into());
    }
    // Binance's -1111: an amount with more decimals than the asset's precision (quoteAssetPrecision 8 for USDT).
    let decimals = |v: &str| v.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    if seen.method == "POST"
        && ["quantity", "price", "quoteOrderQty", "stopPrice"]
            .iter()
            .any(|k| p.get(*k).is_some_and(|v| decimals(v) > 8))
    {
        return (400, vec![], r#"{"code":-1111,"msg":"Precision is over the maximum defined for this asset."}"#.into());
    }
    // Every trade of an order. A market order fills at once against the book below: a buy takes 0.5 at 61602.02 and
    // the rest at 61602.03, paying 0.1 % commission in BTC (to 8 decimals); a sell hits 61602.01 and pays 0.1 % in
    // USDT. A resting order's trades are those the test traded through (`trade_through`).
    let trades_of = |o: &BTreeMap<String, String>| -> Vec<Trade> {
        let quantity = quantity_of(o, lot);
        // Binance numbers every trade of a symbol; here an order's trades are its venue id × 1,000 + their index.
        let order_id: u64 = o.get("orderId").map_or(1, |id| id.parse().unwrap());
        let mut trades = Vec::new();
        if o["type"] == "MARKET" && o["side"] == "BUY" {
            let first = quantity.min(dec!(0.5));
            for (index, (price, qty)) in
                [(dec!(61602.02), first), (dec!(61602.03), quantity - first)].into_iter().enumerate()
            {
                if !qty.is_zero() {
                    let commission = (qty * dec!(0.001)).round_dp(8);
                    trades.push((price, qty, commission, "BTC".into(), order_id * 1000 + index as u64, false));
                }
            }
        } else if o["type"] == "MARKET" {
            let commission = quantity * dec!(61602.01) * dec!(0.001);
            trades.push((dec!(61602.01), quantity, commission, "USDT".into(), order_id * 1000, false));
        }
        for trade in o.get("trades").map_or("", String::as_str).split(';').filter(|t| !t.is_empty()) {
            let f: Vec<&str> = trade.split(',').collect();
            let number = |i: usize| f[i].parse::<rust_decimal::Decimal>().unwrap();
            trades.push((number(0), number(1), number(2), f[3].into(), f[4].parse().unwrap(), f[5] == "true"));
        }
        trades
    };
    // `status` as the order's answer says it; `placing`: the answer to the order's POST, the only one with `fills`.
    let order_json = |o: &BTreeMap<String, String>, status: &str, placing: bool| {
        let market = o["type"] == "MARKET";
        let quantity = quantity_of(o, lot);
        let trades = trades_of(o);
        let executed: rust_decimal::Decimal = trades.iter().map(|t| t.1).sum();
        let quote: rust_decimal::Decimal = trades.iter().map(|t| t.0 * t.1).sum();
        let status = if market || executed == quantity {
            "FILLED"
        } else if status == "NEW" && !executed.is_zero() {
            "PARTIALLY_FILLED"
        } else {
            status
        };
        // An order's answer lists the trades it made at once (a market order's).
        let fills: Vec<String> = trades
            .iter()
            .filter(|_| market && placing)
            .map(|(price, qty, commission, asset, id, _)| {
                format!(r#"{{"price":"{price}","qty":"{qty}","commission":"{commission}","commissionAsset":"{asset}","tradeId":{id}}}"#)
            })
            .collect();
        let order_id: u64 = o.get("orderId").map_or(1, |id| id.parse().unwrap());
        format!(
            r#"{{"symbol":"BTCUSDT","orderId":{order_id},"clientOrderId":"{}","transactTime":1700000000123,"price":"{}","origQty":"{quantity}","executedQty":"{executed}","cummulativeQuoteQty":"{quote}","status":"{status}","type":"{}","side":"{}","fills":[{}]}}"#,
            o["newClientOrderId"],
            o.get("price").map_or("0.00000000", String::as_str),
            o["type"],
            o["side"],
            fills.join(",")
        )
    };
    match (seen.method.as_str(), path) {
        ("GET", "/api/v3/time") => ok(r#"{"serverTime":1700000000000}"#),
        ("GET", "/api/v3/exchangeInfo") => ok(&format!(
            r#"{{"symbols":[{{"symbol":"BTCUSDT","baseAsset":"BTC","quoteAsset":"USDT","quoteAssetPrecision":8,"filters":[{{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"}},{{"filterType":"LOT_SIZE","minQty":"{lot}","maxQty":"9000.00000000","stepSize":"{lot}"}},{{"filterType":"NOTIONAL","minNotional":"5.00000000"}}]}}]}}"#
        )),
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
            let mut orders = orders.lock().unwrap();
            let mut placed = p.clone();
            placed.insert("orderId".into(), (orders.len() + 1).to_string());
            let body = order_json(&placed, "NEW", true);
            orders.insert(p["newClientOrderId"].clone(), placed);
            ok(&body)
        }
        ("GET", "/api/v3/myTrades") => {
            // Binance lists the trades of the order with venue id `orderId` (an unknown id lists none).
            // Binance's paging: at most `limit` trades (default 500, at most 1,000), from trade id `fromId` on.
            let limit: usize = p.get("limit").map_or(500, |l| l.parse().unwrap());
            assert!(limit <= 1000, "Binance refuses a limit above 1000");
            let from: Option<u64> = p.get("fromId").map(|f| f.parse().unwrap());
            let orders = orders.lock().unwrap();
            let listed: Vec<String> = orders
                .values()
                .filter(|o| Some(&o["orderId"]) == p.get("orderId") && o["symbol"] == p["symbol"])
                .filter(|o| !o.contains_key("lagging"))
                .flat_map(|o| {
                    let buyer = o["side"] == "BUY";
                    let mut trades = trades_of(o);
                    trades.sort_by_key(|t| t.4);
                    match from {
                        Some(from) => {
                            trades.retain(|t| t.4 >= from);
                            trades.truncate(limit);
                        }
                        // Without `fromId`, Binance lists the most recent trades.
                        None => {
                            let skip = trades.len().saturating_sub(limit);
                            trades.drain(..skip);
                        }
                    }
                    trades.into_iter().map(move |(price, qty, commission, asset, id, maker)| {
                        format!(
                            r#"{{"symbol":"BTCUSDT","id":{id},"orderId":{},"orderListId":-1,"price":"{price}","qty":"{qty}","quoteQty":"{}","commission":"{commission}","commissionAsset":"{asset}","time":1700000000456,"isBuyer":{buyer},"isMaker":{maker},"isBestMatch":true}}"#,
                            o["orderId"],
                            price * qty
                        )
                    })
                })
                .collect();
            ok(&format!("[{}]", listed.join(",")))
        }
        ("GET" | "DELETE", "/api/v3/order") => match orders.lock().unwrap().get_mut(&p["origClientOrderId"]) {
            Some(o) => {
                // A canceled order stays canceled when asked again.
                if seen.method != "DELETE" {
                    return ok(&order_json(o, if o.contains_key("canceled") { "CANCELED" } else { "NEW" }, false));
                }
                // A limit buy of 0.003 had 0.001 executed at its limit just before the cancel arrived, 0.1 %
                // commission in BTC: the cancel's answer (and the order's trades) say so.
                if quantity_of(o, lot) == dec!(0.003) && !o.contains_key("canceled") {
                    let venue_id: u64 = o["orderId"].parse().unwrap();
                    let price: rust_decimal::Decimal = o["price"].parse().unwrap();
                    let commission = match o["side"].as_str() {
                        "BUY" => "0.000001,BTC".to_string(),
                        _ => format!("{},USDT", price * dec!(0.001) * dec!(0.001)),
                    };
                    let trade = format!("{price},0.001,{commission},{},true;", venue_id * 1000 + 999);
                    o.entry("trades".into()).or_default().push_str(&trade);
                }
                // An order that is no longer open cannot be canceled (Binance's -2011).
                let executed: rust_decimal::Decimal = trades_of(o).iter().map(|t| t.1).sum();
                if o.contains_key("canceled") || executed == quantity_of(o, lot) {
                    return (400, vec![], r#"{"code":-2011,"msg":"Unknown order sent."}"#.into());
                }
                o.insert("canceled".into(), "true".into());
                // As Binance answers a cancel: the order's own id is `origClientOrderId`; `clientOrderId` is the
                // cancel request's, made up by the venue.
                let ours = format!(r#""clientOrderId":"{}""#, o["newClientOrderId"]);
                let cancel =
                    format!(r#""origClientOrderId":"{}","clientOrderId":"x-cancel-7Fq2"#, o["newClientOrderId"]);
                ok(&order_json(o, "CANCELED", false).replace(&ours, &format!("{cancel}\"")))
            }
            None => (400, vec![], r#"{"code":-2013,"msg":"Order does not exist."}"#.into()),
        },
        _ => (404, vec![], "{}".into()),
    }
}

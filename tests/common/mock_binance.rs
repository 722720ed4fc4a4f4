//! A loopback mock of Binance spot REST v3 that recomputes every signature (HMAC-SHA256 of the exact query string)
//! and answers in Binance's documented formats. Orders are kept by client order id; market orders fill at once.

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

/// [`mock_binance`] whose BTCUSDT lot step is `lot` (market buys sized in USDT are rounded down to it).
pub async fn mock_binance_with_lot(lot: &'static str) -> String {
    let orders: Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>> = Arc::default();
    serve(move |seen: Seen| {
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
    .await
}

/// The mock's answer to `seen` (orders kept in `orders`, BTCUSDT's lot step `lot`).
pub fn answer(seen: &Seen, orders: &Mutex<BTreeMap<String, BTreeMap<String, String>>>, lot: &str) -> Answer {
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
    let order_json = |o: &BTreeMap<String, String>, status: &str| {
        // A market order fills at once against the book below: a buy takes 0.5 at 61602.02 and the rest at
        // 61602.03, paying 0.1 % commission in BTC (to 8 decimals); a sell hits 61602.01 and pays 0.1 % in USDT.
        let market = o["type"] == "MARKET";
        let buy = o["side"] == "BUY";
        let quantity: rust_decimal::Decimal = match o.get("quantity") {
            Some(q) => q.parse().unwrap(),
            None => (o["quoteOrderQty"].parse::<rust_decimal::Decimal>().unwrap() / dec!(61602.02))
                .round_dp_with_strategy(lot.len() as u32 - 2, rust_decimal::RoundingStrategy::ToZero),
        };
        // Binance numbers every trade of a symbol; here an order's trades are its venue id × 10 + their index.
        let order_id: u64 = o.get("orderId").map_or(1, |id| id.parse().unwrap());
        let mut fills = Vec::new();
        if market && buy {
            let first = quantity.min(dec!(0.5));
            for (index, (price, qty)) in
                [(dec!(61602.02), first), (dec!(61602.03), quantity - first)].into_iter().enumerate()
            {
                if !qty.is_zero() {
                    fills.push(format!(
                        r#"{{"price":"{price}","qty":"{qty}","commission":"{}","commissionAsset":"BTC","tradeId":{}}}"#,
                        (qty * dec!(0.001)).round_dp(8),
                        order_id * 10 + index as u64
                    ));
                }
            }
        } else if market {
            fills.push(format!(
                r#"{{"price":"61602.01","qty":"{quantity}","commission":"{}","commissionAsset":"USDT","tradeId":{}}}"#,
                quantity * dec!(61602.01) * dec!(0.001),
                order_id * 10
            ));
        }
        // A limit order of 0.003 had 0.001 executed at its limit before it was canceled: only the cancel's answer says so.
        let limit: rust_decimal::Decimal = o.get("price").map_or(dec!(0), |p| p.parse().unwrap());
        let partly = !market && o.contains_key("canceled") && quantity == dec!(0.003);
        let executed = if market {
            quantity
        } else if partly {
            dec!(0.001)
        } else {
            dec!(0)
        };
        let quote: rust_decimal::Decimal = if partly {
            dec!(0.001) * limit
        } else if market && buy {
            let first = quantity.min(dec!(0.5));
            first * dec!(61602.02) + (quantity - first) * dec!(61602.03)
        } else if market {
            quantity * dec!(61602.01)
        } else {
            dec!(0)
        };
        format!(
            r#"{{"symbol":"BTCUSDT","orderId":{order_id},"clientOrderId":"{}","transactTime":1700000000123,"price":"{}","origQty":"{quantity}","executedQty":"{executed}","cummulativeQuoteQty":"{quote}","status":"{}","type":"{}","side":"{}","fills":[{}]}}"#,
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
            let body = order_json(&placed, "NEW");
            orders.insert(p["newClientOrderId"].clone(), placed);
            ok(&body)
        }
        ("GET" | "DELETE", "/api/v3/order") => match orders.lock().unwrap().get_mut(&p["origClientOrderId"]) {
            Some(o) => {
                // A canceled order stays canceled when asked again.
                if seen.method != "DELETE" {
                    return ok(&order_json(o, if o.contains_key("canceled") { "CANCELED" } else { "NEW" }));
                }
                o.insert("canceled".into(), "true".into());
                // As Binance answers a cancel: the order's own id is `origClientOrderId`; `clientOrderId` is the
                // cancel request's, made up by the venue.
                let ours = format!(r#""clientOrderId":"{}""#, o["newClientOrderId"]);
                let cancel =
                    format!(r#""origClientOrderId":"{}","clientOrderId":"x-cancel-7Fq2"#, o["newClientOrderId"]);
                ok(&order_json(o, "CANCELED").replace(&ours, &format!("{cancel}\"")))
            }
            None => (400, vec![], r#"{"code":-2013,"msg":"Order does not exist."}"#.into()),
        },
        _ => (404, vec![], "{}".into()),
    }
}

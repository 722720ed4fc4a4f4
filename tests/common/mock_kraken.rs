//! A loopback mock of Kraken's REST API that recomputes every `API-Sign` (HMAC-SHA512 of path + SHA-256(nonce +
//! POST data)), checks nonces only increase, and answers in Kraken's `{"error": [...], "result": ...}` format.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::mock_http::{Answer, Seen, serve};
use cryptotradebot::venue::Secret;
use cryptotradebot::venue::signing::kraken_signature;

pub const KEY: &str = "kraken-test-key";
/// The secret of Kraken's documentation example.
pub const SECRET: &str = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

pub fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[derive(Default)]
pub struct Venue {
    pub last_nonce: u64,
    pub orders: BTreeMap<String, (BTreeMap<String, String>, &'static str)>,
    /// OpenOrders and ClosedOrders calls: lookups of an order by its `cl_ord_id`.
    pub lookups: usize,
    /// The `timeout` of every CancelAllOrdersAfter call (the dead man's switch), in order.
    pub switch: Vec<u64>,
    /// QueryOrders calls still to be answered `EOrder:Unknown order` after an AddOrder: Kraken's order index lags
    /// its matching engine, so an order it just took may not be listed yet.
    pub unlisted_queries: u32,
    /// What those QueryOrders calls are refused with instead of `EOrder:Unknown order`.
    pub query_refusal: Option<&'static str>,
    /// OpenOrders and ClosedOrders calls still to be answered with an empty list: an order behind a 5xx answer
    /// can surface in them seconds later.
    pub unlisted_lookups: u32,
    /// OpenOrders and ClosedOrders calls still to be refused by Kraken's rate limit.
    pub limited_lookups: u32,
    /// What each order (by txid) executed so far: (vol_exec, cost, fee), as QueryOrders reports it.
    pub executed: BTreeMap<String, (String, String, String)>,
    /// The WebSocket tokens `GetWebSocketsToken` gave out, in order.
    pub tokens: Vec<String>,
    /// What the next order executes as it is placed (vol_exec, cost, fee): it trades on arrival.
    pub fill_on_add: Option<(String, String, String)>,
}

impl Venue {
    /// The txid of the engine's order number `number` (by its `cl_ord_id`).
    pub fn txid_of(&self, number: u64) -> String {
        let suffix = format!("-{number:012x}");
        self.orders.iter().find(|(_, (p, _))| p["cl_ord_id"].ends_with(&suffix)).map(|(t, _)| t.clone()).unwrap()
    }
}

/// The engine's order number in a request body's `cl_ord_id=<tag>-0000-4000-8000-<number in 12 hex>`.
pub fn order_number(body: &str) -> Option<String> {
    let id = body.split('&').find_map(|p| p.strip_prefix("cl_ord_id="))?;
    u64::from_str_radix(id.rsplit('-').next()?, 16).ok().map(|n| n.to_string())
}

pub async fn mock_kraken() -> String {
    mock_kraken_venue().await.0
}

/// [`mock_kraken`] and its state, for tests that count what was asked.
pub async fn mock_kraken_venue() -> (String, Arc<Mutex<Venue>>) {
    let venue: Arc<Mutex<Venue>> = Arc::default();
    let state = Arc::clone(&venue);
    let base = serve(move |seen: Seen| {
        let venue = venue.clone();
        async move {
            // Order 99 (and every order numbered 9…) is placed but its answer comes too late; order 98 is lost on
            // the way; order 87 is placed behind a 502.
            let number = order_number(&seen.body).unwrap_or_default();
            let late = number.starts_with('9');
            let answer = if number == "98" && seen.target.ends_with("AddOrder") {
                (500, vec![], String::new())
            } else if number == "87" && seen.target.ends_with("AddOrder") {
                // Taken by the matching engine behind a gateway that answers 502.
                answer(&seen, &mut venue.lock().unwrap());
                (502, vec![], String::new())
            } else {
                answer(&seen, &mut venue.lock().unwrap())
            };
            if late && seen.target.ends_with("AddOrder") {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            answer
        }
    })
    .await;
    (base, state)
}

pub fn ok(result: &str) -> Answer {
    (200, vec![], format!(r#"{{"error":[],"result":{result}}}"#))
}

pub fn refused(error: &str) -> Answer {
    (200, vec![], format!(r#"{{"error":["{error}"]}}"#))
}

pub fn answer(seen: &Seen, venue: &mut Venue) -> Answer {
    let path = seen.target.split('?').next().unwrap_or_default().to_string();
    if path.starts_with("/0/private/") {
        let params = form(&seen.body);
        let nonce: u64 = params["nonce"].parse().unwrap();
        let expected = kraken_signature(&Secret::new(SECRET), &path, nonce, &seen.body).unwrap();
        if seen.header("api-key") != Some(KEY) {
            return refused("EAPI:Invalid key");
        }
        if seen.header("api-sign") != Some(expected.as_str()) {
            return refused("EAPI:Invalid signature");
        }
        if nonce <= venue.last_nonce {
            return refused("EAPI:Invalid nonce");
        }
        venue.last_nonce = nonce;
        let order = |txid: &str, venue: &Venue| {
            let (p, status) = &venue.orders[txid];
            format!(
                r#"{{"{txid}":{{"status":"{status}","vol":"{}","vol_exec":"{}","cost":"{}","fee":"{}","price":"0.00000","cl_ord_id":"{}","descr":{{"pair":"XBTUSD","type":"{}","ordertype":"{}","price":"{}"}}}}}}"#,
                p["volume"],
                venue.executed.get(txid).map_or("0.00000000", |e| e.0.as_str()),
                venue.executed.get(txid).map_or("0.00000", |e| e.1.as_str()),
                venue.executed.get(txid).map_or("0.00000", |e| e.2.as_str()),
                p["cl_ord_id"],
                p["type"],
                p["ordertype"],
                p.get("price").map_or("0", String::as_str)
            )
        };
        return match path.as_str() {
            // Totals and what open orders hold: 250 USD of the 1,250 are held.
            "/0/private/BalanceEx" => ok(
                r#"{"ZUSD":{"balance":"1250.0000","hold_trade":"250.0000"},"XXBT":{"balance":"0.5000000000","hold_trade":"0.0000000000"},"XETH":{"balance":"0.0000000000","hold_trade":"0.0000000000"}}"#,
            ),
            "/0/private/AddOrder" if params["volume"] == "100" => refused("EOrder:Insufficient funds"),
            // A volume in the quote asset (viqc) more precise than the pair's cost_decimals (5) is refused.
            "/0/private/AddOrder"
                if params.get("oflags").is_some_and(|f| f.contains("viqc"))
                    && params["volume"].split_once('.').is_some_and(|(_, d)| d.len() > 5) =>
            {
                refused("EGeneral:Invalid arguments:volume")
            }
            "/0/private/AddOrder" => {
                let txid = format!("OUF4EM-FRGI2-{:06}", venue.orders.len());
                venue.orders.insert(txid.clone(), (params, "open"));
                if let Some(executed) = venue.fill_on_add.take() {
                    venue.executed.insert(txid.clone(), executed);
                }
                ok(&format!(r#"{{"descr":{{"order":"buy"}},"txid":["{txid}"]}}"#))
            }
            "/0/private/QueryOrders" if venue.unlisted_queries > 0 => {
                venue.unlisted_queries -= 1;
                refused(venue.query_refusal.unwrap_or("EOrder:Unknown order"))
            }
            "/0/private/QueryOrders" => ok(&order(&params["txid"], venue)),
            "/0/private/OpenOrders" | "/0/private/ClosedOrders" => {
                venue.lookups += 1;
                if venue.limited_lookups > 0 {
                    venue.limited_lookups -= 1;
                    return refused("EAPI:Rate limit exceeded");
                }
                if venue.unlisted_lookups > 0 {
                    venue.unlisted_lookups -= 1;
                    let wanted = if path.ends_with("OpenOrders") { "open" } else { "closed" };
                    return ok(&format!(r#"{{"{wanted}":{{}}}}"#));
                }
                // Kraken lists canceled and expired orders among the closed ones.
                let open = path.ends_with("OpenOrders");
                let wanted = if open { "open" } else { "closed" };
                let listed: Vec<String> = venue
                    .orders
                    .iter()
                    .filter(|(_, (p, status))| (*status == "open") == open && p["cl_ord_id"] == params["cl_ord_id"])
                    .map(|(txid, _)| format!(r#""{txid}":{{}}"#))
                    .collect();
                ok(&format!(r#"{{"{wanted}":{{{}}}}}"#, listed.join(",")))
            }
            "/0/private/GetWebSocketsToken" => {
                let token = format!("kraken-ws-token-{}", venue.tokens.len());
                venue.tokens.push(token.clone());
                ok(&format!(r#"{{"token":"{token}","expires":900}}"#))
            }
            "/0/private/CancelAllOrdersAfter" => {
                // Kraken: the countdown restarts at every call; timeout 0 disarms it.
                venue.switch.push(params["timeout"].parse().unwrap());
                ok(r#"{"currentTime":"2023-11-14T22:13:20Z","triggerTime":"2023-11-14T22:14:20Z"}"#)
            }
            "/0/private/CancelOrder" => {
                venue.orders.get_mut(&params["txid"]).unwrap().1 = "canceled";
                ok(r#"{"count":1}"#)
            }
            _ => refused("EGeneral:Unknown method"),
        };
    }
    match path.as_str() {
        "/0/public/Time" => ok(r#"{"unixtime":1700000000,"rfc1123":"Tue, 14 Nov 23 22:13:20 +0000"}"#),
        "/0/public/Ticker" => ok(
            r#"{"XXBTZUSD":{"a":["61602.10000","1","1.000"],"b":["61602.00000","2","2.000"],"c":["61602.10000","0.00100000"],"v":["1","2"]}}"#,
        ),
        "/0/public/Depth" => ok(
            r#"{"XXBTZUSD":{"asks":[["61602.10000","0.500",1700000000]],"bids":[["61602.00000","1.250",1700000000],["61601.90000","3.000",1700000000]]}}"#,
        ),
        "/0/public/AssetPairs" => ok(
            r#"{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","aclass_base":"currency","base":"XXBT","aclass_quote":"currency","quote":"ZUSD","lot":"unit","cost_decimals":5,"pair_decimals":1,"lot_decimals":8,"lot_multiplier":1,"ordermin":"0.0001","costmin":"0.5","tick_size":"0.1","status":"online"}}"#,
        ),
        _ => refused("EQuery:Unknown asset pair"),
    }
}

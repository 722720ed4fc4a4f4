//! The live adapters' shared REST client against a loopback mock venue: every HTTP failure becomes the seed's
//! typed error, messages name the endpoint and never the signature in the query, and 2xx bodies parse.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::mock_http::{Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::venue::rest::RestClient;
use reqwest::Method;

async fn venue() -> RestClient {
    let base = serve(|seen: Seen| async move {
        let path = seen.target.split('?').next().unwrap_or_default().to_string();
        match path.as_str() {
            "/api/v3/time" => (200, vec![], r#"{"serverTime":1700000000000}"#.to_string()),
            "/echo" => (
                200,
                vec![],
                format!(
                    r#"{{"method":"{}","key":"{}","body":"{}"}}"#,
                    seen.method,
                    seen.header("x-mbx-apikey").unwrap_or(""),
                    seen.body
                ),
            ),
            "/auth" => {
                (401, vec![], r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#.to_string())
            }
            "/limited" => {
                (429, vec![("retry-after", "7".to_string())], r#"{"code":-1003,"msg":"Too many requests"}"#.to_string())
            }
            "/banned" => (
                418,
                vec![("retry-after", "120".to_string())],
                r#"{"code":-1003,"msg":"Way too many requests; IP banned"}"#.to_string(),
            ),
            "/broken" => (502, vec![], "<html>bad gateway</html>".to_string()),
            "/refused" => (
                400,
                vec![],
                r#"{"code":-2010,"msg":"Account has insufficient balance for requested action."}"#.to_string(),
            ),
            "/garbage" => (200, vec![], "{not json".to_string()),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                (200, vec![], "{}".to_string())
            }
            _ => (404, vec![], "not found".to_string()),
        }
    })
    .await;
    RestClient::new("binance", &base, Duration::from_millis(500), None).unwrap()
}

#[tokio::test]
async fn a_success_returns_the_body_and_headers_and_bodies_arrive_as_sent() {
    let client = venue().await;
    #[derive(serde::Deserialize)]
    struct Time {
        #[serde(rename = "serverTime")]
        server_time: u64,
    }
    let time: Time =
        client.parse("/api/v3/time", &client.send(Method::GET, "/api/v3/time", &[], None).await.unwrap()).unwrap();
    assert_eq!(time.server_time, 1_700_000_000_000);
    let echo =
        client.send(Method::POST, "/echo?x=1", &[("X-MBX-APIKEY", "key-1")], Some("a=1&b=2".into())).await.unwrap();
    assert_eq!(echo, r#"{"method":"POST","key":"key-1","body":"a=1&b=2"}"#);
}

#[tokio::test]
async fn each_failure_is_the_seeds_typed_error_naming_the_endpoint() {
    let signed =
        "?symbol=BTCUSDT&timestamp=1&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    // A fresh client per call: after a 429 a client holds every request back.
    let call = |path: &'static str| async move {
        venue().await.send(Method::GET, &format!("{path}{signed}"), &[], None).await.unwrap_err()
    };
    let auth = call("/auth").await;
    assert!(matches!(&auth, Error::Authentication(m) if m.contains("GET /auth") && m.contains("-2015")), "{auth:?}");
    let limited = call("/limited").await;
    assert!(
        matches!(&limited, Error::RateLimit { retry_after: Some(d), .. } if *d == Duration::from_secs(7)),
        "{limited:?}"
    );
    let banned = call("/banned").await;
    assert!(
        matches!(&banned, Error::RateLimit { retry_after: Some(d), message } if *d == Duration::from_secs(120) && message.contains("IP banned")),
        "{banned:?}"
    );
    let broken = call("/broken").await;
    assert!(matches!(&broken, Error::Exchange(m) if m.contains("HTTP 502")), "{broken:?}");
    let refused = call("/refused").await;
    assert!(matches!(&refused, Error::Order(m) if m.contains("insufficient balance")), "{refused:?}");
    let slow = call("/slow").await;
    assert!(matches!(&slow, Error::Exchange(m) if m.contains("GET /slow") && m.contains("timed out")), "{slow:?}");
    for error in [auth, limited, banned, broken, refused, slow] {
        assert!(!error.to_string().contains("c8db5682"), "the signature leaked: {error}");
    }
    let client = venue().await;
    let garbage = client.send(Method::GET, "/garbage", &[], None).await.unwrap();
    let parsed: Result<serde_json::Value, _> = client.parse("/garbage", &garbage);
    assert!(
        matches!(&parsed, Err(Error::Exchange(m)) if m.contains("/garbage") && m.contains("malformed")),
        "{parsed:?}"
    );
}

#[tokio::test]
async fn a_venue_that_is_not_there_is_an_exchange_error() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client =
        RestClient::new("kraken", &format!("http://127.0.0.1:{port}"), Duration::from_millis(500), None).unwrap();
    let err = client.send(Method::GET, "/0/public/Time", &[], None).await.unwrap_err();
    assert!(matches!(&err, Error::Exchange(m) if m.starts_with("kraken GET /0/public/Time")), "{err:?}");
}

/// Arrival time and request line of each request the venue saw.
type Arrivals = Arc<Mutex<Vec<(Instant, String)>>>;
/// Status and headers of an answer.
type Status = (u16, Vec<(&'static str, String)>);

/// A venue that answers every request with what `status(n)` says for the n-th request (from 0), counting arrivals.
async fn counting_venue(status: fn(usize) -> Status) -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let seen_by_venue = arrivals.clone();
    let base = serve(move |seen: Seen| {
        let arrivals = seen_by_venue.clone();
        async move {
            let n = {
                let mut arrivals = arrivals.lock().unwrap();
                arrivals.push((Instant::now(), format!("{} {}", seen.method, seen.target)));
                arrivals.len() - 1
            };
            let (code, headers) = status(n);
            (code, headers, r#"{"ok":true}"#.to_string())
        }
    })
    .await;
    (base, arrivals)
}

#[tokio::test]
async fn a_get_is_retried_after_a_5xx_and_a_post_is_never_sent_twice() {
    let (base, arrivals) = counting_venue(|n| (if n < 2 { 503 } else { 200 }, vec![])).await;
    let client = RestClient::new("binance", &base, Duration::from_millis(500), None).unwrap();
    assert_eq!(client.send(Method::GET, "/api/v3/depth", &[], None).await.unwrap(), r#"{"ok":true}"#);
    assert_eq!(arrivals.lock().unwrap().len(), 3, "two 503s, then the answer");

    let (base, arrivals) = counting_venue(|_| (503, vec![])).await;
    let client = RestClient::new("binance", &base, Duration::from_millis(500), None).unwrap();
    let post = client.send(Method::POST, "/api/v3/order", &[], Some("x=1".into())).await.unwrap_err();
    assert!(matches!(&post, Error::Exchange(m) if m.contains("HTTP 503")), "{post:?}");
    assert_eq!(arrivals.lock().unwrap().len(), 1, "an order is never re-sent");
    let get = client.send(Method::GET, "/api/v3/depth", &[], None).await.unwrap_err();
    assert!(matches!(&get, Error::Exchange(m) if m.contains("HTTP 503")), "{get:?}");
    assert_eq!(arrivals.lock().unwrap().len(), 4, "a GET is tried three times in all, then fails");
}

#[tokio::test]
async fn after_a_429_nothing_is_sent_until_the_retry_after_is_over() {
    let (base, arrivals) = counting_venue(|_| (429, vec![("retry-after", "30".to_string())])).await;
    let client = RestClient::new("binance", &base, Duration::from_millis(500), None).unwrap();
    let first = client.send(Method::GET, "/api/v3/ticker/price", &[], None).await.unwrap_err();
    assert!(matches!(first, Error::RateLimit { retry_after: Some(d), .. } if d == Duration::from_secs(30)));
    let second = client.send(Method::POST, "/api/v3/order", &[], None).await.unwrap_err();
    assert!(
        matches!(&second, Error::RateLimit { retry_after: Some(d), message } if *d <= Duration::from_secs(30) && *d > Duration::from_secs(25) && message.contains("not sent")),
        "{second:?}"
    );
    assert_eq!(arrivals.lock().unwrap().len(), 1, "the second request never left");
}

#[tokio::test]
async fn a_used_weight_header_at_the_limit_holds_requests_until_the_next_minute() {
    let (base, arrivals) =
        counting_venue(|n| (200, vec![("x-mbx-used-weight-1m", format!("{}", 1190 + 10 * n))])).await;
    let client = RestClient::new("binance", &base, Duration::from_millis(500), None)
        .unwrap()
        .with_weight_header("x-mbx-used-weight-1m", 1200);
    client.send(Method::GET, "/api/v3/time", &[], None).await.unwrap();
    client.send(Method::GET, "/api/v3/time", &[], None).await.unwrap();
    let held = client.send(Method::GET, "/api/v3/time", &[], None).await.unwrap_err();
    assert!(
        matches!(&held, Error::RateLimit { retry_after: Some(d), .. } if *d <= Duration::from_secs(60)),
        "1190, then 1200 of 1200 used: {held:?}"
    );
    assert_eq!(arrivals.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn the_limiter_keeps_a_burst_of_100_requests_within_the_configured_rate() {
    let (base, arrivals) = counting_venue(|_| (200, vec![])).await;
    let rate = std::num::NonZeroU32::new(50).unwrap();
    let client = Arc::new(RestClient::new("binance", &base, Duration::from_secs(5), Some(rate)).unwrap());
    let burst: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(Method::GET, "/api/v3/time", &[], None).await })
        })
        .collect();
    for request in burst {
        request.await.unwrap().unwrap();
    }
    let mut times: Vec<Instant> = arrivals.lock().unwrap().iter().map(|(t, _)| *t).collect();
    times.sort();
    assert_eq!(times.len(), 100, "every request was sent, none refused");
    // At 50 per second, no one-second window at the venue may hold more than 50 of them (a tolerance of one for
    // the scheduling of the mock's own clock reads).
    let most = times.iter().map(|&t| times.iter().filter(|&&u| u >= t && u < t + Duration::from_secs(1)).count()).max();
    assert!(most.unwrap() <= 51, "{most:?} requests within one second");
}

//! The live adapters' shared REST client against a loopback mock venue: every HTTP failure becomes the seed's
//! typed error, messages name the endpoint and never the signature in the query, and 2xx bodies parse.

mod common;

use std::time::Duration;

use common::mock_http::{Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::exchange::rest::RestClient;
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
    let client = venue().await;
    let signed =
        "?symbol=BTCUSDT&timestamp=1&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    let call = |path: &'static str| {
        let client = &client;
        async move { client.send(Method::GET, &format!("{path}{signed}"), &[], None).await.unwrap_err() }
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

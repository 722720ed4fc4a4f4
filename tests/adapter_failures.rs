//! Every live adapter maps every kind of venue failure onto the seed's typed errors, naming the endpoint and never a
//! credential: 401, 429 with `Retry-After`, 418, 500, a timeout and a malformed body, each against a loopback venue
//! that answers every request that way.

mod common;

use rstest::rstest;
use std::time::Duration;

use common::mock_http::{Seen, serve};
use cryptotradebot::Error;
use cryptotradebot::model::Symbol;
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::live::live_adapter;
use cryptotradebot::venue::{Credentials, Secret};

const SECRET: &str = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1wcmludA==";

#[derive(Clone, Copy, Debug)]
enum Failure {
    Unauthorized,
    TooManyRequests,
    IpBanned,
    ServerError,
    Timeout,
    Malformed,
}

async fn failing_venue(failure: Failure) -> String {
    serve(move |_: Seen| async move {
        let coded = |code: i64, msg: &str| format!(r#"{{"code":{code},"msg":"{msg}","message":"{msg}"}}"#);
        match failure {
            Failure::Unauthorized => (401, vec![], coded(-2015, "Invalid API-key")),
            Failure::TooManyRequests => {
                (429, vec![("retry-after", "7".to_string())], coded(-1003, "Too many requests"))
            }
            Failure::IpBanned => (418, vec![("retry-after", "120".to_string())], coded(-1003, "IP banned")),
            Failure::ServerError => (500, vec![], "<html>internal error</html>".to_string()),
            Failure::Timeout => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                (200, vec![], "{}".to_string())
            }
            Failure::Malformed => (200, vec![], "{not json".to_string()),
        }
    })
    .await
}

#[rstest]
#[tokio::test]
async fn each_venue_failure_is_the_seeds_typed_error_naming_the_endpoint(
    #[values("binance", "coinbase", "kraken")] venue: &str,
    #[values(
        Failure::Unauthorized,
        Failure::TooManyRequests,
        Failure::IpBanned,
        Failure::ServerError,
        Failure::Timeout,
        Failure::Malformed
    )]
    failure: Failure,
) {
    let base = failing_venue(failure).await;
    let config: VenueConfig = serde_json::from_value(serde_json::json!({
        "base_url": base, "request_timeout_ms": 300, "rate_limits": { "requests_per_second": 1000 }
    }))
    .unwrap();
    let credentials = Credentials {
        api_key: Secret::new("key-that-must-never-print"),
        api_secret: Secret::new(SECRET),
        passphrase: Some(Secret::new("passphrase-that-must-never-print")),
    };
    let adapter = live_adapter(venue, &config, Some(credentials)).unwrap();
    let (symbol, endpoint) = match venue {
        "binance" => ("BTCUSDT", "/api/v3/ticker/bookTicker"),
        "coinbase" => ("BTCUSD", "/products/BTC-USD/ticker"),
        _ => ("BTCUSD", "/0/public/Ticker"),
    };
    let err = adapter.get_ticker(Symbol::new(symbol).unwrap()).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains(endpoint), "{message}");
    let right_kind = match failure {
        Failure::Unauthorized => matches!(err, Error::Authentication(_)),
        Failure::TooManyRequests => {
            matches!(err, Error::RateLimit { retry_after: Some(d), .. } if d == Duration::from_secs(7))
        }
        Failure::IpBanned => {
            matches!(err, Error::RateLimit { retry_after: Some(d), .. } if d == Duration::from_secs(120))
        }
        Failure::ServerError => matches!(&err, Error::Exchange(m) if m.contains("HTTP 500")),
        Failure::Timeout => matches!(&err, Error::Exchange(m) if m.contains("timed out")),
        Failure::Malformed => matches!(&err, Error::Exchange(m) if m.contains("malformed")),
    };
    assert!(right_kind, "{venue} {failure:?}: {err:?}");
    let shown = format!("{err} {err:?} {adapter:?}");
    assert!(!shown.contains("must-never-print") && !shown.contains(SECRET), "{shown}");
}

//! Request signatures of the three venues, as their documentation defines them. Pure functions of the secret and
//! the exact bytes sent, so that a mock venue in tests recomputes them the same way.
//!
//! * Binance: hex(HMAC-SHA256(secret, query string or body as sent)).
//! * Coinbase Exchange: base64(HMAC-SHA256(base64-decoded secret, timestamp + method + request path + body)).
//! * Kraken: base64(HMAC-SHA512(base64-decoded secret, URI path + SHA-256(nonce + POST data))).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::secret::Secret;
use crate::error::{Error, Result};

/// HMAC of `parts` (concatenated) under `key`.
fn hmac<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], venue: &str) -> Result<Vec<u8>> {
    // HMAC accepts keys of any length; the error exists only in the generic interface.
    let mut mac = <M as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::Authentication(format!("{venue}: the API secret cannot key an HMAC")))?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().to_vec())
}

/// A base64 secret's bytes.
fn decode(secret: &Secret, venue: &str) -> Result<Vec<u8>> {
    STANDARD.decode(secret.expose().trim()).map_err(|_| {
        Error::Authentication(format!(
            "{venue}: the API secret is not valid base64 (the venue issues it base64-encoded)"
        ))
    })
}

/// Binance's `signature` parameter for `payload` (the query string, or the form body, exactly as sent).
///
/// # Errors
/// [`Error::Authentication`] if the secret cannot key an HMAC (it always can).
pub fn binance_signature(secret: &Secret, payload: &str) -> Result<String> {
    let digest = hmac::<Hmac<Sha256>>(secret.expose().as_bytes(), &[payload.as_bytes()], "binance")?;
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Coinbase Exchange's `CB-ACCESS-SIGN` header for a request.
///
/// # Errors
/// [`Error::Authentication`] when the secret is not base64.
pub fn coinbase_signature(
    secret: &Secret,
    timestamp: &str,
    method: &str,
    request_path: &str,
    body: &str,
) -> Result<String> {
    let key = decode(secret, "coinbase")?;
    let parts = [timestamp.as_bytes(), method.as_bytes(), request_path.as_bytes(), body.as_bytes()];
    Ok(STANDARD.encode(hmac::<Hmac<Sha256>>(&key, &parts, "coinbase")?))
}

/// Kraken's `API-Sign` header for a private request to `uri_path` with `nonce` and the form `post_data` (which
/// contains the same nonce).
///
/// # Errors
/// [`Error::Authentication`] when the secret is not base64.
pub fn kraken_signature(secret: &Secret, uri_path: &str, nonce: u64, post_data: &str) -> Result<String> {
    let key = decode(secret, "kraken")?;
    let inner = Sha256::new().chain_update(nonce.to_string()).chain_update(post_data).finalize();
    Ok(STANDARD.encode(hmac::<Hmac<Sha512>>(&key, &[uri_path.as_bytes(), &inner], "kraken")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_documentation_example() {
        let secret = Secret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            binance_signature(&secret, query).unwrap(),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn kraken_documentation_example() {
        let secret =
            Secret::new("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==");
        let post = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert_eq!(
            kraken_signature(&secret, "/0/private/AddOrder", 1_616_492_376_594, post).unwrap(),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
    }

    #[test]
    fn coinbase_matches_an_independent_computation() {
        // Python: base64.b64encode(hmac.new(base64.b64decode(secret), (ts + method + path + body).encode(),
        // hashlib.sha256).digest()), with the secret = base64 of the bytes 0..63.
        let secret =
            Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==");
        let body = r#"{"size":"0.01","price":"35000.00","side":"buy","product_id":"BTC-USD"}"#;
        assert_eq!(
            coinbase_signature(&secret, "1700000000", "POST", "/orders", body).unwrap(),
            "pHSd49YSbV8YhkIOKxd/thfxM0541pYgVCLtjvR9nzU="
        );
    }

    #[test]
    fn a_secret_that_is_not_base64_is_an_authentication_error_that_does_not_show_it() {
        let secret = Secret::new("not base64 at all!");
        let err = kraken_signature(&secret, "/0/private/Balance", 1, "nonce=1").unwrap_err();
        assert!(
            matches!(&err, Error::Authentication(m) if m.contains("kraken") && !m.contains("not base64 at all")),
            "{err:?}"
        );
        assert!(coinbase_signature(&secret, "1", "GET", "/accounts", "").is_err());
    }
}

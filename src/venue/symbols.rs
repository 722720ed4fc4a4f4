//! The engine's one symbol form (`BTCUSDT`: base then quote, no separator) split into base and quote, for venues
//! that name pairs differently (`BTC-USD`, `XBTUSD`, `BTC/USD`).

use crate::error::{Error, Result};
use crate::model::Symbol;

/// Quote assets a symbol may end with, longest first where one ends another (`USDT` before `USD`).
const QUOTES: [&str; 11] = ["USDT", "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "BTC", "ETH"];

/// The base and quote of `symbol`, split at a known quote asset: `BTCUSD` → (`BTC`, `USD`).
///
/// # Errors
/// [`Error::Order`] when the symbol does not end with a known quote asset (USDT, USDC, USD, EUR, GBP, CAD, JPY, CHF,
/// AUD, BTC, ETH).
pub fn split_symbol(symbol: &Symbol) -> Result<(&str, &str)> {
    let name = symbol.as_str();
    let quote = QUOTES
        .iter()
        .find(|q| name.len() > q.len() && name.ends_with(*q))
        .ok_or_else(|| Error::Order(format!("cannot tell the base and quote asset of {symbol}")))?;
    let at = name.len() - quote.len();
    Ok((&name[..at], &name[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_split_at_the_longest_known_quote() {
        let split = |s: &str| split_symbol(&Symbol::new(s).unwrap()).map(|(b, q)| (b.to_string(), q.to_string()));
        assert_eq!(split("BTCUSDT").unwrap(), ("BTC".to_string(), "USDT".to_string()));
        assert_eq!(split("BTCUSD").unwrap(), ("BTC".to_string(), "USD".to_string()));
        assert_eq!(split("ETHBTC").unwrap(), ("ETH".to_string(), "BTC".to_string()));
        assert!(split("USD").is_err() && split("FOO").is_err());
    }
}

//! Kraken's names: its asset codes (`XBT`, `ZUSD`), pair names (`XBTUSD`) and WebSocket v2 symbols (`BTC/USD`), to
//! and from the engine's symbols and common asset names.

use super::symbols::split_symbol;
use crate::error::Result;
use crate::model::Symbol;

/// Kraken's code for an asset (`BTC` → `XBT`, `DOGE` → `XDG`).
pub fn kraken_asset(asset: &str) -> &str {
    match asset {
        "BTC" => "XBT",
        "DOGE" => "XDG",
        other => other,
    }
}

/// The common name of a Kraken asset code: `XXBT`/`XBT` → `BTC`, `ZUSD` → `USD`, `XETH` → `ETH`, `XXDG` → `DOGE`.
pub fn common_asset(code: &str) -> String {
    let short = match code.len() {
        4 if code.starts_with('X') || code.starts_with('Z') => &code[1..],
        _ => code,
    };
    match short {
        "XBT" => "BTC".into(),
        "XDG" => "DOGE".into(),
        other => other.into(),
    }
}

/// Kraken's pair name for the engine's symbol: `BTCUSD` → `XBTUSD`.
///
/// # Errors
/// [`Error::Order`] when the symbol does not end with a known quote asset.
pub fn kraken_pair(symbol: Symbol) -> Result<String> {
    let (base, quote) = split_symbol(&symbol)?;
    Ok(format!("{}{}", kraken_asset(base), kraken_asset(quote)))
}

/// Kraken's WebSocket v2 name of the engine's symbol: `BTCUSD` → `BTC/USD`.
///
/// # Errors
/// [`Error::Order`] when the symbol does not end with a known quote asset.
pub fn kraken_ws_symbol(symbol: Symbol) -> Result<String> {
    let (base, quote) = split_symbol(&symbol)?;
    Ok(format!("{base}/{quote}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_assets_map_both_ways() {
        assert_eq!(kraken_pair(Symbol::new("BTCUSD").unwrap()).unwrap(), "XBTUSD");
        assert_eq!(kraken_pair(Symbol::new("ETHUSDT").unwrap()).unwrap(), "ETHUSDT");
        assert_eq!(kraken_pair(Symbol::new("DOGEEUR").unwrap()).unwrap(), "XDGEUR");
        assert!(kraken_pair(Symbol::new("FOO").unwrap()).is_err());
        for (code, common) in
            [("XXBT", "BTC"), ("ZUSD", "USD"), ("XETH", "ETH"), ("XXDG", "DOGE"), ("USDT", "USDT"), ("SOL", "SOL")]
        {
            assert_eq!(common_asset(code), common, "{code}");
        }
        assert_eq!(kraken_ws_symbol(Symbol::new("BTCUSD").unwrap()).unwrap(), "BTC/USD");
    }
}

//! [`Symbol`]: an instrument's name, stored inline so that it is `Copy` and never allocates on the hot path.

use std::fmt;

use crate::error::{Error, Result};

/// Longest symbol accepted, in bytes (`1000SATSUSDT`, `XXBTZUSD`, `BTC-USD-PERP` all fit).
pub const MAX_SYMBOL_LEN: usize = 23;

/// A trading symbol such as `BTCUSDT`: 1 to 23 ASCII letters, digits or `-_/.:`.
///
/// Stored as 24 bytes aligned to 8 (the name, zero padding, the length in the last byte) and compared as three
/// 64-bit words: the engine compares symbols on every event, and word loads of a freshly copied symbol are forwarded
/// from the store buffer where a 16-byte vector compare stalls.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub struct Symbol {
    bytes: [u8; MAX_SYMBOL_LEN + 1],
}

impl Symbol {
    /// Validates and stores `name`.
    ///
    /// # Errors
    /// [`Error::Validation`] when the name is empty, too long or has characters outside `A-Za-z0-9-_/.:`.
    pub fn new(name: &str) -> Result<Self> {
        let valid_char = |b: u8| b.is_ascii_alphanumeric() || b"-_/.:".contains(&b);
        if name.is_empty() || name.len() > MAX_SYMBOL_LEN || !name.bytes().all(valid_char) {
            return Err(Error::Validation(format!(
                "symbol '{name}' must be 1 to {MAX_SYMBOL_LEN} characters of A-Z, a-z, 0-9 or -_/.:"
            )));
        }
        let mut bytes = [0u8; MAX_SYMBOL_LEN + 1];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        bytes[MAX_SYMBOL_LEN] = name.len() as u8;
        Ok(Symbol { bytes })
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (checked in `new`), so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.bytes[MAX_SYMBOL_LEN])]).unwrap_or_default()
    }

    #[inline]
    fn words(&self) -> [u64; 3] {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&self.bytes[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(w)
        };
        [word(0), word(1), word(2)]
    }
}

impl PartialEq for Symbol {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.words(), other.words());
        (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) == 0
    }
}

impl Eq for Symbol {}

impl std::hash::Hash for Symbol {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.words().hash(state);
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Symbol {
    /// Alphabetical, so that reports list symbols in the order a reader expects.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.as_str())
    }
}

impl serde::Serialize for Symbol {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Symbol {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Symbol::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_sort_alphabetically() {
        let a = Symbol::new("ETHUSDT").unwrap();
        let b = Symbol::new("BTCUSDT").unwrap();
        let c = Symbol::new("BTC").unwrap();
        assert_eq!(a.as_str(), "ETHUSDT");
        let mut v = [a, b, c];
        v.sort();
        assert_eq!(v.iter().map(Symbol::as_str).collect::<Vec<_>>(), ["BTC", "BTCUSDT", "ETHUSDT"]);
    }

    #[test]
    fn bad_symbols_are_validation_errors_naming_the_symbol() {
        for bad in ["", "BTC USDT", "ÄBC", "A23456789012345678901234"] {
            let err = Symbol::new(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
    }
}

//! [`TradeId`]: a venue's own id of one execution, the key that makes booking a fill idempotent.

use std::fmt;

/// The longest trade id kept (Kraken's `TCWJEG-FL4SZ-3FKGH6` is 19 characters; Binance and Coinbase send numbers).
pub const MAX_TRADE_ID_LEN: usize = 31;

/// A venue's id of one trade: a number (Binance `t`/`tradeId`, Coinbase `trade_id`, the simulator's count) or a
/// short text (Kraken's trade txid). Held inline, so a fill carrying one stays `Copy` and allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TradeId {
    len: u8,
    bytes: [u8; MAX_TRADE_ID_LEN],
}

impl TradeId {
    /// The trade numbered `number`.
    pub fn number(number: u64) -> Self {
        // Digits written from the right into a scratch buffer (u64 has at most 20), then moved to the front.
        let (mut digits, mut at, mut rest) = ([0u8; 20], 20, number);
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let mut bytes = [0; MAX_TRADE_ID_LEN];
        bytes[..20 - at].copy_from_slice(&digits[at..]);
        TradeId { len: (20 - at) as u8, bytes }
    }

    /// The trade id `text`, as the venue wrote it; `None` when it is empty, longer than [`MAX_TRADE_ID_LEN`] or
    /// holds anything but printable ASCII.
    pub fn parse(text: &str) -> Option<Self> {
        let fits = !text.is_empty() && text.len() <= MAX_TRADE_ID_LEN;
        if !fits || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let mut bytes = [0; MAX_TRADE_ID_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(TradeId { len: text.len() as u8, bytes })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (`number` writes digits, `parse` checks), so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TradeId({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_venue_texts_read_back_as_written() {
        assert_eq!(TradeId::number(0).as_str(), "0");
        assert_eq!(TradeId::number(u64::MAX).as_str(), "18446744073709551615");
        assert_eq!(
            TradeId::parse("TCWJEG-FL4SZ-3FKGH6").map(|t| t.to_string()).as_deref(),
            Some("TCWJEG-FL4SZ-3FKGH6")
        );
        assert_eq!(TradeId::parse("12345"), Some(TradeId::number(12345)));
    }

    #[test]
    fn empty_long_or_unprintable_ids_are_refused() {
        assert_eq!(TradeId::parse(""), None);
        assert_eq!(TradeId::parse(&"9".repeat(MAX_TRADE_ID_LEN + 1)), None);
        assert!(TradeId::parse(&"9".repeat(MAX_TRADE_ID_LEN)).is_some());
        assert_eq!(TradeId::parse("a b"), None);
        assert_eq!(TradeId::parse("é"), None);
    }
}

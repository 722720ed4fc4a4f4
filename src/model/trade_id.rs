//! [`TradeId`]: a venue's own id of one execution, the key that makes booking a fill idempotent.

use std::fmt;

/// The longest trade id kept (Kraken's `TCWJEG-FL4SZ-3FKGH6` is 19 characters; Binance and Coinbase send numbers).
pub const MAX_TRADE_ID_LEN: usize = 31;

/// A venue's id of one trade: a number (Binance `t`/`tradeId`, Coinbase `trade_id`, the simulator's count) or a
/// short text (Kraken's trade txid). Held inline as four words — the bytes, then the length in the last byte — so a
/// fill carrying one stays `Copy`, allocates nothing, and compares and hashes in a few instructions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TradeId {
    words: [u64; 4],
}

impl TradeId {
    /// The trade numbered `number`.
    pub fn number(number: u64) -> Self {
        // Digits written from the right into a scratch buffer (u64 has at most 20).
        let (mut digits, mut at, mut rest) = ([0u8; 20], 20, number);
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        Self::packed(&digits[at..])
    }

    /// The trade id `text`, as the venue wrote it; `None` when it is empty, longer than [`MAX_TRADE_ID_LEN`] or
    /// holds anything but printable ASCII.
    pub fn parse(text: &str) -> Option<Self> {
        let fits = !text.is_empty() && text.len() <= MAX_TRADE_ID_LEN;
        (fits && text.bytes().all(|b| b.is_ascii_graphic())).then(|| Self::packed(text.as_bytes()))
    }

    /// `bytes` (at most [`MAX_TRADE_ID_LEN`] of them) packed into the words, the length last.
    fn packed(bytes: &[u8]) -> Self {
        let mut words = [0u64; 4];
        for (i, &byte) in bytes.iter().enumerate() {
            words[i / 8] |= u64::from(byte) << (8 * (i % 8));
        }
        words[3] |= (bytes.len() as u64) << 56;
        TradeId { words }
    }

    /// The id's bytes and their count.
    fn bytes(&self) -> ([u8; 32], usize) {
        let mut bytes = [0u8; 32];
        for (i, word) in self.words.iter().enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
        }
        (bytes, (self.words[3] >> 56) as usize)
    }
}

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bytes, len) = self.bytes();
        // Only printable ASCII is ever stored (`number` writes digits, `parse` checks each byte).
        bytes[..len].iter().try_for_each(|&b| fmt::Write::write_char(f, char::from(b)))
    }
}

impl fmt::Debug for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TradeId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_venue_texts_read_back_as_written() {
        assert_eq!(TradeId::number(0).to_string(), "0");
        assert_eq!(TradeId::number(u64::MAX).to_string(), "18446744073709551615");
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
        let longest = "9".repeat(MAX_TRADE_ID_LEN);
        assert_eq!(TradeId::parse(&longest).map(|t| t.to_string()), Some(longest));
        assert_eq!(TradeId::parse("a b"), None);
        assert_eq!(TradeId::parse("é"), None);
    }
}

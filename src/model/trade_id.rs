//! [`TradeId`]: a venue's own id of one execution, the key that makes booking a fill idempotent.

use std::fmt;

/// The longest trade id kept (Kraken's `TCWJEG-FL4SZ-3FKGH6` is 19 characters; Binance and Coinbase send numbers).
pub const MAX_TRADE_ID_LEN: usize = 31;

/// A venue's id of one trade: a number (Binance `t`/`tradeId`, Coinbase `trade_id`, the simulator's count) or a
/// short text (Kraken's trade txid). Held inline as four words so a fill carrying one stays `Copy`, allocates
/// nothing, and compares and hashes in a few instructions: a number as itself in the first word, a text as its
/// bytes with the length in the last byte. A text that is a number written the usual way (digits, no leading zero)
/// is held as that number, so `parse("12345") == number(12345)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TradeId {
    words: [u64; 4],
}

/// The last byte of a numbered id: no text is this long.
const NUMBER_TAG: u64 = 0xFF << 56;

impl TradeId {
    /// The trade numbered `number`.
    pub fn number(number: u64) -> Self {
        TradeId { words: [number, 0, 0, NUMBER_TAG] }
    }

    /// The id's number, when it is one.
    #[inline]
    pub fn as_number(&self) -> Option<u64> {
        (self.words[3] == NUMBER_TAG).then_some(self.words[0])
    }

    /// The trade id `text`, as the venue wrote it; `None` when it is empty, longer than [`MAX_TRADE_ID_LEN`] or
    /// holds anything but printable ASCII.
    pub fn parse(text: &str) -> Option<Self> {
        let fits = !text.is_empty() && text.len() <= MAX_TRADE_ID_LEN;
        if !(fits && text.bytes().all(|b| b.is_ascii_graphic())) {
            return None;
        }
        let canonical = text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
        match text.parse::<u64>() {
            Ok(number) if canonical => Some(Self::number(number)),
            _ => Some(Self::packed(text.as_bytes())),
        }
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

    /// The text id's bytes and their count.
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
        if let Some(number) = self.as_number() {
            return write!(f, "{number}");
        }
        let (bytes, len) = self.bytes();
        // Only printable ASCII is ever stored as text (`parse` checks each byte).
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
        assert_eq!(TradeId::parse("18446744073709551615"), Some(TradeId::number(u64::MAX)));
    }

    #[test]
    fn only_numbers_written_the_usual_way_are_numbers() {
        assert_eq!(TradeId::parse("42").and_then(|t| t.as_number()), Some(42));
        assert_eq!(TradeId::parse("0").and_then(|t| t.as_number()), Some(0));
        // A leading zero or a number too large for u64 stays text, and is not the same trade as the number.
        let padded = TradeId::parse("042").expect("id");
        assert_eq!((padded.as_number(), padded.to_string()), (None, "042".to_string()));
        assert_ne!(Some(padded), TradeId::parse("42"));
        let huge = TradeId::parse("18446744073709551616").expect("id");
        assert_eq!((huge.as_number(), huge.to_string()), (None, "18446744073709551616".to_string()));
        assert_eq!(TradeId::parse("TCWJEG-FL4SZ-3FKGH6").and_then(|t| t.as_number()), None);
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

//! The client order ids a live venue receives: the engine's [`OrderId`] under a session's [`ClientTag`], so that two
//! sessions — or a session and `ctb exchange order` — never send the same id, while a resumed session keeps its tag
//! and finds its earlier orders by the ids it gave them.

use sha2::{Digest, Sha256};
use std::fmt;

use crate::model::OrderId;

/// Eight hex digits naming the session that sends an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientTag(u32);

impl ClientTag {
    /// The tag `value`.
    pub const fn new(value: u32) -> Self {
        ClientTag(value)
    }

    /// A new tag for `salt` (a session name), from the wall clock and the process id: what a new session records in
    /// its journal and keeps for its life.
    pub fn fresh(salt: &str) -> Self {
        let now = super::wall_clock::wall_clock_now().0;
        let digest = Sha256::new()
            .chain_update(salt.as_bytes())
            .chain_update(now.to_le_bytes())
            .chain_update(std::process::id().to_le_bytes())
            .finalize();
        ClientTag(u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]))
    }

    /// The tag written as eight hex digits; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        hex.then(|| u32::from_str_radix(text, 16).ok()).flatten().map(ClientTag)
    }

    /// Binance's `newClientOrderId` of order `id`: `ctb-<tag>-<id>` (at most 33 characters of
    /// `^[.A-Z:/a-z0-9_-]{1,36}$`).
    pub fn short_id(self, id: OrderId) -> String {
        format!("ctb-{self}-{id}")
    }

    /// The order a [`ClientTag::short_id`] names, when it carries this tag.
    pub fn parse_short_id(self, text: &str) -> Option<OrderId> {
        let rest = text.strip_prefix("ctb-")?.strip_prefix(&self.to_string())?.strip_prefix('-')?;
        let canonical = rest.bytes().all(|b| b.is_ascii_digit()) && (rest == "0" || !rest.starts_with('0'));
        canonical.then(|| rest.parse().ok()).flatten().map(OrderId)
    }

    /// A UUID for order `id` (Coinbase's `client_oid`, Kraken's `cl_ord_id`): `<tag>-0000-4000-8000-<id in 12 hex>`.
    pub fn uuid(self, id: OrderId) -> String {
        format!("{self}-0000-4000-8000-{:012x}", id.0)
    }

    /// The order a [`ClientTag::uuid`] names, when it carries this tag.
    pub fn parse_uuid(self, text: &str) -> Option<OrderId> {
        let rest = text.strip_prefix(&self.to_string())?.strip_prefix("-0000-4000-8000-")?;
        let hex = rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        hex.then(|| u64::from_str_radix(rest, 16).ok()).flatten().map(OrderId)
    }
}

impl fmt::Display for ClientTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_under_their_own_tag_only() {
        let (a, b) = (ClientTag::new(0xab), ClientTag::new(0xcd));
        assert_eq!(a.short_id(OrderId(17)), "ctb-000000ab-17");
        assert_eq!(a.parse_short_id("ctb-000000ab-17"), Some(OrderId(17)));
        assert_eq!(b.parse_short_id("ctb-000000ab-17"), None, "another session's order");
        for not_ours in ["ctb-000000ab-+17", "ctb-000000ab-017", "ctb-000000ab-", "ctb-000000ab-1x"] {
            assert_eq!(a.parse_short_id(not_ours), None, "{not_ours}");
        }
        assert_eq!(a.parse_uuid("000000ab-0000-4000-8000-+0000000000f"), None);
        assert_eq!(a.uuid(OrderId(255)), "000000ab-0000-4000-8000-0000000000ff");
        assert_eq!(a.parse_uuid(&a.uuid(OrderId(255))), Some(OrderId(255)));
        assert_eq!(b.parse_uuid(&a.uuid(OrderId(255))), None);
        assert_eq!(ClientTag::parse("000000ab"), Some(a));
        assert_eq!(ClientTag::parse("ab"), None);
        let longest = a.short_id(OrderId(u64::MAX));
        assert!(longest.len() <= 36, "{longest}");
    }

    #[test]
    fn fresh_tags_differ_between_sessions() {
        assert_ne!(ClientTag::fresh("s1"), ClientTag::fresh("s2"));
    }
}

//! The audit trail's chain: each event, once sealed, carries its place in the chain (`seq`,
//! from 1) and a hash over that place, the previous event's hash and everything the event
//! records. Changing, removing or reordering a sealed event breaks the chain from there on, and
//! `immovr audit verify` names the first broken link.

use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit event as stored (its text exactly as written), the part the chain covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: i64,
    pub detail: &'a str,
}

/// The hash of the event at `seq`, after the event whose hash is `previous`: SHA-256 (hex) of
/// a JSON array of them all, so no two different events write the same bytes.
pub fn link_hash(previous: &str, seq: i64, e: &Sealed<'_>) -> String {
    let canonical = serde_json::json!([seq, previous, e.at, e.actor, e.action, e.entity_kind, e.entity_id, e.detail]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// What a verification of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainCheck {
    /// Sealed events checked.
    pub sealed: u64,
    /// Events committed but not sealed yet (the sealer takes them within seconds).
    pub unsealed: u64,
    /// The first broken link: the event, and what is wrong with it.
    pub broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// Its place in the chain.
    pub seq: i64,
    /// The audit event's id, when there is one at that place.
    pub event_id: Option<i64>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let e = Sealed {
            at: "2026-06-15T08:00:00.000000000Z",
            actor: "a",
            action: "x",
            entity_kind: "quote",
            entity_id: 1,
            detail: "{}",
        };
        let h = link_hash(GENESIS, 1, &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, link_hash(GENESIS, 2, &e));
        assert_ne!(h, link_hash(&h, 1, &e));
        assert_ne!(h, link_hash(GENESIS, 1, &Sealed { detail: "{ }", ..e.clone() }));
        assert_ne!(h, link_hash(GENESIS, 1, &Sealed { actor: "ax", action: "", ..e.clone() }), "fields stay apart");
    }
}

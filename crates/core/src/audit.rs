//! The audit trail's chain: each event, once sealed, carries its place in the chain (`seq`,
//! from 1) and a hash over that place, the previous event's hash and everything the event
//! records. Changing, removing or reordering a sealed event breaks the chain from there on, and
//! `immovr audit verify` names the first broken link.
//!
//! Personal data (who acted, by email; addresses, user agents, names, comments) is kept apart
//! from the rest of an event, in its *personal part*: the chain covers a salted digest of that
//! part, not the part itself. Erasing a person (GDPR art. 17) removes the part and its salt and
//! keeps the digest, so the chain still verifies, and what remains — the digest of a random
//! salt and the text — tells nothing of what was erased. Events sealed before the part existed
//! (no digest) are covered whole, as they were.

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
    /// The digest of the event's personal part, when it has one.
    pub personal_digest: Option<&'a str>,
}

/// The hash of the event at `seq`, after the event whose hash is `previous`: SHA-256 (hex) of
/// a JSON array of them all, so no two different events write the same bytes.
pub fn link_hash(previous: &str, seq: i64, e: &Sealed<'_>) -> String {
    let canonical = match e.personal_digest {
        None => serde_json::json!([seq, previous, e.at, e.actor, e.action, e.entity_kind, e.entity_id, e.detail]),
        Some(d) => {
            serde_json::json!([seq, previous, e.at, e.actor, e.action, e.entity_kind, e.entity_id, e.detail, d])
        }
    };
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The keys of an event's detail that hold personal data: they go to its personal part.
pub const PERSONAL_KEYS: &[&str] = &["email", "ip", "user_agent", "signer", "comment", "recipient", "filename", "name"];

/// The key of the personal part that holds who acted (the email of an actor's label).
pub const PERSONAL_ACTOR: &str = "actor";

/// An event split for the record: its actor without a name ("client:7", "staff:3", "system"),
/// its detail without personal data, and its personal part (JSON object), if any.
pub fn split(label: &str, detail: serde_json::Value) -> (String, serde_json::Value, Option<String>) {
    let mut personal = serde_json::Map::new();
    let actor = match label.split_once(' ') {
        Some((who, name)) => {
            personal.insert(PERSONAL_ACTOR.into(), name.into());
            who.to_string()
        }
        None => label.to_string(),
    };
    let mut detail = detail;
    if let Some(obj) = detail.as_object_mut() {
        for key in PERSONAL_KEYS {
            if let Some(v) = obj.remove(*key) {
                personal.insert((*key).into(), v);
            }
        }
    }
    let personal = (!personal.is_empty()).then(|| serde_json::Value::Object(personal).to_string());
    (actor, detail, personal)
}

/// An event's personal part as recorded: its JSON, the random salt of its digest, and the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalPart {
    pub json: String,
    pub salt: String,
    pub digest: String,
}

impl PersonalPart {
    pub fn new(json: String, salt: String) -> PersonalPart {
        let digest = personal_digest(&salt, &json);
        PersonalPart { json, salt, digest }
    }
}

/// The digest the chain covers for a personal part: SHA-256 (hex) of the salt, a newline, and
/// the part's JSON.
pub fn personal_digest(salt: &str, personal: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(personal.as_bytes());
    hex::encode(h.finalize())
}

/// An event as it reads again: the actor's label with its name, and the detail with its
/// personal data, when the personal part is still there (not erased).
pub fn merge(actor: &str, detail: serde_json::Value, personal: Option<&str>) -> (String, serde_json::Value) {
    let Some(serde_json::Value::Object(part)) = personal.and_then(|p| serde_json::from_str(p).ok()) else {
        return (actor.to_string(), detail);
    };
    let mut detail = detail;
    let mut label = actor.to_string();
    for (k, v) in part {
        if k == PERSONAL_ACTOR {
            if let Some(name) = v.as_str() {
                label = format!("{actor} {name}");
            }
        } else if let Some(obj) = detail.as_object_mut() {
            obj.insert(k, v);
        }
    }
    (label, detail)
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
            personal_digest: None,
        };
        let h = link_hash(GENESIS, 1, &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, link_hash(GENESIS, 2, &e));
        assert_ne!(h, link_hash(&h, 1, &e));
        assert_ne!(h, link_hash(GENESIS, 1, &Sealed { detail: "{ }", ..e.clone() }));
        assert_ne!(h, link_hash(GENESIS, 1, &Sealed { actor: "ax", action: "", ..e.clone() }), "fields stay apart");
        assert_ne!(h, link_hash(GENESIS, 1, &Sealed { personal_digest: Some("d"), ..e.clone() }));
    }

    #[test]
    fn personal_data_goes_apart_and_comes_back() {
        let detail = serde_json::json!({"number": "D-1", "ip": "192.0.2.1", "signer": "Jean Dupont"});
        let (actor, rest, personal) = split("client:7 jean@example.com", detail.clone());
        assert_eq!(actor, "client:7");
        assert_eq!(rest, serde_json::json!({"number": "D-1"}));
        let personal = personal.unwrap();
        assert!(personal.contains("jean@example.com") && personal.contains("192.0.2.1"));
        assert_eq!(merge(&actor, rest.clone(), Some(&personal)), ("client:7 jean@example.com".into(), detail));
        assert_eq!(merge(&actor, rest.clone(), None), ("client:7".into(), rest));
        assert_eq!(split("system", serde_json::json!({"n": 1})), ("system".into(), serde_json::json!({"n": 1}), None));
        let d = personal_digest("salt", &personal);
        assert_ne!(d, personal_digest("salt2", &personal));
        assert_ne!(d, personal_digest("salt", "{}"));
    }
}

//! Password and token hashing. Passwords: argon2id (PHC string). Tokens: random, shown once,
//! stored as SHA-256 so a database leak does not leak usable tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::error::{DomainError, Result};

pub const MIN_PASSWORD_LEN: usize = 10;

/// Whether a password can be chosen: long enough, and bounded.
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(DomainError::validation("password", format!("at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > 1024 {
        return Err(DomainError::validation("password", "at most 1024 bytes"));
    }
    Ok(())
}

/// CPU-heavy (tens of ms): call it off the async runtime (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String> {
    check_password(password)?;
    hash(password).map_err(DomainError::internal)
}

/// Argon2id with 9 MiB and 4 passes: one of OWASP's equivalent settings (the crate's default,
/// 19 MiB and 2 passes, is another), for half the memory each hash holds while it runs. A
/// hash made with other settings is verified with its own (they are in its PHC string).
fn argon2() -> Argon2<'static> {
    let params = Params::new(9 * 1024, 4, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash(password: &str) -> std::result::Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
}

/// CPU-heavy: call it off the async runtime.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

/// A new hash of `password` when `phc`, which it matched, was made with other settings than
/// new hashes are (older accounts): to store in its place. `None` when it needs none.
pub fn upgraded_hash(password: &str, phc: &str) -> Option<String> {
    let parsed = PasswordHash::new(phc).ok()?;
    let current = argon2();
    let same = parsed.algorithm == Algorithm::Argon2id.ident()
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(&parsed).is_ok_and(|p| {
            let c = current.params();
            (p.m_cost(), p.t_cost(), p.p_cost()) == (c.m_cost(), c.t_cost(), c.p_cost())
        });
    if same { None } else { hash(password).ok() }
}

/// A hash to verify against when the email is unknown, made with the settings of new hashes, so
/// the time taken does not reveal which accounts exist (made once, at the first use).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not the password of anyone").unwrap_or_default())
}

pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Normalises an email for lookup and uniqueness; rejects what is clearly not an address.
pub fn normalize_email(email: &str) -> Result<String> {
    crate::identifiers::email("email", email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(hash_password("short").is_err());
        // 9 MiB, 4 passes.
        assert!(h.starts_with("$argon2id$v=19$m=9216,t=4,p=1$"), "{h}");
        // The dummy hash must parse, with the same settings, or unknown emails would answer
        // faster than real ones.
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=9216,t=4,p=1$"));
        assert!(!verify_password("anything at all", dummy_hash()));
        // A hash made with the crate's default settings (19 MiB, 2 passes), as accounts made
        // before have, still verifies.
        let salt = SaltString::generate(&mut OsRng);
        let before = Argon2::default().hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert!(before.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &before));
        assert!(!verify_password("wrong horse battery", &before));
        // It is made again with the new settings; a new hash is not.
        let upgraded = upgraded_hash("correct horse battery", &before).expect("an upgrade");
        assert!(upgraded.starts_with("$argon2id$v=19$m=9216,t=4,p=1$"));
        assert!(verify_password("correct horse battery", &upgraded));
        assert_eq!(upgraded_hash("correct horse battery", &h), None);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email(" Anne.Martin@Example.FR ").unwrap(), "anne.martin@example.fr");
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a@b").is_err());
    }
}

//! Password and token hashing. Passwords: argon2id (PHC string). Tokens: random, shown once,
//! stored as SHA-256 so a database leak does not leak usable tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
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
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(DomainError::internal)
}

/// CPU-heavy: call it off the async runtime.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fixed hash to verify against when the email is unknown, so timing does not reveal accounts.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2ZmV4dEJkbO0KPEIk0G3G0cC0IFiGqOEe4m5pUE1Qm0s"
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
        // The dummy hash must parse, or unknown emails would answer faster than real ones.
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify_password("anything at all", dummy_hash()));
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email(" Anne.Martin@Example.FR ").unwrap(), "anne.martin@example.fr");
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a@b").is_err());
    }
}

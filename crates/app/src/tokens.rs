//! Random tokens: session and API tokens, single-use links, CSRF tokens, file keys.

use base64::Engine;
use rand::RngCore;

/// A random token: `prefix` + 32 random bytes, base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `len` random URL-safe characters, to make a stored file's key unguessable and unique.
pub fn random_key(len: usize) -> String {
    new_token("").chars().take(len).collect()
}

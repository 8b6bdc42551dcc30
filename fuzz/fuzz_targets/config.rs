//! The configuration file as an operator writes it (`immovr.toml`): read over the embedded
//! defaults exactly as `immovr` reads it. Nothing panics; a file is taken or refused with an
//! error, and a taken one names a database.
#![no_main]

// The binary's own configuration module (it needs only figment, serde and the core types).
#[path = "../../crates/immovr/src/config.rs"]
#[allow(dead_code)]
mod config;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = config::Config::from_toml(text) {
        assert!(!c.database_url().is_empty());
        let _ = c.database_url_redacted();
    }
});

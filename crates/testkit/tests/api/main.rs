//! End-to-end tests over HTTP against a real server, on SQLite and (when
//! IMMOVR_TEST_DATABASE_URL is set) PostgreSQL. One binary: one link, shared helpers.

mod audit;
mod backoffice;
mod backup;
mod concurrency;
mod demo;
mod documents;
mod erasure;
mod files;
mod hostile;
mod idempotency;
mod input;
mod journey;
mod kept;
mod links;
mod lists;
mod matrix;
mod notifications;
mod offline;
mod paths;
mod platform;
mod portal;
mod privacy;
mod reform;
mod retention;
mod withdrawal;

pub use immovr_testkit::reqwest::StatusCode;
pub use immovr_testkit::serde_json::{Value, json};
pub use immovr_testkit::{TestApp, both};

/// Decimal strings compared as numbers ("390.00" == "390").
pub fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

pub fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

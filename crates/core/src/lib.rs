//! immovr's domain: the quote-to-cash journey of a visualisation studio, with no IO.
//!
//! - `model`: the entities (quotes and their versions, purchase orders, orders, invoices, …);
//! - `money`: exact amounts, line totals and VAT per rate;
//! - `rules`: the state machines and numbering;
//! - `notification`: what a change tells the client or the studio; `links`: the pages' paths;
//! - `ports`: who acts and what they may see, the clock, the use cases' inputs and outcomes;
//! - `text`, `identifiers`: what people type, checked where it enters the domain;
//! - `error`: one error type with stable codes.

pub mod audit;
pub mod auth;
pub mod error;
pub mod identifiers;
pub mod inputs;
pub mod links;
pub mod listing;
pub mod model;
pub mod money;
pub mod notification;
pub mod ports;
pub mod rules;
pub mod text;

pub use error::{Checks, Context, DomainError, ErrorKind, FieldError, Internal, Result};
pub use notification::{Change, LiveEvent, Notification};
pub use ports::{Actor, ChangeFeed, Clock, Scope, SystemClock};

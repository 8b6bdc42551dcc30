//! Quotes and their versions, in a use case's transaction.

use async_trait::async_trait;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{Acceptance, Client, Id, PurchaseOrder, Quote, QuoteStatus, Refusal};
use immovr_core::money::{Line, Totals};
use immovr_core::{Result, Scope};
use jiff::Timestamp;
use jiff::civil::Date;

/// A draft's content.
pub struct QuoteFields<'a> {
    pub title: &'a str,
    pub notes: Option<&'a str>,
    pub valid_until: Date,
    pub totals: &'a Totals,
}

/// How a version is read to be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteLock {
    /// A draft about to be sent: its lines (an edit may change them while the lock is awaited)
    /// and whether another version of its family is accepted are read after the lock.
    Draft,
    /// A sent version about to be answered: its lines, which no longer change, come with it.
    Sent,
}

/// A document number taken with a lock: the counter's row is locked after the record's (the
/// order every numbering transaction takes them in), and on PostgreSQL in the same round trip.
/// A transaction that then fails gives the number back with its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeNumber<'a> {
    No,
    /// The next of this series.
    Next(&'a str),
    /// The next of this series if the version has no number yet (a first version, sent).
    IfUnnumbered(&'a str),
}

/// A version locked together with its family (sending a version and accepting another both
/// lock the family, so one waits for the other), with its client.
pub struct LockedQuote {
    pub quote: Quote,
    pub client: Client,
    /// Another version of its family is accepted (read for [`QuoteLock::Draft`] only).
    pub family_accepted: bool,
    /// The value taken with the lock (see [`TakeNumber`]).
    pub number_taken: Option<i64>,
}

/// A sent quote whose validity ends soon (reminders).
pub struct ExpiringQuote {
    pub id: Id,
    pub client_id: Id,
    pub number: Option<String>,
    pub valid_until: Date,
    pub total_incl_vat: rust_decimal::Decimal,
}

#[async_trait]
pub trait QuoteRepo: Send {
    /// The client of a quote request, if it exists.
    async fn request_client(&mut self, request_id: Id) -> Result<Option<Id>>;
    async fn client_exists(&mut self, client_id: Id) -> Result<bool>;
    async fn mark_request_quoted(&mut self, request_id: Id) -> Result<()>;
    /// A first version (its own family), as stored; `None` when the client does not exist.
    async fn insert_quote(
        &mut self,
        client_id: Id,
        request_id: Option<Id>,
        fields: &QuoteFields<'_>,
        lines: Vec<Line>,
        at: Timestamp,
    ) -> Result<Option<Quote>>;
    /// Locks a version (see [`LockedQuote`]), and takes a number with it.
    async fn lock_quote(&mut self, scope: Scope, id: Id, lock: QuoteLock, take: TakeNumber<'_>) -> Result<LockedQuote>;
    /// Reads a version, locked: the caller changes it.
    async fn lock_quote_alone(&mut self, scope: Scope, id: Id) -> Result<Quote>;
    /// The stored status of a version, locked (an expired quote is stored as sent).
    async fn lock_quote_status(&mut self, id: Id) -> Result<QuoteStatus>;
    /// Replaces a draft's content; gives it as it now is.
    async fn update_draft(&mut self, draft: &Quote, fields: &QuoteFields<'_>, lines: &[Line]) -> Result<Quote>;
    /// Sends a locked draft with its number; earlier sent or refused versions of its family can
    /// no longer be answered (how many is given with the version sent).
    async fn mark_sent(&mut self, quote: &Quote, number: &str, at: Timestamp) -> Result<(Quote, u64)>;
    /// Accepts a locked version and inserts its purchase order, with the version's lines
    /// (exactly one per accepted quote). `None` when the version is no longer sent (answered
    /// meanwhile); an error when another version of its family is accepted.
    async fn accept_into_order(
        &mut self,
        quote: &Quote,
        acceptance: &Acceptance,
        purchase_order_number: &str,
        at: Timestamp,
    ) -> Result<Option<(Quote, PurchaseOrder)>>;
    async fn mark_refused(&mut self, quote: &Quote, refusal: &Refusal) -> Result<Quote>;
    async fn has_newer_version(&mut self, quote: &Quote) -> Result<bool>;
    /// The next version of `quote`, a draft with its content; an error when one exists already.
    async fn insert_revision(&mut self, quote: &Quote, valid_until: Date, at: Timestamp) -> Result<Quote>;
    async fn set_valid_until(&mut self, id: Id, valid_until: Date) -> Result<Quote>;
    /// Sent quotes whose validity ends within the period (both ends included).
    async fn quotes_expiring(&mut self, from: Date, to: Date) -> Result<Vec<ExpiringQuote>>;
}

/// Reading quotes.
#[async_trait]
pub trait QuoteQueries: Send + Sync {
    /// Quote versions, newest first. Status: draft, sent, expired, accepted, refused,
    /// superseded; period: created; `q`: number, title and client.
    async fn quotes(&self, scope: Scope, list: &ListQuery) -> Result<Page<Quote>>;
    async fn quote(&self, scope: Scope, id: Id) -> Result<Quote>;
    /// Every version of one quote (that the scope may see), newest first.
    async fn quote_versions(&self, scope: Scope, family_id: Id) -> Result<Vec<Quote>>;
}

//! The outbox seen by the email worker (leases, outcomes), by staff (a failed email sent
//! again) and by the reminders; the studio's lists of events and emails, its dashboard; and the
//! idempotency of API requests.

use async_trait::async_trait;
use immovr_core::Result;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{AuditEvent, Id, OutboxMessage};
use immovr_core::ports::{AuditFilter, Dashboard, IdempotencyStart};
use jiff::Timestamp;

#[async_trait]
pub trait OutboxRepo: Send {
    /// A notification, locked.
    async fn lock_outbox(&mut self, id: Id) -> Result<OutboxMessage>;
    /// Puts a failed notification back in the queue, due at `at`; gives it as it now is.
    async fn requeue_outbox(&mut self, id: Id, at: Timestamp) -> Result<OutboxMessage>;
    /// Records that a reminder (kind, record, step) was queued; false when it was already.
    async fn record_reminder(&mut self, kind: &str, entity_id: Id, step: &str, at: Timestamp) -> Result<bool>;
}

/// The email worker's side: each a single statement, outside use cases' transactions.
#[async_trait]
pub trait Mailbox: Send + Sync {
    /// Leases up to `limit` notifications due at `now` until `lease_until`: no other worker
    /// takes them meanwhile (after a crash, the lease ends and they are sent again).
    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>>;
    /// Marks these notifications sent.
    async fn outbox_sent(&self, ids: &[Id], at: Timestamp) -> Result<()>;
    /// A failed attempt: try again at `retry_at`, or without one, park it as failed.
    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()>;
}

/// The studio's journal, its emails and its dashboard.
#[async_trait]
pub trait JournalQueries: Send + Sync {
    async fn company(&self) -> Result<immovr_core::model::CompanySettings>;
    /// Every published version of a legal text, oldest first.
    async fn legal_texts(&self, kind: immovr_core::model::LegalKind) -> Result<Vec<immovr_core::model::LegalText>>;
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Page<AuditEvent>>;
    /// Notifications, newest first. Status: pending, sent, failed; `q`: recipient.
    async fn outbox(&self, list: &ListQuery) -> Result<Page<OutboxMessage>>;
    /// What waits for the studio's team, counted over every record.
    async fn dashboard(&self, preview: i64) -> Result<Dashboard>;
    /// True when the database answers.
    async fn ping(&self) -> bool;
}

/// Idempotency of POST requests, keyed by caller and key; `fingerprint` identifies the request.
/// A run holds its key as an attempt with a lease; a later attempt may take it once the lease
/// has run out. Every write names its attempt and does nothing when the key has moved on.
#[async_trait]
pub trait Idempotency: Send + Sync {
    async fn idempotency_start(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: jiff::SignedDuration,
    ) -> Result<IdempotencyStart>;
    async fn idempotency_complete(&self, owner: &str, key: &str, attempt: i64, status: u16, body: &str) -> Result<()>;
    async fn idempotency_abandon(&self, owner: &str, key: &str, attempt: i64) -> Result<()>;
    /// Deletes the keys claimed before `before`; how many.
    async fn forget_idempotency_keys(&self, before: Timestamp) -> Result<u64>;
}

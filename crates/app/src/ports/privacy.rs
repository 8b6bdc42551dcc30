//! Erasure of a client's personal data (GDPR art. 17) within what the law keeps, and the files
//! it lets go.

use async_trait::async_trait;
use immovr_core::Result;
use immovr_core::model::{ErasureReport, Id};
use jiff::Timestamp;

#[async_trait]
pub trait PrivacyRepo: Send {
    /// Records the client's request to be erased (the first one stands); false when it had
    /// asked already.
    async fn request_erasure(&mut self, client_id: Id, at: Timestamp) -> Result<bool>;
    /// Locks the client's row; whether business is still running with it (a purchase order to
    /// validate, an order in progress, an invoice not settled), which keeps it from erasure.
    async fn open_business(&mut self, client_id: Id) -> Result<bool>;
    /// Erases the client's personal data (see `immovr_store::privacy` for what goes and what
    /// stays); the files to remove are queued (`FileRemovals`) in this transaction.
    async fn erase_client(&mut self, client_id: Id, at: Timestamp) -> Result<ErasureReport>;
    /// Removes the issued documents of erased clients issued before `before` (their files
    /// queued) and the personal data their records kept (signers, addresses, payment
    /// references); how many documents.
    async fn expire_records(&mut self, before: Timestamp, at: Timestamp) -> Result<u64>;
    /// Deletes sessions, links and second-factor waits ended before `now`, and emails sent (or
    /// parked) before `before`; how many rows.
    async fn forget_technical(&mut self, now: Timestamp, before: Timestamp) -> Result<u64>;
}

/// What the retention policy finds due.
#[async_trait]
pub trait RetentionQueries: Send + Sync {
    /// Clients not erased — prospects (no quote ever accepted) or not — none of whose records
    /// (requests, quotes, messages, orders, invoices, payments, sign-ins) is as recent as
    /// `before`: up to `limit` of them after id `after`, by id, each with whether business is
    /// still open with it (see [`PrivacyRepo::open_business`]).
    async fn inactive_clients(
        &self,
        prospects: bool,
        before: Timestamp,
        after: Id,
        limit: i64,
    ) -> Result<Vec<(Id, bool)>>;
    /// The issued documents of erased clients issued before `before`.
    async fn expired_documents(&self, before: Timestamp) -> Result<u64>;
    /// The rows [`PrivacyRepo::forget_technical`] would delete.
    async fn expired_technical(&self, now: Timestamp, before: Timestamp) -> Result<u64>;
}

/// Files let go by a committed change, until the file store confirms their removal.
#[async_trait]
pub trait FileRemovals: Send + Sync {
    /// Up to `limit` keys still to remove, oldest first.
    async fn pending_removals(&self, limit: i64) -> Result<Vec<String>>;
    /// The store removed it (or never had it).
    async fn removal_done(&self, key: &str) -> Result<()>;
}

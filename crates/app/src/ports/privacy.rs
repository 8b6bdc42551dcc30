//! Erasure of a client's personal data (GDPR art. 17) within what the law keeps, and the files
//! it lets go.

use async_trait::async_trait;
use immovr_core::Result;
use immovr_core::model::{ErasureReport, Id};
use jiff::Timestamp;

/// What keeps a client's data from being erased now: business still running with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenBusiness {
    pub purchase_orders_pending: u64,
    pub orders_in_progress: u64,
    pub invoices_unsettled: u64,
}

impl OpenBusiness {
    pub fn any(&self) -> bool {
        self.purchase_orders_pending + self.orders_in_progress + self.invoices_unsettled > 0
    }
}

#[async_trait]
pub trait PrivacyRepo: Send {
    /// Records the client's request to be erased (the first one stands); false when it had
    /// asked already.
    async fn request_erasure(&mut self, client_id: Id, at: Timestamp) -> Result<bool>;
    /// The business still running with the client.
    async fn open_business(&mut self, client_id: Id) -> Result<OpenBusiness>;
    /// Erases the client's personal data (see `immovr_store::privacy` for what goes and what
    /// stays); the files to remove are queued (`FileRemovals`) in this transaction.
    async fn erase_client(&mut self, client_id: Id, at: Timestamp) -> Result<ErasureReport>;
}

/// Files let go by a committed change, until the file store confirms their removal.
#[async_trait]
pub trait FileRemovals: Send + Sync {
    /// Up to `limit` keys still to remove, oldest first.
    async fn pending_removals(&self, limit: i64) -> Result<Vec<String>>;
    /// The store removed it (or never had it).
    async fn removal_done(&self, key: &str) -> Result<()>;
}

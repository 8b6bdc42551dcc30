//! The ports: what the use cases need from the outside world, as small traits per area. The
//! database's are implemented by `immovr-store` — the write side on its transaction type (a use
//! case opens one with [`Database::begin`], calls what it needs and commits once), the read side
//! on the store itself; files by `immovr-files`, PDFs by `immovr-documents`, CPU threads by
//! `immovr-worker`.

mod accounts;
mod billing;
mod documents;
mod files;
mod journal;
mod orders;
mod outbox;
mod platform;
mod privacy;
mod quotes;
mod requests;

pub use accounts::*;
pub use billing::*;
pub use documents::*;
pub use files::*;
pub use journal::*;
pub use orders::*;
pub use outbox::*;
pub use platform::*;
pub use privacy::*;
pub use quotes::*;
pub use requests::*;

use async_trait::async_trait;
use immovr_core::Result;

/// A write transaction: what a use case writes in it commits together, or nothing does. On
/// PostgreSQL the rows a use case changes are locked as it reads them; SQLite has one writer.
#[async_trait]
pub trait Tx:
    Journal
    + QuoteRepo
    + OrderRepo
    + BillingRepo
    + AccountRepo
    + RequestRepo
    + MessageRepo
    + OutboxRepo
    + TransmissionRepo
    + PrivacyRepo
{
    /// Commits, then announces the changes it holds and hands its issued documents over.
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// The database: reads, and write transactions.
#[async_trait]
pub trait Database:
    QuoteQueries
    + OrderQueries
    + BillingQueries
    + AccountQueries
    + RequestQueries
    + JournalQueries
    + Sessions
    + KeptUploads
    + Transmissions
    + FileRemovals
    + RetentionQueries
    + Mailbox
    + Idempotency
    + AuditChain
    + DocumentRepo
    + Send
    + Sync
    + 'static
{
    /// Opens a write transaction (on SQLite it waits for the single writer).
    async fn begin(&self) -> Result<Box<dyn Tx>>;
}

//! Issued documents: their records (written by the use cases that issue them, see
//! [`super::Journal::issue_document`]), the rendering of their PDFs, and the CPU they take.

use async_trait::async_trait;
use immovr_core::model::{DocumentFile, DocumentKind, DocumentRecord, DocumentSnapshot, Id, IssuedDocuments};
use immovr_core::{Result, Scope};
use jiff::{SignedDuration, Timestamp};

/// The records of issued documents, and their PDFs' records (outside use cases' transactions:
/// single statements that commit on their own).
#[async_trait]
pub trait DocumentRepo: Send + Sync + 'static {
    /// An issued document of this kind for this record, if the scope may see it.
    async fn document(&self, scope: Scope, kind: DocumentKind, entity_id: Id) -> Result<Option<DocumentRecord>>;
    /// Every document issued to a client, in the order issued: (kind, record id).
    async fn client_documents(&self, client_id: Id) -> Result<Vec<(DocumentKind, Id)>>;
    /// From now on this process leases the documents it issues to itself for `lease`, in the
    /// transaction that issues them, and hands them to [`DocumentRepo::take_issued`]: its
    /// renderer takes them from there (no claim, no read), and other instances leave them to it.
    fn lease_issued(&self, lease: SignedDuration);
    /// The documents this process issued and leased to itself since the last call, in the
    /// order they committed.
    fn take_issued(&self) -> IssuedDocuments;
    /// Resolves when this process has issued documents that `take_issued` has not given yet.
    async fn issued(&self);
    /// Leases up to `limit` documents issued in the last week that have no PDF yet, oldest
    /// first, until `lease_until`: another instance neither takes them nor renders them
    /// meanwhile.
    async fn claim_documents(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<DocumentRecord>>;
    /// Leases one document for rendering; false when another instance holds its lease.
    async fn claim_document(&self, id: Id, now: Timestamp, lease_until: Timestamp) -> Result<bool>;
    /// Records the rendered PDF of a document, once: a second call keeps the first file.
    /// Returns the file in force.
    async fn set_document_file(&self, id: Id, file: DocumentFile, rendered_at: Timestamp) -> Result<DocumentFile>;
}

/// The company logo, as stored (PNG, JPEG, WebP or GIF).
pub struct Logo {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// Turns a document's snapshot into its PDF: a pure function of the snapshot (and the logo),
/// so whoever renders it, the bytes are the same. Implemented by `immovr-documents`.
pub trait DocumentRenderer: Send + Sync + 'static {
    fn render(&self, snapshot: &DocumentSnapshot, logo: Option<&Logo>) -> std::result::Result<Vec<u8>, String>;
}

/// Where CPU work runs: `Now` for work someone waits for (a download, at the requests'
/// priority), `Background` for the rest (below the requests' priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Now,
    Background,
}

pub type Job = Box<dyn FnOnce() + Send>;

/// A few threads for CPU work (rendering, composing emails): more at once than there are cores
/// would only add memory. Implemented by `immovr-worker`.
pub trait Executor: Send + Sync + 'static {
    /// Queues `job` on a thread of that lane; an error when the threads have stopped.
    fn spawn(&self, lane: Lane, job: Job) -> std::result::Result<(), String>;
}

/// Runs `f` on `lane` and gives its result.
pub async fn run_on<T: Send + 'static>(
    executor: &dyn Executor,
    lane: Lane,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    executor
        .spawn(
            lane,
            Box::new(move || {
                let _ = tx.send(f());
            }),
        )
        .map_err(immovr_core::DomainError::internal)?;
    rx.await.map_err(|_| immovr_core::DomainError::internal("a job on a CPU thread was abandoned"))
}

//! The studio's approved e-invoicing platform (PA): the flows it is sent, and what it says of
//! them. One implementation speaks the AFNOR XP Z12-013 Flow Service (`immovr-platform`).

use async_trait::async_trait;
use immovr_core::Result;
use immovr_core::model::{DocumentKind, Id};
use jiff::Timestamp;

/// An invoice or a credit note as a flow: Factur-X, business to business.
#[derive(Debug, Clone)]
pub struct FlowToSubmit {
    /// The document's number: the platform refuses a second flow with it.
    pub tracking_id: String,
    /// The file's name.
    pub name: String,
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// What went wrong talking to the platform.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlatformError {
    /// Worth trying again (the platform or the network is down, a rate limit, a timeout).
    #[error("platform unavailable: {0}")]
    Unavailable(String),
    /// The platform refuses the flow as it is (trying again would not help).
    #[error("refused by the platform: {0}")]
    Refused(String),
}

/// The platform's acknowledgement of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowAck {
    Pending,
    /// Passed the platform's checks: the invoice is deposited (lifecycle status 200 Déposée).
    Ok,
    /// Failed them (213 Rejetée), with the reason.
    Error,
}

/// A flow's state as the platform reports it (searched, or by its webhook).
#[derive(Debug, Clone)]
pub struct FlowUpdate {
    pub flow_id: String,
    pub tracking_id: Option<String>,
    pub updated_at: Timestamp,
    pub ack: FlowAck,
    /// The reasons of an error (codes and messages).
    pub reason: Option<String>,
}

/// The platform.
#[async_trait]
pub trait InvoicePlatform: Send + Sync {
    /// Where it is (shown to staff).
    fn name(&self) -> &str;
    /// Submits a flow; its id. A flow the platform has already (the same tracking id) is no
    /// error: its id is found and given back.
    async fn submit(&self, flow: &FlowToSubmit) -> std::result::Result<String, PlatformError>;
    /// The outgoing flows updated after `after` (oldest first, a page at most).
    async fn updates(&self, after: Option<Timestamp>) -> std::result::Result<Vec<FlowUpdate>, PlatformError>;
    /// A flow's state as the platform's webhook posts it.
    fn read_callback(&self, body: &[u8]) -> std::result::Result<FlowUpdate, String>;
}

/// Where a document's transmission stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Transmission {
    pub id: Id,
    pub document_kind: DocumentKind,
    pub document_id: Id,
    pub tracking_id: String,
    /// `queued`, `submitted` (waiting for the platform's acknowledgement), `deposited`,
    /// `rejected` (by the platform, see `reason`), `failed` (not sent after repeated errors).
    pub status: String,
    pub attempts: i64,
    pub flow_id: Option<String>,
    pub reason: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: Timestamp,
}

/// Transmissions, as the worker and the pages read and record them.
#[async_trait]
pub trait Transmissions: Send + Sync {
    /// Leases up to `limit` transmissions due at `now` until `lease_until`.
    async fn claim_transmissions(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Transmission>>;
    /// Submitted: the platform's flow id.
    async fn transmission_submitted(&self, id: Id, flow_id: &str, at: Timestamp) -> Result<()>;
    /// Not submitted: tried again at `retry_at`, or parked as failed (`None`).
    async fn transmission_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>, at: Timestamp) -> Result<()>;
    /// The platform's acknowledgement of the flow of this tracking id (or flow id); false when
    /// no transmission has it.
    async fn transmission_acknowledged(&self, update: &FlowUpdate, at: Timestamp) -> Result<bool>;
    /// A document's transmission, if it has one.
    async fn transmission_of(&self, kind: DocumentKind, document_id: Id) -> Result<Option<Transmission>>;
    /// Puts a failed transmission back in the queue.
    async fn retry_transmission(&self, id: Id, at: Timestamp) -> Result<bool>;
    /// Up to when the platform's updates were read.
    async fn platform_cursor(&self) -> Result<Option<Timestamp>>;
    async fn set_platform_cursor(&self, at: Timestamp) -> Result<()>;
}

/// Queuing a transmission, in the transaction that issues the document.
#[async_trait]
pub trait TransmissionRepo: Send {
    async fn queue_transmission(
        &mut self,
        kind: DocumentKind,
        document_id: Id,
        tracking_id: &str,
        at: Timestamp,
    ) -> Result<()>;
}

//! The studio's approved e-invoicing platform (PA): the flows it is sent, and what it says of
//! them. One implementation speaks the AFNOR XP Z12-013 Flow Service (`immovr-platform`).

use async_trait::async_trait;
use immovr_core::Result;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{CompanySettings, CreditNote, DocumentKind, FlowKind, Id, Invoice, ReportKind};
use immovr_core::money::VatBreakdown;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use rust_decimal::Decimal;

/// A flow: an invoice or a credit note (Factur-X, business to business), a payment's lifecycle
/// status (CDAR) or an e-reporting report (FRR, business to consumer).
#[derive(Debug, Clone)]
pub struct FlowToSubmit {
    /// `Factur-X`, `CDAR` or `FRR` (the Flow Service's `flowSyntax`).
    pub syntax: String,
    /// `B2B` or `B2C` (its `processingRule`).
    pub rule: String,
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

/// A lifecycle status received about one of the studio's invoices.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingStatus {
    /// The invoice's number, as the message refers to it.
    pub invoice_number: String,
    pub code: i64,
    /// The reason's code and text, when given.
    pub reason: Option<String>,
    /// `buyer` or `platform`: who issued it.
    pub source: String,
    /// When the platform last updated the flow that carried it (the search's cursor).
    pub updated_at: Timestamp,
    /// The flow that carried it: a status is recorded once, however often it is read.
    pub flow_id: String,
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
    /// The lifecycle statuses received about the studio's invoices (incoming CDAR flows: the
    /// buyer's 210 Refusée, 207 Litige… or the platform's) updated after `after`, oldest first,
    /// a page at most; and the last update of the page (an unreadable message is skipped).
    async fn incoming_statuses(
        &self,
        after: Option<Timestamp>,
    ) -> std::result::Result<(Vec<IncomingStatus>, Option<Timestamp>), PlatformError>;
    /// A flow's state as the platform's webhook posts it.
    fn read_callback(&self, body: &[u8]) -> std::result::Result<FlowUpdate, String>;
}

/// Where a flow's transmission stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Transmission {
    pub id: Id,
    /// What it carries; `document_id` is the invoice's, the credit note's, the payment's or the
    /// report's.
    pub document_kind: FlowKind,
    pub document_id: Id,
    pub syntax: String,
    pub rule: String,
    /// The invoice it is about (the invoice's, the one a credit note cancels, the one a
    /// payment paid); none for a report.
    pub invoice_id: Option<Id>,
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
    /// A flow written when it was queued (CDAR, FRR): its file's name and content.
    async fn written_flow(&self, id: Id) -> Result<Option<(String, String)>>;
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
    /// Flows not (yet) accepted by the platform: queued, submitted, rejected or failed, newest
    /// first.
    async fn unaccepted_transmissions(&self, list: &ListQuery) -> Result<Page<Transmission>>;
    /// A document's lifecycle, oldest first.
    async fn lifecycle(&self, kind: DocumentKind, document_id: Id) -> Result<Vec<LifecycleStatus>>;
    /// The e-reporting reports, newest period first.
    async fn ereports(&self, list: &ListQuery) -> Result<Page<EReportRow>>;
    /// The first day and the last day the reports of this kind covered, if any was made.
    async fn ereport_bounds(&self, kind: ReportKind) -> Result<Option<(Date, Date)>>;
    /// What a report of `kind` is made of, from `from` to `to`, that no report covered yet: the
    /// private persons' invoices and credit notes issued (sales), or the payments received for
    /// their invoices (payments); the other half is left empty.
    async fn ereport_sources(&self, kind: ReportKind, from: Date, to: Date) -> Result<EReportSources>;
    /// Records a received status in the lifecycle of the invoice (or credit note) of that
    /// number; false when no document has it or the status is known already.
    async fn record_incoming_status(&self, status: &IncomingStatus) -> Result<bool>;
    /// Up to when the received lifecycle statuses were read.
    async fn lifecycle_cursor(&self) -> Result<Option<Timestamp>>;
    async fn set_lifecycle_cursor(&self, at: Timestamp) -> Result<()>;
    /// Up to when the platform's updates were read.
    async fn platform_cursor(&self) -> Result<Option<Timestamp>>;
    async fn set_platform_cursor(&self, at: Timestamp) -> Result<()>;
}

/// A status in an invoice's (or a credit note's) lifecycle: 200 Déposée, 213 Rejetée (by the
/// platform), 212 Encaissée (sent by the studio), or one the buyer sent (210 Refusée…).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LifecycleStatus {
    pub code: i64,
    pub reason: Option<String>,
    /// 212 Encaissée: the amount received.
    pub amount: Option<Decimal>,
    /// `platform`, `studio` or `buyer`.
    pub source: String,
    pub at: Timestamp,
}

/// An e-reporting report as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EReportRow {
    pub id: Id,
    pub report: ReportKind,
    pub period_start: Date,
    pub period_end: Date,
    /// Days with sales or payments.
    pub days: i64,
    /// Sales: the amount before VAT; payments: the amount received.
    pub total: Decimal,
    pub created_at: Timestamp,
}

/// The documents and payments of a reporting period, to private persons.
#[derive(Debug, Clone, Default)]
pub struct EReportSources {
    pub invoices: Vec<Invoice>,
    pub credit_notes: Vec<CreditNote>,
    pub payments: Vec<ReportedPayment>,
}

/// A payment to report, with what its invoice totals per VAT rate.
#[derive(Debug, Clone)]
pub struct ReportedPayment {
    pub id: Id,
    pub date: Date,
    pub amount: Decimal,
    pub invoice_rates: Vec<VatBreakdown>,
}

/// A payment's 212 Encaissée status, to be written as a CDAR message.
#[derive(Debug, Clone)]
pub struct PaidStatus {
    pub message_id: String,
    pub issued_at: DateTime,
    /// The invoice paid (type 380): its number and date.
    pub invoice_number: String,
    pub invoice_date: Date,
    pub paid_on: Date,
    /// The amount received (VAT included) per VAT rate.
    pub amounts: Vec<(Decimal, Decimal)>,
    pub seller: CompanySettings,
    /// The buyer: its name and SIREN (also its electronic address, scheme 0225).
    pub buyer_name: String,
    pub buyer_siren: String,
}

/// One VAT rate's part of a reported day: sales before VAT and their VAT, or a payment
/// received (`tax` zero).
#[derive(Debug, Clone, PartialEq)]
pub struct RatePart {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

/// A reported day.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDay {
    pub date: Date,
    pub count: i64,
    pub parts: Vec<RatePart>,
}

/// An e-reporting report, to be written in the DGFiP's Flux 10 format.
#[derive(Debug, Clone)]
pub struct EReport {
    pub id: String,
    pub issued_at: DateTime,
    pub platform_id: String,
    pub platform_name: String,
    pub seller: CompanySettings,
    pub period: (Date, Date),
    pub kind: ReportKind,
    pub days: Vec<ReportDay>,
}

/// Writes the reform's XML messages. Implemented by `immovr-documents`.
pub trait ReformWriter: Send + Sync + 'static {
    fn paid_status(&self, status: &PaidStatus) -> String;
    fn ereport(&self, report: &EReport) -> String;
}

/// A flow written when queued (CDAR, FRR), with its name.
pub struct WrittenFlow<'a> {
    pub kind: FlowKind,
    pub id: Id,
    pub tracking_id: &'a str,
    pub syntax: &'a str,
    pub rule: &'a str,
    pub name: &'a str,
    pub xml: &'a str,
}

/// Queuing a transmission, in the transaction that issues the document.
#[async_trait]
pub trait TransmissionRepo: Send {
    /// Queues a flow written now; false when one with its tracking id exists already.
    async fn queue_written_flow(&mut self, flow: &WrittenFlow<'_>, at: Timestamp) -> Result<bool>;
    /// Adds a status to a document's lifecycle.
    async fn record_lifecycle(&mut self, kind: DocumentKind, id: Id, status: &LifecycleStatus) -> Result<()>;
    /// Records a report; its id, or `None` when the period's report exists already.
    async fn insert_ereport(&mut self, row: &EReportRow) -> Result<Option<Id>>;
    /// Marks what a report covered (see [`Transmissions::ereport_sources`]).
    async fn mark_ereported(&mut self, report_id: Id, sources: &EReportSources, kind: ReportKind) -> Result<()>;
    /// Where a document's transmission to the platform stands (`queued`, `deposited`,
    /// `rejected`…), if it has one.
    async fn transmission_status(&mut self, kind: DocumentKind, id: Id) -> Result<Option<String>>;
    async fn queue_transmission(
        &mut self,
        kind: DocumentKind,
        document_id: Id,
        tracking_id: &str,
        at: Timestamp,
    ) -> Result<()>;
}

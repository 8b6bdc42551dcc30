//! What every use case writes beside its change, in its transaction: the audit event, the
//! notifications (outbox rows, and the live change open pages see once it commits), the issued
//! documents' snapshots, the next number of a series; and the company settings it reads.

use async_trait::async_trait;
use immovr_core::model::{CompanySettings, DocumentSnapshot, Id, Language, LegalKind, LegalText};
use immovr_core::{Change, Notification, Result};
use jiff::Timestamp;

/// An audit event: who did what to which record, when, and the detail worth keeping.
pub struct AuditRecord<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: Id,
    pub detail: serde_json::Value,
    /// Its personal data, apart (see `immovr_core::audit`).
    pub personal: Option<immovr_core::audit::PersonalPart>,
}

#[async_trait]
pub trait Journal: Send {
    /// The company settings, as this transaction sees them.
    async fn company(&mut self) -> Result<CompanySettings>;
    async fn set_company(&mut self, settings: &CompanySettings) -> Result<()>;
    /// Every published version of a legal text, oldest first.
    async fn legal_texts(&mut self, kind: LegalKind) -> Result<Vec<LegalText>>;
    /// Replaces the published versions of a legal text.
    async fn set_legal_texts(&mut self, kind: LegalKind, texts: &[LegalText]) -> Result<()>;
    /// Takes the next value of a numbering series (a counter row locked until commit: a rollback
    /// gives the number back, so numbers have no gap).
    async fn next_in_series(&mut self, series: &str) -> Result<i64>;
    /// Appends an audit event (never read back in its transaction).
    async fn audit(&mut self, event: AuditRecord<'_>) -> Result<()>;
    /// Queues an email: sent by the email worker only if this transaction commits.
    async fn enqueue(
        &mut self,
        recipient: &str,
        language: Language,
        notification: &Notification,
        at: Timestamp,
    ) -> Result<()>;
    /// The queued email still gathering others under `key` (due after `not_before`, so no
    /// worker has taken it), locked until commit: its id and notification.
    async fn gathering(&mut self, key: &str, not_before: Timestamp) -> Result<Option<(Id, Notification)>>;
    /// Queues an email that gathers the others queued under `key` until it is due.
    async fn enqueue_gathering(&mut self, gathering: Gathering<'_>) -> Result<()>;
    /// Replaces what a gathering email says (see `gathering`).
    async fn regather(&mut self, id: Id, notification: &Notification) -> Result<()>;
    /// Tells the open pages of this change once (and only if) this transaction commits.
    fn announce(&mut self, change: Change);
    /// Stores the answer of the keyed request this transaction's change answers, if `attempt`
    /// still holds the key; false when a later attempt took it over.
    async fn answer_key(&mut self, owner: &str, key: &str, attempt: i64, status: u16, body: &str) -> Result<bool>;
    /// Records an issued document: its frozen snapshot, rendered to PDF later (once).
    async fn issue_document(&mut self, snapshot: &DocumentSnapshot, entity_id: Id, client_id: Id) -> Result<()>;
}

/// The audit trail's hash chain (see `immovr_core::audit`).
#[async_trait]
pub trait AuditChain: Send + Sync {
    /// Seals up to `limit` committed events, in order, behind the chain's head; how many.
    async fn seal_audit(&self, limit: i64) -> Result<usize>;
    /// Walks the whole chain: the first broken link, if any.
    async fn verify_audit(&self) -> Result<immovr_core::audit::ChainCheck>;
}

/// An email that gathers the notifications queued after it under the same key until it is due
/// (stages planned one after the other: one email).
pub struct Gathering<'a> {
    pub recipient: &'a str,
    pub language: Language,
    pub notification: &'a Notification,
    pub key: &'a str,
    pub at: Timestamp,
    pub due: Timestamp,
}

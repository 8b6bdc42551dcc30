//! What a client was shown of the studio's privacy policy, and when (GDPR art. 7 and 13).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Language;

/// A notice presented to a client: the privacy policy, shown with the sign-up form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    /// `privacy_policy`.
    pub kind: String,
    /// The version presented (published versions never change; 0 is immovr's model as the
    /// studio's settings gave it then).
    pub version: i64,
    /// The language it was presented in.
    pub language: Language,
    /// When the form that presented it was sent.
    pub shown_at: Timestamp,
    /// When it was recorded with the account (the address confirmed).
    pub recorded_at: Timestamp,
}

/// What an erasure (GDPR art. 17) removed, and what it kept because the law keeps it: counts
/// only, never the erased values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErasureReport {
    pub client_id: super::Id,
    pub erased_at: Option<Timestamp>,
    /// Messages of its threads, deleted.
    pub messages: u64,
    /// Files removed from the file store: request attachments, delivered files, PDFs of quotes
    /// it never accepted.
    pub files: u64,
    /// Journal events whose personal part (who acted, addresses, names) was erased.
    pub journal_events: u64,
    /// Journal events recorded before personal data was kept apart (before immovr 2026-12-07):
    /// sealed whole in the hash chain, they still name the client.
    pub journal_events_kept_whole: u64,
    /// Emails about it removed from the outbox (sent or not).
    pub emails: u64,
    /// Kept for their legal retention, as issued: invoices and credit notes (10 years, French
    /// commercial code L123-22, tax procedures L102 B) ...
    pub invoices_kept: u64,
    /// ... and accepted quotes with their acceptance evidence (the contract: 5 years, civil
    /// code 2224; 10 for a consumer contract of €120 or more concluded at a distance, consumer
    /// code L213-1 and D213-2).
    pub acceptances_kept: u64,
}

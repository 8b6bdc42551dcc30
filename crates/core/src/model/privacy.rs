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

/// How long the studio keeps what (GDPR art. 5(1)(e)); applied every night (between 2 and 6,
/// studio time), and by `immovr retention`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// A prospect (no quote ever accepted) is erased this long after its last contact (CNIL:
    /// 3 years).
    pub prospect_months: i64,
    /// A client is erased this long after the end of the relationship (its last record; CNIL:
    /// 3 years), when nothing is left open with it.
    pub client_months: i64,
    /// Invoices, credit notes and the evidence of accepted quotes of an erased client are
    /// kept this long, then their documents and the personal data they kept are removed
    /// (commercial code L123-22: 10 years).
    pub accounting_years: i64,
    /// Technical records (ended sessions and links, sent emails) are kept this long.
    pub log_days: i64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { prospect_months: 36, client_months: 36, accounting_years: 10, log_days: 365 }
    }
}

impl RetentionPolicy {
    /// Refuses periods that would erase what the law or the studio's work still needs: at
    /// least a month of contact, 10 years of accounting records (commercial code L123-22), a
    /// day of technical records.
    pub fn check(&self) -> crate::Result<()> {
        let refuse = |field: &str, message: &str| Err(crate::DomainError::validation(field, message));
        if self.prospect_months < 1 || self.prospect_months > 1200 {
            return refuse("retention_prospect_months", "1 to 1200 months");
        }
        if self.client_months < 1 || self.client_months > 1200 {
            return refuse("retention_client_months", "1 to 1200 months");
        }
        if self.accounting_years < 10 || self.accounting_years > 100 {
            return refuse("retention_accounting_years", "10 to 100 years: invoices are kept 10 years at least");
        }
        if self.log_days < 1 || self.log_days > 36500 {
            return refuse("retention_log_days", "1 to 36500 days");
        }
        Ok(())
    }
}

/// What a retention run does (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionRun {
    /// Prospects whose last contact is older than the policy's period: erased.
    pub prospects: Vec<super::Id>,
    /// Former clients, the relationship ended longer ago than the policy's period: erased.
    pub clients: Vec<super::Id>,
    /// Inactive that long but with business still open (an unpaid invoice…): kept, for staff
    /// to settle.
    pub held: Vec<super::Id>,
    /// Issued documents of erased clients past the accounting period: removed with the
    /// personal data their records kept.
    pub documents: u64,
    /// Ended sessions, links and second-factor waits, and emails sent before the log period.
    pub technical: u64,
}

impl RetentionRun {
    /// Whether it did (or would do) anything.
    pub fn any(&self) -> bool {
        !self.prospects.is_empty() || !self.clients.is_empty() || self.documents > 0 || self.technical > 0
    }
}

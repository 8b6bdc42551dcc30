//! Issued documents: their kinds and file names, the snapshot each is rendered from, and the
//! records of what was issued.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::*;

impl DocumentKind {
    /// The file name a document is downloaded under, e.g. `Facture F-2026-0001.pdf`.
    pub fn file_name(self, number: &str, lang: Language) -> String {
        let fr = lang == Language::Fr;
        let title = match (self, fr) {
            (DocumentKind::Quote, true) => "Devis",
            (DocumentKind::Quote, false) => "Quote",
            (DocumentKind::SignedQuote, true) => "Devis accepté",
            (DocumentKind::SignedQuote, false) => "Accepted quote",
            (DocumentKind::PurchaseOrder, true) => "Bon de commande",
            (DocumentKind::PurchaseOrder, false) => "Purchase order",
            (DocumentKind::Invoice, true) => "Facture",
            (DocumentKind::Invoice, false) => "Invoice",
            (DocumentKind::CreditNote, true) => "Avoir",
            (DocumentKind::CreditNote, false) => "Credit note",
        };
        format!("{title} {number}.pdf")
    }
}

/// Everything an issued document shows, frozen in the transaction that issues it: later changes
/// to the company settings, the client or the records do not alter the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSnapshot {
    pub kind: DocumentKind,
    pub number: String,
    pub language: Language,
    pub issued_at: Timestamp,
    pub company: CompanySettings,
    pub client: Client,
    /// The quote (quotes, signed quotes and purchase orders).
    #[serde(default)]
    pub quote: Option<Quote>,
    #[serde(default)]
    pub purchase_order: Option<PurchaseOrder>,
    /// The invoice (invoices, and the invoice a credit note cancels).
    #[serde(default)]
    pub invoice: Option<Invoice>,
    #[serde(default)]
    pub credit_note: Option<CreditNote>,
}

/// What a process issued and leased to itself (see `Store::lease_issued`): the records, and, past
/// a few hundred waiting, only which documents the rest are (their records stay in the database:
/// the memory a backlog takes is bounded).
#[derive(Debug, Default)]
pub struct IssuedDocuments {
    pub records: Vec<DocumentRecord>,
    pub ids_only: Vec<IssuedId>,
}

/// Records of issued documents held in memory for the background renderer at most, in the store
/// and again in the renderer; past them, [`IssuedId`]s.
pub const ISSUED_HELD: usize = 256;

/// Which document: its id, its kind and its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedId {
    pub id: Id,
    pub kind: DocumentKind,
    pub entity_id: Id,
}

impl From<&DocumentRecord> for IssuedId {
    fn from(d: &DocumentRecord) -> IssuedId {
        IssuedId { id: d.id, kind: d.kind, entity_id: d.entity_id }
    }
}

impl IssuedDocuments {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.ids_only.is_empty()
    }
}

/// An issued document: its frozen content, and once rendered, its PDF in the file store.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub id: Id,
    pub kind: DocumentKind,
    pub entity_id: Id,
    pub client_id: Id,
    pub number: String,
    pub snapshot: DocumentSnapshot,
    pub issued_at: Timestamp,
    /// Set once, when the PDF is first rendered; the PDF never changes afterwards.
    pub file: Option<DocumentFile>,
}

impl DocumentRecord {
    /// The file name it is downloaded and attached under: a quote's names its version past
    /// the first (`Devis D-2026-0001 v2.pdf`).
    pub fn file_name(&self) -> String {
        let version = match (self.kind, &self.snapshot.quote) {
            (DocumentKind::Quote | DocumentKind::SignedQuote, Some(q)) if q.version > 1 => q.version,
            _ => 1,
        };
        let number = if version > 1 { format!("{} v{version}", self.number) } else { self.number.clone() };
        self.kind.file_name(&number, self.snapshot.language)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFile {
    pub key: String,
    pub sha256: String,
    pub size: i64,
}

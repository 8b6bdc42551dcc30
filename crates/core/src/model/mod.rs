//! The entities of the journey, as read models. State changes go through the `Store` port's use
//! cases, which check the rules in `rules`.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{DomainError, Result};
use crate::money::{Line, Totals};

pub type Id = i64;

mod documents;
pub use documents::*;

/// A string-backed enum: stored and serialised as its snake_case name.
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<Self> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(DomainError::internal(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), other))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// Staff roles; a person may hold several.
    Role { Admin => "admin", Sales => "sales", Production => "production", Accounting => "accounting" }
);
str_enum!(ClientKind { Person => "person", Company => "company" });

mod einvoicing;
pub use einvoicing::*;
mod consumer;
mod privacy;
pub use consumer::*;
pub use privacy::*;
mod settings;
pub use settings::*;
str_enum!(Language { Fr => "fr", En => "en" });
str_enum!(CatalogueKind { Service => "service", Option => "option" });
str_enum!(QuoteRequestStatus { New => "new", Quoted => "quoted", Closed => "closed" });
str_enum!(
    /// A quote version's status. `Expired` is not stored: a sent quote past its validity date is
    /// reported as expired (see `Quote::effective_status`).
    QuoteStatus {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Refused => "refused",
        Superseded => "superseded",
        Expired => "expired",
    }
);
str_enum!(RefusalKind { Decline => "decline", ChangesRequested => "changes_requested" });
str_enum!(
    /// The legal texts a studio publishes: its general terms of sale (CGV, accepted with each
    /// quote), its legal notice (mentions légales) and its privacy policy.
    LegalKind { Terms => "cgv", Notice => "mentions", Privacy => "privacy" }
);

/// A published version of a legal text. Versions are kept: an acceptance names the version of
/// the terms it accepted. Version 0 is the text immovr proposes until the studio publishes its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LegalText {
    pub kind: LegalKind,
    pub version: i64,
    pub body: String,
    pub published_at: Timestamp,
    pub published_by: String,
}
str_enum!(
    /// How a client's "bon pour accord" reached the studio: signed in the portal, or received
    /// offline (a signed paper copy, or a signed email) and recorded by staff.
    AcceptanceChannel { Online => "online", Paper => "paper", Email => "email" }
);
str_enum!(PurchaseOrderStatus { Pending => "pending", Validated => "validated", Cancelled => "cancelled" });
str_enum!(OrderStatus {
    Registered => "registered",
    InProgress => "in_progress",
    Delivered => "delivered",
    Cancelled => "cancelled",
});
str_enum!(StageStatus { Pending => "pending", Planned => "planned", Done => "done" });
str_enum!(InvoiceStatus {
    Issued => "issued",
    PartiallyPaid => "partially_paid",
    Paid => "paid",
    Cancelled => "cancelled",
});
str_enum!(PaymentMethod { Transfer => "transfer", Cheque => "cheque" });
str_enum!(ThreadKind { Quote => "quote", Order => "order" });
str_enum!(
    /// The documents the studio issues as PDF files.
    DocumentKind {
        Quote => "quote",
        SignedQuote => "signed_quote",
        PurchaseOrder => "purchase_order",
        Invoice => "invoice",
        CreditNote => "credit_note",
    }
);

impl Language {
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag.get(..2)?.to_ascii_lowercase().as_str() {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default = "default_country")]
    pub country: String,
}

fn default_country() -> String {
    "FR".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Client {
    pub id: Id,
    pub kind: ClientKind,
    /// Contact person's full name.
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub billing_address: Option<Address>,
    pub language: Language,
    /// Email notifications wanted (the legally required ones are sent regardless).
    pub notify_email: bool,
    pub created_at: Timestamp,
    /// When the client asked from Mon Compte for its data to be erased (staff confirm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure_requested_at: Option<Timestamp>,
    /// When its personal data was erased (what the law keeps stays: see `ErasureReport`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<Timestamp>,
}

impl Client {
    /// The name documents are addressed to.
    pub fn display_name(&self) -> &str {
        self.company_name.as_deref().filter(|_| self.kind == ClientKind::Company).unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: Id,
    pub email: String,
    pub name: String,
    /// Staff roles; empty for a client account.
    pub roles: Vec<Role>,
    /// The client this account belongs to, for client accounts.
    pub client_id: Option<Id>,
    pub language: Language,
}

/// What a session opened by a document's link from an email reaches: that document's page and
/// the pages under it (see [`crate::links::within`]), and when the email was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkScope {
    pub path: String,
    pub sent_at: Timestamp,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.client_id.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CatalogueItem {
    pub id: Id,
    pub code: String,
    pub kind: CatalogueKind,
    pub label_fr: String,
    pub label_en: String,
    pub unit: String,
    pub unit_price: Decimal,
    pub vat_rate: Decimal,
    pub active: bool,
}

impl CatalogueItem {
    pub fn label(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.label_fr,
            Language::En => &self.label_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuoteRequest {
    pub id: Id,
    pub client_id: Id,
    pub status: QuoteRequestStatus,
    pub property_type: String,
    pub property_address: String,
    pub surface_m2: Option<Decimal>,
    pub rooms: Option<i64>,
    /// Catalogue codes of the services and options wanted.
    pub wanted: Vec<String>,
    pub wished_date: Option<Date>,
    pub notes: Option<String>,
    /// Plans and photos sent with the request.
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
}

/// A file sent with a quote request, or the scanned evidence of an acceptance received offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: Id,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Where the file store keeps it; internal.
    #[serde(skip)]
    pub storage_key: String,
}

/// Evidence of a "bon pour accord": signed in the portal, or received offline and recorded by
/// staff (who signed, on which day, the scanned document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Acceptance {
    pub signer_name: String,
    pub consent: bool,
    pub terms_accepted: bool,
    /// When the acceptance was recorded (and the purchase order generated).
    pub accepted_at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// SHA-256 (hex) of the canonical content the client accepted (see `rules::quote_content_hash`).
    pub content_sha256: String,
    #[serde(default = "AcceptanceChannel::online")]
    pub channel: AcceptanceChannel,
    /// Offline: the day the client signed.
    #[serde(default)]
    pub signed_on: Option<Date>,
    /// Offline: the staff member who recorded it.
    #[serde(default)]
    pub recorded_by: Option<String>,
    /// Offline: the signed document as received (scan, or the email printed to PDF).
    #[serde(default)]
    pub evidence: Option<Attachment>,
    /// The version of the general terms of sale (CGV) in force when the quote was accepted.
    #[serde(default)]
    pub terms_version: Option<i64>,
    /// Signed in a session opened by the link of an email: when that email was queued.
    #[serde(default)]
    pub link_sent_at: Option<Timestamp>,
    /// A private client asked for the work to start before its withdrawal period ends
    /// (consumer code L221-25).
    #[serde(default)]
    pub early_start: bool,
}

impl AcceptanceChannel {
    fn online() -> Self {
        AcceptanceChannel::Online
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub comment: Option<String>,
    pub refused_at: Timestamp,
}

/// One version of a quote. Versions share the quote number; v2 supersedes v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    pub id: Id,
    /// Assigned when the first version is sent (D-YYYY-NNNN).
    pub number: Option<String>,
    pub version: i64,
    /// The id of the first version: every version of one quote shares it.
    pub family_id: Id,
    pub client_id: Id,
    pub request_id: Option<Id>,
    /// Stored status, or `expired` for a sent quote past its validity date.
    pub status: QuoteStatus,
    pub title: String,
    pub notes: Option<String>,
    pub valid_until: Date,
    pub sent_at: Option<Timestamp>,
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub acceptance: Option<Acceptance>,
    pub refusal: Option<Refusal>,
    pub created_at: Timestamp,
}

impl Quote {
    /// Refused by a client who asked for changes: a new version is to come.
    pub fn changes_requested(&self) -> bool {
        self.status == QuoteStatus::Refused
            && self.refusal.as_ref().is_some_and(|r| r.kind == RefusalKind::ChangesRequested)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrder {
    pub id: Id,
    pub number: String,
    pub quote_id: Id,
    pub quote_number: String,
    pub quote_version: i64,
    pub client_id: Id,
    pub status: PurchaseOrderStatus,
    pub cancel_reason: Option<String>,
    /// Immutable copy of the accepted lines and terms.
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub created_at: Timestamp,
    pub validated_at: Option<Timestamp>,
    pub order_id: Option<Id>,
    /// The order's status, once the purchase order is validated.
    #[serde(default)]
    pub order_status: Option<OrderStatus>,
    /// A private client's right of withdrawal (none for a business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stage {
    pub id: Id,
    pub position: i64,
    pub code: String,
    pub label: String,
    pub status: StageStatus,
    pub planned_date: Option<Date>,
    /// The time of day, on the studio's clock (Europe/Paris).
    #[schema(value_type = Option<String>, example = "09:30:00")]
    pub planned_time: Option<Time>,
    /// Where it takes place: for the on-site shoot, the property's address unless staff say
    /// otherwise.
    pub place: Option<String>,
    pub assignee: Option<String>,
    pub notes: Option<String>,
    pub done_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Deliverable {
    pub id: Id,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Order {
    pub id: Id,
    pub purchase_order_id: Id,
    pub purchase_order_number: String,
    pub client_id: Id,
    pub status: OrderStatus,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub stages: Vec<Stage>,
    pub deliverables: Vec<Deliverable>,
    /// The invoice in force for this order, once delivered.
    pub invoice_id: Option<Id>,
    /// The property the order is for (from the quote's request), when known.
    pub property_address: Option<String>,
    /// The client's contact person at the studio for this order.
    pub contact: Option<StaffContact>,
    /// A private client's right of withdrawal (none for a business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

/// The code of the stage that happens at the property (the on-site shoot): its plan takes the
/// property's address as its place, and the client gets a calendar invitation for it.
pub const ON_SITE_STAGE: &str = "shoot";

/// A staff member as a client sees them: who to ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffContact {
    pub user_id: Id,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub id: Id,
    pub method: PaymentMethod,
    pub amount: Decimal,
    /// Transfer: date received on the account. Cheque: date received.
    pub date: Date,
    /// Transfer: the bank reference.
    pub reference: Option<String>,
    pub cheque_number: Option<String>,
    pub bank: Option<String>,
    pub deposit_date: Option<Date>,
    pub recorded_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Invoice {
    pub id: Id,
    pub number: String,
    pub order_id: Id,
    pub purchase_order_number: String,
    /// What the invoice comes from, as issued: the accepted quote, its title (the invoice's
    /// subject), and the property where the service was performed (when the quote came from a
    /// request).
    #[serde(flatten)]
    pub origin: InvoiceOrigin,
    pub client_id: Id,
    pub status: InvoiceStatus,
    pub issue_date: Date,
    /// Date the service was completed (delivery).
    pub service_date: Date,
    pub due_date: Date,
    /// The reference the client quotes on a transfer; the invoice number.
    pub payment_reference: String,
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub amount_paid: Decimal,
    pub amount_due: Decimal,
    pub payments: Vec<Payment>,
    pub credit_note_ids: Vec<Id>,
    pub created_at: Timestamp,
}

/// The accepted quote an invoice comes from, and the property the service was for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceOrigin {
    #[serde(default)]
    pub quote_number: Option<String>,
    #[serde(default)]
    pub quote_version: Option<i64>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub property_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CreditNote {
    pub id: Id,
    pub number: String,
    pub invoice_id: Id,
    pub invoice_number: String,
    pub client_id: Id,
    pub reason: String,
    pub issue_date: Date,
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Message {
    pub id: Id,
    pub thread_kind: ThreadKind,
    pub thread_id: Id,
    pub author_name: String,
    /// True when written by the studio team.
    pub from_staff: bool,
    pub body: String,
    pub created_at: Timestamp,
}

/// A note of the team's contact with the client about an order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContactNote {
    pub id: Id,
    pub author: String,
    pub note: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Id,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: Id,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: Id,
    /// Notification template, e.g. `quote_sent`.
    pub kind: String,
    pub recipient: String,
    pub language: Language,
    pub payload: serde_json::Value,
    /// `pending`, `sent`, or `failed` (gave up after repeated errors; staff may retry).
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl OutboxMessage {
    /// What it notifies, typed.
    pub fn notification(&self) -> Result<crate::notification::Notification> {
        crate::notification::Notification::from_parts(&self.kind, &self.payload)
    }
}

//! What the use cases take: the inputs of the `Store` port's commands (deserialised from the
//! API's JSON bodies and the pages' forms), re-exported by `ports`.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::listing::ListQuery;
use crate::model::*;
use crate::money::{LineInput, strict};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub kind: ClientKind,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub siret: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub billing_address: Option<Address>,
    #[serde(default = "default_language")]
    pub language: Language,
}

fn default_language() -> Language {
    Language::Fr
}

#[derive(Debug, Clone)]
pub struct NewStaffUser {
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub password_hash: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCatalogueItem {
    pub code: String,
    pub kind: CatalogueKind,
    pub label_fr: String,
    pub label_en: String,
    pub unit: String,
    #[serde(deserialize_with = "strict::decimal")]
    pub unit_price: Decimal,
    #[serde(deserialize_with = "strict::decimal")]
    pub vat_rate: Decimal,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItemPatch {
    pub label_fr: Option<String>,
    pub label_en: Option<String>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "strict::opt_decimal")]
    pub unit_price: Option<Decimal>,
    #[serde(default, deserialize_with = "strict::opt_decimal")]
    pub vat_rate: Option<Decimal>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuoteRequest {
    /// Apartment, house, office, land, programme…
    pub property_type: String,
    pub property_address: String,
    #[serde(default, deserialize_with = "strict::opt_decimal")]
    pub surface_m2: Option<Decimal>,
    #[serde(default)]
    pub rooms: Option<i64>,
    /// Catalogue codes of the wanted services and options.
    #[serde(default)]
    pub wanted: Vec<String>,
    #[serde(default)]
    pub wished_date: Option<Date>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A quote draft's content (create or replace).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteDraft {
    pub title: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// Defaults to today + the configured validity.
    #[serde(default)]
    pub valid_until: Option<Date>,
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuote {
    pub client_id: Id,
    #[serde(default)]
    pub request_id: Option<Id>,
    pub title: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// Defaults to today + the configured validity.
    #[serde(default)]
    pub valid_until: Option<Date>,
    pub lines: Vec<LineInput>,
}

impl NewQuote {
    pub fn draft(&self) -> QuoteDraft {
        QuoteDraft {
            title: self.title.clone(),
            notes: self.notes.clone(),
            valid_until: self.valid_until,
            lines: self.lines.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptQuote {
    pub signer_name: String,
    /// The "Bon pour accord" checkbox.
    pub consent: bool,
    pub terms_accepted: bool,
    /// A private client asks for the work to start before its 14-day withdrawal period ends,
    /// knowing it then owes the part done if it withdraws (consumer code L221-25).
    #[serde(default)]
    pub early_start: bool,
}

/// An acceptance received offline, as staff record it (the evidence file comes with it).
#[derive(Debug, Clone)]
pub struct OfflineAcceptance {
    pub signer_name: String,
    /// The day the client signed (not in the future, not after the quote's validity).
    pub signed_on: Date,
    /// Paper or email (not online).
    pub channel: AcceptanceChannel,
    /// A private client asked in writing for the work to start within its withdrawal period.
    pub early_start: bool,
    /// Signed at the studio's premises (not at a distance nor off premises): a private client
    /// then has no right of withdrawal (consumer code L221-18 covers only those).
    pub on_premises: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseQuote {
    pub kind: RefusalKind,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePlan {
    pub planned_date: Option<Date>,
    /// The time of day (`09:30`), on the studio's clock; only with a date.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "09:30")]
    pub planned_time: Option<jiff::civil::Time>,
    /// Where it takes place; for the on-site shoot, the property's address when left out.
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A final file of an order, as the upload that stored it saw it (never from a caller: the
/// storage key is the one immovr chose).
#[derive(Debug, Clone)]
pub struct NewDeliverable {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, 64 hex digits.
    pub sha256: String,
    /// Where the file store keeps it.
    pub storage_key: String,
}

/// A file already written to the file store, to record with its request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    /// Received with an earlier form that was refused, and kept since (see `kept_uploads`):
    /// the request that takes it claims it.
    #[serde(default)]
    pub kept: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum NewPayment {
    Transfer {
        #[serde(deserialize_with = "strict::decimal")]
        amount: Decimal,
        date: Date,
        reference: String,
    },
    Cheque {
        #[serde(deserialize_with = "strict::decimal")]
        amount: Decimal,
        cheque_number: String,
        bank: String,
        received_date: Date,
        #[serde(default)]
        deposit_date: Option<Date>,
    },
}

impl NewPayment {
    pub fn amount(&self) -> Decimal {
        match self {
            NewPayment::Transfer { amount, .. } | NewPayment::Cheque { amount, .. } => *amount,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreditNote {
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_kind: Option<String>,
    pub entity_id: Option<Id>,
    pub list: ListQuery,
}

/// What a client may change about itself.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub siret: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub billing_address: Option<Address>,
    pub language: Language,
    pub notify_email: bool,
}

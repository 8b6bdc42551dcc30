//! The studio's settings: its identity and bank details, numbering, VAT rates, terms,
//! reminders and the stages of an order, printed on its documents and editable by an admin.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Address, EInvoicing};

/// A stage of the default template (from configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StageTemplate {
    pub code: String,
    pub label_fr: String,
    pub label_en: String,
}

/// The studio's identity and terms, printed on documents. Stored in the database, editable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CompanySettings {
    pub trade_name: String,
    pub legal_name: String,
    pub legal_form: String,
    pub share_capital: String,
    pub siren: String,
    pub siret: String,
    pub rcs: String,
    pub vat_number: String,
    pub address: Address,
    pub email: String,
    pub phone: String,
    pub iban: String,
    pub bic: String,
    pub account_holder: String,
    pub cheque_payee: String,
    pub cheque_address: Address,
    pub quote_prefix: String,
    pub purchase_order_prefix: String,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    #[serde(deserialize_with = "crate::money::strict::decimals")]
    pub vat_rates: Vec<Decimal>,
    #[serde(deserialize_with = "crate::money::strict::decimal")]
    pub default_vat_rate: Decimal,
    pub quote_validity_days: i64,
    pub payment_terms_days: i64,
    pub late_payment_wording: String,
    /// Remind the client this many days before a sent quote expires (0: no reminder).
    #[serde(default = "default_quote_reminder_days")]
    pub quote_reminder_days: i64,
    /// Remind the client of an unpaid invoice this many days after its due date.
    #[serde(default = "default_overdue_reminder_days")]
    pub overdue_reminder_days: Vec<i64>,
    /// Validate purchase orders as soon as they are created.
    pub auto_validate_purchase_orders: bool,
    pub stage_template: Vec<StageTemplate>,
    /// True for the demo company: identifiers and bank details are placeholders.
    pub demo: bool,
    /// The logo in the file store, and its type, once uploaded.
    #[serde(default)]
    pub logo_key: Option<String>,
    #[serde(default)]
    pub logo_content_type: Option<String>,
    /// What the French e-invoicing reform asks of its invoices.
    #[serde(default)]
    pub einvoicing: EInvoicing,
}

fn default_quote_reminder_days() -> i64 {
    3
}

fn default_overdue_reminder_days() -> Vec<i64> {
    vec![1, 15, 30]
}

//! What the French e-invoicing reform asks of the studio's invoices, as its settings: the
//! category of the operations it invoices, its VAT option, its electronic address.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

str_enum!(
    /// What the invoiced lines are (the reform's "catégorie de l'opération", and the business
    /// process BT-23: B1 goods, S1 services, M1 both). A studio sells services.
    #[derive(Default)]
    OperationCategory { #[default] Services => "services", Goods => "goods", Mixed => "mixed" }
);

impl OperationCategory {
    /// The business process (BT-23) of a plain invoice of this category.
    pub fn business_process(self) -> &'static str {
        match self {
            OperationCategory::Services => "S1",
            OperationCategory::Goods => "B1",
            OperationCategory::Mixed => "M1",
        }
    }
}

/// The studio's e-invoicing settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EInvoicing {
    /// What its invoices sell (services for a studio).
    #[serde(default)]
    pub category: OperationCategory,
    /// It opted to pay VAT on its invoices' dates ("d'après les débits") rather than when paid,
    /// which services otherwise follow; invoices then say so.
    #[serde(default)]
    pub vat_on_debits: bool,
    /// Its electronic invoicing address in the French directory (BT-34, scheme 0225): its SIREN
    /// when empty, or the SIREN followed by a suffix (letters, digits, `+ - _ .`).
    #[serde(default)]
    pub electronic_address: Option<String>,
}

impl EInvoicing {
    /// The address invoices carry for a seller of SIREN `siren`.
    pub fn address_or<'a>(&'a self, siren: &'a str) -> &'a str {
        self.electronic_address.as_deref().map(str::trim).filter(|a| !a.is_empty()).unwrap_or(siren)
    }
}

/// Whether `address` can be an electronic invoicing address (scheme 0225, BR-FR-23 and 25) of
/// the company `siren`: it starts with the SIREN, at most 125 characters of `A-Z a-z 0-9 + - _ .`.
pub fn electronic_address_ok(address: &str, siren: &str) -> bool {
    address.starts_with(siren)
        && address.len() <= 125
        && address.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-_.".contains(&b))
}

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

    /// Its category of aggregated transactions in e-reporting (TT-81).
    pub fn ereporting_code(self) -> &'static str {
        match self {
            OperationCategory::Services => "TPS1",
            OperationCategory::Goods => "TLB1",
            OperationCategory::Mixed => "TMA1",
        }
    }
}

str_enum!(
    /// The studio's VAT regime, which sets its e-reporting periods (CGI art. 290 A and the
    /// décret 2022-1299 as amended): sales to private persons by ten days and payments by month
    /// under the normal monthly regime; both by month under the normal quarterly and the
    /// simplified regimes; both by two months under the franchise.
    #[derive(Default)]
    VatRegime {
        NormalMonthly => "normal_monthly",
        NormalQuarterly => "normal_quarterly",
        #[default]
        Simplified => "simplified",
        Franchise => "franchise",
    }
);

str_enum!(
    /// What a flow to the approved platform carries: an invoice or a credit note (Factur-X),
    /// the 212 Encaissée status of a payment (CDAR), or an e-reporting report (FRR).
    FlowKind { Invoice => "invoice", CreditNote => "credit_note", Payment => "payment", EReport => "ereport" }
);

str_enum!(
    /// What an e-reporting report carries: sales to private persons (Flux 10.3) or payments
    /// received for services (10.4).
    ReportKind { Sales => "sales", Payments => "payments" }
);

impl VatRegime {
    /// The reporting period of `kind` that holds `day`: its first and last days.
    pub fn period(self, kind: ReportKind, day: jiff::civil::Date) -> (jiff::civil::Date, jiff::civil::Date) {
        use jiff::civil::Date;
        let month_end = |y: i16, m: i8| Date::new(y, m, 1).map(|d| d.last_of_month()).unwrap_or(day);
        let (y, m) = (day.year(), day.month());
        let first = |d: i8| Date::new(y, m, d).unwrap_or(day);
        match (self, kind) {
            (VatRegime::NormalMonthly, ReportKind::Sales) => match day.day() {
                1..=10 => (first(1), first(10)),
                11..=20 => (first(11), first(20)),
                _ => (first(21), month_end(y, m)),
            },
            (VatRegime::Franchise, _) => {
                let start = if m % 2 == 1 { m } else { m - 1 };
                (Date::new(y, start, 1).unwrap_or(day), month_end(y, start + 1))
            }
            _ => (first(1), month_end(y, m)),
        }
    }

    /// The last reporting period of `kind` that ended before `today`.
    pub fn last_ended(self, kind: ReportKind, today: jiff::civil::Date) -> (jiff::civil::Date, jiff::civil::Date) {
        let (start, _) = self.period(kind, today);
        self.period(kind, start.yesterday().unwrap_or(start))
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
    /// Its VAT regime: the periods of its e-reporting.
    #[serde(default)]
    pub vat_regime: VatRegime,
}

impl EInvoicing {
    /// Whether VAT is due when paid: services (or mixed) without the option for debits. Then
    /// each payment is reported (212 Encaissée, e-reporting of payments).
    pub fn vat_on_receipts(&self) -> bool {
        !self.vat_on_debits && self.category != OperationCategory::Goods
    }

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

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn reporting_periods_follow_the_regime() {
        let p = |r: VatRegime, k, d| r.last_ended(k, d);
        let today = date(2027, 10, 14);
        assert_eq!(p(VatRegime::NormalMonthly, ReportKind::Sales, today), (date(2027, 10, 1), date(2027, 10, 10)));
        assert_eq!(
            p(VatRegime::NormalMonthly, ReportKind::Sales, date(2027, 10, 3)),
            (date(2027, 9, 21), date(2027, 9, 30))
        );
        assert_eq!(p(VatRegime::NormalMonthly, ReportKind::Payments, today), (date(2027, 9, 1), date(2027, 9, 30)));
        assert_eq!(p(VatRegime::Simplified, ReportKind::Sales, today), (date(2027, 9, 1), date(2027, 9, 30)));
        assert_eq!(
            p(VatRegime::NormalQuarterly, ReportKind::Payments, date(2028, 3, 1)),
            (date(2028, 2, 1), date(2028, 2, 29))
        );
        assert_eq!(p(VatRegime::Franchise, ReportKind::Sales, today), (date(2027, 7, 1), date(2027, 8, 31)));
        assert_eq!(
            p(VatRegime::Franchise, ReportKind::Sales, date(2028, 1, 5)),
            (date(2027, 11, 1), date(2027, 12, 31))
        );
    }
}

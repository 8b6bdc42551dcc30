//! E-reporting of the French e-invoicing reform (DGFiP "Flux 10"): what a studio sold to
//! private persons (10.3, aggregated transactions) and what it was paid for services (10.4,
//! aggregated payments) over a reporting period, day by day and VAT rate by VAT rate, sent
//! through its approved platform (PA), which forwards them to the tax administration.

use immovr_app::ports::EReport;
use immovr_core::model::ReportKind;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::facturx::{amount, esc, number};

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// The report (UTF-8).
pub fn report_xml(r: &EReport) -> String {
    let t = r.issued_at;
    let mut x = String::with_capacity(4000);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Report><ReportDocument>");
    x.push_str(&format!(
        "<Id>{}</Id><IssueDateTime><DateTimeString>{:04}{:02}{:02}{:02}{:02}{:02}</DateTimeString></IssueDateTime>\
         <TypeCode>IN</TypeCode>\
         <Sender><Id schemeId=\"0238\">{}</Id><Name>{}</Name><RoleCode>WK</RoleCode></Sender>\
         <Issuer><Id schemeId=\"0002\">{}</Id><Name>{}</Name><RoleCode>SE</RoleCode></Issuer></ReportDocument>",
        esc(&r.id),
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        esc(&r.platform_id),
        esc(&r.platform_name),
        esc(&r.seller.siren),
        esc(&r.seller.legal_name),
    ));
    let period = format!(
        "<ReportPeriod><StartDate>{}</StartDate><EndDate>{}</EndDate></ReportPeriod>",
        ymd(r.period.0),
        ymd(r.period.1)
    );
    let e = &r.seller.einvoicing;
    match r.kind {
        ReportKind::Sales => {
            x.push_str("<TransactionsReport>");
            x.push_str(&period);
            for day in &r.days {
                let base: Decimal = day.parts.iter().map(|p| p.base).sum();
                let tax: Decimal = day.parts.iter().map(|p| p.tax).sum();
                x.push_str(&format!(
                    "<Transactions><Date>{}</Date><TransactionsCurrency>EUR</TransactionsCurrency>\
                     <TaxDueDateTypeCode>{}</TaxDueDateTypeCode><CategoryCode>{}</CategoryCode>\
                     <TaxExclusiveAmount>{}</TaxExclusiveAmount><TaxTotal>{}</TaxTotal><TransactionsCount>{}</TransactionsCount>",
                    ymd(day.date),
                    // VAT due when paid (72) or on the invoice (5).
                    if e.vat_on_receipts() { "72" } else { "5" },
                    e.category.ereporting_code(),
                    amount(base),
                    amount(tax),
                    day.count,
                ));
                for p in &day.parts {
                    x.push_str(&format!(
                        "<TaxSubtotal><TaxPercent>{}</TaxPercent><TaxableAmount>{}</TaxableAmount><TaxTotal>{}</TaxTotal></TaxSubtotal>",
                        number(p.rate),
                        amount(p.base),
                        amount(p.tax)
                    ));
                }
                x.push_str("</Transactions>");
            }
            x.push_str("</TransactionsReport>");
        }
        ReportKind::Payments => {
            x.push_str("<PaymentsReport>");
            x.push_str(&period);
            for day in &r.days {
                x.push_str(&format!("<Transactions><Payment><Date>{}</Date>", ymd(day.date)));
                for p in &day.parts {
                    x.push_str(&format!(
                        "<SubTotals><TaxPercent>{}</TaxPercent><CurrencyCode>EUR</CurrencyCode><Amount>{}</Amount></SubTotals>",
                        number(p.rate),
                        amount(p.base)
                    ));
                }
                x.push_str("</Payment></Transactions>");
            }
            x.push_str("</PaymentsReport>");
        }
    }
    x.push_str("</Report>\n");
    x
}

/// The reform's messages, as the application asks for them.
pub struct Reform;

impl immovr_app::ports::ReformWriter for Reform {
    fn paid_status(&self, s: &immovr_app::ports::PaidStatus) -> String {
        crate::cdar::paid_xml(s)
    }

    fn ereport(&self, r: &EReport) -> String {
        report_xml(r)
    }
}

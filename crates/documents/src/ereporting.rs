//! E-reporting of the French e-invoicing reform (DGFiP "Flux 10"): what a studio sold to
//! private persons (10.3, aggregated transactions) and what it was paid for services (10.4,
//! aggregated payments) over a reporting period, day by day and VAT rate by VAT rate, sent
//! through its approved platform (PA), which forwards them to the tax administration.

pub use immovr_app::ports::{RatePart, ReportDay as Day};
use immovr_core::model::CompanySettings;
use jiff::civil::{Date, DateTime};
use rust_decimal::Decimal;

use crate::facturx::{amount, esc, number};

/// What a report carries.
pub enum Content<'a> {
    /// 10.3: aggregated sales to private persons, in one category (TPS1 services, TLB1 goods,
    /// TMA1 mixed); `on_receipts` says VAT is due when paid (services without the option for
    /// debits: code 72), otherwise on the invoice (5).
    Sales { days: &'a [Day], category: &'a str, on_receipts: bool },
    /// 10.4: aggregated payments received for services.
    Payments { days: &'a [Day] },
}

pub struct Report<'a> {
    /// The transmission's identifier (at most 50 characters of `A-Z a-z 0-9 - _ .`).
    pub id: &'a str,
    pub issued_at: DateTime,
    /// The studio's approved platform: its registration number (4 characters) and name.
    pub platform_id: &'a str,
    pub platform_name: &'a str,
    pub seller: &'a CompanySettings,
    /// The reporting period, first and last day.
    pub period: (Date, Date),
    pub content: Content<'a>,
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// The report (UTF-8).
pub fn report_xml(r: &Report) -> String {
    let t = r.issued_at;
    let mut x = String::with_capacity(4000);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Report><ReportDocument>");
    x.push_str(&format!(
        "<Id>{}</Id><IssueDateTime><DateTimeString>{:04}{:02}{:02}{:02}{:02}{:02}</DateTimeString></IssueDateTime>\
         <TypeCode>IN</TypeCode>\
         <Sender><Id schemeId=\"0238\">{}</Id><Name>{}</Name><RoleCode>WK</RoleCode></Sender>\
         <Issuer><Id schemeId=\"0002\">{}</Id><Name>{}</Name><RoleCode>SE</RoleCode></Issuer></ReportDocument>",
        esc(r.id),
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        esc(r.platform_id),
        esc(r.platform_name),
        esc(&r.seller.siren),
        esc(&r.seller.legal_name),
    ));
    let period = format!(
        "<ReportPeriod><StartDate>{}</StartDate><EndDate>{}</EndDate></ReportPeriod>",
        ymd(r.period.0),
        ymd(r.period.1)
    );
    match &r.content {
        Content::Sales { days, category, on_receipts } => {
            x.push_str("<TransactionsReport>");
            x.push_str(&period);
            for day in days.iter() {
                let base: Decimal = day.parts.iter().map(|p| p.base).sum();
                let tax: Decimal = day.parts.iter().map(|p| p.tax).sum();
                x.push_str(&format!(
                    "<Transactions><Date>{}</Date><TransactionsCurrency>EUR</TransactionsCurrency>\
                     <TaxDueDateTypeCode>{}</TaxDueDateTypeCode><CategoryCode>{}</CategoryCode>\
                     <TaxExclusiveAmount>{}</TaxExclusiveAmount><TaxTotal>{}</TaxTotal><TransactionsCount>{}</TransactionsCount>",
                    ymd(day.date),
                    if *on_receipts { "72" } else { "5" },
                    esc(category),
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
        Content::Payments { days } => {
            x.push_str("<PaymentsReport>");
            x.push_str(&period);
            for day in days.iter() {
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
        crate::cdar::paid_xml(&crate::cdar::Paid {
            message_id: &s.message_id,
            issued_at: s.issued_at,
            invoice_number: &s.invoice_number,
            invoice_date: s.invoice_date,
            invoice_type: &s.invoice_type,
            paid_on: s.paid_on,
            amounts: &s.amounts,
            seller: &s.seller,
            buyer_name: &s.buyer_name,
            buyer_siren: &s.buyer_siren,
            buyer_address: &s.buyer_address,
        })
    }

    fn ereport(&self, r: &immovr_app::ports::EReport) -> String {
        let content = match r.kind {
            immovr_core::model::ReportKind::Sales => {
                Content::Sales { days: &r.days, category: &r.category, on_receipts: r.on_receipts }
            }
            immovr_core::model::ReportKind::Payments => Content::Payments { days: &r.days },
        };
        report_xml(&Report {
            id: &r.id,
            issued_at: r.issued_at,
            platform_id: &r.platform_id,
            platform_name: &r.platform_name,
            seller: &r.seller,
            period: r.period,
            content,
        })
    }
}

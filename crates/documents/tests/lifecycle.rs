//! The reform's lifecycle messages (CDAR, status 212 Encaissée) and e-reporting reports (Flux
//! 10) pass the official XSD and French schematrons (`tests/tools/validate-lifecycle`, which
//! takes them from the PyPI package pyfrctc).

use std::path::PathBuf;
use std::process::Command;

use immovr_app::platform::split_by_rate;
use immovr_app::ports::PaidStatus;
use immovr_documents::cdar::paid_xml;
use immovr_documents::samples::{company, d};
use jiff::civil::{Date, DateTime};

/// Runs the validator on a message: whether it passed, and its report.
fn check(name: &str, xml: &str) -> (bool, String) {
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools/validate-lifecycle/validate-lifecycle");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new(tool).arg(&path).output().expect("run validate-lifecycle");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && report.contains("PASSED"), report)
}

fn validate(name: &str, xml: &str) {
    let (passed, report) = check(name, xml);
    assert!(passed, "{name} is not valid:\n{report}\n{xml}");
}

fn paid(amounts: &[(rust_decimal::Decimal, rust_decimal::Decimal)], name: &str) -> String {
    paid_xml(&PaidStatus {
        message_id: "212-7-F-2027-0042".into(),
        issued_at: DateTime::constant(2027, 10, 3, 9, 30, 0, 0),
        invoice_number: "F-2027-0042".into(),
        invoice_date: Date::constant(2027, 9, 20),
        paid_on: Date::constant(2027, 10, 2),
        amounts: amounts.to_vec(),
        seller: company(),
        buyer_name: name.into(),
        buyer_siren: "552100554".into(),
    })
}

#[test]
fn a_payment_received_is_a_valid_212_status() {
    let x = paid(&[(d("20"), d("468.00"))], "Agence Lumière & Fils");
    validate("paid", &x);
    assert!(x.contains("<ram:ProcessConditionCode>212</ram:ProcessConditionCode>"));
    assert!(x.contains("Agence Lumière &amp; Fils"));
}

#[test]
fn a_payment_over_several_rates_says_each_rate() {
    let split = split_by_rate(d("300.00"), &[(d("20"), d("240.00")), (d("10"), d("110.00")), (d("5.5"), d("52.75"))]);
    let x = paid(&split, "Agence Lumière");
    validate("paid-rates", &x);
    assert_eq!(x.matches("<ram:TypeCode>MEN</ram:TypeCode>").count(), 3);
}

mod ereporting {
    use immovr_app::ports::{EReport, RatePart, ReportDay as Day};
    use immovr_core::model::{CompanySettings, EInvoicing, ReportKind};
    use immovr_documents::ereporting::report_xml;

    use super::*;

    fn part(rate: &str, base: &str, tax: &str) -> RatePart {
        RatePart { rate: d(rate), base: d(base), tax: d(tax) }
    }

    fn report_of(seller: CompanySettings, kind: ReportKind, days: &[Day]) -> String {
        report_xml(&EReport {
            id: "ER-552100554-T-20270901".into(),
            issued_at: DateTime::constant(2027, 10, 1, 3, 0, 0, 0),
            platform_id: "0042".into(),
            platform_name: "Plateforme Exemple".into(),
            seller,
            period: (Date::constant(2027, 9, 1), Date::constant(2027, 9, 30)),
            kind,
            days: days.to_vec(),
        })
    }

    fn report(kind: ReportKind, days: &[Day]) -> String {
        report_of(company(), kind, days)
    }

    #[test]
    fn sales_to_private_persons_aggregated_per_day_and_rate() {
        let days = [
            Day {
                date: Date::constant(2027, 9, 3),
                count: 2,
                parts: vec![part("20", "780.00", "156.00"), part("10", "100.00", "10.00")],
            },
            // A credit note larger than the day's sales: negative amounts.
            Day { date: Date::constant(2027, 9, 17), count: 1, parts: vec![part("20", "-390.00", "-78.00")] },
        ];
        let x = report(ReportKind::Sales, &days);
        validate("sales", &x);
        assert!(x.contains("<TaxDueDateTypeCode>72</TaxDueDateTypeCode><CategoryCode>TPS1</CategoryCode>"), "{x}");
        // A studio that opted for VAT on debits: due on the invoice (code 5).
        let debits =
            CompanySettings { einvoicing: EInvoicing { vat_on_debits: true, ..EInvoicing::default() }, ..company() };
        let x = report_of(debits, ReportKind::Sales, &days);
        validate("sales-debits", &x);
        assert!(x.contains("<TaxDueDateTypeCode>5</TaxDueDateTypeCode>"), "{x}");
        assert!(x.contains("<TaxExclusiveAmount>880.00</TaxExclusiveAmount><TaxTotal>166.00</TaxTotal>"), "{x}");
    }

    #[test]
    fn payments_received_for_services() {
        let days = [Day { date: Date::constant(2027, 9, 10), count: 1, parts: vec![part("20", "468.00", "0")] }];
        let x = report(ReportKind::Payments, &days);
        validate("payments", &x);
        assert!(x.contains("<Amount>468.00</Amount>"));
    }

    #[test]
    fn an_empty_period_is_still_reported() {
        validate("empty", &report(ReportKind::Sales, &[]));
        validate("empty-payments", &report(ReportKind::Payments, &[]));
    }
}

#[test]
fn the_validator_refuses_what_breaks_the_rules() {
    // A 212 status without the amounts received (BR-FR-CDV-14).
    let (passed, report) = check("broken", &paid(&[], "Agence"));
    assert!(!passed);
    assert!(report.contains("BR-FR-CDV-14"), "{report}");
}

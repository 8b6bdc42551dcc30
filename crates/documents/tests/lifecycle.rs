//! The reform's lifecycle messages (CDAR, status 212 Encaissée) and e-reporting reports (Flux
//! 10) pass the official XSD and French schematrons (`tests/tools/validate-lifecycle`, which
//! takes them from the PyPI package pyfrctc).

use std::path::PathBuf;
use std::process::Command;

use immovr_app::platform::split_by_rate;
use immovr_documents::cdar::{Paid, paid_xml};
use immovr_documents::samples::{company, d};
use jiff::civil::{Date, DateTime};

pub fn validate(name: &str, xml: &str) -> String {
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools/validate-lifecycle/validate-lifecycle");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new(tool).arg(&path).output().expect("run validate-lifecycle");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.contains("PASSED"), "{name} is not valid:\n{report}\n{xml}");
    report
}

fn paid(amounts: &[(rust_decimal::Decimal, rust_decimal::Decimal)], name: &str) -> String {
    paid_xml(&Paid {
        message_id: "212-7-F-2027-0042",
        issued_at: DateTime::constant(2027, 10, 3, 9, 30, 0, 0),
        invoice_number: "F-2027-0042",
        invoice_date: Date::constant(2027, 9, 20),
        invoice_type: "380",
        paid_on: Date::constant(2027, 10, 2),
        amounts,
        seller: &company(),
        buyer_name: name,
        buyer_siren: "552100554",
        buyer_address: "552100554",
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
    use immovr_documents::ereporting::{Content, Day, RatePart, Report, report_xml};

    use super::*;

    fn part(rate: &str, base: &str, tax: &str) -> RatePart {
        RatePart { rate: d(rate), base: d(base), tax: d(tax) }
    }

    fn report(content: Content) -> String {
        report_xml(&Report {
            id: "ER-552100554-T-20270901",
            issued_at: DateTime::constant(2027, 10, 1, 3, 0, 0, 0),
            platform_id: "0042",
            platform_name: "Plateforme Exemple",
            seller: &company(),
            period: (Date::constant(2027, 9, 1), Date::constant(2027, 9, 30)),
            content,
        })
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
        let x = report(Content::Sales { days: &days, category: "TPS1", on_receipts: true });
        validate("sales", &x);
        assert!(x.contains("<TaxExclusiveAmount>880.00</TaxExclusiveAmount><TaxTotal>166.00</TaxTotal>"), "{x}");
    }

    #[test]
    fn payments_received_for_services() {
        let days = [Day { date: Date::constant(2027, 9, 10), count: 1, parts: vec![part("20", "468.00", "0")] }];
        let x = report(Content::Payments { days: &days });
        validate("payments", &x);
        assert!(x.contains("<Amount>468.00</Amount>"));
    }

    #[test]
    fn an_empty_period_is_still_reported() {
        validate("empty", &report(Content::Sales { days: &[], category: "TPS1", on_receipts: false }));
        validate("empty-payments", &report(Content::Payments { days: &[] }));
    }
}

#[test]
fn a_payment_is_split_over_the_rates_and_adds_up() {
    let split = split_by_rate(d("100.00"), &[(d("20"), d("240.00")), (d("10"), d("110.00"))]);
    assert_eq!(split, vec![(d("20"), d("68.57")), (d("10"), d("31.43"))]);
    assert_eq!(split.iter().map(|(_, a)| *a).sum::<rust_decimal::Decimal>(), d("100.00"));
    assert_eq!(split_by_rate(d("50"), &[(d("20"), d("0"))]), vec![(d("20"), d("50"))]);
}

#[test]
fn the_validator_refuses_what_breaks_the_rules() {
    // A 212 status without the amounts received (BR-FR-CDV-14).
    let x = paid(&[], "Agence");
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools/validate-lifecycle/validate-lifecycle");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.xml");
    std::fs::write(&path, x).unwrap();
    let out = Command::new(tool).arg(&path).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("BR-FR-CDV-14"));
}

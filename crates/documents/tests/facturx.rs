//! The CII XML of invoices and credit notes passes the Factur-X 1.09 EN 16931 XSD and the
//! official CEN and Factur-X schematrons (`../shared/tools/validate-facturx/validate-xml`), over a
//! spread of cases.

use std::path::PathBuf;
use std::process::Command;

use immovr_core::model::{Client, ClientKind, Language};
use immovr_core::money::{LineInput, build_lines, totals};
use immovr_documents::facturx::{CiiInput, Kind, cii_xml};
use immovr_documents::samples::{client, company, d, line};
use jiff::civil::Date;

fn validator() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/validate-facturx/validate-xml")
}

fn validate(name: &str, xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new(validator()).arg("--fr-ctc").arg(&path).output().expect("run validate-xml");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} is not valid EN 16931:\n{report}\n{xml}");
    assert!(report.contains("PASSED"), "{report}");
}

fn xml(kind: Kind, client: &Client, inputs: &[LineInput], paid: &str) -> String {
    let seller = company();
    let rates = [d("20"), d("10"), d("5.5"), d("0")];
    let lines = build_lines(inputs, &rates).unwrap();
    let t = totals(&lines);
    cii_xml(&CiiInput {
        kind,
        number: "F-2026-0007",
        issue_date: Date::constant(2026, 6, 15),
        service_date: Date::constant(2026, 6, 14),
        due_date: Date::constant(2026, 7, 15),
        payment_reference: "F-2026-0007",
        purchase_order_number: Some("BC-2026-0003"),
        lines: &lines,
        totals: &t,
        amount_paid: d(paid),
        seller: &seller,
        buyer: client,
    })
}

#[test]
fn business_invoice_with_rates_and_discounts() {
    let x = xml(
        Kind::Invoice,
        &client(ClientKind::Company, Language::Fr),
        &[
            line("Visite virtuelle 360° — appartement « Les Terrasses »", "1", "forfait", "390.00", "0", "20"),
            line("Home staging virtuel", "4", "pièce", "89.00", "16.00", "20"),
            line("Plan 2D coté (logement social)", "2", "plan", "60.50", "0", "5.5"),
            line("Déplacement", "120", "km", "0.6", "0", "10"),
        ],
        "0",
    );
    assert!(x.contains("<ram:TypeCode>380</ram:TypeCode>") && x.contains("schemeID=\"VA\">FR44732829320"));
    validate("business", &x);
}

#[test]
fn private_client_partly_paid_long_and_non_latin_text() {
    let long = "Rendu 3D photoréaliste — façade nord, vue plongeante, lumière d'hiver ; 東京 展示 — ".repeat(8);
    let x = xml(
        Kind::Invoice,
        &client(ClientKind::Person, Language::Fr),
        &[line(&long, "3", "image", "450", "50", "20"), line("Vidéo drone (4K)", "1", "forfait", "590", "0", "20")],
        "500.00",
    );
    assert!(!x.contains("732829320"), "a private client has no SIREN");
    assert!(x.contains("<ram:TotalPrepaidAmount>500.00</ram:TotalPrepaidAmount>"));
    validate("private", &x);
}

#[test]
fn credit_note_refers_to_its_invoice() {
    let x = xml(
        Kind::CreditNote { invoice_number: "F-2026-0005", invoice_date: Date::constant(2026, 6, 1) },
        &client(ClientKind::Company, Language::Fr),
        &[line("Visite virtuelle 360°", "1", "forfait", "390", "0", "20")],
        "0",
    );
    assert!(x.contains("<ram:TypeCode>381</ram:TypeCode>") && x.contains("F-2026-0005"));
    validate("credit-note", &x);
}

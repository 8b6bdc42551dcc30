//! The CII XML of invoices and credit notes passes the Factur-X 1.09 EN 16931 XSD and the
//! official CEN and Factur-X schematrons (`../shared/tools/validate-facturx/validate-xml`), over a
//! spread of cases.

use std::path::PathBuf;
use std::process::Command;

use immovr_core::model::{Address, Client, ClientKind, Language};
use immovr_core::money::{LineInput, build_lines, totals};
use immovr_documents::facturx::{CiiInput, Kind, cii_xml};
use jiff::civil::Date;
use rust_decimal::Decimal;

fn validator() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/validate-facturx/validate-xml")
}

fn validate(name: &str, xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new(validator()).arg(&path).output().expect("run validate-xml");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} is not valid EN 16931:\n{report}\n{xml}");
    assert!(report.contains("PASSED"), "{report}");
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn line(desc: &str, q: &str, unit: &str, p: &str, disc: &str, rate: &str) -> LineInput {
    LineInput {
        code: None,
        description: desc.into(),
        quantity: d(q),
        unit: unit.into(),
        unit_price: d(p),
        discount: d(disc),
        vat_rate: d(rate),
    }
}

fn company_client(kind: ClientKind) -> Client {
    Client {
        id: 1,
        kind,
        name: "Claire Dubois".into(),
        email: "claire@agence-lumiere.example".into(),
        phone: None,
        company_name: (kind == ClientKind::Company).then(|| "Agence Lumière & Fils".into()),
        siren: (kind == ClientKind::Company).then(|| "732829320".into()),
        siret: None,
        vat_number: (kind == ClientKind::Company).then(|| "FR44732829320".into()),
        billing_address: Some(Address {
            line1: "8 place Bellecour".into(),
            line2: None,
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        }),
        language: Language::Fr,
        notify_email: true,
        created_at: "2026-06-01T00:00:00Z".parse().unwrap(),
    }
}

fn xml(kind: Kind, client: &Client, inputs: &[LineInput], paid: &str) -> String {
    let seller = immovr_store_free_company();
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

/// The demo company's settings, with plausible identifiers.
fn immovr_store_free_company() -> immovr_core::model::CompanySettings {
    let address = Address {
        line1: "12 rue de la Démo".into(),
        line2: None,
        postcode: "75011".into(),
        city: "Paris".into(),
        country: "FR".into(),
    };
    immovr_core::model::CompanySettings {
        trade_name: "ImmoVr".into(),
        legal_name: "Virtuelli".into(),
        legal_form: "SAS".into(),
        share_capital: "10 000 €".into(),
        siren: "123456782".into(),
        siret: "12345678200017".into(),
        rcs: "RCS Paris 123 456 782".into(),
        vat_number: "FR40123456782".into(),
        address: address.clone(),
        email: "studio@immovr.example".into(),
        phone: "+33 1 00 00 00 00".into(),
        iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bic: "AGRIFRPPXXX".into(),
        account_holder: "Virtuelli SAS".into(),
        cheque_payee: "Virtuelli".into(),
        cheque_address: address,
        quote_prefix: "D".into(),
        purchase_order_prefix: "BC".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        vat_rates: vec![d("20"), d("10"), d("5.5"), d("0")],
        default_vat_rate: d("20"),
        quote_validity_days: 30,
        payment_terms_days: 30,
        late_payment_wording: "Pénalités de retard : trois fois le taux d'intérêt légal.".into(),
        quote_reminder_days: 3,
        overdue_reminder_days: vec![1, 15, 30],
        auto_validate_purchase_orders: false,
        stage_template: vec![],
        demo: false,
        logo_key: None,
        logo_content_type: None,
    }
}

#[test]
fn business_invoice_with_rates_and_discounts() {
    let x = xml(
        Kind::Invoice,
        &company_client(ClientKind::Company),
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
        &company_client(ClientKind::Person),
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
        &company_client(ClientKind::Company),
        &[line("Visite virtuelle 360°", "1", "forfait", "390", "0", "20")],
        "0",
    );
    assert!(x.contains("<ram:TypeCode>381</ram:TypeCode>") && x.contains("F-2026-0005"));
    validate("credit-note", &x);
}

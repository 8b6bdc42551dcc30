//! The CII XML of invoices and credit notes passes the Factur-X 1.09 EN 16931 XSD and the
//! official CEN and Factur-X schematrons (`../shared/tools/validate-facturx/validate-xml`), over a
//! spread of cases.

use std::path::PathBuf;
use std::process::Command;

use immovr_core::model::{Client, ClientKind, CompanySettings, EInvoicing, Language, OperationCategory};
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
    xml_for(&company(), kind, client, inputs, paid)
}

fn xml_for(seller: &CompanySettings, kind: Kind, client: &Client, inputs: &[LineInput], paid: &str) -> String {
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
        seller,
        buyer: client,
        service_address: Some("21 rue de la République, 69002 Lyon"),
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

/// The French reform's fields: the processing frame, the electronic addresses, the service
/// address, the category and the VAT option, each as the CTC rules want them.
#[test]
fn the_reform_fields_follow_the_client_and_the_settings() {
    let business = client(ClientKind::Company, Language::Fr);
    let lines = [line("Visite virtuelle 360°", "1", "forfait", "390", "0", "20")];
    let x = xml(Kind::Invoice, &business, &lines, "0");
    for expected in [
        "<ram:ID>S1</ram:ID>",
        "<ram:Content>B2B</ram:Content><ram:SubjectCode>BAR</ram:SubjectCode>",
        // Seller (BT-34) and buyer (BT-49): SIREN-based addresses.
        "<ram:URIID schemeID=\"0225\">732829320</ram:URIID>",
        "<ram:ShipToTradeParty><ram:PostalTradeAddress><ram:PostcodeCode>69002</ram:PostcodeCode><ram:LineOne>21 rue de la République</ram:LineOne><ram:CityName>Lyon</ram:CityName>",
        "<ram:DueDateTypeCode>72</ram:DueDateTypeCode>",
    ] {
        assert!(x.contains(expected), "{expected} missing: {x}");
    }
    assert!(!x.contains("TXD"), "no VAT option unless taken");
    validate("reform-b2b", &x);

    // A private person: B2C, reached by email; a company without SIREN (abroad): B2BINT.
    let person = client(ClientKind::Person, Language::Fr);
    let x = xml(Kind::Invoice, &person, &lines, "0");
    assert!(x.contains("<ram:Content>B2C</ram:Content>") && x.contains("schemeID=\"EM\">claire@"), "{x}");
    validate("reform-b2c", &x);
    let abroad = Client { siren: None, siret: None, ..business.clone() };
    let x = xml(Kind::Invoice, &abroad, &lines, "0");
    assert!(x.contains("<ram:Content>B2BINT</ram:Content>"), "{x}");
    validate("reform-b2bint", &x);

    // The studio opted for VAT on debits, sells goods too, and has a directory suffix.
    let einvoicing = EInvoicing {
        category: OperationCategory::Mixed,
        vat_on_debits: true,
        electronic_address: Some("732829320_FACTURES".into()),
        ..EInvoicing::default()
    };
    let seller = CompanySettings { einvoicing, ..company() };
    let x = xml_for(&seller, Kind::Invoice, &business, &lines, "0");
    for expected in [
        "<ram:ID>M1</ram:ID>",
        "<ram:SubjectCode>TXD</ram:SubjectCode>",
        "<ram:DueDateTypeCode>5</ram:DueDateTypeCode>",
        "schemeID=\"0225\">732829320_FACTURES</ram:URIID>",
    ] {
        assert!(x.contains(expected), "{expected} missing: {x}");
    }
    validate("reform-debits", &x);
    let goods = CompanySettings {
        einvoicing: EInvoicing { category: OperationCategory::Goods, ..Default::default() },
        ..company()
    };
    let x = xml_for(
        &goods,
        Kind::CreditNote { invoice_number: "F-2026-0005", invoice_date: Date::constant(2026, 6, 1) },
        &business,
        &lines,
        "0",
    );
    assert!(x.contains("<ram:ID>B1</ram:ID>") && x.contains("<ram:DueDateTypeCode>29</ram:DueDateTypeCode>"), "{x}");
    validate("reform-goods-credit-note", &x);

    // The service performed at the billing address: no separate delivery address.
    let mut at_home = person.clone();
    at_home.billing_address.as_mut().unwrap().line1 = "21 rue de la République".into();
    let x = xml(Kind::Invoice, &at_home, &lines, "0");
    assert!(!x.contains("ShipToTradeParty"), "{x}");
}

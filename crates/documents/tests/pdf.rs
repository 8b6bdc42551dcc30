//! PDFs are rendered in-process and read back with `pdftotext`: the numbers, totals and
//! mentions are in the text; the same input gives the same bytes.

use std::process::Command;

use immovr_documents::pdf::{DEFAULT_TEMPLATE, render};
use serde_json::json;

fn data() -> serde_json::Value {
    json!({
        "lang": "fr",
        "title": "Facture",
        "number": "F-2026-0007",
        "facts": {"Date": "15/06/2026", "Échéance": "15/07/2026", "Bon de commande": "BC-2026-0003"},
        "seller": {"trade_name": "ImmoVr", "legal_name": "Virtuelli", "legal_form": "SAS", "share_capital": "10 000 €",
            "siren": "123456782", "siret": "12345678200017", "rcs": "RCS Paris 123 456 782", "vat_number": "FR40123456782",
            "address": "12 rue de la Démo, 75011 Paris", "email": "studio@immovr.example", "phone": "+33 1 00 00 00 00"},
        "buyer": {"name": "Agence Lumière", "address": "8 place Bellecour, 69002 Lyon", "ids": ["SIREN 732829320", "TVA FR44732829320"]},
        "headers": ["Désignation", "Qté", "Unité", "P.U. HT", "Remise", "TVA", "Total HT"],
        "lines": [
            {"description": "Visite virtuelle 360° — appartement", "quantity": "1", "unit": "forfait", "unit_price": "390,00 €", "discount": "—", "vat": "20 %", "total": "390,00 €"},
            {"description": "Home staging virtuel", "quantity": "4", "unit": "pièce", "unit_price": "89,00 €", "discount": "16,00 €", "vat": "20 %", "total": "340,00 €"}
        ],
        "totals": [{"label": "Total HT", "value": "730,00 €"}, {"label": "TVA 20 %", "value": "146,00 €"}, {"label": "Total TTC", "value": "876,00 €"}],
        "mentions": ["Indemnité forfaitaire pour frais de recouvrement : 40 €.", "Pas d'escompte pour paiement anticipé."]
    })
}

#[test]
fn an_invoice_renders_and_reads_back() {
    let issued: jiff::Timestamp = "2026-06-15T10:00:00Z".parse().unwrap();
    let pdf = render(DEFAULT_TEMPLATE, &data(), "F-2026-0007", issued).expect("render");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let again = render(DEFAULT_TEMPLATE, &data(), "F-2026-0007", issued).unwrap();
    assert!(pdf == again, "rendering is reproducible");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Facture",
        "F-2026-0007",
        "Agence Lumière",
        "Visite virtuelle 360°",
        "876,00 €",
        "Pas d’escompte",
        "SIREN 123456782",
        "BC-2026-0003",
    ] {
        let found = text.contains(expected) || text.contains(&expected.replace('’', "'"));
        assert!(found, "{expected:?} missing from:\n{text}");
    }
}

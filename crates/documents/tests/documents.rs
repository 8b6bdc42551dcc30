//! Every document is rendered in-process from an issued document's snapshot and read back:
//! `pdftotext` finds the numbers, totals and mandatory mentions; invoices and credit notes pass
//! `../shared/tools/validate-facturx` (PDF/A-3 structure, Factur-X packaging and XMP, the EN 16931
//! XSD and schematrons); the SEPA QR code decoded from a rendering (`pdftoppm` + `zbarimg`)
//! carries the right IBAN, amount and reference.

use std::path::{Path, PathBuf};
use std::process::Command;

use immovr_core::model::*;
use immovr_core::money::LineInput;
use immovr_documents::Renderer;
use immovr_documents::samples::*;

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn render(name: &str, s: &DocumentSnapshot) -> PathBuf {
    let pdf = Renderer::new().render(s, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(pdf.starts_with(b"%PDF-"));
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, &pdf).unwrap();
    path
}

/// The text of a PDF, with every kind of space as a plain space.
fn text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test installs it)");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .replace('’', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_contains(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(&e.replace('’', "'")), "{e:?} missing from:\n{text}");
    }
}

fn pages(path: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(path).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&out.stdout);
    info.lines().find_map(|l| l.strip_prefix("Pages:")).map(|n| n.trim().parse().unwrap()).unwrap()
}

fn validate_facturx(path: &Path) {
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/validate-facturx/validate-facturx");
    let out = Command::new(tool).arg("--fr-ctc").arg(path).output().expect("run validate-facturx");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} is not a valid Factur-X invoice:\n{report}", path.display());
}

/// Decodes the QR code of the PDF's pages (150 dpi).
fn qr_payload(path: &Path) -> String {
    let prefix = path.with_extension("");
    let status =
        Command::new("pdftoppm").args(["-r", "150", "-png"]).arg(path).arg(&prefix).status().expect("pdftoppm");
    assert!(status.success());
    let dir = path.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_string_lossy().to_string();
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!("{stem}-")) && n.ends_with(".png")
        })
        .collect();
    images.sort();
    let out = Command::new("zbarimg").args(["-q", "--raw"]).args(&images).output().expect("zbarimg (zbar-tools)");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[test]
fn business_invoice_is_factur_x_with_every_mention_and_a_scannable_qr_code() {
    let mut s = snapshot(DocumentKind::Invoice, "F-2026-0007", client(ClientKind::Company, Language::Fr));
    s.invoice = Some(invoice(&rates_and_discounts(), "0"));
    let path = render("invoice-business", &s);
    let t = text(&path);
    assert_contains(
        &t,
        &[
            "Facture",
            "N° F-2026-0007",
            "Date d’émission 20/06/2026",
            "Date de la prestation 19/06/2026",
            "Échéance 20/07/2026",
            "BC-2026-0003",
            // What it comes from, and where the service was performed.
            "Devis D-2026-0012 (v2)",
            "Objet",
            "Visite virtuelle — appartement « Les Terrasses » Agence Lumière & Fils Lieu de la prestation",
            "Lieu de la prestation",
            "14 quai des Célestins, 69002 Lyon",
            // The e-invoicing reform's category of the operation.
            "Catégorie de l’opération : prestation de services",
            // One payment-terms sentence, from the invoice's own dates.
            "Payable à 30 jours date de facture, soit au plus tard le 20/07/2026, par virement ou par chèque.",
            "Virtuelli SAS au capital de 10 000 €",
            "SIREN 123456782",
            "SIRET 12345678200002",
            "RCS Paris 123 456 782",
            "FR11123456782",
            "Agence Lumière & Fils",
            "SIREN 732829320",
            "N° TVA intracommunautaire FR44732829320",
            "8 place Bellecour",
            "69002 Lyon",
            "Home staging virtuel 4 pièce 89,00 € 16,00 € 20 % 340,00 €",
            // 390 + 340 = 730 at 20 %; 121 at 5.5 %; 72 at 10 %.
            "Total HT 923,00 €",
            "TVA 20 % sur 730,00 € 146,00 €",
            "TVA 5,5 % sur 121,00 € 6,66 €",
            "TVA 10 % sur 72,00 € 7,20 €",
            "Total TTC 1 082,86 €",
            "pénalités au taux de trois fois le taux d'intérêt légal",
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €",
            "Pas d’escompte pour paiement anticipé",
            "IBAN FR76 3000 6000 0112 3456 7890 189",
            "BIC AGRIFRPPXXX",
            "Titulaire Virtuelli SAS",
            "Référence à indiquer F-2026-0007",
            "À l’ordre de Virtuelli",
            "BP 42",
        ],
    );
    assert!(!t.contains("exonération"), "no 0 % line, no exemption mention");
    validate_facturx(&path);
    let qr = qr_payload(&path);
    let lines: Vec<&str> = qr.lines().collect();
    assert_eq!(lines[..4], ["BCD", "002", "1", "SCT"], "{qr}");
    assert_eq!(lines[4], "AGRIFRPPXXX");
    assert_eq!(lines[5], "Virtuelli SAS");
    assert_eq!(lines[6], "FR7630006000011234567890189");
    assert_eq!(lines[7], "EUR1082.86");
    assert_eq!(lines.last(), Some(&"F-2026-0007"));
}

#[test]
fn private_client_invoice_in_english_long_lines_to_a_second_page_non_latin_text() {
    let long =
        "Photorealistic 3D rendering — north façade, bird's-eye view, winter light, Ελληνικά, кириллица; ".repeat(6);
    let mut inputs: Vec<LineInput> = (1..=14)
        .map(|i| line(&format!("{long} (#{i})"), "1", "image", "150", if i == 3 { "25" } else { "0" }, "20"))
        .collect();
    inputs.push(line("Diagnostic — exempt service", "1", "forfait", "80", "0", "0"));
    let mut s = snapshot(DocumentKind::Invoice, "F-2026-0008", client(ClientKind::Person, Language::En));
    let mut inv = invoice(&inputs, "500.00");
    inv.number = "F-2026-0008".into();
    inv.payment_reference = "F-2026-0008".into();
    s.invoice = Some(inv);
    let path = render("invoice-private-en", &s);
    assert!(pages(&path) >= 2, "the lines run to a second page");
    let t = text(&path);
    assert_contains(
        &t,
        &[
            "Invoice",
            "F-2026-0008",
            "Issue date 20 June 2026",
            "Due date 20 July 2026",
            "Claire Dubois",
            "Ελληνικά, кириллица",
            "Total excl. VAT €2,155.00",
            "Total incl. VAT €2,570.00",
            "Amount due €2,070.00",
            "Lines at 0%: exempt from VAT",
            "No discount for early payment",
            "Payable to Virtuelli",
        ],
    );
    assert!(!t.contains("SIREN 732829320") && !t.contains("€40"), "a private client: no SIREN, no €40 indemnity");
    validate_facturx(&path);
    let qr = qr_payload(&path);
    assert!(qr.contains("\nEUR2070.00\n"), "the QR code asks for the amount still due: {qr}");
}

#[test]
fn credit_note_is_factur_x_and_names_the_invoice_it_cancels() {
    let inv = invoice(&rates_and_discounts(), "0");
    let mut s = snapshot(DocumentKind::CreditNote, "AV-2026-0001", client(ClientKind::Company, Language::Fr));
    s.credit_note = Some(credit_note(&inv));
    s.invoice = Some(inv);
    let path = render("credit-note", &s);
    let t = text(&path);
    assert_contains(
        &t,
        &[
            "Avoir",
            "AV-2026-0001",
            "Facture d’origine F-2026-0007 (20/06/2026)",
            "Avoir annulant la facture F-2026-0007 du 20/06/2026",
            "Motif : Erreur d’adresse de facturation",
            "Montant de l’avoir TTC 1 082,86 €",
        ],
    );
    assert!(!t.contains("Règlement"), "no payment block on a credit note");
    validate_facturx(&path);
}

#[test]
fn quote_has_validity_terms_and_a_bon_pour_accord_box_and_the_accepted_copy_has_the_evidence() {
    let mut s = snapshot(DocumentKind::Quote, "D-2026-0012", client(ClientKind::Company, Language::Fr));
    s.quote = Some(quote(&rates_and_discounts(), false));
    let t = text(&render("quote", &s));
    assert_contains(
        &t,
        &[
            "Devis",
            "N° D-2026-0012",
            "Date 15/06/2026",
            "Valable jusqu’au 15/07/2026",
            "Version 2",
            "Visite virtuelle — appartement « Les Terrasses »",
            "Total TTC 1 082,86 €",
            "Ce devis est valable jusqu’au 15/07/2026",
            "Facture émise à la livraison des fichiers finaux, payable à 30 jours date de facture, par virement ou par chèque.",
            "Bon pour accord",
            "Prise de vue un matin ensoleillé",
        ],
    );
    assert!(!t.contains("Signataire"));

    let mut signed = snapshot(DocumentKind::SignedQuote, "D-2026-0012", client(ClientKind::Company, Language::Fr));
    signed.quote = Some(quote(&rates_and_discounts(), true));
    let t = text(&render("quote-signed", &signed));
    assert_contains(
        &t,
        &[
            "Devis accepté",
            "Accepté le 16/06/2026",
            "Bon pour accord électronique",
            "Signataire Claire Dubois",
            // 14:31 UTC is 16:31 in Paris in June.
            "16/06/2026 à 16:31:07 (CEST, UTC+02:00)",
            "Adresse IP 203.0.113.9",
            // The version of the terms accepted, as published on the studio's site.
            "Conditions générales de vente version 1 (/cgv/v/1)",
            "9f2c1b0e5a7d4c3b2a19080706050403020100ffeeddccbbaa99887766554433",
        ],
    );

    // Received on paper and recorded by the studio: the evidence says so, with the scan's
    // fingerprint, and claims no IP address or online consent.
    let mut q = quote(&rates_and_discounts(), true);
    let a = q.acceptance.as_mut().unwrap();
    a.channel = AcceptanceChannel::Paper;
    a.signed_on = Some(jiff::civil::date(2026, 6, 15));
    a.recorded_by = Some("vente@immovr.fr".into());
    a.ip = None;
    a.user_agent = None;
    a.evidence = Some(Attachment {
        id: 1,
        filename: "bon signé.pdf".into(),
        content_type: "application/pdf".into(),
        size_bytes: 1200,
        sha256: "ab".repeat(32),
        storage_key: String::new(),
    });
    signed.quote = Some(q);
    let t = text(&render("quote-signed-on-paper", &signed));
    assert_contains(
        &t,
        &[
            "Bon pour accord reçu hors ligne",
            "Signataire Claire Dubois",
            "Signé le 15/06/2026",
            "Reçu Exemplaire papier signé",
            "Enregistré par vente@immovr.fr, 16/06/2026 à 16:31:07",
            &format!("Document signé (SHA-256) {}", "ab".repeat(32)),
        ],
    );
    assert!(!t.contains("Adresse IP") && !t.contains("électronique"), "{t}");
}

#[test]
fn purchase_order_refers_to_the_quote_number_and_version() {
    let q = quote(&rates_and_discounts(), true);
    let mut s = snapshot(DocumentKind::PurchaseOrder, "BC-2026-0003", client(ClientKind::Company, Language::En));
    s.purchase_order = Some(purchase_order(&q));
    s.quote = Some(q);
    let t = text(&render("purchase-order", &s));
    assert_contains(
        &t,
        &[
            "Purchase order",
            "BC-2026-0003",
            "Quote D-2026-0012 (v2)",
            "generated automatically when quote D-2026-0012 (version 2) was accepted on 16 June 2026",
            "Signed by Claire Dubois",
            "Total incl. VAT €1,082.86",
            "Invoiced on delivery of the final files, payable within 30 days of the invoice date, by bank transfer or cheque.",
        ],
    );

    // A studio paid on receipt says so, and nothing of days, on the order and on the invoice.
    s.company.payment_terms_days = 0;
    let t = text(&render("purchase-order-on-receipt", &s));
    assert_contains(&t, &["Invoiced on delivery of the final files, payable on receipt, by bank transfer or cheque."]);
    assert!(!t.contains("days of the invoice date"), "{t}");
    let mut inv = snapshot(DocumentKind::Invoice, "F-2026-0008", client(ClientKind::Person, Language::Fr));
    let mut i = invoice(&rates_and_discounts(), "0");
    i.due_date = i.issue_date;
    inv.invoice = Some(i);
    inv.company.payment_terms_days = 0;
    let t = text(&render("invoice-on-receipt", &inv));
    assert_contains(&t, &["Payable à réception (échéance le 20/06/2026), par virement ou par chèque."]);
    assert!(!t.contains("jours date de facture"), "{t}");
}

#[test]
fn the_same_snapshot_gives_the_same_bytes_and_uncovered_characters_do_not_break_pdf_a() {
    let mut s = snapshot(DocumentKind::Invoice, "F-2026-0009", client(ClientKind::Company, Language::Fr));
    s.invoice = Some(invoice(&[line("Rendu 東京 展示 — façade", "1", "image", "450", "0", "20")], "0"));
    let r = Renderer::new();
    let a = r.render(&s, None).unwrap();
    let b = r.render(&s, None).unwrap();
    assert!(a == b, "rendering is reproducible");
    let path = out_dir().join("uncovered.pdf");
    std::fs::write(&path, &a).unwrap();
    assert_contains(&text(&path), &["Rendu ?? ?? — façade"]);
    validate_facturx(&path);
}

#[test]
fn the_company_logo_is_printed() {
    // Any PNG will do: a rendering of a page.
    let mut s = snapshot(DocumentKind::Quote, "D-2026-0013", client(ClientKind::Person, Language::Fr));
    s.quote = Some(quote(&rates_and_discounts(), false));
    let plain = render("logo-source", &s);
    let prefix = out_dir().join("logo");
    assert!(
        Command::new("pdftoppm")
            .args(["-r", "20", "-png", "-singlefile"])
            .arg(&plain)
            .arg(&prefix)
            .status()
            .unwrap()
            .success()
    );
    let png = std::fs::read(prefix.with_extension("png")).unwrap();
    let logo = immovr_documents::Logo { bytes: png, content_type: "image/png".into() };
    let pdf = Renderer::new().render(&s, Some(&logo)).unwrap();
    let path = out_dir().join("with-logo.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let images = |p: &Path| {
        let out = Command::new("pdfimages").arg("-list").arg(p).output().expect("pdfimages");
        String::from_utf8_lossy(&out.stdout).lines().skip(2).count()
    };
    assert_eq!(images(&plain), 0);
    assert_eq!(images(&path), 1, "the logo is embedded");
}

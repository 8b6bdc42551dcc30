//! Documents over HTTP: each is issued with its record, rendered once, served byte-identical with
//! its SHA-256 (ETag, Repr-Digest), only to its client and the staff; the invoice is a valid
//! Factur-X whose QR code pays the right amount; later settings changes leave it untouched.

use std::path::{Path, PathBuf};
use std::process::Command;

use immovr_testkit::Delivered;
use immovr_testkit::reqwest::Method;
use sha2::{Digest, Sha256};

use super::*;

type Id = i64;

struct Download {
    status: StatusCode,
    headers: immovr_testkit::reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, token: &str, path: &str) -> Download {
    let mut req = app.http.request(Method::GET, format!("{}{path}", app.base));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap().to_vec();
    Download { status, headers, bytes }
}

async fn pdf(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let d = download(app, token, path).await;
    assert_eq!(d.status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(d.headers["content-type"], "application/pdf");
    assert!(d.bytes.starts_with(b"%PDF-"));
    let sha = hex::encode(Sha256::digest(&d.bytes));
    assert_eq!(d.headers["etag"].to_str().unwrap(), format!("\"{sha}\""), "the ETag is the SHA-256 of the bytes");
    d.bytes
}

fn save(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn text(bytes: &[u8]) -> String {
    let (_dir, path) = save("doc.pdf", bytes);
    let out = Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .replace('’', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn validate_facturx(path: &Path) {
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/validate-facturx/validate-facturx");
    let out = Command::new(tool).arg("--fr-ctc").arg(path).output().expect("run validate-facturx");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "not a valid Factur-X invoice:\n{report}");
}

fn qr(path: &Path) -> String {
    let prefix = path.with_extension("");
    assert!(
        Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-f", "1", "-l", "1"])
            .arg(path)
            .arg(&prefix)
            .status()
            .unwrap()
            .success()
    );
    let page = path.parent().unwrap().join(format!("{}-1.png", prefix.file_name().unwrap().to_string_lossy()));
    let out = Command::new("zbarimg").args(["-q", "--raw"]).arg(&page).output().expect("zbarimg (zbar-tools)");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

both!(every_document_of_the_journey_downloads_and_reads_back, async |app: &TestApp| {
    let (client_id, client) = app.signup("Lumiere").await;
    let quote = app
        .sent_quote(
            client_id,
            &[("Visite virtuelle 360°", "1", "390.00", "20"), ("Plan 2D (logement social)", "2", "60.50", "5.5")],
        )
        .await;

    // The quote as sent: number, validity, "bon pour accord".
    let q = text(&pdf(app, &client, &format!("/api/v1/quotes/{quote}/pdf")).await);
    for expected in [
        "Devis",
        "D-2026-0001",
        "Valable jusqu'au 15/07/2026",
        "Total TTC 595,66 €",
        "Bon pour accord",
        "Lumiere Immobilier",
    ] {
        assert!(q.contains(expected), "{expected:?} missing from the quote: {q}");
    }
    // Not accepted yet: no signed copy.
    let none = download(app, &client, &format!("/api/v1/quotes/{quote}/accepted-pdf")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    let Delivered { po, order, invoice, .. } = app.delivered(&client, quote).await;
    let hash = app.get(&client, &format!("/api/v1/quotes/{quote}")).await.body["acceptance"]["content_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let signed = text(&pdf(app, &client, &format!("/api/v1/quotes/{quote}/accepted-pdf")).await);
    for expected in ["Devis accepté", "Signataire Claire Dubois", hash.as_str(), "Accepté le 15/06/2026"] {
        assert!(signed.contains(expected), "{expected:?} missing from the accepted quote: {signed}");
    }
    let po_text = text(&pdf(app, &client, &format!("/api/v1/purchase-orders/{po}/pdf")).await);
    for expected in ["Bon de commande", "BC-2026-0001", "D-2026-0001 (v1)", "Total TTC 595,66 €"] {
        assert!(po_text.contains(expected), "{expected:?} missing from the purchase order: {po_text}");
    }

    // The invoice: Factur-X, payment block, QR code with IBAN, amount and reference.
    let bytes = pdf(app, &client, &format!("/api/v1/invoices/{invoice}/pdf")).await;
    let inv = text(&bytes);
    for expected in [
        "Facture",
        "F-2026-0001",
        "BC-2026-0001",
        "Total TTC 595,66 €",
        "SIREN 123456782",
        "Indemnité forfaitaire pour frais de recouvrement",
        "Pas d'escompte",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "Référence à indiquer F-2026-0001",
        "À l'ordre de Virtuelli",
    ] {
        assert!(inv.contains(expected), "{expected:?} missing from the invoice: {inv}");
    }
    let (_dir, path) = save("invoice.pdf", &bytes);
    validate_facturx(&path);
    let code = qr(&path);
    let lines: Vec<&str> = code.lines().collect();
    assert_eq!(lines.get(6), Some(&"FR7630006000011234567890189"), "{code}");
    assert_eq!(lines.get(7), Some(&"EUR595.66"), "{code}");
    assert_eq!(lines.last(), Some(&"F-2026-0001"), "{code}");

    // The pages link to them.
    let (browser, _, _) = app.browser_login("lumiere@client.example", "client-password").await;
    let page =
        browser.get(format!("{}/compte/commandes/{order}", app.base)).send().await.unwrap().text().await.unwrap();
    let order_page = format!("/compte/commandes/{order}");
    assert!(
        page.contains(&format!("{order_page}/pdf/purchase_order/{po}"))
            && page.contains(&format!("{order_page}/pdf/invoice/{invoice}")),
        "{page}"
    );
    // A credit note cancels it: Factur-X too, naming the invoice.
    let cn = app
        .post(
            &app.admin,
            &format!("/api/v1/invoices/{invoice}/credit-notes"),
            json!({"reason": "Erreur de facturation"}),
        )
        .await;
    assert_eq!(cn.status, StatusCode::CREATED, "{}", cn.body);
    let cn_bytes = pdf(app, &client, &format!("/api/v1/credit-notes/{}/pdf", cn.id())).await;
    let cn_text = text(&cn_bytes);
    assert!(cn_text.contains("AV-2026-0001") && cn_text.contains("Avoir annulant la facture F-2026-0001"), "{cn_text}");
    let (_dir2, cn_path) = save("credit-note.pdf", &cn_bytes);
    validate_facturx(&cn_path);

    let page =
        browser.get(format!("{}/compte/factures/{invoice}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/compte/factures/{invoice}/pdf/credit_note/{}", cn.id())), "{page}");
    // …the same bytes as the API's, with the session cookie; the API takes the cookie too.
    for path in [format!("/compte/factures/{invoice}/pdf/invoice/{invoice}"), format!("/api/v1/invoices/{invoice}/pdf")]
    {
        let via_cookie = browser.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(via_cookie.status(), StatusCode::OK, "{path}");
        assert_eq!(via_cookie.bytes().await.unwrap().to_vec(), bytes, "{path}");
    }
});

both!(issued_documents_never_change_and_stay_private, async |app: &TestApp| {
    let (client_id, client) = app.signup("Immuable").await;
    let quote = app.sent_quote(client_id, &[("Vidéo drone", "1", "590.00", "20")]).await;
    let Delivered { invoice, .. } = app.delivered(&client, quote).await;
    let path = format!("/api/v1/invoices/{invoice}/pdf");
    let first = download(app, &client, &path).await;
    assert_eq!(first.status, StatusCode::OK);
    let sha = hex::encode(Sha256::digest(&first.bytes));
    use base64::Engine;
    let digest =
        format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&first.bytes)));
    assert_eq!(first.headers["repr-digest"].to_str().unwrap(), digest);

    // The studio changes its name and bank details.
    let mut company = app.get(&app.admin, "/api/v1/settings/company").await.body;
    company["legal_name"] = json!("Virtuelli Renommée");
    company["iban"] = json!("FR09 1027 8060 3100 0205 7000 185");
    let saved = app.put(&app.admin, "/api/v1/settings/company", company).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    // The issued invoice is the same file, byte for byte, for the client and the staff.
    let again = download(app, &client, &path).await;
    assert!(again.bytes == first.bytes, "an issued document never changes");
    let staff_copy = download(app, &app.admin, &path).await;
    assert!(staff_copy.bytes == first.bytes);
    // Conditional request: not modified.
    let mut req = app.http.get(format!("{}{path}", app.base)).bearer_auth(&client);
    req = req.header("if-none-match", format!("\"{sha}\""));
    assert_eq!(req.send().await.unwrap().status(), StatusCode::NOT_MODIFIED);
    // A range of it, for resumable downloads.
    let part = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(&client)
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &first.bytes[..8]);

    // A new invoice carries the new details.
    let quote2 = app.sent_quote(client_id, &[("Plan 2D", "1", "120.00", "20")]).await;
    let Delivered { invoice: invoice2, .. } = app.delivered(&client, quote2).await;
    let new_text = text(&download(app, &client, &format!("/api/v1/invoices/{invoice2}/pdf")).await.bytes);
    assert!(
        new_text.contains("Virtuelli Renommée") && new_text.contains("FR09 1027 8060 3100 0205 7000 185"),
        "{new_text}"
    );
    assert!(!text(&first.bytes).contains("Renommée"));

    // Another client, or nobody, cannot have it.
    let (_, other) = app.signup("Curieux").await;
    let stolen = download(app, &other, &path).await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    assert!(!stolen.bytes.starts_with(b"%PDF"));
    for p in [format!("/api/v1/quotes/{quote}/pdf"), format!("/api/v1/quotes/{quote}/accepted-pdf")] {
        assert_eq!(download(app, &other, &p).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    assert_eq!(download(app, "", &path).await.status, StatusCode::UNAUTHORIZED);
});

both!(documents_are_rendered_in_the_background_as_soon_as_issued, async |app: &TestApp| {
    use immovr_app::ports::DocumentRepo;
    use immovr_core::model::DocumentKind;
    use immovr_core::ports::Scope;
    let (client_id, _) = app.signup("Arriere").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    // Nobody downloads it: the background renderer records the file anyway.
    let mut file = None;
    for _ in 0..300 {
        let doc =
            app.store.document(Scope::Staff, DocumentKind::Quote, quote).await.unwrap().expect("issued with the quote");
        if let Some(f) = doc.file {
            file = Some(f);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let file = file.expect("rendered within 15 s");
    let bytes = immovr_app::ports::FileStore::get(&app.files, &file.key).await.unwrap().expect("the PDF");
    assert_eq!(hex::encode(Sha256::digest(&bytes)), file.sha256);
    assert_eq!(bytes.len() as i64, file.size);
    // A document is issued in the transaction of its record: a draft has none.
    let draft = app
        .post(
            &app.admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "title": "Brouillon", "lines": [
            {"description": "x", "quantity": "1", "unit": "forfait", "unit_price": "1", "vat_rate": "20"}]}),
        )
        .await;
    assert!(app.store.document(Scope::Staff, DocumentKind::Quote, draft.id()).await.unwrap().is_none());
    assert_eq!(
        download(app, &app.admin, &format!("/api/v1/quotes/{}/pdf", draft.id())).await.status,
        StatusCode::NOT_FOUND
    );
});

/// Four documents in a flow (quote, accepted quote, purchase order, invoice), each asked for at
/// once by the background renderer, the emails that attach it and several downloads: each is
/// rendered exactly once, and everyone gets the same bytes.
async fn rendered_once(app: &TestApp, other: Option<&immovr_testkit::Instance>) {
    let (client_id, client) = app.signup("Unique").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let Delivered { po, invoice, .. } = app.delivered(&client, quote).await;
    // Right after delivery, downloads of every document at once, here and on the other instance.
    let mut paths = vec![
        format!("/api/v1/quotes/{quote}/pdf"),
        format!("/api/v1/quotes/{quote}/accepted-pdf"),
        format!("/api/v1/purchase-orders/{po}/pdf"),
    ];
    paths.extend(std::iter::repeat_n(format!("/api/v1/invoices/{invoice}/pdf"), 6));
    let bases: Vec<String> = std::iter::once(app.base.clone()).chain(other.map(|o| o.base.clone())).collect();
    let mut tasks = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let url = format!("{}{path}", bases[i % bases.len()]);
        let (http, client) = (app.http.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let res = http.get(url).bearer_auth(client).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.unwrap().to_vec()
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        bodies.push(t.await.unwrap());
    }
    assert!(bodies[3..].windows(2).all(|w| w[0] == w[1]), "every download of the invoice has the same bytes");
    app.settle_outbox().await;
    let renders = app.documents.renders() + other.map_or(0, |o| o.documents.renders());
    assert_eq!(renders, 4, "four documents, four renders");
    // Later downloads are served from the file store.
    assert_eq!(pdf(app, &client, &paths[3]).await, bodies[3]);
    assert_eq!(app.documents.renders() + other.map_or(0, |o| o.documents.renders()), 4);
}

both!(each_document_is_rendered_exactly_once, async |app: &TestApp| {
    rendered_once(app, None).await;
});

/// Two instances on one PostgreSQL database: still one render per document.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_document_is_rendered_exactly_once_across_instances_postgres() {
    let Some(app) = immovr_testkit::spawn_app(immovr_testkit::Backend::Postgres).await else {
        return;
    };
    let other = app.another_instance().await;
    rendered_once(&app, Some(&other)).await;
    drop(other);
    app.stop().await;
}

// A PDF is written without waiting for the disk (its record is what must survive): one lost
// or cut short in a crash is rendered again, byte for byte, and written back. An accepted
// quote, attached to no email, is not rendered until someone downloads it.
both!(a_lost_or_damaged_pdf_is_rendered_again_the_same, async |app: &TestApp| {
    use immovr_app::ports::DocumentRepo;
    use immovr_core::model::DocumentKind;
    use immovr_core::ports::Scope;
    let (client_id, client) = app.signup("Sinistre").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let Delivered { invoice, .. } = app.delivered(&client, quote).await;
    let path = format!("/api/v1/invoices/{invoice}/pdf");
    let first = pdf(app, &client, &path).await;
    app.settle_outbox().await;
    let signed = app.store.document(Scope::Staff, DocumentKind::SignedQuote, quote).await.unwrap().expect("issued");
    assert!(signed.file.is_none(), "the accepted quote waits for its first download");
    let accepted = pdf(app, &client, &format!("/api/v1/quotes/{quote}/accepted-pdf")).await;
    let signed = app.store.document(Scope::Staff, DocumentKind::SignedQuote, quote).await.unwrap().unwrap();
    assert_eq!(signed.file.expect("recorded once downloaded").size, accepted.len() as i64);

    let doc = app.store.document(Scope::Staff, DocumentKind::Invoice, invoice).await.unwrap().unwrap();
    let on_disk = app.files_root().join(&doc.file.as_ref().unwrap().key);
    let renders = app.documents.renders();
    // Cut short, as a crash before the data reached the disk leaves it.
    std::fs::write(&on_disk, &first[..first.len() / 2]).unwrap();
    assert_eq!(pdf(app, &client, &path).await, first, "rendered again, the same bytes");
    assert_eq!(std::fs::read(&on_disk).unwrap(), first, "and written back");
    // Gone.
    std::fs::remove_file(&on_disk).unwrap();
    assert_eq!(pdf(app, &client, &path).await, first);
    assert_eq!(app.documents.renders(), renders + 2);
    // Whole again: served as it is, no render.
    assert_eq!(pdf(app, &client, &path).await, first);
    assert_eq!(app.documents.renders(), renders + 2);
});

/// What a process issues while it renders in the background is leased to it in the issuing
/// transaction and handed to it in-process with the id the database gave it; an accepted quote,
/// which waits for its first download, is neither.
async fn issued_documents_are_handed_over(app: &TestApp) {
    use immovr_app::ports::DocumentRepo;
    use immovr_core::model::DocumentKind;
    use immovr_core::ports::Scope;
    let (client_id, client) = app.signup("Relais").await;
    assert!(app.store.take_issued().is_empty(), "nothing leased before the renderer says so");
    app.store.lease_issued(jiff::SignedDuration::from_secs(30));
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let accepted = app.post(&client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let issued = app.store.take_issued().records;
    let kinds: Vec<(DocumentKind, Id)> = issued.iter().map(|d| (d.kind, d.entity_id)).collect();
    assert_eq!(kinds, vec![(DocumentKind::Quote, quote), (DocumentKind::PurchaseOrder, po)], "in commit order");
    for doc in &issued {
        let stored = app.store.document(Scope::Staff, doc.kind, doc.entity_id).await.unwrap().unwrap();
        assert_eq!((doc.id, &doc.number, doc.client_id), (stored.id, &stored.number, stored.client_id));
        assert_eq!(serde_json::to_value(&doc.snapshot).unwrap(), serde_json::to_value(&stored.snapshot).unwrap());
    }
    assert!(app.store.take_issued().is_empty(), "handed over once");
    let now = immovr_core::Clock::now(app.clock.as_ref());
    let signed = app.store.document(Scope::Staff, DocumentKind::SignedQuote, quote).await.unwrap().unwrap();
    assert!(app.store.claim_document(signed.id, now, now + jiff::SignedDuration::from_secs(30)).await.unwrap());
    // PostgreSQL (shared by instances): the purchase order is this process's to render.
    let leased_elsewhere = !app.store.claim_document(issued[1].id, now, now).await.unwrap();
    assert_eq!(leased_elsewhere, app.store.backend() == "postgres");
}

// Without background work: the test plays (or starts) the renderer.
both!(issued_documents_are_handed_over, with | c | c.run_workers = false, issued_documents_are_handed_over);

/// The background renderer renders what this process issues as it commits, whoever takes it
/// over first (here a download of the invoice right after delivery), long before its sweep of
/// every minute; an accepted quote waits for its first download.
async fn the_renderer_takes_what_is_issued_here(app: &TestApp) {
    use immovr_app::ports::DocumentRepo;
    use immovr_core::model::DocumentKind;
    use immovr_core::ports::Scope;
    let renderer = tokio::spawn(immovr_worker::renderer::run(app.documents.clone()));
    let (client_id, client) = app.signup("Atelier").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let Delivered { po, invoice, .. } = app.delivered(&client, quote).await;
    let _ = pdf(app, &client, &format!("/api/v1/invoices/{invoice}/pdf")).await;
    let rendered = |kind, id| async move {
        app.store.document(Scope::Staff, kind, id).await.unwrap().is_some_and(|d| d.file.is_some())
    };
    let mut waited = 0;
    while !(rendered(DocumentKind::Quote, quote).await && rendered(DocumentKind::PurchaseOrder, po).await) {
        assert!(waited < 100, "the quote and the purchase order are rendered within seconds");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(rendered(DocumentKind::Invoice, invoice).await);
    assert!(!rendered(DocumentKind::SignedQuote, quote).await, "the accepted quote waits for its download");
    assert_eq!(app.documents.renders(), 3, "each once");
    renderer.abort();
}

// Without background work: the test plays (or starts) the renderer.
both!(the_renderer_takes_what_is_issued_here, with | c | c.run_workers = false, the_renderer_takes_what_is_issued_here);

/// An executor whose background thread never gets a core (a machine kept busy by requests):
/// the jobs handed to it wait for ever.
struct Starved {
    threads: immovr_worker::Threads,
    held: std::sync::Mutex<Vec<immovr_app::ports::Job>>,
}

impl immovr_app::ports::Executor for Starved {
    fn spawn(&self, lane: immovr_app::ports::Lane, job: immovr_app::ports::Job) -> Result<(), String> {
        match lane {
            immovr_app::ports::Lane::Now => self.threads.spawn(lane, job),
            immovr_app::ports::Lane::Background => {
                self.held.lock().unwrap().push(job);
                Ok(())
            }
        }
    }
}

/// The background thread runs only when a core is free. A request that needs a document whose
/// render waits for that thread does not wait with it: it takes the render and runs it at
/// once, and the document is still rendered once (the background's render is that one).
async fn a_request_does_not_wait_for_a_starved_background_render(app: &TestApp) {
    use immovr_app::ports::DocumentRepo;
    use immovr_core::model::DocumentKind;
    use immovr_core::ports::Scope;
    let (client_id, _) = app.signup("Affamé").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let doc = app.store.document(Scope::Staff, DocumentKind::Quote, quote).await.unwrap().expect("issued");
    assert!(doc.file.is_none(), "nothing renders in the background here");
    use std::sync::Arc;
    let executor = Arc::new(Starved { threads: immovr_worker::Threads::start(), held: Default::default() });
    let documents = Arc::new(immovr_app::Documents::new(
        Arc::new(immovr_documents::Renderer::new()),
        Arc::new(app.store.clone()),
        Arc::new(app.files.clone()),
        app.clock.clone(),
        executor.clone(),
    ));
    // The sweep takes the quote and hands its render to the background thread.
    let sweep = tokio::spawn({
        let documents = documents.clone();
        async move { documents.render_pending().await }
    });
    for _ in 0..500 {
        if !executor.held.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(executor.held.lock().unwrap().len(), 1, "the render waits for the background thread");
    let pdf = tokio::time::timeout(std::time::Duration::from_secs(20), documents.ensure(&doc))
        .await
        .expect("the request does not wait for the background thread")
        .unwrap();
    assert_eq!(sweep.await.unwrap(), 1, "the sweep's render is the one the request ran");
    assert_eq!(documents.renders(), 1, "rendered once");
    let recorded = app.store.document(Scope::Staff, DocumentKind::Quote, quote).await.unwrap().unwrap();
    assert_eq!(recorded.file.expect("recorded").sha256, pdf.file.sha256);
}

both!(
    a_request_does_not_wait_for_a_starved_background_render,
    with | c | c.run_workers = false,
    a_request_does_not_wait_for_a_starved_background_render
);

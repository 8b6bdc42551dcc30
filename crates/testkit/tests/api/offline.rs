//! An acceptance received offline (a signed paper copy or a signed email), recorded by staff
//! with the signed document: the purchase order as for an online acceptance, the evidence kept
//! and readable, the staff member named, and nothing changed by a refused recording.

use immovr_core::model::Role;
use immovr_testkit::reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

use super::*;

const SIGNED_PDF: &[u8] = b"%PDF-1.4\n% scan of the signed quote\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn form(signer: &str, signed_on: &str, channel: &str, file: Option<(&str, &[u8])>) -> Form {
    let f = Form::new()
        .text("signer_name", signer.to_string())
        .text("signed_on", signed_on.to_string())
        .text("channel", channel.to_string());
    match file {
        Some((name, bytes)) => f.part("evidence", Part::bytes(bytes.to_vec()).file_name(name.to_string())),
        None => f,
    }
}

async fn record(app: &TestApp, token: &str, quote: i64, f: Form) -> (StatusCode, Value) {
    let res = app
        .http
        .post(format!("{}/api/v1/quotes/{quote}/offline-acceptance", app.base))
        .bearer_auth(token)
        .multipart(f)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn evidence(app: &TestApp, token: &str, quote: i64) -> (StatusCode, Vec<u8>) {
    let res = app
        .http
        .get(format!("{}/api/v1/quotes/{quote}/offline-acceptance/evidence", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

/// The files the store keeps under `acceptances/`.
fn evidence_files(app: &TestApp) -> usize {
    let dir = app.files_root().join("acceptances");
    walk(&dir)
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                usize::from(!e.file_name().to_string_lossy().starts_with('.'))
            }
        })
        .sum()
}

both!(staff_record_an_acceptance_received_on_paper, async |app: &TestApp| {
    let (client_id, client) = app.client_login("Papier Signé").await;
    let quote = app.sent_quote(client_id, &[("Visite virtuelle", "1", "600", "20")]).await;
    let sales = app.staff("vente@studio.test", &[Role::Sales]).await;
    let production = app.staff("prod@studio.test", &[Role::Production]).await;
    let today = "2026-06-15";
    let audit_before = app.count("audit").await;

    // Refused recordings change nothing and keep no file.
    let refusals = [
        (form("Claire Dubois", today, "paper", None), "evidence"),
        (form("Claire Dubois", today, "paper", Some(("contrat.exe", b"MZ\x90\x00 not a document"))), "evidence"),
        (form("Claire Dubois", "2026-06-16", "paper", Some(("devis.pdf", SIGNED_PDF))), "signed_on"),
        (form("Claire Dubois", "15/06/2026", "paper", Some(("devis.pdf", SIGNED_PDF))), "signed_on"),
        (form("Claire Dubois", "2026-06-01", "paper", Some(("devis.pdf", SIGNED_PDF))), "signed_on"),
        (form("Claire Dubois", today, "online", Some(("devis.pdf", SIGNED_PDF))), "channel"),
        (form("Claire\u{7}Dubois", today, "paper", Some(("devis.pdf", SIGNED_PDF))), "signer_name"),
        (form("", today, "email", Some(("devis.pdf", SIGNED_PDF))), "signer_name"),
    ];
    for (f, field) in refusals {
        let (status, body) = record(app, &sales, quote, f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(body["code"], "validation_failed", "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, _) =
        record(app, &production, quote, form("Claire Dubois", today, "paper", Some(("devis.pdf", SIGNED_PDF)))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        record(app, &client, quote, form("Claire Dubois", today, "paper", Some(("devis.pdf", SIGNED_PDF)))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(evidence_files(app), 0, "a refused recording keeps no file");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/quotes/{quote}")).await.body["status"], "sent");
    assert_eq!(app.count("audit").await, audit_before);

    // Recorded: the purchase order, exactly as online.
    let (status, body) =
        record(app, &sales, quote, form("Claire Dubois", today, "paper", Some(("devis signé.pdf", SIGNED_PDF)))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let a = &body["quote"]["acceptance"];
    assert_eq!(body["quote"]["status"], "accepted");
    assert_eq!(a["signer_name"], "Claire Dubois");
    assert_eq!(a["channel"], "paper");
    assert_eq!(a["signed_on"], today);
    assert_eq!(a["recorded_by"], "vente@studio.test");
    assert_eq!(a["ip"], Value::Null, "the staff member's address is not the client's");
    assert_eq!(a["evidence"]["sha256"], format!("{:x}", Sha256::digest(SIGNED_PDF)));
    assert_eq!(a["evidence"]["filename"], "devis signé.pdf");
    assert_eq!(a["evidence"]["content_type"], "application/pdf");
    assert!(a["evidence"].get("storage_key").is_none(), "the storage key stays inside");
    let po = body["purchase_order"]["id"].as_i64().unwrap();
    assert_eq!(dec(&body["purchase_order"]["totals"]["total_incl_vat"]), d("720"));
    assert_eq!(evidence_files(app), 1);

    // Once: a second recording, or the client's own accept, gets the same refusal.
    let (status, body) =
        record(app, &sales, quote, form("Claire Dubois", today, "paper", Some(("devis.pdf", SIGNED_PDF)))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "quote_already_accepted");
    let again = app.post(&client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await;
    assert_eq!(again.code(), "quote_already_accepted");
    assert_eq!(evidence_files(app), 1, "the refused second file is not kept");
    let orders = app.list(&app.admin, "/api/v1/purchase-orders").await;
    assert_eq!(orders.iter().filter(|p| p["quote_id"] == quote).count(), 1);

    // The evidence: the studio and the client read it, nobody else.
    let (status, bytes) = evidence(app, &sales, quote).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, SIGNED_PDF));
    let (status, bytes) = evidence(app, &client, quote).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, SIGNED_PDF));
    let (_, stranger) = app.client_login("Autre Client").await;
    assert_eq!(evidence(app, &stranger, quote).await.0, StatusCode::NOT_FOUND);
    // …and from the quote's page in the portal (a session opened by an email's link reaches it).
    let (b, _, _) = app.browser_login("papiersign@client.example", "client-password").await;
    let page = b.get(format!("{}/compte/devis/{quote}", app.base)).send().await.unwrap().text().await.unwrap();
    let href = format!("/compte/devis/{quote}/accord-signe");
    assert!(page.contains(&format!("href=\"{href}\"")), "{page}");
    let scan = b.get(format!("{}{href}", app.base)).send().await.unwrap();
    assert_eq!(scan.status(), StatusCode::OK);
    assert_eq!(scan.bytes().await.unwrap().as_ref(), SIGNED_PDF);
    let online = app.sent_quote(client_id, &[("Plan 2D", "1", "90", "20")]).await;
    app.post(&client, &format!("/api/v1/quotes/{online}/accept"), TestApp::signature()).await;
    assert_eq!(evidence(app, &sales, online).await.0, StatusCode::NOT_FOUND, "an online acceptance has no scan");

    // The audit names the staff member and keeps the evidence's fingerprint.
    let events = app.list(&app.admin, "/api/v1/audit").await;
    let accepted = events
        .iter()
        .find(|e| e["action"] == "quote.accepted" && e["entity_id"] == quote)
        .unwrap_or_else(|| panic!("no quote.accepted event: {events:?}"));
    assert!(accepted["actor"].as_str().unwrap().contains("vente@studio.test"), "{accepted}");
    assert_eq!(accepted["detail"]["channel"], "paper");
    assert_eq!(accepted["detail"]["evidence_sha256"], format!("{:x}", Sha256::digest(SIGNED_PDF)));
    assert!(events.iter().any(|e| e["action"] == "purchase_order.created" && e["entity_id"] == po));

    // The client is told, as for an online acceptance; the accepted copy and the purchase
    // order render.
    let mail = app.settle_outbox().await;
    assert!(
        mail.iter().any(|m| m["kind"] == "purchase_order_created" && m["recipient"] == "papiersign@client.example"),
        "{mail:?}"
    );
    for path in [format!("/api/v1/quotes/{quote}/accepted-pdf"), format!("/api/v1/purchase-orders/{po}/pdf")] {
        let res = app.http.get(format!("{}{path}", app.base)).bearer_auth(&client).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"), "{path}");
    }
});

both!(an_expired_quote_signed_in_time_can_be_recorded, async |app: &TestApp| {
    let (client_id, _) = app.client_login("Signé À Temps").await;
    let quote = app.sent_quote(client_id, &[("Rendu 3D", "1", "450", "20")]).await;
    let valid_until =
        app.get(&app.admin, &format!("/api/v1/quotes/{quote}")).await.body["valid_until"].as_str().unwrap().to_string();
    let day_after: jiff::civil::Date = valid_until.parse::<jiff::civil::Date>().unwrap().tomorrow().unwrap();
    app.clock.advance_days(60);
    let client = app.login("signtemps@client.example", "client-password").await;
    assert_eq!(app.get(&app.admin, &format!("/api/v1/quotes/{quote}")).await.body["status"], "expired");
    // The client can no longer accept it online…
    let online = app.post(&client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await;
    assert_eq!(online.code(), "quote_expired");
    // …nor staff record a signature after its validity…
    let late = form("Jean Martin", &day_after.to_string(), "email", Some(("mail.pdf", SIGNED_PDF)));
    let (status, body) = record(app, &app.admin, quote, late).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("signed_on")), "{body}");
    // …but a signature given in time is recorded.
    let in_time = form("Jean Martin", &valid_until, "email", Some(("mail.pdf", SIGNED_PDF)));
    let (status, body) = record(app, &app.admin, quote, in_time).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["quote"]["acceptance"]["channel"], "email");
    assert_eq!(body["quote"]["status"], "accepted");
});

both!(the_quote_page_records_an_offline_acceptance_and_keeps_what_was_typed, async |app: &TestApp| {
    let (client_id, _) = app.client_login("Courrier Signé").await;
    let quote = app.sent_quote(client_id, &[("Visite virtuelle", "1", "600", "20")]).await;
    app.staff("bureau@studio.test", &[Role::Sales]).await;
    let (b, csrf, _) = app.browser_login("bureau@studio.test", "staff-password").await;
    let page = b.get(format!("{}/gestion/devis/{quote}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Enregistrer un accord reçu hors ligne"), "{page}");
    assert!(page.contains(&format!("action=\"/gestion/devis/{quote}/accord\"")));
    let post = |f: Form| b.post(format!("{}/gestion/devis/{quote}/accord", app.base)).multipart(f).send();

    // A file that is not a document: refused in French, what was typed kept, nothing stored.
    let f = form("Paul Lambert", "2026-06-15", "email", Some(("bon.exe", b"MZ\x90\x00"))).text("csrf", csrf.clone());
    let r = post(f).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"Paul Lambert\""), "the signer's name is kept");
    assert!(html.contains("value=\"2026-06-15\""), "the date is kept");
    assert!(html.contains("value=\"email\" checked"), "the channel is kept");
    assert_eq!(evidence_files(app), 0);

    // Without the form's CSRF token: refused, nothing kept.
    let f = form("Paul Lambert", "2026-06-15", "email", Some(("bon.pdf", SIGNED_PDF)));
    assert_eq!(post(f).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(evidence_files(app), 0);

    let f = form("Paul Lambert", "2026-06-15", "email", Some(("bon.pdf", SIGNED_PDF))).text("csrf", csrf.clone());
    let r = post(f).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let q = app.get(&app.admin, &format!("/api/v1/quotes/{quote}")).await.body;
    assert_eq!((q["status"].as_str(), q["acceptance"]["channel"].as_str()), (Some("accepted"), Some("email")));
    let page = b.get(format!("{}/gestion/devis/{quote}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Email signé") && page.contains("bureau@studio.test") && page.contains("bon.pdf"), "{page}");
    assert!(!page.contains("Enregistrer un accord reçu hors ligne"), "no second acceptance offered");
});

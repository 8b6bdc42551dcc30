//! Erasure on request (GDPR art. 17) within what the law keeps: the client asks from Mon
//! Compte, an admin confirms; its personal data leaves every table and the file store, while
//! its invoices stay as issued (the PDF byte for byte) with the acceptance evidence of the quote
//! it accepted, and the journal's hash chain still verifies.

use std::collections::BTreeSet;

use immovr_core::Actor;

use super::*;

const EMAIL: &str = "hortense.oubliee@client.example";

/// Every file under the store's folder, by path.
fn stored_files(root: &std::path::Path) -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, &mut out);
    out
}

both!(an_erased_client_leaves_only_what_the_law_keeps, async |app: &TestApp| {
    // A private client with a login, a request with a plan, an accepted quote delivered,
    // invoiced and paid, a refused quote, messages.
    let created = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({"client": {"kind": "person", "name": "Hortense Oubliée", "email": EMAIL, "phone": "+33 6 12 34 56 78",
                "billing_address": {"line1": "17 rue des Effacés", "postcode": "69003", "city": "Lyon"}},
                "password": "client-password"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let client_id = created.id();
    let client = app.login(EMAIL, "client-password").await;
    let (browser, csrf, _) = app.browser_login(EMAIL, "client-password").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("property_type", "Maison")
        .text("property_address", "42 avenue Disparue, Lyon")
        .text("notes", "Digicode 97531")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"%PDF-1.7\n% plan\n".to_vec()).file_name("plan-oubliee.pdf"),
        );
    let sent = browser.post(format!("{}/compte/demandes", app.base)).multipart(form).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let request_id = app.list(&app.admin, "/api/v1/quote-requests").await[0]["id"].as_i64().unwrap();
    let q = app
        .post(
            &app.admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "request_id": request_id, "title": "Visite virtuelle",
                "lines": [{"description": "Visite 360°", "quantity": "1", "unit": "forfait", "unit_price": "390", "vat_rate": "20"}]}),
        )
        .await
        .id();
    assert_eq!(app.post(&app.admin, &format!("/api/v1/quotes/{q}/send"), json!({})).await.status, StatusCode::OK);
    app.post(&client, &format!("/api/v1/quotes/{q}/messages"), json!({"body": "Le digicode est 97531"})).await;
    let signature =
        json!({"signer_name": "Hortense Oubliée", "consent": true, "terms_accepted": true, "early_start": true});
    let accepted = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), signature).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    app.post(&client, &format!("/api/v1/orders/{order}/messages"), json!({"body": "Merci, digicode 97531"})).await;
    app.upload(order, "rendu-oubliee.zip", &[7u8; 200]).await;
    let delivered = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    let invoice = delivered.body["invoice"]["id"].as_i64().unwrap();
    let refused = app.sent_quote(client_id, &[("Plan 2D", "1", "120", "20")]).await;
    let refusal = json!({"kind": "decline", "comment": "Trop cher, signé Hortense"});
    assert_eq!(app.post(&client, &format!("/api/v1/quotes/{refused}/refuse"), refusal).await.status, StatusCode::OK);
    app.settle_outbox().await;
    let pdf = |path: String| async move {
        let r = app.http.get(format!("{}{path}", app.base)).bearer_auth(&app.admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.bytes().await.unwrap().to_vec()
    };
    let invoice_pdf = pdf(format!("/api/v1/invoices/{invoice}/pdf")).await;
    let accepted_pdf = pdf(format!("/api/v1/quotes/{q}/accepted-pdf")).await;
    pdf(format!("/api/v1/quotes/{refused}/pdf")).await;
    let files_before = stored_files(&app.files_root());
    // Another client whose address holds the erased one's whole: not named by it, untouched.
    let sister = "soeur.hortense.oubliee@client.example";
    let other = app
        .post(&app.admin, "/api/v1/clients", json!({"client": {"kind": "person", "name": "Hortense Oubliée-Martin", "email": sister}, "password": "client-password"}))
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    app.app.request_link(sister, immovr_app::ports::LinkPurpose::MagicLink).await.unwrap();
    let sisters = |rows: Vec<Value>| rows.iter().filter(|r| r["recipient"] == sister).count();
    let before = sisters(app.settle_outbox().await);

    // The client asks, once (a second ask changes nothing); the studio is emailed.
    let path = format!("/api/v1/clients/{client_id}/erasure-request");
    let asked = app.post(&client, &path, json!({})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    assert!(asked.body["erasure_requested_at"].is_string(), "{}", asked.body);
    assert_eq!(app.post(&client, &path, json!({})).await.status, StatusCode::ACCEPTED);
    let journal = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=client&entity_id={client_id}")).await;
    assert_eq!(journal.iter().filter(|e| e["action"] == "client.erasure_requested").count(), 1, "{journal:?}");
    let emails = app.settle_outbox().await;
    assert!(emails.iter().any(|e| e["kind"] == "erasure_requested"), "{emails:?}");
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let client_page = format!("{}/gestion/clients/{client_id}", app.base);
    let page = staff.get(&client_page).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("a demandé l’effacement de ses données le"), "{page}");

    // Not while an invoice is unpaid: refused, nothing changed.
    let erase = format!("/api/v1/clients/{client_id}/erasure");
    let blocked = app.post(&app.admin, &erase, json!({})).await;
    assert_eq!((blocked.status, blocked.body["code"].as_str()), (StatusCode::CONFLICT, Some("erasure_blocked")));
    assert_eq!(app.get(&app.admin, &format!("/api/v1/clients/{client_id}")).await.body["email"], EMAIL);
    // Only an admin erases.
    let sales = app.staff("vente@studio.example", &[immovr_core::model::Role::Sales]).await;
    assert_eq!(app.post(&sales, &erase, json!({})).await.status, StatusCode::FORBIDDEN);
    let pay = json!({"method": "transfer", "amount": "468.00", "date": "2026-06-15", "reference": "VIR"});
    assert_eq!(
        app.post(&app.admin, &format!("/api/v1/invoices/{invoice}/payments"), pay).await.status,
        StatusCode::CREATED
    );

    let done = app.post(&app.admin, &erase, json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let r = &done.body;
    assert_eq!(
        (r["messages"].as_u64(), r["invoices_kept"].as_u64(), r["acceptances_kept"].as_u64()),
        (Some(2), Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["files"].as_u64(), Some(3), "the plan, the delivered file, the refused quote's PDF: {r}");
    assert_eq!(r["journal_events_kept_whole"].as_u64(), Some(0), "{r}");
    assert!(r["journal_events"].as_u64().unwrap() >= 5 && r["emails"].as_u64().unwrap() >= 5, "{r}");
    // Once only.
    let again = app.post(&app.admin, &erase, json!({})).await;
    assert_eq!((again.status, again.body["code"].as_str()), (StatusCode::CONFLICT, Some("client_erased")));

    assert_eq!(sisters(app.list(&app.admin, "/api/v1/outbox").await), before, "the other client's emails stay");
    let hers = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=client&entity_id={}", other.id())).await;
    assert!(hers.iter().any(|e| e["detail"]["email"] == sister), "its journal keeps its address: {hers:?}");
    // (Erased in turn, so that what follows finds neither address.)
    let path = format!("/api/v1/clients/{}/erasure", other.id());
    assert_eq!(app.post(&app.admin, &path, json!({})).await.status, StatusCode::OK);

    // Its access is closed.
    assert_eq!(app.get(&client, "/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    let back = browser.get(format!("{}/compte/profil", app.base)).send().await.unwrap();
    assert_ne!(back.status(), StatusCode::OK, "its browser session ended");
    let login = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": EMAIL, "password": "client-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

    // Its files are gone from the store: the plan, the delivered file, the refused quote's PDF.
    let files_after = stored_files(&app.files_root());
    let gone: Vec<&String> = files_before.difference(&files_after).collect();
    assert_eq!(gone.len(), 3, "{gone:?}");
    assert!(
        gone.iter().any(|f| f.contains("plan-oubliee")) && gone.iter().any(|f| f.contains("rendu-oubliee")),
        "{gone:?}"
    );

    // What the law keeps reads as issued: the invoice (the same bytes), the accepted quote.
    assert_eq!(pdf(format!("/api/v1/invoices/{invoice}/pdf")).await, invoice_pdf);
    assert_eq!(pdf(format!("/api/v1/quotes/{q}/accepted-pdf")).await, accepted_pdf);
    let i = app.get(&app.admin, &format!("/api/v1/invoices/{invoice}")).await;
    assert_eq!(i.status, StatusCode::OK);
    let accepted_quote = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body;
    assert_eq!(accepted_quote["status"], "accepted");
    let none = app.get(&app.admin, &format!("/api/v1/quotes/{refused}/pdf")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "the refused quote's PDF is gone");

    // Nothing of the erased values remains, but in what the law keeps: the issued documents'
    // snapshots (the buyer on the invoice), the acceptance's signer, the invoice's service address.
    let kept: BTreeSet<String> =
        ["documents.snapshot", "quotes.signer_name", "invoices.property_address", "audit_events.personal"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    for (value, allowed) in [
        // (The acceptance's journal event is part of its evidence: who signed, from where.)
        (EMAIL, vec!["documents.snapshot", "audit_events.personal"]),
        ("Hortense", vec!["documents.snapshot", "quotes.signer_name", "audit_events.personal"]),
        ("12 34 56 78", vec!["documents.snapshot"]),
        ("rue des Effacés", vec!["documents.snapshot"]),
        ("avenue Disparue", vec!["documents.snapshot", "invoices.property_address"]),
        ("97531", vec![]),
        ("plan-oubliee", vec![]),
        ("rendu-oubliee", vec![]),
        ("Trop cher", vec![]),
    ] {
        let found = app.columns_containing(value).await;
        let allowed: BTreeSet<String> = allowed.iter().map(|s| s.to_string()).collect();
        assert!(found.is_subset(&kept), "{value} is still in {:?}", found.difference(&kept).collect::<Vec<_>>());
        assert_eq!(found, allowed, "{value}");
    }

    // The journal records the erasure (counts only) and its chain still verifies.
    app.app.seal_audit().await.unwrap();
    let check = app.app.verify_audit(&Actor::system()).await.unwrap();
    assert_eq!(check.broken, None, "{check:?}");
    let journal = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=client&entity_id={client_id}")).await;
    let erased = journal.iter().find(|e| e["action"] == "client.erased").expect("the erasure's event");
    assert_eq!(erased["detail"]["files"], 3, "{erased}");

    // The studio sees an erased client and can no longer quote it.
    let c = app.get(&app.admin, &format!("/api/v1/clients/{client_id}")).await.body;
    assert_eq!(c["name"], format!("Client #{client_id}"));
    assert!(c["erased_at"].is_string() && c["phone"].is_null() && c["billing_address"].is_null(), "{c}");
    let page = staff.get(&client_page).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Données personnelles effacées le"), "{page}");
    let quote = json!({"client_id": client_id, "title": "Nouvelle", "lines": [{"description": "X", "quantity": "1",
        "unit": "forfait", "unit_price": "1", "vat_rate": "20"}]});
    let refused_quote = app.post(&app.admin, "/api/v1/quotes", quote).await;
    assert_eq!(refused_quote.body["code"], "client_erased", "{}", refused_quote.body);
    // Nor record a paper acceptance of its quotes: the same answer on both databases.
    let form = immovr_testkit::reqwest::multipart::Form::new()
        .text("signer_name", "Hortense")
        .text("signed_on", "2026-06-15")
        .text("channel", "paper")
        .part(
            "evidence",
            immovr_testkit::reqwest::multipart::Part::bytes(b"%PDF-1.4 signed".to_vec()).file_name("devis.pdf"),
        );
    let offline = app
        .http
        .post(format!("{}/api/v1/quotes/{refused}/offline-acceptance", app.base))
        .bearer_auth(&app.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(offline.status(), StatusCode::CONFLICT);
    assert_eq!(offline.json::<Value>().await.unwrap()["code"], "client_erased");
});

both!(the_client_asks_from_mon_compte_and_an_admin_confirms_on_its_page, async |app: &TestApp| {
    let (client_id, _) = app.client_login("Gaspard Demande").await;
    let (b, csrf, _) = app.browser_login("gasparddemande@client.example", "client-password").await;
    let profile = b.get(format!("{}/compte/profil", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("action=\"/compte/effacement\""), "{profile}");
    // Without the box ticked: a clear refusal, nothing recorded.
    let unticked =
        b.post(format!("{}/compte/effacement", app.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(unticked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.text().await.unwrap().contains("cochez la case pour confirmer"));
    let ticked = [("csrf", csrf.as_str()), ("confirm", "on")];
    let asked = b.post(format!("{}/compte/effacement", app.base)).form(&ticked).send().await.unwrap();
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let profile = b.get(format!("{}/compte/profil?ok=erasure", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("Votre demande d’effacement est enregistrée"), "{profile}");
    assert!(profile.contains("Demande d’effacement envoyée le 15/06/2026"), "{profile}");

    // The admin confirms on the client's page.
    let (staff, staff_csrf, _) = app.browser_login("admin@test.example", "admin-password").await;
    let page = format!("{}/gestion/clients/{client_id}", app.base);
    let html = staff.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("action=\"/gestion/clients/{client_id}/effacer\"")), "{html}");
    let url = format!("{page}/effacer");
    let unticked = staff.post(&url).form(&[("csrf", staff_csrf.as_str())]).send().await.unwrap();
    assert_eq!(unticked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.text().await.unwrap().contains("cochez la case pour confirmer"));
    let done = staff.post(&url).form(&[("csrf", staff_csrf.as_str()), ("confirm", "on")]).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let html = staff.get(format!("{page}?ok=erased")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Les données personnelles du client ont été effacées."), "{html}");
    assert!(!html.contains("gasparddemande"), "{html}");
    // The client's browser is signed out.
    let after = b.get(format!("{}/compte/profil", app.base)).send().await.unwrap();
    assert_ne!(after.status(), StatusCode::OK);
});

//! A private client's right of withdrawal (consumer code L221-18 and following): the quote and
//! the purchase order carry it with the model form; accepting asks whether the work may start
//! within the 14 days, and production waits for them otherwise; within them the client withdraws
//! from Mon Compte (the order cancelled, an acknowledgement emailed, the studio told), paying the
//! part done only when it asked for an early start; a business has no such right.

use super::*;

/// The text of a PDF, as `pdftotext` reads it, whitespace folded.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn pdf(app: &TestApp, path: &str) -> String {
    let r = app.http.get(format!("{}{path}", app.base)).bearer_auth(&app.admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    pdf_text(&r.bytes().await.unwrap())
}

/// A private client with a login: its id, and its browser signed in with the page's CSRF token.
async fn person(app: &TestApp, name: &str, email: &str) -> (i64, immovr_testkit::reqwest::Client, String) {
    let created = app
        .post(
            &app.admin,
            "/api/v1/clients",
            json!({"client": {"kind": "person", "name": name, "email": email,
                "billing_address": {"line1": "3 rue du Parc", "postcode": "69006", "city": "Lyon"}}, "password": "client-password"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (b, csrf, _) = app.browser_login(email, "client-password").await;
    (created.id(), b, csrf)
}

async fn form(
    b: &immovr_testkit::reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = b.post(format!("{}{path}", app.base)).form(fields).send().await.unwrap();
    let status = r.status();
    let to = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    (status, to.unwrap_or_default() + &r.text().await.unwrap())
}

both!(a_private_client_may_withdraw_within_fourteen_days_and_production_waits, async |app: &TestApp| {
    let (client_id, b, csrf) = person(app, "Paul Retract", "paul.retract@client.example").await;
    let q = app.sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390", "20")]).await;
    // The quote tells of the right, with the model form; the signature step asks about the start.
    let quote_pdf = pdf(app, &format!("/api/v1/quotes/{q}/pdf")).await;
    assert!(
        quote_pdf.contains("Droit de rétractation") && quote_pdf.contains("Modèle de formulaire de rétractation"),
        "{quote_pdf}"
    );
    let page = b.get(format!("{}/compte/devis/{q}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"early_start\"") && page.contains("14 jours"), "{page}");
    let fields = [("csrf", csrf.as_str()), ("signer_name", "Paul Retract"), ("consent", "on"), ("terms", "on")];
    let (status, _) = form(&b, app, &format!("/compte/devis/{q}/accepter"), &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let po = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body;
    assert_eq!(po["acceptance"]["early_start"], false);
    let po = app.list(&app.admin, "/api/v1/purchase-orders").await[0].clone();
    // Accepted on Monday 15 June 2026: until Monday 29 June.
    assert_eq!(po["withdrawal"]["ends_on"], "2026-06-29", "{po}");
    let po_id = po["id"].as_i64().unwrap();
    let po_pdf = pdf(app, &format!("/api/v1/purchase-orders/{po_id}/pdf")).await;
    assert!(
        po_pdf.contains("jusqu’au 29/06/2026")
            || po_pdf.contains("jusqu'au 29/06/2026")
            || po_pdf.contains("29 juin 2026"),
        "{po_pdf}"
    );
    assert!(po_pdf.contains("La prestation commence à la fin du délai de rétractation"), "{po_pdf}");

    // Production waits for the period: no stage planned within it, none done, no delivery.
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po_id}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let stage = app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["stages"][0]["id"].as_i64().unwrap();
    let stage_path = format!("/api/v1/orders/{order}/stages/{stage}");
    let early = app.put(&app.admin, &stage_path, json!({"planned_date": "2026-06-20"})).await;
    assert_eq!(early.body["code"], "withdrawal_period_runs", "{}", early.body);
    let later = app.put(&app.admin, &stage_path, json!({"planned_date": "2026-06-30"})).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);
    let done = app.post(&app.admin, &format!("{stage_path}/done"), json!({})).await;
    assert_eq!(done.body["code"], "withdrawal_period_runs");
    app.upload(order, "visite.zip", b"final files").await;
    let deliver = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    assert_eq!(deliver.body["code"], "withdrawal_period_runs");

    // The client withdraws from Mon Compte (the box ticked), once.
    let page = b.get(format!("{}/compte/devis/{q}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Vous pouvez vous rétracter jusqu’au") && page.contains("/retractation\""), "{page}");
    let path = format!("/compte/devis/{q}/retractation");
    let (status, said) = form(&b, app, &path, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{said}");
    let (status, to) = form(&b, app, &path, &[("csrf", csrf.as_str()), ("confirm", "on")]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, format!("/compte/devis/{q}?ok=withdrawn").as_str()));
    let po = app.get(&app.admin, &format!("/api/v1/purchase-orders/{po_id}")).await.body;
    assert_eq!((po["status"].as_str(), po["order_status"].as_str()), (Some("cancelled"), Some("cancelled")), "{po}");
    assert!(po["withdrawal"]["withdrawn_at"].is_string() && po["withdrawal"]["amount_due"] == "0", "{po}");
    app.clock.advance_minutes(3); // (the stage's plan gathers others for two minutes)
    let emails = app.settle_outbox().await;
    let kinds: Vec<&str> = emails.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"withdrawal_confirmed") && kinds.contains(&"withdrawal_received"), "{kinds:?}");
    let client = app.login("paul.retract@client.example", "client-password").await;
    let again = app.post(&client, &format!("/api/v1/purchase-orders/{po_id}/withdraw"), json!({})).await;
    assert_eq!((again.status, again.body["code"].as_str()), (StatusCode::CONFLICT, Some("withdrawal_closed")));
    let journal = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=purchase_order&entity_id={po_id}")).await;
    assert!(journal.iter().any(|e| e["action"] == "purchase_order.withdrawn"), "{journal:?}");
});

both!(an_early_start_owes_the_part_done_and_the_right_ends_with_its_period, async |app: &TestApp| {
    let (client_id, _, _) = person(app, "Eva Pressee", "eva.pressee@client.example").await;
    let client = app.login("eva.pressee@client.example", "client-password").await;
    let accept = |q: i64| {
        let client = client.clone();
        async move {
            let signature =
                json!({"signer_name": "Eva Pressee", "consent": true, "terms_accepted": true, "early_start": true});
            let a = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), signature).await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            a.body["purchase_order"]["id"].as_i64().unwrap()
        }
    };
    // Asked to start at once: a stage done within the period; withdrawing owes its share.
    let q = app.sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390", "20")]).await;
    let po = accept(q).await;
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let stages = app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["stages"].clone();
    let count = stages.as_array().unwrap().len();
    let first = stages[0]["id"].as_i64().unwrap();
    let done = app.post(&app.admin, &format!("/api/v1/orders/{order}/stages/{first}/done"), json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    // All but the last stage done: the order is to deliver on the dashboard, with its right.
    for stage in stages.as_array().unwrap()[1..count - 1].iter() {
        let path = format!("/api/v1/orders/{order}/stages/{}/done", stage["id"]);
        assert_eq!(app.post(&app.admin, &path, json!({})).await.status, StatusCode::OK);
    }
    let dashboard = app.app.dashboard(&immovr_core::Actor::system(), 10).await.unwrap();
    let listed = dashboard.to_deliver.items.iter().find(|o| o.id == order).expect("the order is to deliver");
    assert!(listed.withdrawal.as_ref().is_some_and(|w| w.early_start), "{listed:?}");
    let signed = pdf(app, &format!("/api/v1/quotes/{q}/accepted-pdf")).await;
    assert!(signed.contains("À votre demande expresse, la prestation commence avant la fin du délai"), "{signed}");
    let withdrawn = app.post(&client, &format!("/api/v1/purchase-orders/{po}/withdraw"), json!({})).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    let due: rust_decimal::Decimal = withdrawn.body["withdrawal"]["amount_due"].as_str().unwrap().parse().unwrap();
    let done = count as u64 - 1;
    let expected = (rust_decimal::Decimal::new(46800, 2) * rust_decimal::Decimal::from(done)
        / rust_decimal::Decimal::from(count as u64))
    .round_dp(2);
    assert_eq!(due, expected, "{} of 468.00 for {done} of {count} stages", withdrawn.body);

    // Past the period, no more withdrawal.
    let q2 = app.sent_quote(client_id, &[("Plan 2D", "1", "120", "20")]).await;
    let po2 = accept(q2).await;
    app.clock.advance_days(15);
    let client = app.login("eva.pressee@client.example", "client-password").await;
    let late = app.post(&client, &format!("/api/v1/purchase-orders/{po2}/withdraw"), json!({})).await;
    assert_eq!(late.body["code"], "withdrawal_closed", "{}", late.body);
    // A business has no such right.
    let (company_id, company) = app.client_login("Agence Pro").await;
    let q3 = app.sent_quote(company_id, &[("Plan 2D", "1", "120", "20")]).await;
    let po3 =
        app.post(&company, &format!("/api/v1/quotes/{q3}/accept"), TestApp::signature()).await.body["purchase_order"]
            .clone();
    assert!(po3.get("withdrawal").is_none_or(|w| w.is_null()), "{po3}");
    let po3 = po3["id"].as_i64().unwrap();
    let refused = app.post(&company, &format!("/api/v1/purchase-orders/{po3}/withdraw"), json!({})).await;
    assert_eq!(refused.body["code"], "withdrawal_closed");
    // Recorded from paper: the client's written early start, or a contract signed at the
    // studio (no right of withdrawal).
    for (field, expect_withdrawal, early) in [("early_start", true, true), ("on_premises", false, false)] {
        let q = app.sent_quote(client_id, &[("Plan 2D", "1", "120", "20")]).await;
        let scan = immovr_testkit::reqwest::multipart::Form::new()
            .text("signer_name", "Eva Pressee")
            .text("signed_on", "2026-06-30")
            .text("channel", "paper")
            .text(field, "true")
            .part(
                "evidence",
                immovr_testkit::reqwest::multipart::Part::bytes(b"%PDF-1.4 signed".to_vec()).file_name("bon.pdf"),
            );
        let url = format!("{}/api/v1/quotes/{q}/offline-acceptance", app.base);
        let r = app.http.post(url).bearer_auth(&app.admin).multipart(scan).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let body: Value = r.json().await.unwrap();
        let w = &body["purchase_order"]["withdrawal"];
        assert_eq!(!w.is_null(), expect_withdrawal, "{field}: {body}");
        if expect_withdrawal {
            assert_eq!((w["early_start"].as_bool(), w["ends_on"].as_str()), (Some(early), Some("2026-07-15")), "{w}");
        }
    }

    // Someone else's purchase order is not found.
    let other = app.post(&company, &format!("/api/v1/purchase-orders/{po2}/withdraw"), json!({})).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
});

//! The other ways a quote can end: expiry, refusal without revision, cancelled purchase order.

use super::*;

both!(expired_quote_cannot_be_accepted_until_extended, async |app: &TestApp| {
    let (client_id, client) = app.signup("Tardif").await;
    let q = app.sent_quote(client_id, &[("Plan 2D", "1", "120.00", "20")]).await;
    app.clock.advance_days(31); // valid 30 days
    assert_eq!(app.get(&client, "/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "sessions last 72 h");
    let client = app.login("tardif@client.example", "client-password").await;
    let seen = app.get(&client, &format!("/api/v1/quotes/{q}")).await;
    assert_eq!(seen.body["status"], "expired");
    let audit_before = app.count("audit").await;
    let late = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    assert_eq!((late.status, late.code()), (StatusCode::CONFLICT, "quote_expired"));
    let refuse = app.post(&client, &format!("/api/v1/quotes/{q}/refuse"), json!({"kind": "decline"})).await;
    assert_eq!(refuse.code(), "quote_expired");
    assert_eq!(app.count("audit").await, audit_before, "a refused transition writes nothing");
    assert!(app.list(&app.admin, "/api/v1/purchase-orders").await.is_empty());

    // The team may revise an expired quote: v2 is sent and accepted.
    let v2 = app.post(&app.admin, &format!("/api/v1/quotes/{q}/revise"), json!({})).await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(v2.body["valid_until"], "2026-08-15");
    let v2 = v2.id();
    assert_eq!(app.post(&app.admin, &format!("/api/v1/quotes/{v2}/send"), json!({})).await.status, StatusCode::OK);
    assert_eq!(app.get(&client, &format!("/api/v1/quotes/{q}")).await.body["status"], "superseded");
    let ok = app.post(&client, &format!("/api/v1/quotes/{v2}/accept"), TestApp::signature()).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);

    // Or extend the validity of a sent quote.
    let q3 = app.sent_quote(client_id, &[("Plan 3D", "1", "190.00", "20")]).await;
    app.clock.advance_days(40);
    let client = app.login("tardif@client.example", "client-password").await;
    assert_eq!(
        app.post(&client, &format!("/api/v1/quotes/{q3}/accept"), TestApp::signature()).await.code(),
        "quote_expired"
    );
    let past = app.post(&app.admin, &format!("/api/v1/quotes/{q3}/extend"), json!({"valid_until": "2026-08-01"})).await;
    assert_eq!((past.status, past.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let ext = app.post(&app.admin, &format!("/api/v1/quotes/{q3}/extend"), json!({"valid_until": "2026-09-30"})).await;
    assert_eq!(ext.status, StatusCode::OK, "{}", ext.body);
    assert_eq!(ext.body["status"], "sent");
    assert_eq!(
        app.post(&client, &format!("/api/v1/quotes/{q3}/accept"), TestApp::signature()).await.status,
        StatusCode::CREATED
    );
});

both!(declined_quote_stays_declined, async |app: &TestApp| {
    let (client_id, client) = app.signup("Refus").await;
    let q = app.sent_quote(client_id, &[("Vidéo drone", "1", "590.00", "20")]).await;
    let no_comment =
        app.post(&client, &format!("/api/v1/quotes/{q}/refuse"), json!({"kind": "changes_requested"})).await;
    assert_eq!(
        (no_comment.status, no_comment.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("comment"))
    );
    let refused = app
        .post(&client, &format!("/api/v1/quotes/{q}/refuse"), json!({"kind": "decline", "comment": "Budget dépassé"}))
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    assert_eq!(refused.body["status"], "refused");
    assert_eq!(refused.body["refusal"]["kind"], "decline");
    let accept = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    assert_eq!((accept.status, accept.code()), (StatusCode::CONFLICT, "quote_refused"));
    let again = app.post(&client, &format!("/api/v1/quotes/{q}/refuse"), json!({"kind": "decline"})).await;
    assert_eq!(again.code(), "quote_refused");
    assert!(app.list(&app.admin, "/api/v1/purchase-orders").await.is_empty());
    let outbox = app.get(&app.admin, "/api/v1/outbox").await;
    let refusals: Vec<&Value> =
        outbox.body["items"].as_array().unwrap().iter().filter(|m| m["kind"] == "quote_refused").collect();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["payload"]["comment"], "Budget dépassé");
    assert_eq!(refusals[0]["recipient"], "studio@immovr.example");
});

both!(cancelled_purchase_order_never_becomes_an_order, async |app: &TestApp| {
    let (client_id, client) = app.signup("Annule").await;
    let q = app.sent_quote(client_id, &[("Rendu 3D", "1", "450.00", "20")]).await;
    let po = app
            .post(
                &client,
                &format!("/api/v1/quotes/{q}/accept"),
                TestApp::signature(),
            )
            .await
            .body["purchase_order"]["id"]
            .clone();
    let no_reason = app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/cancel"), json!({"reason": " "})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cancelled = app
        .post(&app.admin, &format!("/api/v1/purchase-orders/{po}/cancel"), json!({"reason": "Bien vendu entre-temps"}))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let validate = app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await;
    assert_eq!((validate.status, validate.code()), (StatusCode::CONFLICT, "purchase_order_cancelled"));
    assert!(app.list(&client, "/api/v1/orders").await.is_empty());
});

both!(a_revision_keeps_the_validity_the_client_was_given, async |app: &TestApp| {
    let (client_id, client) = app.signup("Revision Tardive").await;
    let q = app.sent_quote(client_id, &[("Plan 2D", "1", "120.00", "20")]).await;
    let refused = app
        .post(
            &client,
            &format!("/api/v1/quotes/{q}/refuse"),
            json!({"kind": "changes_requested", "comment": "Moins cher"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    // The team revises a week later: v2 is valid as long as v1 was, not 30 days from now.
    app.clock.advance_days(7);
    let v2 = app.post(&app.admin, &format!("/api/v1/quotes/{q}/revise"), json!({})).await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(v2.body["valid_until"], "2026-07-15", "the validity is kept");
    let sent = app.post(&app.admin, &format!("/api/v1/quotes/{}/send", v2.id()), json!({})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    // Its email says it is the revised version, and its PDF's name carries the version.
    app.settle_outbox().await;
    let mails: Vec<Vec<u8>> = std::fs::read_dir(app.outbox_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("quote_sent.eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let parsed: Vec<_> = mails.iter().map(|b| mail_parser::MessageParser::default().parse(b).unwrap()).collect();
    let v2_mail = parsed
        .iter()
        .find(|m| m.subject() == Some("Votre devis D-2026-0001 révisé (version 2) est disponible"))
        .unwrap_or_else(|| panic!("{:?}", parsed.iter().map(|m| m.subject()).collect::<Vec<_>>()));
    assert!(v2_mail.body_text(0).unwrap().contains("la version 2 remplace la précédente"));
    use mail_parser::MimeHeaders;
    let names: Vec<_> = v2_mail.attachments().filter_map(|a| a.attachment_name().map(str::to_string)).collect();
    assert_eq!(names, ["Devis D-2026-0001 v2.pdf"]);
});

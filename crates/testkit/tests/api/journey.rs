//! The whole journey of PRODUCT.md: request → quote → refuse with changes → revised quote →
//! accept → purchase order → validated → stages planned → delivered → invoice → transfer and
//! cheque → paid.

use super::*;

both!(whole_journey, async |app: &TestApp| {
    let admin = app.admin.clone();
    let (client_id, client) = app.signup("Lumiere").await;

    // 0. The client asks for a quote.
    let catalogue = app.get(&client, "/api/v1/catalogue").await;
    assert_eq!(catalogue.status, StatusCode::OK);
    let item = app
        .post(
            &admin,
            "/api/v1/catalogue",
            json!({"code": "VISITE-360", "kind": "service", "label_fr": "Visite virtuelle 360°",
            "label_en": "360° virtual tour", "unit": "forfait", "unit_price": "390.00", "vat_rate": "20"}),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.body);
    let request = app
        .post(
            &client,
            "/api/v1/quote-requests",
            json!({"property_type": "Appartement", "property_address": "14 quai Saint-Antoine, Lyon",
            "surface_m2": "85", "rooms": 4, "wanted": ["VISITE-360"], "notes": "Vide, vente le mois prochain"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let staff_requests = app.get(&admin, "/api/v1/quote-requests").await;
    assert!(staff_requests.body["items"].as_array().unwrap().iter().any(|r| r["id"] == request.body["id"]));

    // 1. Staff build the quote from the request: two VAT rates, a discount.
    let draft = app
        .post(&admin, "/api/v1/quotes", json!({"client_id": client_id, "request_id": request.id(), "title": "Visite 360° et plans",
            "lines": [
                {"code": "VISITE-360", "description": "Visite virtuelle 360°", "quantity": "1", "unit": "forfait", "unit_price": "390.00", "vat_rate": "20"},
                {"description": "Home staging virtuel", "quantity": "3", "unit": "pièce", "unit_price": "89.00", "discount": "17.00", "vat_rate": "20"},
                {"description": "Plan 2D (logement social)", "quantity": "1", "unit": "plan", "unit_price": "120.00", "vat_rate": "5.5"}
            ]}))
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let v1 = draft.id();
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["number"], Value::Null, "numbers are given when sent");
    // The client does not see drafts.
    assert_eq!(app.get(&client, &format!("/api/v1/quotes/{v1}")).await.status, StatusCode::NOT_FOUND);
    let sent = app.post(&admin, &format!("/api/v1/quotes/{v1}/send"), json!({})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.body["number"], "D-2026-0001");
    let seen = app.get(&client, &format!("/api/v1/quotes/{v1}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["status"], "sent");
    let totals = &seen.body["totals"];
    // 390 + (267 − 17) = 640 at 20 % → VAT 128; 120 at 5.5 % → VAT 6.60.
    assert_eq!(dec(&totals["total_excl_vat"]), d("760.00"));
    assert_eq!(dec(&totals["total_vat"]), d("134.60"));
    assert_eq!(dec(&totals["total_incl_vat"]), d("894.60"));
    assert_eq!(totals["per_rate"].as_array().unwrap().len(), 2);
    assert_eq!(seen.body["valid_until"], "2026-07-15", "default validity: 30 days");

    // 2. The client asks for changes; the team revises; v2 supersedes v1.
    let refused = app
        .post(
            &client,
            &format!("/api/v1/quotes/{v1}/refuse"),
            json!({"kind": "changes_requested", "comment": "Sans le plan 2D"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    assert_eq!(refused.body["refusal"]["comment"], "Sans le plan 2D");
    // The client's v1 reads as the start of a new version, not as an end.
    let mine = app
        .http
        .get(format!("{}/compte/devis/{v1}", app.base))
        .header("cookie", format!("immovr_session={client}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Modifications demandées — nouvelle version en préparation"), "{mine}");
    let v2 = app.post(&admin, &format!("/api/v1/quotes/{v1}/revise"), json!({})).await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(v2.body["version"], 2);
    assert_eq!(v2.body["number"], "D-2026-0001");
    let v2 = v2.id();
    // The builder of v2 shows what the client asked of v1.
    let (studio, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let builder = studio.get(format!("{}/gestion/devis/{v2}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(builder.contains("Modifications demandées (version 1) — « Sans le plan 2D »"), "{builder}");
    let updated = app
        .put(&admin, &format!("/api/v1/quotes/{v2}"), json!({"title": "Visite 360° et home staging", "lines": [
            {"description": "Visite virtuelle 360°", "quantity": "1", "unit": "forfait", "unit_price": "390.00", "vat_rate": "20"},
            {"description": "Home staging virtuel", "quantity": "3", "unit": "pièce", "unit_price": "89.00", "discount": "17.00", "vat_rate": "20"}
        ]}))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(app.post(&admin, &format!("/api/v1/quotes/{v2}/send"), json!({})).await.status, StatusCode::OK);
    assert_eq!(app.get(&client, &format!("/api/v1/quotes/{v1}")).await.body["status"], "superseded");
    // Its email says what changed: the plan removed, the total from 894.60 to 768.00.
    let outbox = app.list(&admin, "/api/v1/outbox").await;
    let revised = outbox
        .iter()
        .find(|r| r["kind"] == "quote_sent" && r["payload"]["version"] == 2)
        .expect("the revision's email");
    let changes = &revised["payload"]["changes"];
    assert_eq!(changes["previous_version"], 1, "{changes}");
    assert_eq!(changes["removed"][0]["description"], "Plan 2D (logement social)", "{changes}");
    assert!(changes["added"].as_array().unwrap().is_empty() && changes["changed"].as_array().unwrap().is_empty());
    assert_eq!((dec(&changes["total_before"]), dec(&changes["total_after"])), (d("894.60"), d("768.00")));
    // The client compares the two versions side by side.
    let compared = app
        .http
        .get(format!("{}/compte/devis/{v2}/comparer", app.base))
        .header("cookie", format!("immovr_session={client}"))
        .send()
        .await
        .unwrap();
    assert_eq!(compared.status(), StatusCode::OK);
    let compared = compared.text().await.unwrap();
    assert!(compared.contains("Retiré :") && compared.contains("Plan 2D (logement social)"), "{compared}");
    assert!(compared.contains("Version 1") && compared.contains("Version 2"), "both versions side by side");
    let pdf = app.http.get(format!("{}/api/v1/quotes/{v2}/pdf", app.base)).bearer_auth(&client).send().await.unwrap();
    let disposition = pdf.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.contains("D-2026-0001%20v2.pdf") || disposition.contains("D-2026-0001 v2.pdf"),
        "{disposition}"
    );
    let late = app.post(&client, &format!("/api/v1/quotes/{v1}/accept"), TestApp::signature()).await;
    assert_eq!((late.status, late.code()), (StatusCode::CONFLICT, "quote_superseded"));

    // 3. Accept v2: the purchase order is generated at once.
    let accepted = app.post(&client, &format!("/api/v1/quotes/{v2}/accept"), TestApp::signature()).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let evidence = &accepted.body["quote"]["acceptance"];
    assert_eq!(evidence["signer_name"], "Claire Dubois");
    assert_eq!(evidence["ip"], "127.0.0.1");
    assert_eq!(evidence["content_sha256"].as_str().unwrap().len(), 64);
    let po = &accepted.body["purchase_order"];
    assert_eq!(po["number"], "BC-2026-0001");
    assert_eq!(po["quote_number"], "D-2026-0001");
    assert_eq!(po["quote_version"], 2);
    assert_eq!(po["status"], "pending");
    assert_eq!(dec(&po["totals"]["total_incl_vat"]), d("768.00"));
    let po_id = po["id"].as_i64().unwrap();
    assert_eq!(app.get(&client, &format!("/api/v1/purchase-orders/{po_id}")).await.status, StatusCode::OK);

    // 4. Staff validate: the order is registered with the template's stages; they plan them.
    let validated = app.post(&admin, &format!("/api/v1/purchase-orders/{po_id}/validate"), json!({})).await;
    assert_eq!(validated.status, StatusCode::OK, "{}", validated.body);
    let order_id = validated.body["order_id"].as_i64().unwrap();
    let order = app.get(&client, &format!("/api/v1/orders/{order_id}")).await;
    assert_eq!(order.body["status"], "registered");
    let stages = order.body["stages"].as_array().unwrap().clone();
    assert_eq!(stages.len(), 6);
    assert_eq!(stages[2]["label"], "Prise de vue sur site");
    let done = app.post(&admin, &format!("/api/v1/orders/{order_id}/stages/{}/done", stages[0]["id"]), json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let planned = app
        .put(
            &admin,
            &format!("/api/v1/orders/{order_id}/stages/{}", stages[2]["id"]),
            json!({"planned_date": "2026-06-22", "planned_time": "09:30", "assignee": "Hugo"}),
        )
        .await;
    assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    let order = app.get(&client, &format!("/api/v1/orders/{order_id}")).await;
    assert_eq!(order.body["status"], "in_progress");
    assert_eq!(order.body["stages"][0]["status"], "done");
    assert_eq!(order.body["stages"][2]["planned_date"], "2026-06-22");
    // The shoot takes place at the property, at the time given; the client sees who to ask.
    assert_eq!(order.body["stages"][2]["planned_time"], "09:30:00");
    assert_eq!(order.body["stages"][2]["place"], "14 quai Saint-Antoine, Lyon");
    assert_eq!(order.body["property_address"], "14 quai Saint-Antoine, Lyon");
    assert_eq!(order.body["contact"]["email"], "admin@test.example", "the one who validated: {}", order.body);
    let page = app
        .http
        .get(format!("{}/compte/commandes/{order_id}", app.base))
        .header("cookie", format!("immovr_session={client}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "Votre contact au studio",
        "admin@test.example",
        "à 09:30",
        "14 quai Saint-Antoine, Lyon",
        "En cours de réalisation",
    ] {
        assert!(page.contains(shown), "{shown} missing from the client's order page");
    }
    // Staff choose another contact: a member of the team, never a client.
    let hugo = app.staff("hugo@studio.test", &[immovr_core::model::Role::Production]).await;
    let hugo_id = app.get(&hugo, "/api/v1/me").await.body["user"]["id"].clone();
    let client_user = app.get(&client, "/api/v1/me").await.body["user"]["id"].clone();
    let path = format!("/api/v1/orders/{order_id}/contact");
    let refused = app.put(&admin, &path, json!({"user_id": client_user})).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("user_id")));
    assert_eq!(app.put(&hugo, &path, json!({"user_id": hugo_id})).await.status, StatusCode::FORBIDDEN, "sales choose");
    let changed = app.put(&admin, &path, json!({"user_id": hugo_id})).await;
    assert_eq!(changed.body["contact"]["email"], "hugo@studio.test", "{}", changed.body);
    assert_eq!(
        app.get(&client, &format!("/api/v1/orders/{order_id}")).await.body["contact"]["email"],
        "hugo@studio.test"
    );
    let untimed = app
        .put(&admin, &format!("/api/v1/orders/{order_id}/stages/{}", stages[3]["id"]), json!({"planned_time": "10:00"}))
        .await;
    assert_eq!(
        (untimed.status, untimed.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("planned_time"))
    );

    // Messages on the order, both ways.
    let m = app
        .post(&client, &format!("/api/v1/orders/{order_id}/messages"), json!({"body": "Le digicode est 1234B."}))
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    assert_eq!(
        app.post(&admin, &format!("/api/v1/orders/{order_id}/messages"), json!({"body": "Bien noté, merci."}))
            .await
            .status,
        StatusCode::CREATED
    );
    let thread = app.get(&client, &format!("/api/v1/orders/{order_id}/messages")).await;
    let thread = thread.body.as_array().unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!((thread[0]["from_staff"].as_bool(), thread[1]["from_staff"].as_bool()), (Some(false), Some(true)));

    // Invoicing before delivery is refused.
    let early = app.post(&admin, &format!("/api/v1/orders/{order_id}/invoice"), json!({})).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, "order_not_delivered"));
    let nothing = app.post(&admin, &format!("/api/v1/orders/{order_id}/deliver"), json!({})).await;
    assert_eq!((nothing.status, nothing.code()), (StatusCode::CONFLICT, "order_nothing_to_deliver"));

    // 5. Final files delivered: the invoice is issued from the purchase order.
    let file = app.upload(order_id, "visite-360.zip", b"the final files").await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    // A storage key is never the caller's to give: there is no such route any more.
    let keyed = app
        .post(&admin, &format!("/api/v1/orders/{order_id}/deliverables"), json!({"filename": "x.zip", "content_type": "application/zip",
            "size_bytes": 1, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "storage_key": "requests/other/plan.pdf"}))
        .await;
    assert!(
        keyed.status == StatusCode::NOT_FOUND || keyed.status == StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        keyed.status
    );
    let delivered = app.post(&admin, &format!("/api/v1/orders/{order_id}/deliver"), json!({})).await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
    let invoice = &delivered.body["invoice"];
    assert_eq!(invoice["number"], "F-2026-0001");
    assert_eq!(invoice["payment_reference"], "F-2026-0001");
    assert_eq!(invoice["purchase_order_number"], "BC-2026-0001");
    // It names what it comes from: the accepted quote, its subject, and the property.
    assert_eq!(invoice["quote_number"], "D-2026-0001");
    assert_eq!(invoice["quote_version"], 2);
    assert_eq!(invoice["subject"], "Visite 360° et home staging", "the accepted version's title");
    assert_eq!(invoice["property_address"], "14 quai Saint-Antoine, Lyon");
    assert_eq!(invoice["due_date"], "2026-07-15");
    assert_eq!(invoice["status"], "issued");
    assert_eq!(dec(&invoice["amount_due"]), d("768.00"));
    let invoice_id = invoice["id"].as_i64().unwrap();
    // Delivery ends the stages left: the client's timeline does not read "to plan" any more.
    let stages = delivered.body["order"]["stages"].as_array().unwrap();
    assert!(stages.iter().all(|s| s["status"] == "done" && s["done_at"].is_string()), "{stages:?}");
    assert_eq!(app.get(&client, &format!("/api/v1/orders/{order_id}")).await.body["stages"], json!(stages));
    let timeline = app
        .http
        .get(format!("{}/compte/commandes/{order_id}", app.base))
        .header("cookie", format!("immovr_session={client}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let timeline =
        timeline.split("ol class=\"timeline\"").nth(1).and_then(|t| t.split("</ol>").next()).unwrap_or_default();
    assert!(timeline.contains("terminée le <time datetime=\"2026-06-15\">15/06/2026</time>"), "{timeline}");
    assert!(!timeline.contains("À planifier") && !timeline.contains("prévue le"), "{timeline}");
    let twice = app.post(&admin, &format!("/api/v1/orders/{order_id}/invoice"), json!({})).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "already_invoiced"));
    let invoice_page = app
        .http
        .get(format!("{}/compte/factures/{invoice_id}", app.base))
        .header("cookie", format!("immovr_session={client}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in
        ["Lieu de la prestation", "14 quai Saint-Antoine, Lyon", "D-2026-0001 v2", "Visite 360° et home staging"]
    {
        assert!(invoice_page.contains(shown), "{shown} missing from the client's invoice page");
    }

    // Payment: part by transfer, an overpayment refused, the rest by cheque.
    let path = format!("/api/v1/invoices/{invoice_id}/payments");
    let transfer = app
        .post(
            &admin,
            &path,
            json!({"method": "transfer", "amount": "500.00", "date": "2026-06-15", "reference": "VIR F-2026-0001"}),
        )
        .await;
    assert_eq!(transfer.status, StatusCode::CREATED, "{}", transfer.body);
    assert_eq!(transfer.body["status"], "partially_paid");
    assert_eq!(dec(&transfer.body["amount_due"]), d("268.00"));
    let over = app.post(&admin, &path, json!({"method": "cheque", "amount": "268.01", "cheque_number": "0012345", "bank": "Banque Test", "received_date": "2026-06-15"})).await;
    assert_eq!((over.status, over.code()), (StatusCode::CONFLICT, "overpayment"));
    let cheque = app.post(&admin, &path, json!({"method": "cheque", "amount": "268.00", "cheque_number": "0012345", "bank": "Banque Test", "received_date": "2026-06-15", "deposit_date": "2026-06-15"})).await;
    assert_eq!(cheque.status, StatusCode::CREATED, "{}", cheque.body);
    let paid = app.get(&client, &format!("/api/v1/invoices/{invoice_id}")).await;
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(dec(&paid.body["amount_due"]), d("0"));
    assert_eq!(paid.body["payments"].as_array().unwrap().len(), 2);

    // The audit trail tells the story; notifications were queued at every step.
    let audit = app.get(&admin, &format!("/api/v1/audit?entity_kind=quote&entity_id={v2}")).await;
    let actions: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["quote.accepted", "quote.sent", "quote.updated", "quote.revised"]);
    let outbox = app.get(&admin, "/api/v1/outbox").await;
    let kinds: Vec<&str> =
        outbox.body["items"].as_array().unwrap().iter().rev().map(|m| m["kind"].as_str().unwrap()).collect();
    for kind in [
        "quote_request_received",
        "quote_sent",
        "quote_refused",
        "purchase_order_created",
        "quote_accepted",
        "order_registered",
        "stage_done",
        "stage_planned",
        "client_message_received",
        "message_received",
        "order_delivered",
        "payment_received",
    ] {
        assert!(kinds.contains(&kind), "no {kind} notification in {kinds:?}");
    }
    let client_mail: Vec<&Value> = outbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["recipient"] == "lumiere@client.example")
        .collect();
    assert!(
        client_mail
            .iter()
            .any(|m| m["kind"] == "purchase_order_created" && m["payload"]["purchase_order_number"] == "BC-2026-0001")
    );
});

both!(credit_note_cancels_and_reissues, async |app: &TestApp| {
    let (client_id, client) = app.signup("Avoir").await;
    let q = app.sent_quote(client_id, &[("Rendu 3D", "2", "450.00", "20")]).await;
    let po = app
        .post(
            &client,
            &format!("/api/v1/quotes/{q}/accept"),
            TestApp::signature(),
        )
        .await
        .body["purchase_order"]["id"]
        .clone();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .clone();
    app.upload(&order, "r.zip", b"final files").await;
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"].clone();
    let cn = app
        .post(&app.admin, &format!("/api/v1/invoices/{invoice}/credit-notes"), json!({"reason": "Erreur de quantité"}))
        .await;
    assert_eq!(cn.status, StatusCode::CREATED, "{}", cn.body);
    assert_eq!(cn.body["number"], "AV-2026-0001");
    assert_eq!(dec(&cn.body["totals"]["total_incl_vat"]), d("1080.00"));
    let cancelled = app.get(&client, &format!("/api/v1/invoices/{invoice}")).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["number"], "F-2026-0001", "the invoice itself is kept as issued");
    let pay = app
        .post(
            &app.admin,
            &format!("/api/v1/invoices/{invoice}/payments"),
            json!({"method": "transfer", "amount": "1.00", "date": "2026-06-15", "reference": "x"}),
        )
        .await;
    assert_eq!((pay.status, pay.code()), (StatusCode::CONFLICT, "invoice_cancelled"));
    let again = app.post(&app.admin, &format!("/api/v1/orders/{order}/invoice"), json!({})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["number"], "F-2026-0002");
    let cn_id = cn.id();
    assert_eq!(app.get(&client, &format!("/api/v1/credit-notes/{cn_id}")).await.status, StatusCode::OK);
    // The credit note's email opens the invoice it cancels (it once linked to /compte/factures/0).
    let outbox = app.settle_outbox().await;
    let email = outbox.iter().find(|m| m["kind"] == "credit_note_issued").expect("a credit note email");
    assert_eq!(email["status"], "sent", "{email}");
    assert_eq!(email["payload"]["invoice_id"], invoice);
    let eml = std::fs::read_dir(app.outbox_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("credit_note_issued.eml"))
        .expect("the credit note's .eml");
    let text = String::from_utf8_lossy(&std::fs::read(eml).unwrap()).to_string();
    assert!(text.contains(&format!(".f{invoice}.")), "a signed link to the invoice: {text}");
});

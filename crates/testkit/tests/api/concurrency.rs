//! Invariants under real parallel HTTP requests: one purchase order per quote whatever the
//! clicks, one outcome when Accept races Refuse, gapless invoice numbers, idempotent retries.

use std::sync::Arc;

use immovr_core::Actor;
use immovr_core::money::LineInput;
use immovr_core::ports::{AcceptQuote, NewQuote};
use tokio::sync::Barrier;

use super::*;

/// Fires `n` copies of a request at once (all released by one barrier); returns the answers.
async fn burst(app: &TestApp, n: usize, requests: Vec<(String, String, Value)>) -> Vec<immovr_testkit::Answer> {
    assert_eq!(requests.len(), n);
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::new();
    for (token, path, body) in requests {
        let barrier = barrier.clone();
        let http = app.http.clone();
        let url = format!("{}{path}", app.base);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let res = http.post(url).bearer_auth(token).json(&body).send().await.expect("request");
            let status = res.status();
            let headers = res.headers().clone();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            immovr_testkit::Answer { status, body, headers }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

both!(fifty_accepts_make_one_purchase_order, async |app: &TestApp| {
    let (client_id, client) = app.signup("Rush").await;
    let q = app.sent_quote(client_id, &[("Visite 360°", "1", "390.00", "20")]).await;
    let path = format!("/api/v1/quotes/{q}/accept");
    let answers = burst(app, 50, (0..50).map(|_| (client.clone(), path.clone(), TestApp::signature())).collect()).await;
    let won = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let lost =
        answers.iter().filter(|a| a.status == StatusCode::CONFLICT && a.code() == "quote_already_accepted").count();
    let others: Vec<_> = answers
        .iter()
        .filter(|a| a.status != StatusCode::CREATED && a.code() != "quote_already_accepted")
        .map(|a| (a.status, a.body.clone()))
        .collect();
    assert_eq!((won, lost), (1, 49), "unexpected answers: {others:?}");
    let pos = app.get(&app.admin, "/api/v1/purchase-orders").await;
    let for_quote = pos.body["items"].as_array().unwrap().iter().filter(|p| p["quote_id"] == q).count();
    assert_eq!(for_quote, 1);
    assert_eq!(pos.body["items"].as_array().unwrap().len(), 1);
});

both!(accept_racing_refuse_has_one_outcome, async |app: &TestApp| {
    let (client_id, client) = app.signup("Race").await;
    for round in 0..10 {
        let q = app.sent_quote(client_id, &[("Plan 3D", "1", "190.00", "20")]).await;
        let refuse = json!({"kind": "decline", "comment": "non merci"});
        let reqs = vec![
            (client.clone(), format!("/api/v1/quotes/{q}/accept"), TestApp::signature()),
            (client.clone(), format!("/api/v1/quotes/{q}/refuse"), refuse),
        ];
        let answers = burst(app, 2, reqs).await;
        let ok: Vec<bool> = answers.iter().map(|a| a.status.is_success()).collect();
        assert_eq!(
            ok.iter().filter(|s| **s).count(),
            1,
            "round {round}: {:?}",
            answers.iter().map(|a| &a.body).collect::<Vec<_>>()
        );
        let quote = app.get(&client, &format!("/api/v1/quotes/{q}")).await;
        let pos = app.get(&app.admin, "/api/v1/purchase-orders").await;
        let po_count = pos.body["items"].as_array().unwrap().iter().filter(|p| p["quote_id"] == q).count();
        if ok[0] {
            assert_eq!((quote.body["status"].as_str(), po_count), (Some("accepted"), 1));
            assert_eq!(answers[1].code(), "quote_already_accepted");
        } else {
            assert_eq!((quote.body["status"].as_str(), po_count), (Some("refused"), 0));
            assert_eq!(answers[0].code(), "quote_refused");
        }
    }
});

both!(two_hundred_concurrent_invoices_are_gapless, async |app: &TestApp| {
    const N: usize = 200;
    // Set up 200 orders ready for delivery through the use cases (fast), then deliver over HTTP at once.
    let (client_id, _) = app.signup("Volume").await;
    let store = &app.app;
    let staff = Actor::system();
    let mut client_actor = Actor::anonymous();
    client_actor.client_id = Some(client_id);
    let mut order_ids = Vec::new();
    for i in 0..N {
        let line = LineInput {
            code: None,
            description: format!("Rendu {i}"),
            quantity: d("1"),
            unit: "image".into(),
            unit_price: d("100.00"),
            discount: d("0"),
            vat_rate: d("20"),
        };
        let q = store
            .create_quote(
                &staff,
                NewQuote {
                    client_id,
                    request_id: None,
                    title: "Volume".into(),
                    notes: None,
                    valid_until: None,
                    lines: vec![line],
                },
            )
            .await
            .unwrap();
        store.send_quote(&staff, q.id).await.unwrap();
        let po = store
            .accept_quote(
                &client_actor,
                q.id,
                AcceptQuote { signer_name: "V".into(), consent: true, terms_accepted: true, early_start: false },
            )
            .await
            .unwrap();
        let order_id = store.validate_purchase_order(&staff, po.purchase_order.id).await.unwrap().order_id.unwrap();
        let file = immovr_testkit::body(b"test");
        store.upload_deliverable(&staff, order_id, "f.zip", "application/zip", file, 1 << 20).await.unwrap();
        order_ids.push(order_id);
    }
    let reqs =
        order_ids.iter().map(|id| (app.admin.clone(), format!("/api/v1/orders/{id}/deliver"), json!({}))).collect();
    let answers = burst(app, N, reqs).await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    let all = immovr_core::listing::every(immovr_core::listing::ListQuery::first(), async |q| {
        store.invoices(&staff, &q).await
    })
    .await
    .unwrap();
    let mut numbers: Vec<String> = all.into_iter().map(|i| i.number).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=N).map(|n| format!("F-2026-{n:04}")).collect();
    assert_eq!(numbers, expected);
});

both!(idempotency_key_replays_without_a_second_effect, async |app: &TestApp| {
    let (client_id, client) = app.signup("Retry").await;
    let q = app.sent_quote(client_id, &[("Vidéo drone", "1", "590.00", "20")]).await;
    let path = format!("/api/v1/quotes/{q}/accept");
    let sig = TestApp::signature();
    let first = app.send(immovr_testkit::reqwest::Method::POST, &client, &path, Some(&sig), Some("accept-42")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let retry = app.send(immovr_testkit::reqwest::Method::POST, &client, &path, Some(&sig), Some("accept-42")).await;
    assert_eq!(retry.status, StatusCode::CREATED, "same key, same answer: {}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let other_body = json!({"signer_name": "Quelqu'un d'autre", "consent": true, "terms_accepted": true});
    let reused =
        app.send(immovr_testkit::reqwest::Method::POST, &client, &path, Some(&other_body), Some("accept-42")).await;
    assert_eq!((reused.status, reused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    // Without the key, a second click gets the domain's answer.
    let again = app.post(&client, &path, sig).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "quote_already_accepted"));
    let pos = app.get(&app.admin, "/api/v1/purchase-orders").await;
    assert_eq!(pos.body["items"].as_array().unwrap().len(), 1);

    // Many concurrent retries of one keyed payment: one payment recorded.
    let invoice_path = {
        let po = first.body["purchase_order"]["id"].clone();
        let order =
            app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
                .clone();
        app.upload(&order, "v.mp4", b"final files").await;
        let invoice = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]
            ["id"]
            .clone();
        format!("/api/v1/invoices/{invoice}/payments")
    };
    let pay = json!({"method": "transfer", "amount": "100.00", "date": "2026-06-15", "reference": "VIR"});
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (http, url, token, pay) =
            (app.http.clone(), format!("{}{invoice_path}", app.base), app.admin.clone(), pay.clone());
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "pay-1")
                .json(&pay)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
    }
    let invoice = app.get(&app.admin, &invoice_path.replace("/payments", "")).await;
    assert_eq!(invoice.body["payments"].as_array().unwrap().len(), 1);
});

both!(accept_racing_a_newer_version_has_one_outcome, async |app: &TestApp| {
    let (client_id, client) = app.signup("Version").await;
    for round in 0..10 {
        let v1 = app.sent_quote(client_id, &[("Rendu", "1", "450", "20")]).await;
        let v2 = app.post(&app.admin, &format!("/api/v1/quotes/{v1}/revise"), json!({})).await.id();
        let reqs = vec![
            (client.clone(), format!("/api/v1/quotes/{v1}/accept"), TestApp::signature()),
            (app.admin.clone(), format!("/api/v1/quotes/{v2}/send"), json!({})),
        ];
        let answers = burst(app, 2, reqs).await;
        let (accept, send) = (&answers[0], &answers[1]);
        assert!(
            accept.status.is_success() != send.status.is_success(),
            "round {round}: {} / {}",
            accept.body,
            send.body
        );
        let (q1, q2) = (
            app.get(&app.admin, &format!("/api/v1/quotes/{v1}")).await.body,
            app.get(&app.admin, &format!("/api/v1/quotes/{v2}")).await.body,
        );
        if accept.status.is_success() {
            assert_eq!(
                (send.code(), q1["status"].as_str(), q2["status"].as_str()),
                ("quote_already_accepted", Some("accepted"), Some("draft"))
            );
        } else {
            assert_eq!(
                (accept.code(), q1["status"].as_str(), q2["status"].as_str()),
                ("quote_superseded", Some("superseded"), Some("sent"))
            );
        }
    }
});

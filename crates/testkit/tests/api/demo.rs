//! The demo seeds quotes and orders in every state of the journey.

use super::*;

both!(demo_covers_every_state, async |app: &TestApp| {
    assert!(immovr::demo::seed(&app.app).await.unwrap());
    assert!(!immovr::demo::seed(&app.app).await.unwrap(), "seeds once");
    let statuses: Vec<String> = app.get(&app.admin, "/api/v1/quotes").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["status"].as_str().unwrap().to_string())
        .collect();
    for s in ["draft", "sent", "expired", "refused", "superseded", "accepted"] {
        assert!(statuses.iter().any(|x| x == s), "no {s} quote in {statuses:?}");
    }
    let pos: Vec<String> = app.get(&app.admin, "/api/v1/purchase-orders").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap().to_string())
        .collect();
    assert!(pos.contains(&"pending".to_string()) && pos.contains(&"validated".to_string()));
    let invoices: Vec<String> = app.get(&app.admin, "/api/v1/invoices").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect();
    assert!(invoices.contains(&"paid".to_string()) && invoices.contains(&"partially_paid".to_string()), "{invoices:?}");
    let client = app.login(immovr::demo::CLIENT_EMAIL, immovr::demo::CLIENT_PASSWORD).await;
    assert!(!app.list(&client, "/api/v1/orders").await.is_empty());
    let company = app.get(&app.admin, "/api/v1/settings/company").await;
    assert_eq!((company.body["legal_name"].as_str(), company.body["demo"].as_bool()), (Some("Virtuelli"), Some(true)));
});

// The generated history (`immovr demo --scale`, here a two-hundredth of ten years): every
// journey's records are there and consistent, numbers are gapless per series and year, a new
// invoice continues its series, an old document renders when asked for (the background renderer
// leaves history alone), and the lists and the dashboard read it.
both!(generated_history_is_consistent_and_continues, async |app: &TestApp| {
    let r = immovr::demo::history(&app.store, &app.app, 0.005).await.unwrap();
    immovr::demo::seed(&app.app).await.unwrap();
    assert_eq!(r.clients, 100);
    assert!(r.quotes >= 400 && r.purchase_orders > 200 && r.invoices > 200, "{r:?}");
    assert!(r.audit_events > 5 * r.invoices && r.emails > 4 * r.invoices && r.documents > r.quotes, "{r:?}");

    let invoices = app.list(&app.admin, "/api/v1/invoices?limit=200").await;
    assert!(invoices.len() >= r.invoices, "the demo's and the history's");
    let mut by_year: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for i in &invoices {
        let n = i["number"].as_str().unwrap();
        let (year, seq) = n.trim_start_matches("F-").split_once('-').unwrap();
        by_year.entry(year.to_string()).or_default().push(seq.parse().unwrap());
    }
    assert!(by_year.len() >= 9, "ten years of invoices: {:?}", by_year.keys().collect::<Vec<_>>());
    for (year, mut seq) in by_year.clone() {
        seq.sort_unstable();
        assert_eq!(seq, (1..=seq.len() as u32).collect::<Vec<_>>(), "invoices of {year} are gapless");
    }
    // Issue dates follow the numbers.
    let mut dated: Vec<(String, String)> = invoices
        .iter()
        .map(|i| (i["number"].as_str().unwrap().to_string(), i["issue_date"].as_str().unwrap().to_string()))
        .collect();
    dated.sort();
    assert!(dated.windows(2).all(|w| !w[0].0.starts_with(&w[1].0[..6]) || w[0].1 <= w[1].1), "numbers in date order");
    for status in ["paid", "partially_paid", "issued", "cancelled"] {
        assert!(invoices.iter().any(|i| i["status"] == status), "some {status} invoice");
    }
    let quotes = app.list(&app.admin, "/api/v1/quotes?limit=200").await;
    for status in ["accepted", "refused", "superseded", "expired"] {
        assert!(quotes.iter().any(|q| q["status"] == status), "some {status} quote");
    }

    // A new journey continues this year's series.
    use immovr_core::Clock;
    let this_year = app.clock.now().to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap()).year().to_string();
    let last = by_year.get(&this_year).map(|s| s.len()).unwrap_or(0);
    let (client_id, client) = app.signup("Nouveau").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let po =
        app.post(&client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await.body["purchase_order"]
            ["id"]
            .as_i64()
            .unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let file = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/f.zip", app.base))
        .bearer_auth(&app.admin)
        .body(vec![1u8; 8]);
    assert_eq!(file.send().await.unwrap().status(), StatusCode::CREATED);
    let delivered = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    assert_eq!(delivered.body["invoice"]["number"], format!("F-{this_year}-{:04}", last + 1));

    // History renders on demand; the background renderer takes only recent documents.
    let old = invoices.last().unwrap();
    // (The demo's planned stages reach their client as one email, two minutes later.)
    app.clock.advance_minutes(3);
    app.settle_outbox().await;
    use immovr_app::ports::DocumentRepo;
    let doc = app
        .store
        .document(immovr_core::Scope::Staff, immovr_core::model::DocumentKind::Invoice, old["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(doc.file.is_none(), "an old invoice is not rendered unasked");
    let pdf = app
        .http
        .get(format!("{}/api/v1/invoices/{}/pdf", app.base, old["id"]))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    // The lists and the dashboard read it.
    assert!(!app.list(&app.admin, "/api/v1/invoices?status=overdue").await.is_empty(), "some invoices are late");
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let dashboard = staff.get(format!("{}/gestion", app.base)).send().await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    let a_client = app.login(&format!("client{}@history.example", client_id - 50), immovr::demo::CLIENT_PASSWORD).await;
    assert_eq!(app.get(&a_client, "/api/v1/quotes").await.status, StatusCode::OK);
});

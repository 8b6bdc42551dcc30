//! Lists over more records than a page: every list pages with a cursor and reaches the oldest
//! record, filters and text search find what is asked for, bad queries are refused, and the
//! dashboard counts over every record — here an overdue invoice older than a whole page of
//! newer ones.

use immovr_testkit::{Backend, spawn_app_with};

use super::*;

type Id = i64;

/// Sends a quote, accepts it, validates the purchase order, delivers: the invoice id.
async fn invoice(app: &TestApp, client: &str, client_id: Id, title: &str) -> Id {
    let lines = [("Visite virtuelle", "1", "390.00", "20")];
    let quote = app
        .post(
            &app.admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "title": title, "lines": lines.iter().map(|(d, q, p, r)|
                json!({"description": d, "quantity": q, "unit": "forfait", "unit_price": p, "vat_rate": r})).collect::<Vec<_>>()}),
        )
        .await
        .id();
    let sent = app.post(&app.admin, &format!("/api/v1/quotes/{quote}/send"), json!({})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let accepted = app.post(client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await;
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap_or_else(|| panic!("{}", accepted.body));
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let file = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/rendu.zip", app.base))
        .bearer_auth(&app.admin)
        .body(vec![7u8; 64]);
    assert_eq!(file.send().await.unwrap().status(), StatusCode::CREATED);
    let delivered = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
    delivered.body["invoice"]["id"].as_i64().unwrap()
}

async fn lists_reach_the_oldest_record(app: &TestApp) {
    let (client_id, client) = app.signup("Archives").await;
    // The oldest invoice stays unpaid; a month later it is overdue, behind 51 newer ones.
    let oldest = invoice(app, &client, client_id, "Villa des Oliviers").await;
    app.clock.advance_days(40);
    // (The session of forty days ago has expired.)
    let client = app.login("archives@client.example", "client-password").await;
    let mut newer = Vec::new();
    for i in 0..51 {
        let id = invoice(app, &client, client_id, &format!("Appartement {i}")).await;
        let due = app.get(&app.admin, &format!("/api/v1/invoices/{id}")).await.body["amount_due"].clone();
        let paid = app
            .post(
                &app.admin,
                &format!("/api/v1/invoices/{id}/payments"),
                json!({"method": "transfer", "amount": due, "date": "2026-07-25", "reference": "VIR"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
        newer.push(id);
    }

    // A page of 50, newest first, then the rest: the oldest invoice is on the second page.
    let first = app.get(&app.admin, "/api/v1/invoices").await;
    let items = first.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["id"].as_i64(), newer.last().copied());
    assert!(!items.iter().any(|i| i["id"] == oldest));
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_string();
    let second = app.get(&app.admin, &format!("/api/v1/invoices?cursor={cursor}")).await;
    let rest = second.body["items"].as_array().unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest.last().unwrap()["id"], oldest, "the oldest invoice is reached");
    assert!(second.body["next_cursor"].is_null(), "the last page says so");
    // Every record once, whatever the page size.
    let all = app.list(&app.admin, "/api/v1/invoices?limit=7").await;
    assert_eq!(all.len(), 52);
    let mut ids: Vec<i64> = all.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 52, "no record twice");
    assert_eq!(app.list(&client, "/api/v1/quotes?limit=10").await.len(), 52, "the client's own lists page too");

    // Filters: status (derived ones too), client, period, text search.
    let overdue = app.list(&app.admin, "/api/v1/invoices?status=overdue").await;
    assert_eq!(overdue.iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![oldest]);
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?status=paid").await.len(), 51);
    assert_eq!(app.list(&app.admin, &format!("/api/v1/invoices?client_id={client_id}&limit=200")).await.len(), 52);
    assert_eq!(
        app.list(&app.admin, "/api/v1/invoices?from=2026-06-01&to=2026-06-30").await.len(),
        1,
        "June: the oldest"
    );
    // A long or open period reads in id order rather than through the date index: same rows.
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?to=2026-06-30").await.len(), 1, "up to June");
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?from=2020-01-01&to=2026-06-30").await.len(), 1);
    // Up to a date, below the last id of that period: the same rows, every page of them.
    assert_eq!(app.list(&app.admin, "/api/v1/quotes?to=2026-06-30").await.len(), 1, "quotes up to June");
    assert_eq!(app.list(&app.admin, "/api/v1/orders?to=2026-06-30").await.len(), 1, "orders up to June");
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?to=2027-12-31&limit=7").await.len(), 52, "up to next year");
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?to=2020-12-31").await.len(), 0, "nothing that old");
    let june = app.list(&app.admin, "/api/v1/audit?to=2026-06-30&limit=200").await;
    assert!(!june.is_empty() && june.len() < app.list(&app.admin, "/api/v1/audit?limit=200").await.len());
    assert_eq!(app.list(&app.admin, "/api/v1/invoices?from=2026-07-01&limit=200").await.len(), 51, "since July");
    assert!(app.list(&app.admin, "/api/v1/audit?from=2020-01-01&limit=200").await.len() > 52, "every event since");
    let found = app.list(&app.admin, "/api/v1/quotes?q=oliviers").await;
    assert_eq!(found.len(), 1, "a word of the title, any case");
    assert_eq!(found[0]["title"], "Villa des Oliviers");
    assert_eq!(app.list(&app.admin, "/api/v1/quotes?q=archiv").await.len(), 52, "the start of the client's name");
    assert_eq!(app.list(&app.admin, "/api/v1/quotes?q=appartement%2012").await.len(), 1, "every word must match");
    let number = found[0]["number"].as_str().unwrap().to_string();
    assert_eq!(app.list(&app.admin, &format!("/api/v1/quotes?q={number}")).await.len(), 1, "by number");
    assert_eq!(app.list(&app.admin, "/api/v1/clients?q=archives").await.len(), 1);
    let (_, other) = app.signup("Curieux").await;
    assert!(app.list(&other, "/api/v1/quotes?q=oliviers").await.is_empty(), "another client's search stays empty");

    // Bad queries are refused in our problem format, and change nothing.
    for (query, status) in [
        ("limit=500", StatusCode::UNPROCESSABLE_ENTITY),
        ("cursor=nope", StatusCode::UNPROCESSABLE_ENTITY),
        ("status=lost", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2026-07-01&to=2026-06-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("limit=abc", StatusCode::BAD_REQUEST),
        ("from=demain", StatusCode::BAD_REQUEST),
    ] {
        let a = app.get(&app.admin, &format!("/api/v1/invoices?{query}")).await;
        assert_eq!(a.status, status, "{query}: {}", a.body);
        assert_eq!(a.headers["content-type"], "application/problem+json", "{query}");
    }

    // The dashboard counts the overdue invoice, though it is not among the newest.
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let html = staff.get(format!("{}/gestion", app.base)).send().await.unwrap().text().await.unwrap();
    let number =
        app.get(&app.admin, &format!("/api/v1/invoices/{oldest}")).await.body["number"].as_str().unwrap().to_string();
    let overdue_card = html
        .split("id=\"bo-todo-overdue\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the overdue card");
    assert!(overdue_card.contains("<span class=\"badge\">1</span>"), "one overdue invoice: {overdue_card}");
    assert!(overdue_card.contains(&number), "{overdue_card}");

    // The pages page too: the back office's invoices list links to the next page, which holds
    // the oldest; a search narrows it.
    let list = staff.get(format!("{}/gestion/factures", app.base)).send().await.unwrap().text().await.unwrap();
    let next = list.split("rel=\"next\" href=\"").nth(1).and_then(|s| s.split('"').next()).expect("a next page link");
    assert!(!list.contains(&format!("/gestion/factures/{oldest}\"")));
    let next = next.replace("&amp;", "&");
    let page2 = staff.get(format!("{}{next}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page2.contains(&format!("/gestion/factures/{oldest}\"")), "the second page holds the oldest");
    let searched =
        staff.get(format!("{}/gestion/devis?q=oliviers", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(searched.contains("Villa des Oliviers") && !searched.contains("Appartement 3"));
    let (portal, _, _) = app.browser_login("archives@client.example", "client-password").await;
    let mine =
        portal.get(format!("{}/compte/factures?status=overdue", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(mine.contains(&number) && !mine.contains("rel=\"next\""), "{mine}");
}

/// The journal is in time order, whatever the order of the ids: an event stamped years before
/// the others (an import, a clock set wrong) comes last and is found by a period up to its year,
/// every page of it once.
async fn the_journal_is_in_time_order(app: &TestApp) {
    for i in 0..9 {
        app.signup(&format!("Récent {i}")).await;
    }
    app.clock.advance_days(-3650);
    let (old_client, _) = app.signup("Horloge").await;
    app.clock.advance_days(3650);
    let at = |e: &serde_json::Value| e["at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let all = app.list(&app.admin, "/api/v1/audit?limit=3").await;
    assert!(all.len() > 10, "{}", all.len());
    assert!(all.windows(2).all(|w| at(&w[0]) >= at(&w[1])), "newest first by time");
    let mut ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let newest_id = *ids.iter().max().unwrap();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "every event once");
    let last = all.last().unwrap();
    // The old sign-up's events: its pending sign-up, then the client its confirmation created.
    let of_old = |e: &serde_json::Value| e["entity_id"] == old_client || e["entity_kind"] == "signup";
    assert!(of_old(last), "the oldest in time comes last: {last}");
    assert!(last["id"].as_i64() > all[0]["id"].as_i64(), "written after the newest in time");
    let old = app.list(&app.admin, &format!("/api/v1/audit?to={}&limit=1", at(last).strftime("%Y-12-31"))).await;
    assert!(!old.is_empty() && old.iter().all(of_old), "{old:?}");
    let before = app.list(&app.admin, &format!("/api/v1/audit?from={}", at(last).strftime("%Y-01-01"))).await;
    assert_eq!(before.len(), all.len(), "from its year on: everything");
    assert!(before.iter().any(|e| e["id"] == newest_id));
}

/// Without background work: the test is about lists, and renders would only slow it down.
async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |c| c.run_workers = false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_reach_the_oldest_record_sqlite() {
    let app = app(Backend::Sqlite).await.unwrap();
    lists_reach_the_oldest_record(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_reach_the_oldest_record_postgres() {
    let Some(app) = app(Backend::Postgres).await else { return };
    lists_reach_the_oldest_record(&app).await;
    app.stop().await;
}

both!(the_journal_is_in_time_order, with | c | c.run_workers = false, the_journal_is_in_time_order);

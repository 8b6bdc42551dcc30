//! The client portal over real HTTP, as a browser without JavaScript uses it: forms with CSRF
//! tokens, cookies, redirects; magic links and password resets through the outbox; every
//! portal URL of one client refused to another; live updates over server-sent events.

use std::time::Duration;

use immovr_testkit::reqwest::{self, Client, redirect};

use super::*;

fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
}

struct Page {
    status: StatusCode,
    location: String,
    html: String,
}

async fn get(app: &TestApp, b: &Client, path: &str) -> Page {
    let r = b.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    Page { status, location, html: r.text().await.unwrap() }
}

/// The CSRF token of the last page's forms.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

async fn post(app: &TestApp, b: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    let r = b.post(format!("{}{path}", app.base)).form(fields).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    Page { status, location, html: r.text().await.unwrap() }
}

/// A form with files goes as multipart (the sign-up and request forms).
async fn post_multipart(app: &TestApp, b: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = b.post(format!("{}{path}", app.base)).multipart(form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    Page { status, location, html: r.text().await.unwrap() }
}

async fn login(app: &TestApp, b: &Client, email: &str, password: &str) -> String {
    let token = csrf(&get(app, b, "/connexion").await.html);
    let p = post(
        app,
        b,
        "/connexion",
        &[("email", email), ("password", password), ("csrf", &token), ("suivant", "/compte")],
    )
    .await;
    assert_eq!((p.status, p.location.as_str()), (StatusCode::SEE_OTHER, "/compte"), "{}", p.html);
    token
}

/// The link path of the newest outbox email of that kind to that address (links are sent in
/// the background: waited for a few seconds).
async fn emailed_link(app: &TestApp, kind: &str, to: &str) -> String {
    for _ in 0..100 {
        let outbox = app.get(&app.admin, "/api/v1/outbox").await;
        let found = outbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == kind && m["recipient"] == to)
            .cloned();
        if let Some(m) = found {
            return m["payload"]["url_path"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {kind} email queued to {to}")
}

both!(portal_signup_request_accept, async |app: &TestApp| {
    app.post(
        &app.admin,
        "/api/v1/catalogue",
        json!({"code": "VISITE-360", "kind": "service", "label_fr": "Visite virtuelle 360°",
        "label_en": "360° tour", "unit": "forfait", "unit_price": "390", "vat_rate": "20"}),
    )
    .await;
    let b = browser();
    let form = get(app, &b, "/inscription").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("Visite virtuelle 360°"), "the active catalogue is offered");
    let token = csrf(&form.html);
    let mut fields = vec![
        ("csrf", token.as_str()),
        ("kind", "company"),
        ("name", "Nina Roux"),
        ("email", "nina@agence.example"),
        ("company_name", "Agence Roux"),
        ("line1", "2 rue Neuve"),
        ("postcode", "13001"),
        ("city", "Marseille"),
        ("property_type", "Maison"),
        ("property_address", "5 allée des Pins, Cassis"),
        ("surface", "120,5"),
        ("rooms", "5"),
        ("wanted", "VISITE-360"),
        ("notes", "Vue mer"),
    ];
    // A short password: the form comes back with the error and nothing is created.
    fields.push(("password", "court"));
    let bad = post_multipart(app, &b, "/inscription", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("5 allée des Pins"), "the form keeps what was typed");
    fields.pop();
    fields.push(("password", "une-phrase-longue"));
    let ok = post_multipart(app, &b, "/inscription", &fields).await;
    assert_eq!((ok.status, ok.location.as_str()), (StatusCode::SEE_OTHER, "/inscription/envoyee"), "{}", ok.html);
    let sent = get(app, &b, "/inscription/envoyee").await;
    assert!(sent.html.contains("Vérifiez votre boîte mail"), "{}", sent.html);
    assert!(app.list(&app.admin, "/api/v1/quote-requests").await.is_empty(), "nothing until the address is confirmed");
    // The emailed link creates the account and its request, and signs in.
    let token = app.emailed_link("signup_confirm", "nina@agence.example").await;
    let confirmed = get(app, &b, &format!("/inscription/confirmer/{token}")).await;
    assert_eq!((confirmed.status, confirmed.location.as_str()), (StatusCode::SEE_OTHER, "/compte/demandes?ok=1"));
    let again = get(app, &b, &format!("/inscription/confirmer/{token}")).await;
    assert_eq!(again.status, StatusCode::GONE, "a confirmation works once");
    // Signing up again with that address looks the same; the owner gets a sign-in link.
    let other = browser();
    let form = get(app, &other, "/inscription").await;
    let other_csrf = csrf(&form.html);
    let mut second = fields.clone();
    second[0] = ("csrf", other_csrf.as_str());
    let twice = post_multipart(app, &other, "/inscription", &second).await;
    assert_eq!((twice.status, twice.location.as_str()), (StatusCode::SEE_OTHER, "/inscription/envoyee"));
    app.emailed_link("signup_existing", "nina@agence.example").await;
    let list = get(app, &b, "/compte/demandes?ok=1").await;
    assert!(list.html.contains("5 allée des Pins, Cassis"));
    let staff_view = app.get(&app.admin, "/api/v1/quote-requests").await;
    assert_eq!(
        staff_view.body["items"].as_array().map(Vec::len),
        Some(1),
        "one request: the second sign-up was dropped"
    );
    let request = &staff_view.body["items"][0];
    assert_eq!((request["surface_m2"].as_str(), request["wanted"][0].as_str()), (Some("120.5"), Some("VISITE-360")));
    let client_id = request["client_id"].as_i64().unwrap();

    // The team sends a quote; the client reads it and signs.
    let q = app
        .sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390.00", "20"), ("Plan 2D", "2", "60.00", "10")])
        .await;
    let page = get(app, &b, &format!("/compte/devis/{q}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Visite virtuelle 360°",
        "Plan 2D",
        "Accepter",
        "Refuser",
        "Base HT 20\u{a0}%".replace('\u{a0}', " ").as_str(),
        "600,00",
        "D-2026-0001",
    ] {
        assert!(page.html.contains(text), "quote page lacks {text:?}");
    }
    let token = csrf(&page.html);
    let unsigned = post(
        app,
        &b,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", &token), ("signer_name", "Nina Roux"), ("terms", "on")],
    )
    .await;
    assert_eq!(unsigned.status, StatusCode::UNPROCESSABLE_ENTITY, "consent is required");
    let forged = post(
        app,
        &b,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", "forged"), ("signer_name", "Nina Roux"), ("consent", "on"), ("terms", "on")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a wrong CSRF token changes nothing");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body["status"], "sent");
    let signed = post(
        app,
        &b,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", &token), ("signer_name", "Nina Roux"), ("consent", "on"), ("terms", "on")],
    )
    .await;
    assert_eq!(
        (signed.status, signed.location.clone()),
        (StatusCode::SEE_OTHER, format!("/compte/devis/{q}?ok=accepted"))
    );
    let done = get(app, &b, &signed.location).await;
    assert!(
        done.html.contains("BC-2026-0001") && done.html.contains("Nina Roux"),
        "the purchase order number is shown at once"
    );
    let again = post(
        app,
        &b,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", &token), ("signer_name", "Nina Roux"), ("consent", "on"), ("terms", "on")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a double click makes no second order");
    assert_eq!(app.list(&app.admin, "/api/v1/purchase-orders").await.len(), 1);

    // A message to the team from the quote page.
    let m = post(app, &b, &format!("/compte/devis/{q}/messages"), &[("csrf", &token), ("body", "Merci, à bientôt !")])
        .await;
    assert_eq!(m.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&app.admin, &format!("/api/v1/quotes/{q}/messages")).await.body[0]["body"],
        "Merci, à bientôt !"
    );
});

both!(portal_refuse_expired_and_english, async |app: &TestApp| {
    let (client_id, _) = app.signup("Refuse").await;
    let b = browser();
    let token = login(app, &b, "refuse@client.example", "client-password").await;
    let q = app.sent_quote(client_id, &[("Rendu 3D", "1", "450", "20")]).await;
    let empty = post(
        app,
        &b,
        &format!("/compte/devis/{q}/refuser"),
        &[("csrf", &token), ("kind", "changes_requested"), ("comment", "")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        app,
        &b,
        &format!("/compte/devis/{q}/refuser"),
        &[("csrf", &token), ("kind", "changes_requested"), ("comment", "Deux rendus au lieu d'un")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let v2 = app.post(&app.admin, &format!("/api/v1/quotes/{q}/revise"), json!({})).await.id();
    app.post(&app.admin, &format!("/api/v1/quotes/{v2}/send"), json!({})).await;
    let old = get(app, &b, &format!("/compte/devis/{q}")).await;
    assert!(old.html.contains("Une version plus récente") && old.html.contains(&format!("/compte/devis/{v2}")));
    let new = get(app, &b, &format!("/compte/devis/{v2}")).await;
    assert!(new.html.contains("Deux rendus au lieu d'un"), "the version history shows v1's comment");

    app.clock.advance_days(31);
    let b = browser();
    login(app, &b, "refuse@client.example", "client-password").await;
    let expired = get(app, &b, &format!("/compte/devis/{v2}")).await;
    assert!(expired.html.contains("dépassé sa date de validité") && !expired.html.contains("Signer et accepter"));

    let en = get(app, &b, &format!("/langue/en?retour=/compte/devis/{v2}")).await;
    assert_eq!(en.status, StatusCode::SEE_OTHER);
    let english = get(app, &b, &en.location).await;
    assert!(english.html.contains("<html lang=\"en\"") && english.html.contains("past its validity date"));
});

both!(portal_confidentiality_between_clients, async |app: &TestApp| {
    let (a_id, _) = app.signup("Alice").await;
    app.signup("Bruno").await;
    let q = app.sent_quote(a_id, &[("Visite", "1", "390", "20")]).await;
    let a = browser();
    let a_token = login(app, &a, "alice@client.example", "client-password").await;
    post(
        app,
        &a,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", &a_token), ("signer_name", "Alice"), ("consent", "on"), ("terms", "on")],
    )
    .await;
    let po = app.get(&app.admin, "/api/v1/purchase-orders").await.body["items"][0]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    app.upload(&order, "alice.zip", b"final files").await;
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap();

    let b = browser();
    let b_token = login(app, &b, "bruno@client.example", "client-password").await;
    for path in
        [format!("/compte/devis/{q}"), format!("/compte/commandes/{order}"), format!("/compte/factures/{invoice}")]
    {
        assert_eq!(get(app, &a, &path).await.status, StatusCode::OK, "Alice sees {path}");
        let p = get(app, &b, &path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "Bruno must not see {path}");
        assert!(!p.html.contains("Alice"), "{path} leaks nothing");
    }
    for path in [
        "/compte",
        "/compte/devis",
        "/compte/commandes",
        "/compte/livraisons",
        "/compte/factures",
        "/compte/demandes",
        "/compte/profil",
    ] {
        let p = get(app, &b, path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(
            !p.html.contains("alice.zip") && !p.html.contains("D-2026-0001") && !p.html.contains("F-2026-0001"),
            "{path} shows Alice's records to Bruno"
        );
    }
    for (path, fields) in [
        (format!("/compte/devis/{q}/refuser"), vec![("csrf", b_token.as_str()), ("kind", "decline"), ("comment", "x")]),
        (format!("/compte/devis/{q}/messages"), vec![("csrf", b_token.as_str()), ("body", "x")]),
        (format!("/compte/commandes/{order}/messages"), vec![("csrf", b_token.as_str()), ("body", "x")]),
    ] {
        assert_eq!(post(app, &b, &path, &fields).await.status, StatusCode::NOT_FOUND, "Bruno must not act on {path}");
    }
    let archive = async |who: &reqwest::Client| {
        let r = who.get(format!("{}/compte/donnees", app.base)).send().await.unwrap();
        assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"immovr-mes-donnees.zip\"");
        TestApp::unzip(&r.bytes().await.unwrap())
    };
    let bruno = archive(&b).await;
    let json = String::from_utf8(bruno[0].1.clone()).unwrap();
    assert!(json.contains("bruno@client.example") && !json.contains("alice"), "the export holds Bruno's data only");
    assert!(bruno.iter().all(|(name, _)| !name.contains("alice") && !name.contains("F-2026")), "{bruno:?}");
    // Alice's: her records, her delivered file as delivered, her documents as issued.
    let alice = archive(&a).await;
    let mine: Value = serde_json::from_slice(&alice[0].1).unwrap();
    assert_eq!(mine["quotes"].as_array().unwrap().len(), 1);
    assert_eq!(mine["invoices"][0]["number"], "F-2026-0001");
    let file = alice.iter().find(|(n, _)| n.starts_with("livraisons/") && n.ends_with("-alice.zip")).expect("the file");
    assert_eq!(file.1, b"final files");
    let invoice = alice.iter().find(|(n, _)| n == "documents/Facture F-2026-0001.pdf").expect("the invoice");
    assert!(invoice.1.starts_with(b"%PDF"));
    assert!(
        alice.iter().any(|(n, _)| n == "documents/Devis D-2026-0001.pdf"),
        "{:?}",
        alice.iter().map(|e| &e.0).collect::<Vec<_>>()
    );

    // Not signed in: to the login page, coming back afterwards. Staff: not here.
    let anon = get(app, &browser(), &format!("/compte/devis/{q}")).await;
    assert_eq!(
        (anon.status, anon.location.clone()),
        (StatusCode::SEE_OTHER, format!("/connexion?suivant=/compte/devis/{q}"))
    );
});

both!(magic_link_and_password_reset, async |app: &TestApp| {
    app.signup("Magie").await;
    let b = browser();
    let token = csrf(&get(app, &b, "/lien-magique").await.html);
    let sent = post(app, &b, "/lien-magique", &[("csrf", &token), ("email", "magie@client.example")]).await;
    assert_eq!(sent.status, StatusCode::OK);
    let unknown = post(app, &b, "/lien-magique", &[("csrf", &token), ("email", "nobody@client.example")]).await;
    assert_eq!(
        unknown.html.matches("notice ok").count(),
        sent.html.matches("notice ok").count(),
        "unknown emails answer the same"
    );
    let link = emailed_link(app, "magic_link", "magie@client.example").await;
    let used = get(app, &b, &link).await;
    assert_eq!((used.status, used.location.as_str()), (StatusCode::SEE_OTHER, "/compte"));
    assert_eq!(get(app, &b, "/compte").await.status, StatusCode::OK);
    assert_eq!(get(app, &browser(), &link).await.status, StatusCode::GONE, "single use");

    post(app, &b, "/lien-magique", &[("csrf", &token), ("email", "magie@client.example")]).await;
    let late = emailed_link(app, "magic_link", "magie@client.example").await;
    app.clock.advance_minutes(16);
    assert_eq!(get(app, &browser(), &late).await.status, StatusCode::GONE, "expires after 15 minutes");

    let b = browser();
    let token = csrf(&get(app, &b, "/mot-de-passe-oublie").await.html);
    post(app, &b, "/mot-de-passe-oublie", &[("csrf", &token), ("email", "magie@client.example")]).await;
    let reset = emailed_link(app, "password_reset", "magie@client.example").await;
    let form = get(app, &b, &reset).await;
    let token = csrf(&form.html);
    let short = post(app, &b, &reset, &[("csrf", &token), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = post(app, &b, &reset, &[("csrf", &token), ("password", "nouveau-mot-de-passe")]).await;
    assert_eq!((done.status, done.location.as_str()), (StatusCode::SEE_OTHER, "/connexion?ok=reset"));
    assert_eq!(
        app.post("", "/api/v1/auth/login", json!({"email": "magie@client.example", "password": "client-password"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    login(app, &browser(), "magie@client.example", "nouveau-mot-de-passe").await;
    assert_eq!(
        post(app, &b, &reset, &[("csrf", &token), ("password", "encore-un-autre")]).await.status,
        StatusCode::GONE
    );
});

#[tokio::test]
async fn login_is_rate_limited_and_pages_are_locked_down() {
    let app = immovr_testkit::spawn_app(immovr_testkit::Backend::Sqlite).await.unwrap();
    app.signup("Limite").await;
    let b = browser();
    let first = b.get(format!("{}/connexion", app.base)).send().await.unwrap();
    let csp = first.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let cookie = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(
        cookie.contains("immovr_csrf=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = csrf(&first.text().await.unwrap());
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let p = post(
            &app,
            &b,
            "/connexion",
            &[("email", "limite@client.example"), ("password", "wrong-password"), ("csrf", &token)],
        )
        .await;
        statuses.push(p.status);
    }
    assert_eq!(&statuses[..5], &[StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Even the right password waits now: the account is protected, not just the guesser.
    let right = post(
        &app,
        &b,
        "/connexion",
        &[("email", "limite@client.example"), ("password", "client-password"), ("csrf", &token)],
    )
    .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    // A staff session is not a client's.
    let staff = app.staff("staff@studio.example", &[immovr_core::model::Role::Sales]).await;
    let _ = staff;
    let s = browser();
    login_any(&app, &s, "staff@studio.example", "staff-password").await;
    assert_eq!(get(&app, &s, "/compte").await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn login_any(app: &TestApp, b: &Client, email: &str, password: &str) {
    let token = csrf(&get(app, b, "/connexion").await.html);
    let p = post(app, b, "/connexion", &[("email", email), ("password", password), ("csrf", &token)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

both!(live_updates_reach_an_open_page, async |app: &TestApp| {
    let (client_id, _) = app.signup("Direct").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let b = browser();
    let token = login(app, &b, "direct@client.example", "client-password").await;
    post(
        app,
        &b,
        &format!("/compte/devis/{q}/accepter"),
        &[("csrf", &token), ("signer_name", "D"), ("consent", "on"), ("terms", "on")],
    )
    .await;
    let po = app.get(&app.admin, "/api/v1/purchase-orders").await.body["items"][0]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let stage = app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["stages"][2]["id"].as_i64().unwrap();

    let mut events = b.get(format!("{}/compte/evenements", app.base)).send().await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    // Another client's change must not reach this stream.
    let (other, _) = app.signup("Autre").await;
    app.sent_quote(other, &[("Plan", "1", "100", "20")]).await;
    let planned = app
        .put(&app.admin, &format!("/api/v1/orders/{order}/stages/{stage}"), json!({"planned_date": "2026-06-20"}))
        .await;
    assert_eq!(planned.status, StatusCode::OK);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while !seen.contains("stage_planned") {
        match tokio::time::timeout_at(deadline, events.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("no live event within a second: {other:?}; got {seen:?}"),
        }
    }
    assert!(seen.contains("event: change"), "{seen}");
    assert!(!seen.contains("quote_sent"), "another client's news leaked: {seen}");
    let page = get(app, &b, &format!("/compte/commandes/{order}")).await;
    assert!(page.html.contains("20/06/2026"));
    let _ = reqwest::Method::GET;
});

both!(forms_from_another_site_are_refused, async |app: &TestApp| {
    let (client_id, _) = app.signup("Origine").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let b = browser();
    let token = csrf(&get(app, &b, "/connexion").await.html);
    let login = post(
        app,
        &b,
        "/connexion",
        &[
            ("email", "origine@client.example"),
            ("password", "client-password"),
            ("csrf", &token),
            ("suivant", "/compte"),
        ],
    )
    .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let token = csrf(&get(app, &b, &format!("/compte/devis/{q}")).await.html);
    let path = format!("{}/compte/devis/{q}/messages", app.base);
    let send = |headers: Vec<(&'static str, String)>| {
        let mut req = b.post(&path).form(&[("csrf", token.as_str()), ("body", "Bonjour")]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    // Even with the right CSRF token: the browser says the form came from elsewhere.
    let cross = send(vec![("sec-fetch-site", "cross-site".into())]).await.unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let sibling = send(vec![("sec-fetch-site", "same-site".into())]).await.unwrap();
    assert_eq!(sibling.status(), StatusCode::FORBIDDEN, "a sibling subdomain is another site too");
    let origin = send(vec![("origin", "https://evil.example".into())]).await.unwrap();
    assert_eq!(origin.status(), StatusCode::FORBIDDEN);
    let opaque = send(vec![("origin", "null".into())]).await.unwrap();
    assert_eq!(opaque.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&app.admin, &format!("/api/v1/quotes/{q}/messages")).await.body.as_array().map(Vec::len),
        Some(0)
    );
    // From the studio's own page.
    let host = app.base.trim_start_matches("http://").to_string();
    let own = send(vec![("sec-fetch-site", "same-origin".into()), ("origin", format!("http://{host}"))]).await.unwrap();
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&app.admin, &format!("/api/v1/quotes/{q}/messages")).await.body.as_array().map(Vec::len),
        Some(1)
    );
});

#[tokio::test]
async fn https_deployments_send_hsts() {
    let app =
        immovr_testkit::spawn_app_with(immovr_testkit::Backend::Sqlite, |c| c.secure_cookies = true).await.unwrap();
    for path in ["/connexion", "/api/v1/openapi.json", "/healthz"] {
        let res = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains", "{path}");
    }
    app.stop().await;
    let plain = immovr_testkit::spawn_app(immovr_testkit::Backend::Sqlite).await.unwrap();
    let res = plain.http.get(format!("{}/connexion", plain.base)).send().await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none(), "not over plain HTTP");
    plain.stop().await;
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_address() {
    let app =
        immovr_testkit::spawn_app_with(immovr_testkit::Backend::Sqlite, |c| c.signups_per_hour = 3).await.unwrap();
    let attempt = |n: usize| {
        app.post(
            "",
            "/api/v1/auth/signup",
            json!({"client": {"kind": "person", "name": "Vite",
            "email": format!("vite{n}@client.example")}, "password": "client-password"}),
        )
    };
    for n in 0..3 {
        assert_eq!(attempt(n).await.status, StatusCode::ACCEPTED);
    }
    let limited = attempt(3).await;
    assert_eq!((limited.status, limited.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(limited.headers["content-type"], "application/problem+json");
    app.stop().await;
}

both!(sign_up_tells_nobody_who_has_an_account, async |app: &TestApp| {
    let (_, owner) = app.signup("Déjà Cliente").await;
    let attempt = |email: &str| {
        app.post(
            "",
            "/api/v1/auth/signup",
            json!({"client": {"kind": "person", "name": "Curieux", "email": email}, "password": "mot-de-passe-curieux"}),
        )
    };
    let taken = attempt("djcliente@client.example").await;
    let free = attempt("nouveau@client.example").await;
    assert_eq!((taken.status, &taken.body), (free.status, &free.body), "the same answer");
    assert_eq!(taken.status, StatusCode::ACCEPTED);
    // The owner is told, by email, with a sign-in link; the account is unchanged.
    let link = app.emailed_link("signup_existing", "djcliente@client.example").await;
    assert!(!link.is_empty());
    let login = app
        .post(
            "",
            "/api/v1/auth/login",
            json!({"email": "djcliente@client.example", "password": "mot-de-passe-curieux"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "the curious one's password opens nothing");
    assert_eq!(app.get(&owner, "/api/v1/me").await.status, StatusCode::OK, "the owner's session goes on");
    // Nothing exists before confirmation: the new address cannot sign in yet.
    let early = app
        .post("", "/api/v1/auth/login", json!({"email": "nouveau@client.example", "password": "mot-de-passe-curieux"}))
        .await;
    assert_eq!(early.status, StatusCode::UNAUTHORIZED);
    let token = app.emailed_link("signup_confirm", "nouveau@client.example").await;
    let confirmed = app.post("", "/api/v1/auth/signup/confirm", json!({"token": token})).await;
    assert_eq!(confirmed.status, StatusCode::CREATED, "{}", confirmed.body);
    let used = app.post("", "/api/v1/auth/signup/confirm", json!({"token": token})).await;
    assert_eq!((used.status, used.code()), (StatusCode::GONE, "link_expired"));
    let clients = app.list(&app.admin, "/api/v1/clients").await;
    assert_eq!(clients.len(), 2, "the owner and the confirmed one, nobody else");
});

// Every refusal of a form at once, in the page's language, each field marked and linked from a
// summary; what was typed stays; the API keeps its stable code and English details.
both!(forms_give_every_refusal_at_once_in_the_page_language, async |app: &TestApp| {
    let b = browser();
    let token = csrf(&get(app, &b, "/inscription").await.html);
    let fields = [
        ("csrf", token.as_str()),
        ("kind", "company"),
        ("name", "Léa Martin"),
        ("email", "lea@agence.example"),
        ("phone", "pas un numéro"),
        ("company_name", "Agence Martin"),
        ("siren", "123456788"),
        ("line1", "2 rue Neuve"),
        ("postcode", "ABCDE"),
        ("city", "Lyon"),
        ("property_type", "Appartement"),
        ("property_address", "8 quai Rambaud, Lyon"),
        ("surface", "grand"),
        ("password", "court"),
    ];
    let bad = post_multipart(app, &b, "/inscription", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = &bad.html;
    assert!(html.contains("class=\"error-summary\""), "a summary of the errors: {html}");
    for (link, french) in [
        ("#f-postcode", "un code postal français compte 5 chiffres"),
        ("#f-phone", "un numéro de téléphone tel que"),
        ("#f-siren", "SIREN invalide (son chiffre de contrôle est faux)"),
        ("#f-surface", "un nombre de mètres carrés"),
        ("#password", "au moins 10 caractères"),
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "the summary links to {link}");
        assert!(html.contains(french), "the refusal in French: {french}");
    }
    assert!(html.matches("aria-invalid=\"true\"").count() >= 5, "each refused field is marked");
    assert!(html.contains("aria-describedby=\"f-postcode-err\""), "the field is described by its error");
    assert!(!html.contains("invalid input"), "no developer text on a French page");
    for typed in ["Léa Martin", "lea@agence.example", "ABCDE", "8 quai Rambaud, Lyon", "grand", "123456788"] {
        assert!(html.contains(typed), "what was typed stays: {typed}");
    }
    assert!(!html.contains("value=\"court\""), "a refused password is not sent back");

    // The same form in English.
    let english = {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let r = b
            .post(format!("{}/inscription", app.base))
            .header("accept-language", "en")
            .multipart(form)
            .send()
            .await
            .unwrap();
        r.text().await.unwrap()
    };
    assert!(english.contains("The form was not saved"), "{english}");
    assert!(english.contains("a French postcode is 5 digits"));

    // The API: the stable code, English details, every field.
    let client = json!({"kind": "person", "name": "", "email": "nope", "billing_address":
        {"line1": "1 rue A", "postcode": "ABCDE", "city": "Paris", "country": "FR"}});
    let refused = app.post(&app.admin, "/api/v1/clients", json!({"client": client})).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "email", "billing_address.postcode"], "{}", refused.body);
    assert_eq!(refused.body["field"], "name");
    assert_eq!(refused.body["errors"][2]["detail"], "a French postcode is 5 digits");
    assert!(app.list(&app.admin, "/api/v1/clients").await.is_empty(), "nothing was created");
});

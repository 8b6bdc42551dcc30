//! The back office over HTTP: every action checked against the role on the server (refused for
//! a role without it, and nothing changes), clients and visitors kept out.

use immovr_core::model::Role;
use immovr_testkit::reqwest::{Client, redirect};

use super::*;

/// Who posts, with which CSRF token, to which path, with which fields.
type Case<'a> = (&'a Client, &'a str, String, Vec<(&'a str, &'a str)>);

async fn staff_browser(app: &TestApp, email: &str, roles: &[Role]) -> (Client, String) {
    app.staff(email, roles).await;
    let (b, csrf, landed) = app.browser_login(email, "staff-password").await;
    assert_eq!(landed, "/gestion");
    (b, csrf)
}

both!(back_office_actions_need_their_role, async |app: &TestApp| {
    let (client_id, client) = app.signup("Roles BO").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let draft = app
        .post(
            &app.admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "title": "Brouillon", "lines": [
        {"description": "Plan", "quantity": "1", "unit": "u", "unit_price": "100", "vat_rate": "20"}]}),
        )
        .await
        .id();
    let po = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await.body["purchase_order"]["id"].as_i64().unwrap();
    let other = app.sent_quote(client_id, &[("Plan", "1", "100", "20")]).await;
    let po2 =
        app.post(&client, &format!("/api/v1/quotes/{other}/accept"), TestApp::signature()).await.body["purchase_order"]
            ["id"]
            .as_i64()
            .unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po2}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let stage = app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["stages"][0]["id"].as_i64().unwrap();
    app.http
        .put(format!("{}/api/v1/orders/{order}/files/f.zip", app.base))
        .bearer_auth(&app.admin)
        .body(vec![1u8; 100])
        .send()
        .await
        .unwrap();
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap();

    let (accounting, csrf_a) = staff_browser(app, "compta@studio.example", &[Role::Accounting]).await;
    let (production, csrf_p) = staff_browser(app, "prod@studio.example", &[Role::Production]).await;
    let (sales, csrf_s) = staff_browser(app, "vente@studio.example", &[Role::Sales]).await;
    let audit_before = app.count("audit").await;
    let cases: Vec<Case> = vec![
        (
            &accounting,
            &csrf_a,
            "/gestion/devis".into(),
            vec![
                ("client_id", "1"),
                ("title", "x"),
                ("description", "x"),
                ("quantity", "1"),
                ("unit", "u"),
                ("unit_price", "1"),
                ("discount", "0"),
                ("vat_rate", "20"),
            ],
        ),
        (&production, &csrf_p, format!("/gestion/devis/{draft}/envoyer"), vec![]),
        (&accounting, &csrf_a, format!("/gestion/devis/{q}/reviser"), vec![]),
        (&production, &csrf_p, format!("/gestion/bons-de-commande/{po}/valider"), vec![]),
        (&accounting, &csrf_a, format!("/gestion/bons-de-commande/{po}/annuler"), vec![("reason", "x")]),
        (&sales, &csrf_s, format!("/gestion/commandes/{order}/etapes/{stage}"), vec![("planned_date", "2026-07-01")]),
        (&accounting, &csrf_a, format!("/gestion/commandes/{order}/etapes/{stage}/terminee"), vec![]),
        (&sales, &csrf_s, format!("/gestion/commandes/{order}/livrer"), vec![]),
        (
            &production,
            &csrf_p,
            format!("/gestion/factures/{invoice}/paiements"),
            vec![("method", "transfer"), ("amount", "1"), ("date", "2026-06-15"), ("reference", "r")],
        ),
        (&sales, &csrf_s, format!("/gestion/factures/{invoice}/avoir"), vec![("reason", "x")]),
    ];
    for (browser, csrf, path, mut fields) in cases {
        fields.push(("csrf", csrf));
        let r = browser.post(format!("{}{path}", app.base)).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        sales.get(format!("{}/gestion/journal", app.base)).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "the audit log is for admins"
    );
    assert_eq!(app.count("audit").await, audit_before, "refused actions change nothing");
    assert_eq!(app.get(&app.admin, &format!("/api/v1/purchase-orders/{po}")).await.body["status"], "pending");

    // With the right role, the same forms work.
    let r = sales
        .post(format!("{}/gestion/bons-de-commande/{po}/valider", app.base))
        .form(&[("csrf", csrf_s.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&app.admin, &format!("/api/v1/purchase-orders/{po}")).await.body["status"], "validated");
    let r = accounting
        .post(format!("{}/gestion/factures/{invoice}/paiements", app.base))
        .form(&[
            ("csrf", csrf_a.as_str()),
            ("method", "cheque"),
            ("amount", "10,00"),
            ("cheque_number", "123"),
            ("bank", "B"),
            ("date", "2026-06-15"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let inv = app.get(&app.admin, &format!("/api/v1/invoices/{invoice}")).await;
    assert_eq!(
        (inv.body["status"].as_str(), inv.body["payments"][0]["method"].as_str()),
        (Some("partially_paid"), Some("cheque"))
    );
    let forged = accounting
        .post(format!("{}/gestion/factures/{invoice}/paiements", app.base))
        .form(&[
            ("csrf", "forged"),
            ("method", "cheque"),
            ("amount", "10"),
            ("cheque_number", "124"),
            ("bank", "B"),
            ("date", "2026-06-15"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // A refusal shows the page again, with its error and a 4xx status.
    for (amount, field) in [("beaucoup", "amount"), ("1_000", "amount"), ("100000", "amount")] {
        let refused = accounting
            .post(format!("{}/gestion/factures/{invoice}/paiements", app.base))
            .form(&[
                ("csrf", csrf_a.as_str()),
                ("method", "transfer"),
                ("amount", amount),
                ("date", "2026-06-15"),
                ("reference", "r"),
            ])
            .send()
            .await
            .unwrap();
        let status = refused.status();
        let page = refused.text().await.unwrap();
        assert!(status.is_client_error(), "{amount}: {status}");
        assert!(page.contains("<form") && page.contains(field), "{amount}: the page again, naming {field}");
    }

    // Clients and visitors stay out of the back office.
    let c = Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap();
    let r = c.get(format!("{}/gestion", app.base)).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/connexion?suivant=/gestion")
    );
    let (c, _, _) = app.browser_login("rolesbo@client.example", "client-password").await;
    assert_eq!(c.get(format!("{}/gestion/factures", app.base)).send().await.unwrap().status(), StatusCode::FORBIDDEN);
});

both!(back_office_settings_catalogue_users_contacts, async |app: &TestApp| {
    let (admin, csrf) = staff_browser(app, "chef@studio.example", &[Role::Admin]).await;
    let (sales, csrf_s) = staff_browser(app, "vendeur@studio.example", &[Role::Sales]).await;
    let post = |b: &Client, path: &str, fields: Vec<(&str, &str)>| {
        let b = b.clone();
        let url = format!("{}{path}", app.base);
        let owned: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        async move { b.post(url).form(&owned).send().await.unwrap() }
    };

    // Catalogue: add, then change the price and deactivate.
    let r = post(
        &sales,
        "/gestion/catalogue",
        vec![
            ("csrf", &csrf_s),
            ("code", "VR-TOUR"),
            ("kind", "service"),
            ("label_fr", "Visite VR"),
            ("label_en", "VR tour"),
            ("unit", "forfait"),
            ("unit_price", "499,50"),
            ("vat_rate", "20"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let item = app
        .get(&app.admin, "/api/v1/catalogue")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "VR-TOUR")
        .unwrap()
        .clone();
    assert_eq!(item["unit_price"], "499.50");
    let id = item["id"].as_i64().unwrap();
    let r = post(
        &sales,
        &format!("/gestion/catalogue/{id}"),
        vec![
            ("csrf", &csrf_s),
            ("label_fr", "Visite VR"),
            ("label_en", "VR tour"),
            ("unit", "forfait"),
            ("unit_price", "520"),
            ("vat_rate", "20"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let item = app
        .get(&app.admin, "/api/v1/catalogue")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "VR-TOUR")
        .unwrap()
        .clone();
    assert_eq!((item["unit_price"].as_str(), item["active"].as_bool()), (Some("520"), Some(false)));

    // Settings: admins only; a change applies to what comes next.
    assert_eq!(
        sales.get(format!("{}/gestion/parametres", app.base)).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let page = admin.get(format!("{}/gestion/parametres", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Paramètres de démonstration"));
    let mut fields: Vec<(String, String)> = vec![];
    for (k, v) in [
        ("legal_name", "Virtuelli SAS"),
        ("trade_name", "ImmoVr"),
        ("legal_form", "SAS"),
        ("share_capital", "10 000 €"),
        ("siren", "732829320"),
        ("siret", "73282932000074"),
        ("rcs", "RCS Lyon 732 829 320"),
        ("vat_number", "FR44732829320"),
        ("email", "studio@immovr.example"),
        ("phone", "+33 4 00 00 00 00"),
        ("line1", "1 quai"),
        ("postcode", "69001"),
        ("city", "Lyon"),
        ("iban", "FR7630006000011234567890189"),
        ("bic", "AGRIFRPP"),
        ("account_holder", "Virtuelli SAS"),
        ("cheque_payee", "Virtuelli"),
        ("cheque_line1", "1 quai"),
        ("cheque_postcode", "69001"),
        ("cheque_city", "Lyon"),
        ("payment_terms_days", "45"),
        ("late_payment_wording", "Pénalités : 3 × taux légal ; indemnité 40 €."),
        ("quote_prefix", "DV"),
        ("purchase_order_prefix", "BC"),
        ("invoice_prefix", "FA"),
        ("credit_note_prefix", "AV"),
        ("vat_rates", "20, 10, 5.5, 0"),
        ("default_vat_rate", "20"),
        ("quote_validity_days", "15"),
        ("stage_template", "contact | Prise de contact | Contact\nshoot | Prise de vue | Shoot"),
    ] {
        fields.push((k.into(), v.into()));
    }
    fields.push(("csrf".into(), csrf.clone()));
    let mut bad: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), if k == "stage_template" { "nonsense".into() } else { v.clone() }))
        .collect();
    // An electronic invoicing address of another SIREN is refused with the rest.
    bad.push(("electronic_address".into(), "123456782_FACTURES".into()));
    // An unknown VAT regime too, in the page's language.
    bad.push(("vat_regime".into(), "weekly".into()));
    let r = admin.post(format!("{}/gestion/parametres", app.base)).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("le SIREN, puis des lettres"), "{refused}");
    assert!(refused.contains("réel simplifié ou franchise en base"), "{refused}");
    assert!(refused.contains("value=\"123456782_FACTURES\""), "what was typed stays");
    // The e-invoicing settings: the VAT option, the category, the directory address.
    for (k, v) in [
        ("vat_on_debits", "on"),
        ("category", "mixed"),
        ("electronic_address", "732829320_FACTURES"),
        ("vat_regime", "franchise"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let r = admin.post(format!("{}/gestion/parametres", app.base)).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let company = app.get(&app.admin, "/api/v1/settings/company").await.body;
    assert_eq!(
        (company["legal_name"].as_str(), company["demo"].as_bool(), company["payment_terms_days"].as_i64()),
        (Some("Virtuelli SAS"), Some(false), Some(45))
    );
    assert_eq!(
        company["einvoicing"],
        json!({"category": "mixed", "vat_on_debits": true, "electronic_address": "732829320_FACTURES", "vat_regime": "franchise"})
    );
    let (client_id, _) = app.signup("Apres").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let sent = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body;
    assert_eq!((sent["number"].as_str(), sent["valid_until"].as_str()), (Some("DV-2026-0001"), Some("2026-06-30")));

    // Users: an admin adds a member and changes roles; at least one role.
    let r = post(
        &admin,
        "/gestion/utilisateurs",
        vec![("csrf", &csrf), ("name", "Zoé"), ("email", "zoe@studio.example"), ("role", "production")],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("zoe@studio.example :"), "the first password is shown once");
    let users = app.app.staff_users(&immovr_core::Actor::system()).await.unwrap();
    let zoe = users.iter().find(|u| u.email == "zoe@studio.example").unwrap();
    assert_eq!(zoe.roles, vec![Role::Production]);
    let r = post(
        &admin,
        &format!("/gestion/utilisateurs/{}", zoe.id),
        vec![("csrf", &csrf), ("role", "production"), ("role", "accounting")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let none = post(&admin, &format!("/gestion/utilisateurs/{}", zoe.id), vec![("csrf", &csrf)]).await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let zoe = app
        .app
        .staff_users(&immovr_core::Actor::system())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "zoe@studio.example")
        .unwrap();
    assert_eq!(zoe.roles, vec![Role::Production, Role::Accounting]);
    assert_eq!(
        post(&sales, &format!("/gestion/utilisateurs/{}", zoe.id), vec![("csrf", &csrf_s), ("role", "admin")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Contact log on an order, and the client directory shows everything about the client.
    let (client_id, client) = app.signup("Contact").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let po = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await.body["purchase_order"]["id"].clone();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let r = post(
        &admin,
        &format!("/gestion/commandes/{order}/contacts"),
        vec![("csrf", &csrf), ("note", "Appel : date de prise de vue confirmée")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin.get(format!("{}/gestion/commandes/{order}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("date de prise de vue confirmée"));
    let dir =
        admin.get(format!("{}/gestion/clients/{client_id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(dir.contains("contact@client.example") && dir.contains("BC-2026-"));
});

fn current_code(secret: &str, app: &TestApp) -> String {
    use immovr_core::Clock;
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(secret).unwrap()).build().unwrap();
    totp.generate(app.clock.now().as_second() as u64).to_string()
}

both!(staff_second_factor, async |app: &TestApp| {
    let (b, csrf) = staff_browser(app, "totp@studio.example", &[Role::Sales]).await;
    let page = b.get(format!("{}/gestion/securite", app.base)).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"secret\" value=\"").unwrap() + 21;
    let secret = page[at..].split('"').next().unwrap().to_string();
    let wrong = b
        .post(format!("{}/gestion/securite", app.base))
        .form(&[("csrf", csrf.as_str()), ("secret", &secret), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = current_code(&secret, app);
    let on = b
        .post(format!("{}/gestion/securite", app.base))
        .form(&[("csrf", csrf.as_str()), ("secret", &secret), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), StatusCode::SEE_OTHER);
    // Codes are good once: the next ones come with the next time steps.
    app.clock.advance_minutes(1);

    // A password alone is no longer enough, on the pages or the API.
    let fresh = Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap();
    let html = fresh.get(format!("{}/connexion", app.base)).send().await.unwrap().text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = html[at..].split('"').next().unwrap().to_string();
    let r = fresh
        .post(format!("{}/connexion", app.base))
        .form(&[("email", "totp@studio.example"), ("password", "staff-password"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/connexion/code?jeton="), "{to}");
    assert_eq!(
        fresh.get(format!("{}/gestion", app.base)).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "no session yet"
    );
    let jeton = to.split("jeton=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let bad = fresh
        .post(format!("{}/connexion/code", app.base))
        .form(&[("csrf", token.as_str()), ("jeton", &jeton), ("code", "123456"), ("suivant", "/gestion")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let html = bad.text().await.unwrap();
    let at = html.find("name=\"jeton\" value=\"").unwrap() + 20;
    let jeton2 = html[at..].split('"').next().unwrap().to_string();
    let reused = fresh
        .post(format!("{}/connexion/code", app.base))
        .form(&[
            ("csrf", token.as_str()),
            ("jeton", &jeton),
            ("code", &current_code(&secret, app)),
            ("suivant", "/gestion"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::GONE, "a wait token is used once");
    let ok = fresh
        .post(format!("{}/connexion/code", app.base))
        .form(&[
            ("csrf", token.as_str()),
            ("jeton", &jeton2),
            ("code", &current_code(&secret, app)),
            ("suivant", "/gestion"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!((ok.status(), ok.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/gestion"));
    assert_eq!(fresh.get(format!("{}/gestion", app.base)).send().await.unwrap().status(), StatusCode::OK);

    let api =
        app.post("", "/api/v1/auth/login", json!({"email": "totp@studio.example", "password": "staff-password"})).await;
    assert_eq!((api.status, api.code()), (StatusCode::UNAUTHORIZED, "second_factor_required"));
    let api = app
        .post(
            "",
            "/api/v1/auth/login",
            json!({"email": "totp@studio.example", "password": "staff-password", "code": current_code(&secret, app)}),
        )
        .await;
    assert_eq!((api.status, api.code()), (StatusCode::UNAUTHORIZED, "second_factor_required"), "a code is good once");
    app.clock.advance_minutes(1);
    let api = app
        .post(
            "",
            "/api/v1/auth/login",
            json!({"email": "totp@studio.example", "password": "staff-password", "code": current_code(&secret, app)}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
});

both!(unread_messages_are_counted_until_read, async |app: &TestApp| {
    let (client_id, client) = app.signup("Bavard").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let path = format!("/api/v1/quotes/{q}/messages");
    app.post(&client, &path, json!({"body": "Une question"})).await;
    app.post(&client, &path, json!({"body": "Et une autre"})).await;
    let unread = app.get(&app.admin, "/api/v1/messages/unread").await.body;
    assert_eq!((unread[0]["thread_id"].as_i64(), unread[0]["unread"].as_i64()), (Some(q), Some(2)));
    assert!(
        app.get(&client, "/api/v1/messages/unread").await.body.as_array().unwrap().is_empty(),
        "the client wrote them"
    );
    let (b, _) = staff_browser(app, "lecteur@studio.example", &[Role::Sales]).await;
    let dash = b.get(format!("{}/gestion", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(dash.contains(&format!("/gestion/devis/{q}#h-msg")), "the dashboard lists the unread thread");
    b.get(format!("{}/gestion/devis/{q}", app.base)).send().await.unwrap();
    assert!(
        app.get(&app.admin, "/api/v1/messages/unread").await.body.as_array().unwrap().is_empty(),
        "read once the team opened it"
    );
    app.post(&app.admin, &path, json!({"body": "Voici la réponse"})).await;
    assert_eq!(app.get(&client, "/api/v1/messages/unread").await.body[0]["unread"], 1);
    app.get(&client, &path).await;
    assert!(app.get(&client, "/api/v1/messages/unread").await.body.as_array().unwrap().is_empty());
    let (_, other) = app.signup("Autre lecteur").await;
    assert!(app.get(&other, "/api/v1/messages/unread").await.body.as_array().unwrap().is_empty());
});

both!(duplicate_quotes_and_company_logo, async |app: &TestApp| {
    let (b, csrf) = staff_browser(app, "patron@studio.example", &[Role::Admin]).await;
    let (a_id, _) = app.signup("Original").await;
    let (b_id, _) = app.signup("Copie").await;
    let q = app.sent_quote(a_id, &[("Visite 360°", "1", "390", "20"), ("Plan 2D", "2", "60", "10")]).await;
    let r = b
        .post(format!("{}/gestion/devis/{q}/dupliquer", app.base))
        .form(&[("csrf", csrf.as_str()), ("client_id", &b_id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_id: i64 = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/gestion/devis/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let copy = app.get(&app.admin, &format!("/api/v1/quotes/{new_id}")).await.body;
    let original = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body;
    assert_eq!(
        (copy["status"].as_str(), copy["client_id"].as_i64(), copy["version"].as_i64()),
        (Some("draft"), Some(b_id), Some(1))
    );
    assert_eq!(copy["lines"], original["lines"]);
    assert_ne!(copy["family_id"], original["family_id"], "a new quote, not a version");

    let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[7u8; 300][..]].concat();
    let form = immovr_testkit::reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part("logo", immovr_testkit::reqwest::multipart::Part::bytes(png.clone()).file_name("logo.png"));
    let r = b.post(format!("{}/gestion/parametres/logo", app.base)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let logo = app.http.get(format!("{}/logo", app.base)).send().await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().to_vec(), png);
    let form = immovr_testkit::reqwest::multipart::Form::new().text("csrf", csrf.clone()).part(
        "logo",
        immovr_testkit::reqwest::multipart::Part::bytes(b"%PDF-1.4 not an image".to_vec()).file_name("logo.png"),
    );
    let r = b.post(format!("{}/gestion/parametres/logo", app.base)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let company = app.get(&app.admin, "/api/v1/settings/company").await.body;
    assert_eq!(company["logo_content_type"], "image/png", "a refused logo keeps the previous one");
});

both!(the_requests_list_reads_like_the_request, async |app: &TestApp| {
    let item = json!({"code": "VISITE-360", "kind": "service", "label_fr": "Visite virtuelle 360°", "label_en": "360° tour",
        "unit": "forfait", "unit_price": "390", "vat_rate": "20"});
    assert_eq!(app.post(&app.admin, "/api/v1/catalogue", item).await.status, StatusCode::CREATED);
    let (client_id, client) = app.signup("Liste Lisible").await;
    let request = app
        .post(
            &client,
            "/api/v1/quote-requests",
            json!({"property_type": "Maison", "property_address": "3 rue Claire, Lyon",
            "wanted": ["VISITE-360"], "wished_date": "2026-07-01"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let (studio, _) = staff_browser(app, "ventes@studio.example", &[Role::Sales]).await;
    let list = |b: &Client| b.get(format!("{}/gestion/demandes", app.base)).send();
    let page = list(&studio).await.unwrap().text().await.unwrap();
    assert!(page.contains("Visite virtuelle 360°") && !page.contains(">VISITE-360<"), "labels, not codes");
    assert!(page.contains("souhaité le 01/07/2026"), "the wished date");
    assert!(page.contains("Établir le devis"));
    // Once quoted, the request offers no second quote.
    let quote = app
        .post(&app.admin, "/api/v1/quotes", json!({"client_id": client_id, "request_id": request.id(), "title": "Visite",
            "lines": [{"description": "Visite", "quantity": "1", "unit": "forfait", "unit_price": "390", "vat_rate": "20"}]}))
        .await;
    assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    assert_eq!(
        app.post(&app.admin, &format!("/api/v1/quotes/{}/send", quote.id()), json!({})).await.status,
        StatusCode::OK
    );
    let page = list(&studio).await.unwrap().text().await.unwrap();
    assert!(!page.contains("Établir le devis"), "{page}");
});

// The quote builder answers a refused draft with every refusal, line by line, in French, and
// shows the draft as typed (a number that could not be read included); nothing is created.
both!(the_builder_gives_every_refusal_and_keeps_the_draft, async |app: &TestApp| {
    let (client_id, _) = app.signup("Brouillon Refusé").await;
    let (studio, csrf) = staff_browser(app, "devis@studio.example", &[Role::Sales]).await;
    let client = client_id.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("client_id", client.as_str()),
        ("title", ""),
        ("description", "Visite virtuelle"),
        ("quantity", "deux"),
        ("unit", "forfait"),
        ("unit_price", "390"),
        ("discount", ""),
        ("vat_rate", "20"),
        ("description", "Plan 2D"),
        ("quantity", "1"),
        ("unit", "forfait"),
        ("unit_price", "-5"),
        ("discount", ""),
        ("vat_rate", "19.6"),
    ];
    let r = studio.post(format!("{}/gestion/devis", app.base)).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for (link, french) in [
        ("#b-title", "à renseigner"),
        ("#l0-quantity", "pas un nombre"),
        ("#l1-unit_price", "entre 0 et 100000000"),
        ("#l1-vat_rate", "l’un des taux"),
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "the summary links to {link}: {html}");
        assert!(html.contains(french), "{french}");
    }
    assert!(html.contains("value=\"deux\""), "the number that could not be read is shown as typed");
    assert!(html.contains("value=\"Plan 2D\"") && html.contains("value=\"-5\""), "every line stays");
    assert!(app.list(&app.admin, "/api/v1/quotes").await.is_empty(), "nothing was created");
});

// The studio's front door and its legal texts: a public home from the settings and the
// catalogue; CGV, legal notice and privacy policy published by an admin as versions, each still
// readable; the acceptance of a quote keeps the version of the CGV in force.
both!(public_home_and_versioned_legal_texts, async |app: &TestApp| {
    let item = json!({"code": "VISITE-360", "kind": "service", "label_fr": "Visite virtuelle 360°", "label_en": "360° tour",
        "unit": "forfait", "unit_price": "390", "vat_rate": "20"});
    assert_eq!(app.post(&app.admin, "/api/v1/catalogue", item).await.status, StatusCode::CREATED);
    let visitor = Client::builder().redirect(redirect::Policy::none()).build().unwrap();
    let get = async |b: &Client, path: &str| {
        let r = b.get(format!("{}{path}", app.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let (status, home) = get(&visitor, "/").await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "Visite virtuelle 360°",
        "Votre projet en cinq étapes",
        "href=\"/inscription\"",
        "href=\"/cgv\"",
        "href=\"/mentions-legales\"",
        "href=\"/confidentialite\"",
        "Nous contacter",
    ] {
        assert!(home.contains(shown), "the home shows {shown}");
    }
    let (_, model) = get(&visitor, "/cgv").await;
    assert!(model.contains("Modèle proposé par immovr"), "until the studio publishes, immovr's model");

    // An admin publishes two versions; sales may not.
    let (admin, csrf) = staff_browser(app, "gerance@studio.example", &[Role::Admin]).await;
    let publish = async |b: &Client, csrf: &str, body: &str| {
        b.post(format!("{}/gestion/textes-legaux/cgv", app.base))
            .form(&[("csrf", csrf), ("body", body)])
            .send()
            .await
            .unwrap()
    };
    let empty = publish(&admin, &csrf, "   ").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("à renseigner"), "refused in French");
    assert_eq!(publish(&admin, &csrf, "Objet\n\nPremière version.").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(publish(&admin, &csrf, "Objet\n\nDeuxième version.").await.status(), StatusCode::SEE_OTHER);
    let (sales, sales_csrf) = staff_browser(app, "ventes-cgv@studio.example", &[Role::Sales]).await;
    assert_eq!(publish(&sales, &sales_csrf, "Pirate").await.status(), StatusCode::FORBIDDEN);
    let (_, current) = get(&visitor, "/cgv").await;
    assert!(current.contains("Deuxième version.") && current.contains("Version 2"), "{current}");
    assert!(current.contains("<h2>Objet</h2>"), "a short line alone is a heading");
    let (_, first) = get(&visitor, "/cgv/v/1").await;
    assert!(first.contains("Première version."), "an earlier version stays readable");
    assert_eq!(get(&visitor, "/cgv/v/9").await.0, StatusCode::NOT_FOUND);

    // The acceptance keeps the version in force.
    let (client_id, client) = app.signup("Accord CGV").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let accepted = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let quote = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await;
    assert_eq!(quote.body["acceptance"]["terms_version"], 2, "{}", quote.body);
    let audit = app.list(&app.admin, "/api/v1/audit?entity_kind=quote").await;
    let event = audit.iter().find(|e| e["action"] == "quote.accepted").expect("the acceptance's event");
    assert_eq!(event["detail"]["terms_version"], 2, "the audit keeps it too");
});

// Less friction for the studio: the request beside the builder, "Enregistrer et envoyer" in one
// step, and a box to tick before an irreversible action.
both!(the_builder_shows_the_request_and_saves_and_sends_in_one_step, async |app: &TestApp| {
    let (client_id, client) = app.signup("Un Pas").await;
    let request = app
        .post(
            &client,
            "/api/v1/quote-requests",
            json!({"property_type": "Péniche", "property_address": "Quai de la Gare, Paris",
            "wanted": [], "notes": "Accès par la passerelle"}),
        )
        .await;
    assert_eq!(request.status, StatusCode::CREATED, "{}", request.body);
    let (studio, csrf) =
        staff_browser(app, "unpas@studio.example", &[Role::Sales, Role::Accounting, Role::Production]).await;
    let builder = studio
        .get(format!("{}/gestion/devis/nouveau?demande={}", app.base, request.id()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(builder.contains("La demande du client") && builder.contains("Accès par la passerelle"), "{builder}");
    let client_s = client_id.to_string();
    let request_s = request.id().to_string();
    let r = studio
        .post(format!("{}/gestion/devis", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("client_id", client_s.as_str()),
            ("request_id", request_s.as_str()),
            ("title", "Péniche"),
            ("description", "Visite virtuelle"),
            ("quantity", "1"),
            ("unit", "forfait"),
            ("unit_price", "390"),
            ("discount", ""),
            ("vat_rate", "20"),
            ("then", "send"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let quotes = app.list(&app.admin, "/api/v1/quotes").await;
    assert_eq!(quotes.len(), 1);
    assert_eq!(quotes[0]["status"], "sent", "saved and sent in one step");

    // A credit note is issued only once its box is ticked.
    let q = quotes[0]["id"].as_i64().unwrap();
    let accepted = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let order = app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await;
    let order = order.body["order_id"].as_i64().unwrap();
    assert_eq!(app.upload(order, "visite.zip", b"PK\x03\x04 visite").await.status, StatusCode::CREATED);
    let delivered = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    let invoice = delivered.body["invoice"]["id"].as_i64().unwrap();
    let path = format!("{}/gestion/factures/{invoice}/avoir", app.base);
    let unconfirmed = studio.post(&path).form(&[("csrf", csrf.as_str()), ("reason", "Erreur")]).send().await.unwrap();
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.text().await.unwrap().contains("cochez la case pour confirmer"));
    assert_eq!(app.get(&app.admin, &format!("/api/v1/invoices/{invoice}")).await.body["status"], "issued");
    let confirmed = studio
        .post(&path)
        .form(&[("csrf", csrf.as_str()), ("reason", "Erreur"), ("confirm", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&app.admin, &format!("/api/v1/invoices/{invoice}")).await.body["status"], "cancelled");
});

//! Hostile text in every text field of every write, on both databases: NUL (PostgreSQL cannot
//! store it), other control characters, line breaks in single-line fields (they end up in email
//! headers), bidirectional overrides (they disguise what a document shows) — each refused with
//! 422 naming the field, never a server error, and nothing changed. Then the identifiers with
//! wrong checksums the company settings and the clients must refuse.

use immovr_testkit::reqwest::Method;

use super::*;

/// Refused everywhere.
const ANYWHERE: [&str; 4] = ["a\u{0}b", "\u{0}", "a\u{1b}[2Jb", "a\u{202E}b"];
/// Refused in single-line fields, too.
const SINGLE_LINE: [&str; 2] = ["Ana\r\nBcc: victim@example.com", "a\tb"];

/// Sets the field at `pointer` (`/client/name`) of `body` to `value`.
fn with(body: &Value, pointer: &str, value: &str) -> Value {
    let mut b = body.clone();
    *b.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in {body}")) = json!(value);
    b
}

/// `/lines/0/unit` → `lines[0].unit`, as errors name fields.
fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// Sends each hostile value in each field: every answer a 422 naming the field.
async fn refuse_each(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: &Value,
    single_lines: &[&str],
    texts: &[&str],
) {
    let fields = single_lines.iter().map(|f| (f, true)).chain(texts.iter().map(|f| (f, false)));
    for (pointer, single) in fields {
        let values = ANYWHERE.iter().chain(if single { SINGLE_LINE.iter() } else { [].iter() });
        for value in values {
            let a = app.send(method.clone(), token, path, Some(&with(body, pointer, value)), None).await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path} {pointer}={value:?}: {}", a.body);
            let field = field_name(pointer);
            let named = a.body["field"].as_str().unwrap_or_default();
            // Sign-up and client creation nest the client: its fields are named as the domain knows them.
            assert!(field.ends_with(named) || named.ends_with(&field), "{path} {pointer}: named {named:?}");
        }
    }
}

both!(hostile_text_is_refused_in_every_field, async |app: &TestApp| {
    let admin = app.admin.clone();
    let (client_id, client) = app.signup("Hostile").await;
    let quote = app.sent_quote(client_id, &[("Rendu 3D", "1", "450.00", "20")]).await;
    let token = client.clone();
    let accepted = |q| {
        let (path, token) = (format!("/api/v1/quotes/{q}/accept"), token.clone());
        async move { app.post(&token, &path, TestApp::signature()).await.body["purchase_order"]["id"].as_i64().unwrap() }
    };
    let pending_po = accepted(app.sent_quote(client_id, &[("Drone", "1", "300.00", "20")]).await).await;
    let validate = |po: i64| {
        let path = format!("/api/v1/purchase-orders/{po}/validate");
        async move { app.post(&app.admin, &path, json!({})).await.body["order_id"].as_i64().unwrap() }
    };
    let open_order =
        validate(accepted(app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await).await).await;
    let delivered = validate(accepted(app.sent_quote(client_id, &[("Plans", "1", "200.00", "20")]).await).await).await;
    app.upload(delivered, "plans.zip", b"plans").await;
    let invoice =
        app.post(&admin, &format!("/api/v1/orders/{delivered}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap();
    let stage =
        app.get(&admin, &format!("/api/v1/orders/{open_order}")).await.body["stages"][0]["id"].as_i64().unwrap();
    let audit = app.count("audit").await;
    let outbox = app.count("outbox").await;

    let address = json!({"line1": "1 rue A", "line2": "Bât. B", "postcode": "69001", "city": "Lyon", "country": "FR"});
    let new_client = json!({"kind": "company", "name": "Ana", "email": "ana@client.example", "phone": "01 23 45 67 89",
        "company_name": "Ana SARL", "siren": "732829320", "billing_address": address});
    let client_fields = [
        "/name",
        "/email",
        "/phone",
        "/company_name",
        "/siren",
        "/siret",
        "/vat_number",
        "/billing_address/line1",
        "/billing_address/line2",
        "/billing_address/postcode",
        "/billing_address/city",
        "/billing_address/country",
    ];
    let mut with_siret = new_client.clone();
    with_siret["siret"] = json!("73282932000074");
    with_siret["vat_number"] = json!("FR44732829320");
    let signup = json!({"client": with_siret, "password": "a long enough password"});
    let nested: Vec<String> = client_fields.iter().map(|f| format!("/client{f}")).collect();
    let nested: Vec<&str> = nested.iter().map(String::as_str).collect();
    refuse_each(app, "", Method::POST, "/api/v1/auth/signup", &signup, &nested, &[]).await;
    refuse_each(app, &admin, Method::POST, "/api/v1/clients", &json!({"client": with_siret}), &nested, &[]).await;

    let request = json!({"property_type": "Maison", "property_address": "1 rue A, Lyon", "wanted": ["RENDU-3D"], "notes": "Jardin"});
    refuse_each(
        app,
        &client,
        Method::POST,
        "/api/v1/quote-requests",
        &request,
        &["/property_type", "/wanted/0"],
        &["/property_address", "/notes"],
    )
    .await;

    let line = json!({"code": "RENDU-3D", "description": "Rendu", "quantity": "1", "unit": "image", "unit_price": "450", "vat_rate": "20"});
    let new_quote = json!({"client_id": client_id, "title": "Rendus", "notes": "n", "lines": [line]});
    refuse_each(
        app,
        &admin,
        Method::POST,
        "/api/v1/quotes",
        &new_quote,
        &["/title", "/lines/0/unit", "/lines/0/code"],
        &["/notes", "/lines/0/description"],
    )
    .await;

    let path = format!("/api/v1/quotes/{quote}/messages");
    refuse_each(app, &client, Method::POST, &path, &json!({"body": "Bonjour"}), &[], &["/body"]).await;
    let path = format!("/api/v1/quotes/{quote}/refuse");
    let refusal = json!({"kind": "changes_requested", "comment": "Plus grand"});
    refuse_each(app, &client, Method::POST, &path, &refusal, &[], &["/comment"]).await;
    let path = format!("/api/v1/quotes/{quote}/accept");
    let acceptance = json!({"signer_name": "Ana", "consent": true, "terms_accepted": true});
    refuse_each(app, &client, Method::POST, &path, &acceptance, &["/signer_name"], &[]).await;

    let item = json!({"code": "X-1", "kind": "service", "label_fr": "Rendu", "label_en": "Render", "unit": "image", "unit_price": "10", "vat_rate": "20"});
    refuse_each(
        app,
        &admin,
        Method::POST,
        "/api/v1/catalogue",
        &item,
        &["/code", "/label_fr", "/label_en", "/unit"],
        &[],
    )
    .await;

    let path = format!("/api/v1/purchase-orders/{pending_po}/cancel");
    refuse_each(app, &admin, Method::POST, &path, &json!({"reason": "Doublon"}), &[], &["/reason"]).await;
    let path = format!("/api/v1/orders/{open_order}/stages/{stage}");
    let plan = json!({"planned_date": "2026-07-01", "assignee": "Léa", "notes": "Clés chez le gardien"});
    refuse_each(app, &admin, Method::PUT, &path, &plan, &["/assignee"], &["/notes"]).await;
    let path = format!("/api/v1/invoices/{invoice}/payments");
    let transfer = json!({"method": "transfer", "amount": "10", "date": "2026-06-15", "reference": "VIR 1"});
    refuse_each(app, &admin, Method::POST, &path, &transfer, &["/reference"], &[]).await;
    let cheque = json!({"method": "cheque", "amount": "10", "cheque_number": "123", "bank": "Banque", "received_date": "2026-06-15"});
    refuse_each(app, &admin, Method::POST, &path, &cheque, &["/cheque_number", "/bank"], &[]).await;
    let path = format!("/api/v1/invoices/{invoice}/credit-notes");
    refuse_each(app, &admin, Method::POST, &path, &json!({"reason": "Erreur"}), &[], &["/reason"]).await;

    let company = app.get(&admin, "/api/v1/settings/company").await.body;
    let company_lines = [
        "/trade_name",
        "/legal_name",
        "/legal_form",
        "/share_capital",
        "/siren",
        "/siret",
        "/rcs",
        "/vat_number",
        "/address/line1",
        "/address/postcode",
        "/address/city",
        "/email",
        "/phone",
        "/iban",
        "/bic",
        "/account_holder",
        "/cheque_payee",
        "/cheque_address/city",
        "/quote_prefix",
        "/stage_template/0/label_fr",
    ];
    refuse_each(
        app,
        &admin,
        Method::PUT,
        "/api/v1/settings/company",
        &company,
        &company_lines,
        &["/late_payment_wording"],
    )
    .await;

    // What is looked up rather than stored: a search, a filter, an email at login.
    for path in ["/api/v1/quotes?q=a%00b", "/api/v1/clients?q=%1B", "/api/v1/audit?entity_kind=a%00"] {
        let a = app.get(&admin, path).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", a.body);
    }
    let login = app.post("", "/api/v1/auth/login", json!({"email": "a\u{0}@b.fr", "password": "x"})).await;
    assert!(login.status.is_client_error(), "{}", login.body);

    assert_eq!(app.count("audit").await, audit, "nothing changed");
    assert_eq!(app.count("outbox").await, outbox);
    let settings = app.get(&admin, "/api/v1/settings/company").await.body;
    assert_eq!(settings, company);
});

both!(identifiers_with_wrong_checksums_are_refused, async |app: &TestApp| {
    let admin = app.admin.clone();
    let company = app.get(&admin, "/api/v1/settings/company").await.body;
    let bad = [
        ("/iban", json!("FR76 3000 6000 0112 3456 7890 188"), "iban"),
        ("/bic", json!("AGR"), "bic"),
        ("/siren", json!("123456789"), "siren"),
        ("/siret", json!("00000000000001"), "siret"),
        ("/vat_number", json!("XX"), "vat_number"),
        ("/vat_number", json!("FR45000000000"), "vat_number"),
        ("/vat_rates/0", json!("-5"), "vat_rates[0]"),
        ("/vat_rates/0", json!("1000"), "vat_rates[0]"),
        ("/default_vat_rate", json!("19.6"), "default_vat_rate"),
        ("/trade_name", json!(""), "trade_name"),
        ("/email", json!("studio@immovr.example\r\nBcc: x@y.z"), "email"),
        ("/email", json!("not an email"), "email"),
        ("/phone", json!("12"), "phone"),
        ("/address/postcode", json!("ABCDE"), "address.postcode"),
        ("/address/country", json!("ZZ"), "address.country"),
        ("/payment_terms_days", json!(90), "payment_terms_days"),
    ];
    for (pointer, value, field) in bad {
        let mut body = company.clone();
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let a = app.put(&admin, "/api/v1/settings/company", body).await;
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{pointer}={value}"
        );
    }
    // A real company's identifiers pass, normalised.
    let mut good = company.clone();
    good["siren"] = json!("732 829 320");
    good["siret"] = json!("732 829 320 00074");
    good["vat_number"] = json!("fr 44 732829320");
    good["iban"] = json!("fr7630006000011234567890189");
    let saved = app.put(&admin, "/api/v1/settings/company", good).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(
        (&saved.body["siren"], &saved.body["vat_number"], &saved.body["iban"]),
        (&json!("732829320"), &json!("FR44732829320"), &json!("FR76 3000 6000 0112 3456 7890 189"))
    );

    // A client's: SIRET of another SIREN, VAT number of another company, a bad postcode.
    let client = |f: &str, v: Value| {
        let mut c = json!({"kind": "company", "name": "Bé", "email": format!("{f}@client.example"), "company_name": "Bé SA",
            "siren": "732829320", "billing_address": {"line1": "1 rue A", "postcode": "69001", "city": "Lyon"}});
        c[f] = v;
        json!({"client": c})
    };
    for (field, value) in [
        ("siret", json!("12345678200002")),
        ("vat_number", json!("FR11123456782")),
        ("siren", json!("732829321")),
        ("phone", json!("call me")),
        ("billing_address", json!({"line1": "1 rue A", "postcode": "ABCDE", "city": "Lyon"})),
    ] {
        let a = app.post(&admin, "/api/v1/clients", client(field, value)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", a.body);
        assert!(a.body["field"].as_str().unwrap().starts_with(field), "{field}: {}", a.body);
    }
    assert_eq!(
        app.post(&admin, "/api/v1/clients", client("siret", json!("73282932000074"))).await.status,
        StatusCode::CREATED
    );
});

//! The access matrix, generated from the router: every operation of the served OpenAPI document
//! (which the router builds), called as anonymous, as another client, and as each staff role, on
//! the records of one client. Anonymous callers get 401; the other client gets 403 or 404 on
//! the owner's records and never a byte of them in a list; a staff role without the operation's
//! role gets 403; nothing refused changes a row. A new route without its line in `need` fails.

use immovr_core::model::Role as R;
use reqwest::Method;

use super::*;

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Need {
    /// Anyone (signing in and up).
    Public,
    /// Any signed-in caller; a client sees only their own records.
    SignedIn,
    /// The client whose record it is (acceptance, refusal).
    OwnerClient,
    /// Any staff member (and the owner client, for reads of their records).
    Staff,
    /// Staff with this role (admins have every role).
    Role(R),
}

fn need(method: &Method, path: &str) -> Need {
    use Need::*;
    let m = method.as_str();
    match (m, path) {
        // Signing out without a session signs nobody out.
        (
            "POST",
            "/api/v1/auth/login" | "/api/v1/auth/signup" | "/api/v1/auth/signup/confirm" | "/api/v1/auth/logout",
        ) => Public,
        ("GET", "/api/v1/me" | "/api/v1/messages/unread") | ("POST", "/api/v1/auth/logout-all") => SignedIn,
        ("GET", "/api/v1/audit" | "/api/v1/outbox")
        | ("POST", "/api/v1/outbox/{id}/retry" | "/api/v1/clients/{id}/erasure") => Role(R::Admin),
        ("POST", "/api/v1/clients/{id}/erasure-request") => OwnerClient,
        // Every staff member reads the studio's settings and its clients' details; sales keep the
        // catalogue and the client list.
        ("PUT", "/api/v1/settings/company") => Role(R::Admin),
        ("POST", "/api/v1/catalogue" | "/api/v1/clients") | ("PATCH", "/api/v1/catalogue/{id}") => Role(R::Sales),
        ("GET", "/api/v1/catalogue") => SignedIn,
        (
            "POST",
            "/api/v1/quotes"
            | "/api/v1/quotes/{id}/send"
            | "/api/v1/quotes/{id}/revise"
            | "/api/v1/quotes/{id}/extend"
            | "/api/v1/quotes/{id}/offline-acceptance",
        )
        | ("PUT", "/api/v1/quotes/{id}") => Role(R::Sales),
        (
            "POST",
            "/api/v1/quotes/{id}/accept" | "/api/v1/quotes/{id}/refuse" | "/api/v1/purchase-orders/{id}/withdraw",
        ) => OwnerClient,
        ("POST", "/api/v1/purchase-orders/{id}/validate" | "/api/v1/purchase-orders/{id}/cancel")
        | ("PUT", "/api/v1/orders/{id}/contact") => Role(R::Sales),
        ("POST", "/api/v1/orders/{id}/deliver" | "/api/v1/orders/{id}/stages/{stage_id}/done")
        | ("PUT", "/api/v1/orders/{id}/stages/{stage_id}" | "/api/v1/orders/{id}/files/{filename}") => {
            Role(R::Production)
        }
        ("POST", "/api/v1/orders/{id}/invoice")
        | ("POST", "/api/v1/invoices/{id}/payments" | "/api/v1/invoices/{id}/credit-notes") => Role(R::Accounting),
        ("POST", "/api/v1/quote-requests") => SignedIn,
        ("POST", p) if p.ends_with("/messages") => Staff,
        ("GET", _) => Staff,
        _ => panic!("{m} {path}: a new operation — say who may call it in `need`"),
    }
}

/// Tables a refused call may touch: when a session or token was last used.
const VOLATILE: &[&str] = &["sessions", "api_tokens"];

// Without the background workers: no sealer, mailer or renderer writes while the tables are
// compared (a read renders what it serves).
both!(
    every_route_refuses_other_clients_anonymous_callers_and_missing_roles,
    with | c | c.run_workers = false,
    async |app: &TestApp| {
        // The owner's records: a request, an accepted quote with its order (a stage, a delivered
        // file, an invoice, a credit note), an open quote, messages.
        let (owner_id, owner) = app.signup("Alphonse Confidentiel").await;
        let (browser, csrf, _) = app.browser_login("alphonseconfidentiel@client.example", "client-password").await;
        let plan = b"%PDF-1.7\n% plan confidentiel\n".to_vec();
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("property_type", "Maison")
            .text("property_address", "9 rue Secrète, Lyon")
            .text("notes", "Code du portail 4711")
            .part("attachments", reqwest::multipart::Part::bytes(plan).file_name("plan confidentiel.pdf"));
        let sent = browser.post(format!("{}/compte/demandes", app.base)).multipart(form).send().await.unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let request = &app.get(&app.admin, "/api/v1/quote-requests").await.body["items"][0];
        let (request_id, attachment_id) =
            (request["id"].as_i64().unwrap(), request["attachments"][0]["id"].as_i64().unwrap());
        let accepted = app.sent_quote(owner_id, &[("Visite confidentielle", "1", "390", "20")]).await;
        let po = app.post(&owner, &format!("/api/v1/quotes/{accepted}/accept"), TestApp::signature()).await.body
        ["purchase_order"]["id"]
        .as_i64()
        .unwrap();
        let order =
            app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
                .as_i64()
                .unwrap();
        let uploaded = app.upload(order, "rendu-confidentiel.zip", &[5u8; 300]).await;
        let file_id = uploaded.body["deliverables"][0]["id"].as_i64().unwrap();
        let stage_id = uploaded.body["stages"][0]["id"].as_i64().unwrap();
        let invoice = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]
            ["id"]
            .as_i64()
            .unwrap();
        let credit = app
            .post(
                &app.admin,
                &format!("/api/v1/invoices/{invoice}/credit-notes"),
                json!({"reason": "Erreur confidentielle"}),
            )
            .await;
        assert_eq!(credit.status, StatusCode::CREATED, "{}", credit.body);
        let open = app.sent_quote(owner_id, &[("Plan confidentiel", "1", "120", "20")]).await;
        // A quote accepted on paper, recorded by the studio with the signed scan.
        let on_paper = app.sent_quote(owner_id, &[("Rendu confidentiel", "1", "450", "20")]).await;
        let scan = reqwest::multipart::Form::new()
            .text("signer_name", "Alphonse Confidentiel")
            .text("signed_on", "2026-06-15")
            .text("channel", "paper")
            .part(
                "evidence",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 signature confidentielle".to_vec())
                    .file_name("bon confidentiel.pdf"),
            );
        let recorded = app
            .http
            .post(format!("{}/api/v1/quotes/{on_paper}/offline-acceptance", app.base))
            .bearer_auth(&app.admin)
            .multipart(scan)
            .send()
            .await
            .unwrap();
        assert_eq!(recorded.status(), StatusCode::CREATED);
        app.post(&owner, &format!("/api/v1/quotes/{open}/messages"), json!({"body": "Message confidentiel"})).await;
        app.post(&owner, &format!("/api/v1/orders/{order}/messages"), json!({"body": "Message confidentiel"})).await;
        let catalogue_item = app
            .post(
                &app.admin,
                "/api/v1/catalogue",
                json!({"code": "VISITE", "kind": "service", "label_fr": "Visite",
            "label_en": "Tour", "unit": "forfait", "unit_price": "390", "vat_rate": "20"}),
            )
            .await;
        assert_eq!(catalogue_item.status, StatusCode::CREATED, "{}", catalogue_item.body);
        let catalogue_item = catalogue_item.id();
        let outbox = app.list(&app.admin, "/api/v1/outbox").await[0]["id"].as_i64().unwrap();
        let company = app.get(&app.admin, "/api/v1/settings/company").await.body;
        let markers = ["Alphonse", "alphonseconfidentiel", "Secrète", "4711", "confidenti"];

        let (_, other) = app.signup("Bertrand Voisin").await;
        let mut staff = Vec::new();
        for role in [R::Sales, R::Production, R::Accounting] {
            staff.push((role, app.staff(&format!("{}@studio.example", role.as_str()), &[role]).await));
        }

        let doc = app.get("", "/api/v1/openapi.json").await.body;
        let mut operations = Vec::new();
        for (template, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                    continue;
                }
                let id = match template.split('/').nth(3).unwrap() {
                    "catalogue" => catalogue_item,
                    "clients" => owner_id,
                    "credit-notes" => credit.id(),
                    "invoices" => invoice,
                    "orders" => order,
                    "outbox" => outbox,
                    "purchase-orders" => po,
                    "quote-requests" => request_id,
                    "quotes" if template.contains("accepted-pdf") => accepted,
                    "quotes" if template.contains("offline-acceptance") => on_paper,
                    "quotes" => open,
                    _ => 0,
                };
                let file = if template.starts_with("/api/v1/quote-requests") { attachment_id } else { file_id };
                let path = template
                    .replace("{id}", &id.to_string())
                    .replace("{file_id}", &file.to_string())
                    .replace("{stage_id}", &stage_id.to_string())
                    .replace("{filename}", "autre.zip");
                let body = match (method.as_str(), template.as_str()) {
                    ("POST", "/api/v1/catalogue") => {
                        json!({"code": "X-1", "kind": "option", "label_fr": "X", "label_en": "X",
                    "unit": "forfait", "unit_price": "1", "vat_rate": "20"})
                    }
                    ("PATCH", _) => json!({"label_fr": "Changé"}),
                    ("POST", "/api/v1/clients") => {
                        json!({"client": {"kind": "person", "name": "Intrus", "email": "intrus@client.example"}})
                    }
                    ("POST", "/api/v1/quotes") => {
                        json!({"client_id": owner_id, "title": "Intrus", "lines": [{"description": "X",
                    "quantity": "1", "unit": "forfait", "unit_price": "1", "vat_rate": "20"}]})
                    }
                    ("PUT", "/api/v1/quotes/{id}") => json!({"title": "Intrus", "lines": [{"description": "X",
                    "quantity": "1", "unit": "forfait", "unit_price": "1", "vat_rate": "20"}]}),
                    ("POST", "/api/v1/quotes/{id}/accept") => TestApp::signature(),
                    ("POST", "/api/v1/quotes/{id}/refuse") => json!({"kind": "decline"}),
                    ("POST", "/api/v1/quotes/{id}/extend") => json!({"valid_until": "2026-12-31"}),
                    ("POST", p) if p.ends_with("/messages") => json!({"body": "Intrus"}),
                    ("POST", "/api/v1/purchase-orders/{id}/cancel") => json!({"reason": "Intrus"}),
                    ("POST", "/api/v1/invoices/{id}/credit-notes") => json!({"reason": "Intrus"}),
                    ("POST", "/api/v1/invoices/{id}/payments") => {
                        json!({"method": "transfer", "amount": "1", "date": "2026-06-15", "reference": "Intrus"})
                    }
                    ("PUT", "/api/v1/orders/{id}/stages/{stage_id}") => json!({"planned_date": "2026-06-20"}),
                    ("PUT", "/api/v1/settings/company") => company.clone(),
                    ("POST", "/api/v1/quote-requests") => {
                        json!({"property_type": "Maison", "property_address": "1 rue B, Lyon"})
                    }
                    _ => json!({}),
                };
                let need = need(&method, template);
                operations.push((method, template.clone(), path, body, need));
            }
        }
        assert!(operations.len() >= 50, "{} operations", operations.len());

        let mut calls = Vec::new();
        for (method, template, path, body, need) in &operations {
            let writes = method != Method::GET;
            let mut callers: Vec<(String, &str, Vec<StatusCode>)> = Vec::new();
            // Anonymous: signed out.
            if *need != Need::Public {
                callers.push(("anonymous".into(), "", vec![StatusCode::UNAUTHORIZED]));
            }
            // Another client, on the owner's records; in lists, only their own.
            let other_may = match need {
                Need::Public => None,
                // Their own request or session: a change that is theirs, not refused.
                _ if writes && !template.contains('{') && *need == Need::SignedIn => None,
                _ if template.contains('{') => Some(vec![StatusCode::NOT_FOUND, StatusCode::FORBIDDEN]),
                Need::SignedIn | Need::Staff if !writes => Some(vec![StatusCode::OK, StatusCode::FORBIDDEN]),
                _ => Some(vec![StatusCode::FORBIDDEN]),
            };
            if let Some(expected) = other_may {
                callers.push(("other client".into(), other.as_str(), expected));
            }
            // Staff roles without the operation's role; the others read.
            for (role, token) in &staff {
                match need {
                    Need::Role(r) if r != role => {
                        callers.push((format!("{role:?}"), token, vec![StatusCode::FORBIDDEN]))
                    }
                    Need::OwnerClient => callers.push((format!("{role:?}"), token, vec![StatusCode::FORBIDDEN])),
                    _ if !writes => callers.push((format!("{role:?}"), token, vec![StatusCode::OK])),
                    _ => {}
                }
            }
            for (who, token, expected) in callers {
                calls.push((who, token, expected, method, template, path, body));
            }
        }
        // The reads staff may make first (a read may render a document, mark a message read);
        // then every refused call, and nothing may change.
        let (reads, refused): (Vec<_>, Vec<_>) = calls.into_iter().partition(|c| c.2 == [StatusCode::OK]);
        let mut wrong = Vec::new();
        let mut count = 0;
        let mut before = None;
        for (who, token, expected, method, template, path, body) in reads.into_iter().chain(refused) {
            if expected != [StatusCode::OK] && before.is_none() {
                app.documents.render_pending().await;
                before = Some(TestApp::table_rows(app.config().0, app.config().1).await);
            }
            let writes = method != Method::GET;
            let with_body = writes && !template.contains("{filename}");
            {
                count += 1;
                let res = if template.contains("{filename}") {
                    let mut req = app.http.put(format!("{}{path}", app.base)).body(vec![1u8; 10]);
                    if !token.is_empty() {
                        req = req.bearer_auth(token);
                    }
                    let res = req.send().await.unwrap();
                    (res.status(), res.text().await.unwrap_or_default())
                } else {
                    let a = app.send(method.clone(), token, path, with_body.then_some(body), None).await;
                    (a.status, a.body.to_string())
                };
                let (status, text) = res;
                let leaked = who == "other client" && markers.iter().any(|m| text.contains(m));
                if !expected.contains(&status) || leaked {
                    wrong.push(format!(
                        "{who} {method} {path}: {status} (expected {expected:?}){}",
                        if leaked { format!(" LEAKS {text}") } else { String::new() }
                    ));
                }
            }
        }
        let (before, after) = (before.unwrap(), TestApp::table_rows(app.config().0, app.config().1).await);
        let changed: Vec<&String> =
            after.keys().filter(|t| !VOLATILE.contains(&t.as_str()) && before.get(*t) != after.get(*t)).collect();
        assert!(wrong.is_empty(), "{} of {count} calls answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
        assert!(changed.is_empty(), "refused calls changed {changed:?}");
        assert!(count > 150, "{count} calls");
    }
);

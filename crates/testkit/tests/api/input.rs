//! Bad input gets a clear 4xx problem and changes nothing; clients only see their own records;
//! roles are enforced; the OpenAPI document is served.

use immovr_core::model::Role;

use super::*;

async fn raw(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value, String) {
    let mut req = app.http.post(format!("{}{path}", app.base)).bearer_auth(token).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, res.json().await.unwrap_or(Value::Null), ct)
}

async fn oversized_post(app: &TestApp, token: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf[..n]).to_string()
}

both!(bad_input_is_refused_and_changes_nothing, async |app: &TestApp| {
    let (client_id, _) = app.signup("Strict").await;
    let admin = &app.admin;
    let audit = app.count("audit").await;
    let outbox = app.count("outbox").await;
    let quotes = app.list(admin, "/api/v1/quotes").await.len();

    let (s, b, ct) =
        raw(app, admin, "/api/v1/quotes", Some("application/json"), b"{\"client_id\": 1, \"title\": ".to_vec()).await;
    assert_eq!((s, b["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
    assert_eq!(ct, "application/problem+json");
    assert_eq!(b["status"], 400);
    assert!(b["type"].as_str().unwrap().ends_with("/malformed_json"));

    let (s, b, _) = raw(app, admin, "/api/v1/quotes", None, b"{}".to_vec()).await;
    assert_eq!((s, b["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));

    let wrong_type = app.post(admin, "/api/v1/quotes", json!({"client_id": "one", "title": "x", "lines": []})).await;
    assert_eq!((wrong_type.status, wrong_type.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    assert!(wrong_type.body["detail"].as_str().unwrap().contains("client_id"), "{}", wrong_type.body);

    let line = |q: &str, p: &str| json!({"client_id": client_id, "title": "x", "lines": [{"description": "Rendu", "quantity": q, "unit": "image", "unit_price": p, "vat_rate": "20"}]});
    let negative = app.post(admin, "/api/v1/quotes", line("-2", "100")).await;
    assert_eq!(
        (negative.status, negative.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].quantity"))
    );
    let price = app.post(admin, "/api/v1/quotes", line("1", "-100")).await;
    assert_eq!(price.body["field"], "lines[0].unit_price");
    let not_a_number = app.post(admin, "/api/v1/quotes", line("beaucoup", "100")).await;
    assert_eq!(not_a_number.status, StatusCode::UNPROCESSABLE_ENTITY);
    let vat = app.post(admin, "/api/v1/quotes", json!({"client_id": client_id, "title": "x", "lines": [{"description": "Rendu", "quantity": "1", "unit": "u", "unit_price": "1", "vat_rate": "19.6"}]})).await;
    assert_eq!(vat.body["field"], "lines[0].vat_rate");
    let unknown_field = app
        .post(admin, "/api/v1/quotes", json!({"client_id": client_id, "title": "x", "lines": [], "total": "1"}))
        .await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_client =
        app.post(admin, "/api/v1/quotes", json!({"client_id": 999_999, "title": "x", "lines": []})).await;
    assert_eq!(
        (unknown_client.status, unknown_client.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("client_id"))
    );
    // With a request: still the client that is wrong, not the request.
    let with_request = app
        .post(admin, "/api/v1/quotes", json!({"client_id": 999_999, "request_id": 1, "title": "x", "lines": []}))
        .await;
    assert_eq!(
        (with_request.status, with_request.body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("client_id")),
        "{}",
        with_request.body
    );
    let other_request = app
        .post(
            admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "request_id": 999_999, "title": "x", "lines": []}),
        )
        .await;
    assert_eq!(other_request.body["field"], "request_id", "{}", other_request.body);
    let past = app
        .post(
            admin,
            "/api/v1/quotes",
            json!({"client_id": client_id, "title": "x", "valid_until": "2020-01-01", "lines": []}),
        )
        .await;
    assert_eq!(past.body["field"], "valid_until");

    // An oversized body is refused from its Content-Length, before it is read.
    let head = oversized_post(app, admin, "/api/v1/quotes").await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.to_lowercase().contains("content-type: application/problem+json"), "{head}");
    // And one that lies about its length (chunked) is cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..20).map(|_| Ok(vec![b' '; 100 * 1024])).collect();
    // Its own client: the server cuts this connection, which must not go back to a shared pool.
    let streamed = immovr_testkit::reqwest::Client::new()
        .post(format!("{}/api/v1/quotes", app.base))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body(immovr_testkit::reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await;
    if let Ok(res) = streamed {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    let missing = app.get(admin, "/api/v1/quotes/999999").await;
    assert_eq!((missing.status, missing.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(app.get(admin, "/api/v1/quotes/abc").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(admin, "/api/v1/quotes/999999/send", json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(
            admin,
            "/api/v1/invoices/999999/payments",
            json!({"method": "transfer", "amount": "1", "date": "2026-06-15", "reference": "r"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad_method = app.post(admin, "/api/v1/invoices/1/payments", json!({"method": "bitcoin", "amount": "1"})).await;
    assert_eq!(bad_method.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(admin, "/api/v1/nowhere").await.code(), "not_found");

    assert_eq!(app.list(admin, "/api/v1/quotes").await.len(), quotes);
    assert_eq!(app.count("audit").await, audit);
    assert_eq!(app.count("outbox").await, outbox);
});

both!(authentication_and_roles, async |app: &TestApp| {
    let (client_id, client) = app.signup("Roles").await;
    let anonymous = app.get("", "/api/v1/quotes").await;
    assert_eq!((anonymous.status, anonymous.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(app.get("imvt_forged", "/api/v1/quotes").await.status, StatusCode::UNAUTHORIZED);
    let bad_login = app
        .post("", "/api/v1/auth/login", json!({"email": "roles@client.example", "password": "wrong-password"}))
        .await;
    assert_eq!((bad_login.status, bad_login.code()), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    let login = app
        .post("", "/api/v1/auth/login", json!({"email": "Roles@Client.example", "password": "client-password"}))
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let session = login.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get(&session, "/api/v1/me").await.body["client"]["id"], client_id);
    assert_eq!(app.post(&session, "/api/v1/auth/logout", json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&session, "/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    let production = app.staff("prod@studio.example", &[Role::Production]).await;
    let accounting = app.staff("compta@studio.example", &[Role::Accounting]).await;
    let sales = app.staff("vente@studio.example", &[Role::Sales]).await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let draft = json!({"client_id": client_id, "title": "x", "lines": []});
    for (token, method, path, body) in [
        (&production, "POST", "/api/v1/quotes".to_string(), draft.clone()),
        (&accounting, "POST", format!("/api/v1/quotes/{q}/send"), json!({})),
        (&client, "POST", "/api/v1/quotes".to_string(), draft.clone()),
        (&client, "POST", "/api/v1/catalogue".to_string(), json!({})),
        (&client, "GET", "/api/v1/clients".to_string(), Value::Null),
        (
            &sales,
            "POST",
            "/api/v1/invoices/1/payments".to_string(),
            json!({"method": "transfer", "amount": "1", "date": "2026-06-15", "reference": "r"}),
        ),
        (&sales, "POST", "/api/v1/orders/1/deliver".to_string(), json!({})),
        (&sales, "GET", "/api/v1/audit".to_string(), Value::Null),
        (&production, "PUT", "/api/v1/settings/company".to_string(), json!({})),
        (&sales, "POST", format!("/api/v1/quotes/{q}/accept"), TestApp::signature()),
    ] {
        let a = match method {
            "GET" => app.get(token, &path).await,
            "PUT" => app.put(token, &path, body).await,
            _ => app.post(token, &path, body).await,
        };
        // Role checks come before reading the body, so even an empty body answers 403.
        assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "forbidden"), "{method} {path}: {}", a.body);
    }
    // The right role passes.
    let ok = app.post(&sales, "/api/v1/catalogue", json!({"code": "X-1", "kind": "option", "label_fr": "Option", "label_en": "Option", "unit": "u", "unit_price": "10", "vat_rate": "20"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
});

both!(a_client_never_sees_another_clients_records, async |app: &TestApp| {
    let (a_id, a) = app.signup("Alpha").await;
    let (_, b) = app.signup("Beta").await;
    let q = app.sent_quote(a_id, &[("Visite", "1", "390", "20")]).await;
    let accepted = app.post(&a, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    app.upload(&order, "a.zip", b"final files").await;
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap();
    let request = app
        .post(&a, "/api/v1/quote-requests", json!({"property_type": "Maison", "property_address": "1 rue A"}))
        .await
        .id();

    for path in [
        format!("/api/v1/quotes/{q}"),
        format!("/api/v1/quotes/{q}/messages"),
        format!("/api/v1/purchase-orders/{po}"),
        format!("/api/v1/orders/{order}"),
        format!("/api/v1/orders/{order}/messages"),
        format!("/api/v1/invoices/{invoice}"),
        format!("/api/v1/quote-requests/{request}"),
        format!("/api/v1/clients/{a_id}"),
    ] {
        assert_eq!(app.get(&a, &path).await.status, StatusCode::OK, "A sees {path}");
        let other = app.get(&b, &path).await;
        assert_eq!((other.status, other.code()), (StatusCode::NOT_FOUND, "not_found"), "B must not see {path}");
    }
    for (path, body) in [
        (format!("/api/v1/quotes/{q}/accept"), TestApp::signature()),
        (format!("/api/v1/quotes/{q}/refuse"), json!({"kind": "decline"})),
        (format!("/api/v1/quotes/{q}/messages"), json!({"body": "coucou"})),
        (format!("/api/v1/orders/{order}/messages"), json!({"body": "coucou"})),
    ] {
        assert_eq!(app.post(&b, &path, body).await.status, StatusCode::NOT_FOUND, "B must not act on {path}");
    }
    for list in
        ["/api/v1/quotes", "/api/v1/purchase-orders", "/api/v1/orders", "/api/v1/invoices", "/api/v1/quote-requests"]
    {
        assert_eq!(app.get(&b, list).await.body["items"].as_array().unwrap().len(), 0, "B's {list} is empty");
        assert_eq!(app.get(&a, list).await.body["items"].as_array().unwrap().len(), 1, "A's {list}");
    }
});

#[tokio::test]
async fn openapi_document_and_health() {
    let app = immovr_testkit::spawn_app(immovr_testkit::Backend::Sqlite).await.unwrap();
    let doc = app.get("", "/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc.body["openapi"]);
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/quotes/{id}/accept",
        "/api/v1/invoices/{id}/payments",
        "/api/v1/orders/{id}/deliver",
        "/api/v1/auth/login",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
    assert!(doc.body["components"]["schemas"]["Quote"].is_object());
    // Every list is a page, with its cursor, filters and search documented.
    for list in [
        "/api/v1/quotes",
        "/api/v1/invoices",
        "/api/v1/orders",
        "/api/v1/purchase-orders",
        "/api/v1/quote-requests",
        "/api/v1/clients",
        "/api/v1/audit",
        "/api/v1/outbox",
    ] {
        let get = &paths[list]["get"];
        let params: Vec<&str> =
            get["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        for p in ["limit", "cursor", "status", "client_id", "from", "to", "q"] {
            assert!(params.contains(&p), "{list} documents no {p}: {params:?}");
        }
        let ok = get["responses"]["200"]["content"]["application/json"]["schema"].to_string();
        assert!(ok.contains("Page"), "{list} answers a page: {ok}");
    }
    // Honest about what it answers: every error a problem document, the errors of the
    // extractors and layers listed, ids as 64-bit integers, uploads as binary, strict inputs.
    let text = doc.body.to_string();
    assert!(!text.contains("#/components/schemas/i64") && doc.body["components"]["schemas"].get("i64").is_none());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let types: Vec<&String> = r["content"].as_object().unwrap().keys().collect();
                    assert_eq!(types, ["application/problem+json"], "{method} {path} {status}");
                }
            }
            assert!(responses.contains_key("500"), "{method} {path}");
            if op["security"] != json!([{}]) {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
            }
            if op["requestBody"]["content"].get("application/json").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} documents no {s}");
                }
            }
            if method == "post" && !path.starts_with("/api/v1/auth/") {
                let names: Vec<&str> =
                    op["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
                assert!(names.contains(&"Idempotency-Key"), "{path}");
                assert!(responses.contains_key("409"), "{path}");
            }
        }
    }
    let upload = &paths["/api/v1/orders/{id}/files/{filename}"]["put"]["requestBody"]["content"];
    assert_eq!(upload["application/octet-stream"]["schema"], json!({"type": "string", "format": "binary"}));
    let id = &paths["/api/v1/quotes/{id}"]["get"]["parameters"][0]["schema"];
    assert_eq!(id, &json!({"type": "integer", "format": "int64"}));
    assert_eq!(doc.body["components"]["schemas"]["LineInput"]["additionalProperties"], json!(false));

    // The errors the framework answers by itself are problem documents too.
    let res = app.http.delete(format!("{}/api/v1/quotes", app.base)).bearer_auth(&app.admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().get("allow").is_some());
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    let bad_query = app.get(&app.admin, "/api/v1/quotes?limit=many").await;
    assert_eq!(
        (bad_query.status, bad_query.headers["content-type"].to_str().unwrap()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );
    let unknown = app.post(&app.admin, "/api/v1/quotes", json!({"client_id": 1, "title": "t",
        "lines": [{"description": "d", "quantity": "1", "unit": "u", "unit_price": "1", "vat_rate": "20", "discont": "1"}]})).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "a misspelt field is refused"
    );
    assert!(unknown.body["detail"].as_str().unwrap().contains("discont"), "{}", unknown.body);

    assert_eq!(app.get("", "/healthz").await.status, StatusCode::OK);
    assert_eq!(app.get("", "/readyz").await.status, StatusCode::OK);
    app.stop().await;
}

both!(readiness_and_safe_redirects, async |app: &TestApp| {
    assert_eq!(app.get("", "/readyz").await.status, StatusCode::OK, "the database answers ({:?})", app.backend);
    let b = immovr_testkit::reqwest::Client::builder()
        .redirect(immovr_testkit::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Query values as sent: //host, /\host, a tab that browsers strip, an absolute URL.
    for evil in ["%2F%2Fevil.example", "%2F%5Cevil.example", "%2F%09%2Fevil.example", "https%3A%2F%2Fevil.example"] {
        let url = format!("{}/langue/en?retour={evil}", app.base);
        let r = b.get(url).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/compte", "{evil}");
    }
    let r = b.get(format!("{}/langue/en?retour=/compte/devis", app.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/compte/devis");
    // Login answers (they carry a session token) are never stored for idempotent replay.
    app.signup("Rejeu").await;
    let body = json!({"email": "rejeu@client.example", "password": "client-password"});
    let a = app.send(immovr_testkit::reqwest::Method::POST, "", "/api/v1/auth/login", Some(&body), Some("k1")).await;
    let b2 = app.send(immovr_testkit::reqwest::Method::POST, "", "/api/v1/auth/login", Some(&body), Some("k1")).await;
    assert_ne!(a.body["token"], b2.body["token"]);
    assert!(b2.headers.get("idempotent-replayed").is_none());
    // A VAT number with non-ASCII characters is refused, not a crash.
    let r = app.post("", "/api/v1/auth/signup", json!({"client": {"kind": "person", "name": "X", "email": "x@client.example", "vat_number": "€€€€"}, "password": "client-password"})).await;
    assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("vat_number")));
});

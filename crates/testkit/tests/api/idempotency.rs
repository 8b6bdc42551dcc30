//! Keyed retries after what really happens to requests: a client that hangs up mid-request, a
//! process that dies right after committing, a run that outlives its lease, a key sent to
//! another address. (The server killed under load: `tests/crash.rs` of the binary.)

use immovr_app::idempotency::{Claim, LEASE, with_key};
use immovr_core::auth::token_sha256;
use immovr_core::model::ThreadKind;
use immovr_core::ports::NewMessage;
use immovr_core::ports::{AcceptQuote, IdempotencyStart};
use immovr_core::{Actor, DomainError};
use immovr_testkit::reqwest::Method;
use tokio::io::AsyncWriteExt;

use super::*;

/// Sends a keyed POST on a raw connection and closes it as soon as the body is written.
async fn post_and_hang_up(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) {
    let body = body.to_string();
    let mut socket = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.shutdown().await.unwrap();
    drop(socket);
}

/// Retries a keyed request while the server says the first run holds the key (a few seconds,
/// well within the lease: the answer must come from that run, not from a rerun after it).
async fn retry(app: &TestApp, token: &str, path: &str, body: &Value, key: &str) -> immovr_testkit::Answer {
    for _ in 0..50 {
        let a = app.send(Method::POST, token, path, Some(body), Some(key)).await;
        if a.code() != "idempotency_in_progress" {
            return a;
        }
        assert!(a.headers.get("retry-after").is_some(), "a wait says how long");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{key}: still in progress after 5 s");
}

both!(a_client_that_hangs_up_gets_the_answer_when_it_retries, async |app: &TestApp| {
    let (client_id, client) = app.signup("Raccroche").await;
    let sig = TestApp::signature();
    for round in 0..5 {
        let q = app.sent_quote(client_id, &[("Vidéo drone", "1", "590.00", "20")]).await;
        let path = format!("/api/v1/quotes/{q}/accept");
        let key = format!("hang-up-{round}");
        post_and_hang_up(app, &client, &path, &key, &sig).await;
        let answer = retry(app, &client, &path, &sig, &key).await;
        assert_eq!(answer.status, StatusCode::CREATED, "round {round}: {}", answer.body);
        let po = app.get(&app.admin, &format!("/api/v1/purchase-orders/{}", answer.body["purchase_order"]["id"])).await;
        assert_eq!(
            (po.status, po.body["quote_id"].as_i64()),
            (StatusCode::OK, Some(q)),
            "the answer names the order made"
        );
    }
    assert_eq!(app.list(&app.admin, "/api/v1/purchase-orders").await.len(), 5, "one purchase order per accept");
});

both!(the_answer_commits_with_the_effect, async |app: &TestApp| {
    let (client_id, client) = app.signup("Crash").await;
    let user = app.app.authenticate(&client).await.unwrap().unwrap();
    let actor = Actor::for_user(&user);
    let q = app.sent_quote(client_id, &[("Rendu 3D", "2", "450.00", "20")]).await;
    let path = format!("/api/v1/quotes/{q}/accept");
    let sig = TestApp::signature();
    let owner = token_sha256(&client);
    let fingerprint = immovr_web::idempotency::fingerprint("POST", &path, None, sig.to_string().as_bytes());

    // The run claims the key and commits the accept; the process dies before the HTTP layer
    // could keep the answer (nothing runs after the use case).
    let IdempotencyStart::Started { attempt } = app.app.idempotency_start(&owner, "k", &fingerprint).await.unwrap()
    else {
        panic!("a new key starts")
    };
    let claim = Claim { owner: owner.clone(), key: "k".into(), attempt };
    let body: AcceptQuote = serde_json::from_value(sig.clone()).unwrap();
    let accepted = with_key(claim, app.app.accept_quote(&actor, q, body)).await.unwrap();

    let retry = app.send(Method::POST, &client, &path, Some(&sig), Some("k")).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(retry.body, serde_json::to_value(&accepted).unwrap(), "the original answer");
});

both!(a_run_that_died_before_its_effect_runs_again_after_its_lease, async |app: &TestApp| {
    let (client_id, client) = app.signup("Relance").await;
    let user = app.app.authenticate(&client).await.unwrap().unwrap();
    let actor = Actor::for_user(&user);
    let q = app.sent_quote(client_id, &[("Visite virtuelle", "1", "900.00", "20")]).await;
    let path = format!("/api/v1/quotes/{q}/accept");
    let sig = TestApp::signature();
    let owner = token_sha256(&client);
    let fingerprint = immovr_web::idempotency::fingerprint("POST", &path, None, sig.to_string().as_bytes());

    // A run claims the key and dies before committing anything.
    let Ok(IdempotencyStart::Started { attempt: first }) = app.app.idempotency_start(&owner, "k", &fingerprint).await
    else {
        panic!("a new key starts")
    };
    // While its lease runs, a retry is told to come back…
    let wait = app.send(Method::POST, &client, &path, Some(&sig), Some("k")).await;
    assert_eq!((wait.status, wait.code()), (StatusCode::CONFLICT, "idempotency_in_progress"));
    let after: i64 = wait.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=LEASE.as_secs()).contains(&after), "{after}");
    // …after it, the retry runs again, and it is the one that accepts.
    app.clock.advance_minutes(1);
    let retried = app.send(Method::POST, &client, &path, Some(&sig), Some("k")).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none());

    // The first run, had it only been slow, finds its key taken over: it changes nothing.
    let late = Claim { owner, key: "k".into(), attempt: first };
    let body: AcceptQuote = serde_json::from_value(sig.clone()).unwrap();
    let outcome = with_key(late, app.app.accept_quote(&actor, q, body)).await;
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(app.list(&app.admin, "/api/v1/purchase-orders").await.len(), 1);
    let again = app.send(Method::POST, &client, &path, Some(&sig), Some("k")).await;
    assert_eq!((again.status, &again.body), (StatusCode::CREATED, &retried.body), "the retry's answer stays");
});

both!(a_late_run_of_a_taken_over_key_rolls_back, async |app: &TestApp| {
    // The same where the late run would otherwise succeed again: a message posted twice.
    let (client_id, client) = app.signup("Lente").await;
    let user = app.app.authenticate(&client).await.unwrap().unwrap();
    let actor = Actor::for_user(&user);
    let q = app.sent_quote(client_id, &[("Rendu 3D", "1", "450.00", "20")]).await;
    let (owner, fp) = (token_sha256(&client), "fingerprint".to_string());
    let Ok(IdempotencyStart::Started { attempt: first }) = app.app.idempotency_start(&owner, "m", &fp).await else {
        panic!("a new key starts")
    };
    app.clock.advance_minutes(1);
    let Ok(IdempotencyStart::Started { attempt: second }) = app.app.idempotency_start(&owner, "m", &fp).await else {
        panic!("the lease ran out: the retry takes the key")
    };
    assert_eq!(second, first + 1);
    let post = |attempt| {
        let claim = Claim { owner: owner.clone(), key: "m".into(), attempt };
        let message = NewMessage { body: "Bonjour".into() };
        with_key(claim, app.app.post_message(&actor, ThreadKind::Quote, q, message))
    };
    post(second).await.unwrap();
    assert_eq!(post(first).await.unwrap_err(), DomainError::IdempotencyInProgress);
    let thread = app.get(&client, &format!("/api/v1/quotes/{q}/messages")).await;
    assert_eq!(thread.body.as_array().map(Vec::len), Some(1), "one message: the late run rolled back");
});

both!(the_key_covers_the_method_path_query_and_body, async |app: &TestApp| {
    let (a, _) = app.signup("Alpha").await;
    let (b, _) = app.signup("Beta").await;
    let body = json!({"property_type": "Appartement", "property_address": "2 rue B, Paris"});
    let first = app
        .send(Method::POST, &app.admin, &format!("/api/v1/quote-requests?client_id={a}"), Some(&body), Some("q"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let other = app
        .send(Method::POST, &app.admin, &format!("/api/v1/quote-requests?client_id={b}"), Some(&body), Some("q"))
        .await;
    assert_eq!((other.status, other.code()), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    assert_eq!(app.list(&app.admin, "/api/v1/quote-requests").await.len(), 1);
});

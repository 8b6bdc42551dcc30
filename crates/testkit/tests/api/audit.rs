//! The audit trail is tamper-evident: sealed as it commits into a hash chain, and an event
//! changed, removed or reordered directly in the database is reported by the verification.

use immovr_core::Actor;

use super::*;

both!(the_audit_trail_is_a_hash_chain_that_shows_tampering, async |app: &TestApp| {
    let (client_id, client) = app.signup("Chaîne").await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await;
    // The sealer chains what committed; seal what is left now rather than wait for it.
    app.app.seal_audit().await.unwrap();
    let check = app.app.verify_audit(&Actor::system()).await.unwrap();
    assert_eq!((check.broken.clone(), check.unsealed), (None, 0), "{check:?}");
    assert!(check.sealed >= 4, "{check:?}");
    let denied = app.app.verify_audit(&Actor::anonymous()).await;
    assert!(denied.is_err(), "the chain is the admin's to check");

    // Someone with the database's password rewrites what an acceptance said.
    let events = app.list(&app.admin, "/api/v1/audit?entity_kind=quote").await;
    let accepted = events.iter().find(|e| e["action"] == "quote.accepted").expect("an acceptance event");
    let id = accepted["id"].as_i64().unwrap();
    let changed = app.raw_sql(&format!("UPDATE audit_events SET detail = detail || ' ' WHERE id = {id}")).await;
    assert_eq!(changed, 1);
    let check = app.app.verify_audit(&Actor::system()).await.unwrap();
    let broken = check.broken.expect("the change is seen");
    assert_eq!(broken.event_id, Some(id), "{broken:?}");
    app.raw_sql(&format!("UPDATE audit_events SET detail = rtrim(detail) WHERE id = {id}")).await;
    assert_eq!(app.app.verify_audit(&Actor::system()).await.unwrap().broken, None, "restored byte for byte");

    // Who signed is personal data, kept apart under a salted digest: a change there is seen too.
    assert_eq!(accepted["detail"]["signer"], "Claire Dubois", "the journal reads it back: {accepted}");
    let swap = |from: &str, to: &str| {
        format!("UPDATE audit_events SET personal = replace(personal, '{from}', '{to}') WHERE id = {id}")
    };
    assert_eq!(app.raw_sql(&swap("Claire Dubois", "Claire Dubost")).await, 1);
    let broken = app.app.verify_audit(&Actor::system()).await.unwrap().broken.expect("the change is seen");
    assert_eq!(broken.event_id, Some(id), "{broken:?}");
    app.raw_sql(&swap("Claire Dubost", "Claire Dubois")).await;
    assert_eq!(app.app.verify_audit(&Actor::system()).await.unwrap().broken, None);
    // Erased (the part and its salt gone, the digest kept), the chain still holds.
    let erase = format!("UPDATE audit_events SET personal = NULL, personal_salt = NULL WHERE id = {id}");
    assert_eq!(app.raw_sql(&erase).await, 1);
    assert_eq!(app.app.verify_audit(&Actor::system()).await.unwrap().broken, None);
    let events = app.list(&app.admin, "/api/v1/audit?entity_kind=quote").await;
    let after = events.iter().find(|e| e["id"] == id).unwrap();
    assert_eq!(after["detail"].get("signer"), None, "{after}");
    assert!(after["actor"].as_str().unwrap().starts_with("client:"), "{after}");
    assert!(!after["actor"].as_str().unwrap().contains('@'), "{after}");
    let first = app.raw_sql("DELETE FROM audit_events WHERE seq = 2").await;
    assert_eq!(first, 1);
    let broken = app.app.verify_audit(&Actor::system()).await.unwrap().broken.expect("a removal is seen");
    assert_eq!(broken.seq, 2, "{broken:?}");

    // New events go on being sealed after the break (the chain records, it does not stop work).
    app.post(&client, &format!("/api/v1/quotes/{q}/messages"), json!({"body": "Merci"})).await;
    assert!(app.app.seal_audit().await.unwrap() >= 1);
});

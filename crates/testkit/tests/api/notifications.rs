//! Emails over real SMTP (lettre → the test kit's SMTP server, with authentication): the journey
//! sends exactly the expected messages — recipients, subjects, links, attachments, parsed back —
//! nothing is lost or sent twice when the mail server goes away and comes back, a rolled-back
//! change sends nothing, a message that keeps failing is parked and can be retried by staff.

use std::collections::HashSet;

use immovr_testkit::Backend;
use immovr_testkit::smtp::{Received, SmtpSink};
use mail_parser::{MessageParser, MimeHeaders};

use super::*;

struct Mail {
    to: Vec<String>,
    message_id: String,
    subject: String,
    text: String,
    html: String,
    attachments: Vec<(String, String, Vec<u8>)>,
    user: Option<String>,
}

fn parse(r: &Received) -> Mail {
    let m = MessageParser::default().parse(&r.data).expect("a parseable message");
    Mail {
        to: r.to.clone(),
        message_id: m.message_id().unwrap_or_default().to_string(),
        subject: m.subject().unwrap_or_default().to_string(),
        text: m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
        attachments: m
            .attachments()
            .map(|a| {
                let ct = a
                    .content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                    .unwrap_or_default();
                (a.attachment_name().unwrap_or_default().to_string(), ct, a.contents().to_vec())
            })
            .collect(),
        user: r.user.clone(),
    }
}

async fn app_with_smtp(backend: Backend, sink: &SmtpSink, max_attempts: i64) -> Option<TestApp> {
    let url = sink.url();
    immovr_testkit::spawn_app_with(backend, move |c| {
        c.smtp_url = Some(url);
        c.public_url = Some("https://studio.example".into());
        c.mail_retry_seconds = 1;
        c.mail_max_attempts = max_attempts;
    })
    .await
}

async fn journey(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(backend, &sink, 8).await else { return };
    let (client_id, client) = app.client_login("Lumiere").await;
    let quote = app.sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390.00", "20")]).await;
    let accepted = app.post(&client, &format!("/api/v1/quotes/{quote}/accept"), TestApp::signature()).await;
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    let stages = app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["stages"].clone();
    let shoot = stages.as_array().unwrap().iter().find(|s| s["code"] == "shoot").unwrap()["id"].as_i64().unwrap();
    let contact = stages[0]["id"].as_i64().unwrap();
    // Three plans within a minute (the shoot planned, then moved): one email, with the last plans.
    for (stage, plan) in [
        (shoot, json!({"planned_date": "2026-06-19"})),
        (contact, json!({"planned_date": "2026-06-16"})),
        (shoot, json!({"planned_date": "2026-06-20", "planned_time": "09:30", "place": "8 place Bellecour, Lyon"})),
    ] {
        let planned = app.put(&app.admin, &format!("/api/v1/orders/{order}/stages/{stage}"), plan).await;
        assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    }
    // The email gathers plans for two minutes, then goes.
    app.clock.advance_minutes(3);
    app.settle_outbox().await;
    app.upload(&order, "visite.zip", b"final files").await;
    let delivered = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    let invoice = delivered.body["invoice"]["id"].as_i64().unwrap();
    let paid = app
        .post(
            &app.admin,
            &format!("/api/v1/invoices/{invoice}/payments"),
            json!({"method": "transfer", "amount": "468.00", "date": "2026-06-15", "reference": "VIR-1"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);

    let outbox = app.settle_outbox().await;
    assert!(outbox.iter().all(|r| r["status"] == "sent"), "{outbox:#?}");
    let mails: Vec<Mail> = sink.received().iter().map(parse).collect();
    assert_eq!(mails.len(), outbox.len(), "one email per notification");
    let ids: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "distinct Message-IDs");
    assert!(mails.iter().all(|m| m.user.as_deref() == Some("immovr")), "authenticated");
    let to_client: Vec<&Mail> = mails.iter().filter(|m| m.to == ["lumiere@client.example"]).collect();
    let subjects: Vec<&str> = to_client.iter().map(|m| m.subject.as_str()).collect();
    let expected = [
        "Votre devis D-2026-0001 est disponible",
        "Bon de commande BC-2026-0001 : merci pour votre accord",
        "Commande BC-2026-0001 enregistrée",
        "Le planning de votre projet : 2 étapes",
        "Vos fichiers sont livrés — facture F-2026-0001",
        "Paiement reçu — facture F-2026-0001",
    ];
    assert_eq!(subjects, expected, "the client's emails, in order");
    let to_staff: Vec<&str> =
        mails.iter().filter(|m| m.to == ["studio@immovr.example"]).map(|m| m.subject.as_str()).collect();
    assert_eq!(to_staff, ["Devis D-2026-0001 accepté — bon de commande BC-2026-0001"]);

    let by_subject = |s: &str| to_client.iter().find(|m| m.subject.starts_with(s)).unwrap();
    // Signed links to the right portal pages, in the text and the HTML (`links.rs` follows them).
    let quote_mail = by_subject("Votre devis");
    let link = quote_mail.text.split_whitespace().find(|w| w.starts_with("https://studio.example/acces/")).unwrap();
    assert!(link.contains(&format!(".d{quote}.")), "{}", quote_mail.text);
    assert!(quote_mail.html.contains(&format!("href=\"{link}\"")));
    assert_eq!(quote_mail.attachments.len(), 1);
    assert_eq!(quote_mail.attachments[0].0, "Devis D-2026-0001.pdf");
    let po_mail = by_subject("Bon de commande");
    assert_eq!(po_mail.attachments[0].0, "Bon de commande BC-2026-0001.pdf");
    assert!(po_mail.attachments[0].2.starts_with(b"%PDF-"));
    // The plans in one email; the shoot with a calendar invitation at its time and place.
    let shoot_mail = by_subject("Le planning");
    assert!(shoot_mail.text.contains(&format!(".c{order}.")), "{}", shoot_mail.text);
    assert!(shoot_mail.text.contains("- Prise de contact : le 16/06/2026"), "{}", shoot_mail.text);
    assert!(
        shoot_mail.text.contains("- Prise de vue sur site : le 20/06/2026 à 09:30, 8 place Bellecour, Lyon"),
        "{}",
        shoot_mail.text
    );
    assert!(!shoot_mail.text.contains("19/06/2026"), "the earlier plan is replaced: {}", shoot_mail.text);
    let (name, ct, ics) = &shoot_mail.attachments[0];
    assert_eq!((name.as_str(), ct.as_str()), ("invitation.ics", "text/calendar"));
    let ics = String::from_utf8_lossy(ics);
    assert!(ics.contains("METHOD:REQUEST") && ics.contains("DTSTART:20260620T073000Z"), "{ics}");
    assert!(ics.contains("DTEND:20260620T093000Z") && ics.contains("LOCATION:8 place Bellecour\\, Lyon"), "{ics}");
    assert!(ics.contains(&format!("UID:stage-{shoot}@immovr.example")), "{ics}");
    // Delivery: the invoice attached (the same bytes as the download) and how to pay.
    let delivery = by_subject("Vos fichiers");
    let invoice_pdf =
        app.http.get(format!("{}/api/v1/invoices/{invoice}/pdf", app.base)).bearer_auth(&client).send().await.unwrap();
    let invoice_pdf = invoice_pdf.bytes().await.unwrap().to_vec();
    assert_eq!(delivery.attachments.len(), 1);
    assert_eq!(delivery.attachments[0].0, "Facture F-2026-0001.pdf");
    assert!(delivery.attachments[0].2 == invoice_pdf, "the attached invoice is the issued document");
    for expected in
        ["IBAN : FR76 3000 6000 0112 3456 7890 189", "Référence à indiquer : F-2026-0001", "à l'ordre de Virtuelli"]
    {
        assert!(delivery.text.contains(expected), "{expected:?} missing: {}", delivery.text);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_journey_sends_the_expected_emails_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_journey_sends_the_expected_emails_postgres() {
    journey(Backend::Postgres).await;
}

async fn outage(backend: Backend) {
    let mut sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(backend, &sink, 8).await else { return };
    let (client_id, client) = app.client_login("Panne").await;
    app.sent_quote(client_id, &[("Vidéo drone", "1", "590.00", "20")]).await;
    app.settle_outbox().await;
    assert_eq!(sink.received().len(), 1);

    // The mail server goes down; the studio keeps working.
    sink.stop().await;
    let mut quotes = Vec::new();
    for i in 0..3 {
        quotes.push(app.sent_quote(client_id, &[(&format!("Plan {i}"), "1", "120.00", "20")]).await);
    }
    // Every new row is tried, fails, and waits for its next attempt.
    for _ in 0..100 {
        let rows = app.get(&app.admin, "/api/v1/outbox").await.body;
        let pending: Vec<&Value> =
            rows["items"].as_array().unwrap().iter().filter(|r| r["status"] == "pending").collect();
        if pending.len() == 3 && pending.iter().all(|r| r["attempts"].as_i64() >= Some(1) && !r["last_error"].is_null())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = app.get(&app.admin, "/api/v1/outbox").await.body;
    assert_eq!(rows["items"].as_array().unwrap().iter().filter(|r| r["status"] == "pending").count(), 3, "{rows:#?}");
    // A rolled-back change queues nothing: accepting twice fails the second time.
    let accept = format!("/api/v1/quotes/{}/accept", quotes[2]);
    assert_eq!(app.post(&client, &accept, TestApp::signature()).await.status, StatusCode::CREATED);
    let before = app.count("outbox").await;
    let again = app.post(&client, &accept, TestApp::signature()).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(app.count("outbox").await, before, "nothing queued by a refused change");

    // Back up: after the backoff, everything goes, once.
    sink.restart().await;
    app.clock.advance_minutes(10);
    let outbox = app.settle_outbox().await;
    assert!(outbox.iter().all(|r| r["status"] == "sent"), "{outbox:#?}");
    let received = sink.received();
    let ids: HashSet<String> = received.iter().map(|r| parse(r).message_id).collect();
    assert_eq!(received.len(), outbox.len(), "nothing lost, nothing twice");
    assert_eq!(ids.len(), outbox.len());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mail_server_outage_loses_and_duplicates_nothing_sqlite() {
    outage(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mail_server_outage_loses_and_duplicates_nothing_postgres() {
    outage(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_that_keeps_failing_is_parked_and_staff_can_retry_it() {
    let mut sink = SmtpSink::start().await;
    let app = app_with_smtp(Backend::Sqlite, &sink, 2).await.unwrap();
    sink.stop().await;
    let (client_id, _) = app.client_login("Echec").await;
    app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    // Attempt 1 fails; past the backoff, attempt 2 fails: parked.
    for _ in 0..100 {
        let rows = app.get(&app.admin, "/api/v1/outbox").await.body;
        if rows["items"][0]["status"] == "failed" {
            break;
        }
        app.clock.advance_minutes(1);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = app.get(&app.admin, "/api/v1/outbox").await.body;
    let row = &rows["items"][0];
    assert_eq!(row["status"], "failed", "{rows:#?}");
    assert_eq!(row["attempts"], 2);
    assert!(row["last_error"].as_str().unwrap().contains("sending"), "{row}");
    // An admin sends it again; a client may not.
    let not_staff = app.client_login("Intrus").await.1;
    let id = row["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&not_staff, &format!("/api/v1/outbox/{id}/retry"), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    sink.restart().await;
    let retried = app.post(&app.admin, &format!("/api/v1/outbox/{id}/retry"), json!({})).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.body["status"], "pending");
    let outbox = app.settle_outbox().await;
    assert_eq!(outbox[0]["status"], "sent");
    assert_eq!(sink.received().len(), 1);
    // Only a failed message is sent again.
    let again = app.post(&app.admin, &format!("/api/v1/outbox/{id}/retry"), json!({})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

both!(without_smtp_emails_are_written_as_eml_files, async |app: &TestApp| {
    let (client_id, _) = app.signup("Fichier").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let outbox = app.settle_outbox().await;
    assert!(outbox.iter().all(|r| r["status"] == "sent"));
    let files: Vec<_> = std::fs::read_dir(app.outbox_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), outbox.len());
    let eml = files.iter().find(|p| p.to_string_lossy().ends_with("quote_sent.eml")).expect("the quote email");
    let bytes = std::fs::read(eml).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("Votre devis D-2026-0001 est disponible"));
    assert!(m.body_text(0).unwrap().contains(&format!(".d{quote}.")), "a signed link to the quote");
    assert_eq!(m.attachments().count(), 1);
});

/// Two instances on one PostgreSQL database: a change made through one reaches a page open on
/// the other within a second (NOTIFY in the committing transaction, LISTEN on every instance).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_updates_reach_every_instance_through_postgres() {
    let Some(app) = immovr_testkit::spawn_app(Backend::Postgres).await else { return };
    let other = app.another_instance().await;
    let (client_id, _) = app.signup("Deux").await;
    let (browser, _, _) = app.browser_login("deux@client.example", "client-password").await;
    // The session is in the shared database: the page on the other instance is the client's.
    let mut events = browser.get(format!("{}/compte/evenements", other.base)).send().await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let started = std::time::Instant::now();
    app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    while !seen.contains("quote_sent") {
        match tokio::time::timeout_at(deadline, events.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("no live event on the other instance within a second: {other:?}; got {seen:?}"),
        }
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    drop(other);
    app.stop().await;
}

/// Two instances on one PostgreSQL database, each caching the company settings: a change saved
/// through one is what the other shows next (its copy is forgotten when the change's
/// notification reaches it), and documents it issues then carry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn company_settings_changed_on_one_instance_are_seen_on_the_other() {
    let Some(app) = immovr_testkit::spawn_app(Backend::Postgres).await else { return };
    let other = app.another_instance().await;
    let http = reqwest::Client::new();
    let read_other = async || -> serde_json::Value {
        let r =
            http.get(format!("{}/api/v1/settings/company", other.base)).bearer_auth(&app.admin).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    };
    // Read twice on the other instance: the second answer comes from its cache.
    let before = read_other().await;
    assert_eq!(read_other().await, before);
    let mut changed = app.get(&app.admin, "/api/v1/settings/company").await.body;
    changed["legal_name"] = json!("Virtuelli Studio SAS");
    let saved = app.put(&app.admin, "/api/v1/settings/company", changed).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        if read_other().await["legal_name"] == "Virtuelli Studio SAS" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the other instance still shows the old settings");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // This instance saw its own change at once.
    assert_eq!(app.get(&app.admin, "/api/v1/settings/company").await.body["legal_name"], "Virtuelli Studio SAS");
    drop(other);
    app.stop().await;
}

/// A command run beside the server (it listens to nothing) writes the company settings: the
/// server, which caches them, shows the change next (the commit NOTIFYs all the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn company_settings_written_by_a_command_reach_the_running_server() {
    let Some(app) = immovr_testkit::spawn_app(Backend::Postgres).await else { return };
    let before = app.get(&app.admin, "/api/v1/settings/company").await.body;
    assert_eq!(app.get(&app.admin, "/api/v1/settings/company").await.body, before);
    let (command, command_app) = app.command_app().await;
    let mut company = command_app.company().await.unwrap();
    company.legal_name = "Virtuelli Commande SAS".into();
    command_app.set_company(&immovr_core::Actor::system(), company).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while app.get(&app.admin, "/api/v1/settings/company").await.body["legal_name"] != "Virtuelli Commande SAS" {
        assert!(std::time::Instant::now() < deadline, "the server still shows the old settings");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    command.close().await;
    app.stop().await;
}

/// Two instances on one PostgreSQL database, each caching who a session or an API token is:
/// a logout on one ends the session on the other, and a role taken away on one is refused on
/// the other, as soon as the commit's notification arrives (never later than two seconds here).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_or_a_role_taken_away_on_one_instance_holds_on_the_other() {
    let Some(app) = immovr_testkit::spawn_app(Backend::Postgres).await else { return };
    let other = app.another_instance().await;
    let http = reqwest::Client::new();
    let status_on_other = async |token: &str, path: &str| -> StatusCode {
        http.get(format!("{}{path}", other.base)).bearer_auth(token).send().await.unwrap().status()
    };
    let until_refused = async |token: &str, path: &str, what: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while status_on_other(token, path).await == StatusCode::OK {
            assert!(std::time::Instant::now() < deadline, "the other instance still lets {what} through");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    // A client's session, used twice on the other instance (the second time from its cache).
    let (_, client) = app.signup("Cache").await;
    assert_eq!(status_on_other(&client, "/api/v1/me").await, StatusCode::OK);
    assert_eq!(status_on_other(&client, "/api/v1/me").await, StatusCode::OK);
    assert_eq!(app.post(&client, "/api/v1/auth/logout", json!({})).await.status, StatusCode::NO_CONTENT);
    until_refused(&client, "/api/v1/me", "a session logged out").await;
    assert_eq!(status_on_other(&client, "/api/v1/me").await, StatusCode::UNAUTHORIZED);

    // An administrator who may read the journal, then may not.
    let staff = app.staff("admin-cache@immovr.test", &[immovr_core::model::Role::Admin]).await;
    assert_eq!(status_on_other(&staff, "/api/v1/audit").await, StatusCode::OK);
    assert_eq!(status_on_other(&staff, "/api/v1/audit").await, StatusCode::OK);
    let me = app.get(&staff, "/api/v1/me").await.body;
    let id = me["user"]["id"].as_i64().expect("the user's id");
    app.app.set_roles(&immovr_core::Actor::system(), id, vec![immovr_core::model::Role::Production]).await.unwrap();
    until_refused(&staff, "/api/v1/audit", "a role taken away").await;
    assert_eq!(status_on_other(&staff, "/api/v1/audit").await, StatusCode::FORBIDDEN);
    drop(other);
    app.stop().await;
}

both!(reminders_are_queued_once_per_step, async |app: &TestApp| {
    let (client_id, client) = app.signup("Rappel").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await; // valid until 15/07
    let other = app.sent_quote(client_id, &[("Plan", "1", "120.00", "20")]).await;
    let accepted = app.post(&client, &format!("/api/v1/quotes/{other}/accept"), TestApp::signature()).await;
    let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    app.upload(&order, "p.pdf", b"final files").await;
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap(); // due 15/07
    let count = |rows: &[Value], kind: &str| rows.iter().filter(|r| r["kind"] == kind).count();
    app.settle_outbox().await;

    // 13/07: the quote expires in two days (reminder 3 days before).
    app.clock.advance_days(28);
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = app.settle_outbox().await;
        if count(&rows, "quote_expiring") > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count(&rows, "quote_expiring"), 1, "{rows:#?}");
    let reminder = rows.iter().find(|r| r["kind"] == "quote_expiring").unwrap();
    assert_eq!(reminder["payload"]["quote_id"], quote);
    assert_eq!(count(&rows, "invoice_overdue"), 0, "not due yet");

    // 17/07: two days late → the first overdue step (1 day); 31/07: the 15-day step.
    app.clock.advance_days(4);
    for _ in 0..100 {
        rows = app.settle_outbox().await;
        if count(&rows, "invoice_overdue") > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count(&rows, "invoice_overdue"), 1, "{rows:#?}");
    app.clock.advance_days(14);
    for _ in 0..100 {
        rows = app.settle_outbox().await;
        if count(&rows, "invoice_overdue") > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count(&rows, "invoice_overdue"), 2);
    assert!(rows.iter().filter(|r| r["kind"] == "invoice_overdue").all(|r| r["payload"]["invoice_id"] == invoice));
    // An hour later, nothing new: each step once.
    app.clock.advance_minutes(90);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let rows = app.settle_outbox().await;
    assert_eq!((count(&rows, "quote_expiring"), count(&rows, "invoice_overdue")), (1, 2));
});

/// Two instances on one database, both sending: every row is taken by one worker only.
async fn two_workers(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = app_with_smtp(backend, &sink, 8).await else { return };
    // A second instance on the same database: its email worker competes for the same rows.
    let other = app.another_instance().await;
    let (client_id, client) = app.client_login("Deux Ouvriers").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (http, base, client) =
            (app.http.clone(), if w % 2 == 0 { app.base.clone() } else { other.base.clone() }, client.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                let r = http
                    .post(format!("{base}/api/v1/quotes/{quote}/messages"))
                    .bearer_auth(&client)
                    .json(&json!({"body": format!("Question {w}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let outbox = app.settle_outbox().await;
    assert_eq!(outbox.len(), 61, "the quote and 60 messages");
    assert!(outbox.iter().all(|r| r["status"] == "sent" && r["attempts"] == 1), "each row taken once: {outbox:#?}");
    let received = sink.received();
    let ids: HashSet<String> = received.iter().map(|r| parse(r).message_id).collect();
    assert_eq!(received.len(), 61, "no email sent twice by the two workers");
    assert_eq!(ids.len(), 61);
    drop(other);
    app.stop().await;
}

/// Several instances are a PostgreSQL deployment (a SQLite database has one writer: one instance).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_send_the_same_email_postgres() {
    two_workers(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_studio_overrides_an_email_template_and_the_document_style() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(templates.path().join("emails")).unwrap();
    std::fs::write(
        templates.path().join("emails/quote_sent.fr.txt"),
        "Subject: Studio Lumière — devis {{ number }}\n\nBonjour, voici notre proposition : {{ url }}\n",
    )
    .unwrap();
    // The studio's look: its accent colour and typeface (here a shipped font, as files).
    std::fs::create_dir_all(templates.path().join("fonts")).unwrap();
    for name in ["DejaVuSansMono", "DejaVuSansMono-Bold"] {
        let data = immovr_documents::fonts::shipped_font(name).unwrap();
        std::fs::write(templates.path().join(format!("fonts/{name}.ttf")), data).unwrap();
    }
    std::fs::write(
        templates.path().join("document.toml"),
        "accent = \"#7a1f3d\"\nregular_font = \"fonts/DejaVuSansMono.ttf\"\nbold_font = \"fonts/DejaVuSansMono-Bold.ttf\"\n",
    )
    .unwrap();
    let dir = templates.path().to_path_buf();
    let app = immovr_testkit::spawn_app_with(Backend::Sqlite, move |c| c.templates_dir = Some(dir)).await.unwrap();
    let (client_id, client) = app.signup("Style").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    app.settle_outbox().await;
    let eml = std::fs::read_dir(app.outbox_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("quote_sent.eml"))
        .unwrap();
    let bytes = std::fs::read(eml).unwrap();
    let m = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.subject(), Some("Studio Lumière — devis D-2026-0001"));
    assert!(m.body_text(0).unwrap().contains("voici notre proposition"));
    // Templates not overridden stay the shipped ones (the footer here).
    assert!(m.body_text(0).unwrap().contains("L'équipe ImmoVr"));
    let pdf =
        app.http.get(format!("{}/api/v1/quotes/{quote}/pdf", app.base)).bearer_auth(&client).send().await.unwrap();
    let pdf = pdf.bytes().await.unwrap();
    let path = templates.path().join("q.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("D-2026-0001"));
    let fonts = std::process::Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(
        fonts.contains("DejaVuSansMono-Bold") && fonts.contains("DejaVuSansMono "),
        "the studio's typeface: {fonts}"
    );
    assert!(!fonts.contains("NotoSans"), "instead of the shipped one: {fonts}");
    app.stop().await;
}

/// STARTTLS with authentication, the server's certificate from an authority the studio trusts
/// (`smtp_ca_file`); the same server refuses nothing, so the check is that the message came
/// over TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn emails_go_over_starttls_with_authentication() {
    let sink = SmtpSink::start_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sink.ca_pem().unwrap()).unwrap();
    let url = format!("smtp://immovr:sink-password@{}?tls=required", sink.addr);
    let app = immovr_testkit::spawn_app_with(Backend::Sqlite, move |c| {
        c.smtp_url = Some(url);
        c.smtp_ca_file = Some(ca);
    })
    .await
    .unwrap();
    let (client_id, _) = app.client_login("Chiffre").await;
    app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    let outbox = app.settle_outbox().await;
    assert!(outbox.iter().all(|r| r["status"] == "sent"), "{outbox:#?}");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls, "sent after STARTTLS");
    assert_eq!(received[0].user.as_deref(), Some("immovr"));
    assert_eq!(parse(&received[0]).subject, "Votre devis D-2026-0001 est disponible");
    app.stop().await;
}

/// A page left open (an endless event stream) does not hold a graceful shutdown: the stream ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_ends_open_event_streams() {
    let app = immovr_testkit::spawn_app(Backend::Sqlite).await.unwrap();
    app.signup("Ouvert").await;
    let (browser, _, _) = app.browser_login("ouvert@client.example", "client-password").await;
    let mut events = browser.get(format!("{}/compte/evenements", app.base)).send().await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), app.stop()).await;
    assert!(stopped.is_ok(), "the server stopped although a page was open");
    // The stream ended (no hang).
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(end.is_ok());
}

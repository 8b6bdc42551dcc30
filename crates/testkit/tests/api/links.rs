//! Every link of every email kind, followed as its recipient would: a client's email about a
//! document opens that document's page without signing in (a signed link, limited to it), in
//! the client's own session when signed in already; the studio's emails open the back office
//! for staff; account emails do what they say. Then what such a link may not do: reach
//! anything else, accept without the signature step, outlive "sign out everywhere" or its
//! thirty days, or survive a changed character.

use std::collections::{BTreeSet, HashMap};

use immovr_testkit::reqwest::{Client, redirect};
use mail_parser::{MessageParser, MimeHeaders};

use super::*;

const CLIENT: &str = "liens@client.example";

/// An email as written to the outbox folder: its row, kind, recipient and the one link of its
/// text (the site's address taken off).
struct Email {
    row: i64,
    kind: String,
    to: String,
    path: String,
}

fn emails(app: &TestApp) -> Vec<Email> {
    let mut files: Vec<_> = std::fs::read_dir(app.outbox_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let (row, kind) = name.split_once('-').unwrap();
            let bytes = std::fs::read(p).unwrap();
            let m = MessageParser::default().parse(&bytes).unwrap();
            let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap().to_string();
            let text = m.body_text(0).unwrap().to_string();
            let links: Vec<&str> = text.split_whitespace().filter(|w| w.starts_with(&app.base)).collect();
            assert_eq!(links.len(), 1, "{kind}: one link in {text}");
            // The HTML part's button leads to the same place.
            let html = m.body_html(0).unwrap().to_string();
            assert!(html.contains(&format!("href=\"{}\"", links[0].replace('&', "&amp;"))), "{kind}: {html}");
            // No attachment other than the documents and the invitation.
            assert!(m.attachments().all(|a| a.attachment_name().is_some()));
            Email {
                row: row.parse().unwrap(),
                kind: kind.to_string(),
                to,
                path: links[0][app.base.len()..].to_string(),
            }
        })
        .collect()
}

fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
}

async fn get(b: &Client, app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = b.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap_or_default())
}

fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The PDF links of a page, each fetched: a PDF.
async fn pdfs_download(b: &Client, app: &TestApp, html: &str) -> usize {
    let hrefs: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.contains("/pdf/") || h.ends_with("/pdf"))
        .collect();
    for href in &hrefs {
        let r = b.get(format!("{}{href}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{href}");
        assert_eq!(r.headers()["content-type"], "application/pdf", "{href}");
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"), "{href}");
    }
    hrefs.len()
}

/// The state a test walks through: who is who, and which page each email kind may open.
struct Walk {
    client_browser: Client,
    staff_browser: Client,
    pages: HashMap<&'static str, BTreeSet<String>>,
}

impl Walk {
    fn expect(&mut self, kind: &'static str, page: String) {
        self.pages.entry(kind).or_default().insert(page);
    }

    /// Follows the link of each email as its recipient would.
    async fn follow(&self, app: &TestApp, emails: &[Email]) {
        for e in emails {
            let what = format!("{} #{} to {}: {}", e.kind, e.row, e.to, e.path);
            if let Some(pages) = self.pages.get(e.kind.as_str()) {
                // A client's email about a document: a signed link that opens its page.
                assert_eq!(e.to, CLIENT, "{what}");
                assert!(e.path.starts_with("/acces/"), "{what}");
                let link = e.path.split('#').next().unwrap();
                let fresh = browser();
                let (status, page, _) = get(&fresh, app, link).await;
                assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                assert!(pages.contains(&page), "{what} opened {page}, not one of {pages:?}");
                let (status, _, html) = get(&fresh, app, &page).await;
                assert_eq!(status, StatusCode::OK, "{what}: {html}");
                assert!(html.contains("grâce au lien reçu par e-mail"), "{what}: the page says how it was opened");
                assert!(pdfs_download(&fresh, app, &html).await > 0 || e.kind.starts_with("quote"), "{what}");
                // Signed in already: the same page, in that session.
                let (status, again, _) = get(&self.client_browser, app, link).await;
                assert_eq!((status, again.as_str()), (StatusCode::SEE_OTHER, page.as_str()), "{what}");
                let (status, _, html) = get(&self.client_browser, app, &page).await;
                assert_eq!(status, StatusCode::OK, "{what}");
                assert!(!html.contains("grâce au lien reçu par e-mail"), "{what}: a full session");
            } else if e.path.starts_with("/gestion") {
                // The studio's news: the back office, for staff only.
                assert!(e.to != CLIENT, "{what}");
                let (status, login, _) = get(&browser(), app, &e.path).await;
                assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                assert!(login.starts_with("/connexion?suivant=/gestion"), "{what}: {login}");
                let (status, _, html) = get(&self.staff_browser, app, e.path.split('#').next().unwrap()).await;
                assert_eq!(status, StatusCode::OK, "{what}: {html}");
            } else {
                // An account's link: what it says.
                let (status, to, _) = get(&browser(), app, &e.path).await;
                match e.kind.as_str() {
                    "magic_link" | "signup_existing" => {
                        assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/compte"), "{what}")
                    }
                    "signup_confirm" => assert_eq!(status, StatusCode::SEE_OTHER, "{what}"),
                    "password_reset" => assert_eq!(status, StatusCode::OK, "{what}"),
                    other => panic!("{other}: no expectation for its link {}", e.path),
                }
            }
        }
    }
}

async fn post_json(app: &TestApp, who: &str, path: String, body: Value) -> Value {
    let a = app.post(who, &path, body).await;
    assert!(a.status.is_success(), "{path}: {} {}", a.status, a.body);
    a.body
}

both!(every_link_of_every_email_opens_its_page_for_its_recipient, async |app: &TestApp| {
    let (client_id, client) = app.client_login("Liens").await;
    // A prospect the retention run erases a month on (the studio's report).
    app.client_login("Prospect Oublie").await;
    let (client_browser, _, _) = app.browser_login(CLIENT, "client-password").await;
    let (staff_browser, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let mut walk = Walk { client_browser, staff_browser, pages: HashMap::new() };
    let admin = app.admin.clone();
    let line = [("Visite virtuelle 360°", "1", "390.00", "20")];

    // Quotes: sent, extended to expire in two days (a reminder), discussed, refused.
    let q1 = app.sent_quote(client_id, &line).await;
    use immovr_core::Clock;
    let today = app.clock.now().to_zoned(immovr_core::ports::studio_timezone()).date();
    let soon = (today + jiff::Span::new().days(2)).to_string();
    post_json(app, &admin, format!("/api/v1/quotes/{q1}/extend"), json!({"valid_until": soon})).await;
    assert_eq!(app.app.queue_reminders().await.unwrap(), 1, "the quote expires within three days");
    post_json(app, &admin, format!("/api/v1/quotes/{q1}/messages"), json!({"body": "Une question ?"})).await;
    post_json(app, &client, format!("/api/v1/quotes/{q1}/messages"), json!({"body": "Oui, merci"})).await;
    let q2 = app.sent_quote(client_id, &line).await;
    let refusal = json!({"kind": "changes_requested", "comment": "Plus grand"});
    post_json(app, &client, format!("/api/v1/quotes/{q2}/refuse"), refusal).await;
    for (kind, q) in [("quote_sent", q1), ("quote_sent", q2), ("quote_extended", q1), ("quote_expiring", q1)] {
        walk.expect(kind, format!("/compte/devis/{q}"));
    }
    walk.expect("message_received", format!("/compte/devis/{q1}"));

    // Accepted; another accepted then its purchase order cancelled.
    let po = post_json(app, &client, format!("/api/v1/quotes/{q1}/accept"), TestApp::signature()).await;
    let po = po["purchase_order"]["id"].as_i64().unwrap();
    let q3 = app.sent_quote(client_id, &line).await;
    let po3 = post_json(app, &client, format!("/api/v1/quotes/{q3}/accept"), TestApp::signature()).await;
    let po3 = po3["purchase_order"]["id"].as_i64().unwrap();
    post_json(app, &admin, format!("/api/v1/purchase-orders/{po3}/cancel"), json!({"reason": "Projet reporté"})).await;
    walk.expect("quote_sent", format!("/compte/devis/{q3}"));
    walk.expect("purchase_order_created", format!("/compte/devis/{q1}"));
    walk.expect("purchase_order_created", format!("/compte/devis/{q3}"));
    walk.expect("purchase_order_cancelled", format!("/compte/devis/{q3}"));

    // The order: registered, planned, a stage done, delivered; the invoice cancelled by a
    // credit note and issued again, partly paid.
    let order = post_json(app, &admin, format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await;
    let order = order["order_id"].as_i64().unwrap();
    let stages = app.get(&admin, &format!("/api/v1/orders/{order}")).await.body["stages"].clone();
    let first = stages[0]["id"].as_i64().unwrap();
    let plan = json!({"planned_date": soon});
    let planned = app.put(&admin, &format!("/api/v1/orders/{order}/stages/{first}"), plan).await;
    assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    app.clock.advance_minutes(3);
    post_json(app, &admin, format!("/api/v1/orders/{order}/stages/{first}/done"), json!({})).await;
    app.upload(order, "visite.zip", b"final files").await;
    let delivered = post_json(app, &admin, format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    let invoice = delivered["invoice"]["id"].as_i64().unwrap();
    let reason = json!({"reason": "Erreur de quantité"});
    post_json(app, &admin, format!("/api/v1/invoices/{invoice}/credit-notes"), reason).await;
    let again = post_json(app, &admin, format!("/api/v1/orders/{order}/invoice"), json!({})).await;
    let invoice2 = again["id"].as_i64().unwrap();
    let payment = json!({"method": "transfer", "amount": "100.00", "date": today.to_string(), "reference": "VIR-1"});
    post_json(app, &admin, format!("/api/v1/invoices/{invoice2}/payments"), payment).await;
    for kind in ["order_registered", "stage_planned", "stage_done", "order_delivered"] {
        walk.expect(kind, format!("/compte/commandes/{order}"));
    }
    // The credit note's email opens the invoice it cancels (it once linked to /compte/factures/0).
    walk.expect("credit_note_issued", format!("/compte/factures/{invoice}"));
    walk.expect("invoice_issued", format!("/compte/factures/{invoice2}"));
    walk.expect("payment_received", format!("/compte/factures/{invoice2}"));

    // The studio's news (a new request) and the account emails.
    let request = json!({"property_type": "Maison", "property_address": "3 rue Claire, Lyon", "wanted": []});
    post_json(app, &client, "/api/v1/quote-requests".into(), request).await;
    post_json(app, &client, format!("/api/v1/clients/{client_id}/erasure-request"), json!({})).await;
    app.app.request_link(CLIENT, immovr_app::ports::LinkPurpose::MagicLink).await.unwrap();
    app.app.request_link(CLIENT, immovr_app::ports::LinkPurpose::PasswordReset).await.unwrap();
    let new = json!({"client": {"kind": "person", "name": "Nouveau", "email": "nouveau@client.example",
        "billing_address": {"line1": "2 rue du Test", "postcode": "69001", "city": "Lyon"}}, "password": "new-password"});
    assert_eq!(app.post("", "/api/v1/auth/signup", new).await.status, StatusCode::ACCEPTED);
    let existing = json!({"client": {"kind": "person", "name": "Liens", "email": CLIENT,
        "billing_address": {"line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}}, "password": "another-password"});
    assert_eq!(app.post("", "/api/v1/auth/signup", existing).await.status, StatusCode::ACCEPTED);
    app.settle_outbox().await;
    let first_emails = emails(app);
    walk.follow(app, &first_emails).await;

    // A month on, an overdue reminder: its link works; the first links (30 days) no longer do.
    app.clock.advance_days(32);
    assert!(app.app.queue_reminders().await.unwrap() >= 1);
    let policy = immovr_core::model::RetentionPolicy { prospect_months: 1, client_months: 1200, ..Default::default() };
    let run = app.app.apply_retention(&immovr_core::Actor::system(), &policy).await.unwrap();
    assert!(!run.prospects.is_empty(), "{run:?}");
    app.settle_outbox().await;
    walk.expect("invoice_overdue", format!("/compte/factures/{invoice2}"));
    // (The sessions opened a month ago have ended.)
    walk.client_browser = app.browser_login(CLIENT, "client-password").await.0;
    walk.staff_browser = app.browser_login("admin@test.example", "admin-password").await.0;
    let later: Vec<Email> = emails(app).into_iter().filter(|e| e.row > first_emails.last().unwrap().row).collect();
    walk.follow(app, &later).await;
    let all: Vec<Email> = emails(app);
    let kinds: BTreeSet<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    let every = [
        "quote_sent",
        "quote_extended",
        "quote_expiring",
        "purchase_order_created",
        "purchase_order_cancelled",
        "order_registered",
        "stage_planned",
        "stage_done",
        "order_delivered",
        "invoice_issued",
        "payment_received",
        "credit_note_issued",
        "invoice_overdue",
        "message_received",
        "magic_link",
        "password_reset",
        "signup_confirm",
        "signup_existing",
        "quote_request_received",
        "quote_accepted",
        "quote_refused",
        "client_message_received",
        "erasure_requested",
        "retention_applied",
    ];
    assert_eq!(kinds, every.into_iter().collect(), "every email kind was followed");
    let old = all.iter().find(|e| e.kind == "quote_sent").unwrap();
    let (status, _, html) = get(&browser(), app, &old.path).await;
    assert_eq!(status, StatusCode::GONE, "an expired link");
    assert!(html.contains("plus valable"), "{html}");
});

both!(a_link_opens_its_document_only_and_accepting_still_takes_the_signature, async |app: &TestApp| {
    let (client_id, _) = app.client_login("Liens").await;
    let (full, full_csrf, _) = app.browser_login(CLIENT, "client-password").await;
    let other = app.sent_quote(client_id, &[("Plan 2D", "1", "120.00", "20")]).await;
    let q = app.sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390.00", "20")]).await;
    app.settle_outbox().await;
    let email = emails(app).into_iter().rfind(|e| e.kind == "quote_sent").unwrap();
    let link = email.path.clone();
    let b = browser();
    let (status, page, _) = get(&b, app, &link).await;
    assert_eq!((status, page.as_str()), (StatusCode::SEE_OTHER, format!("/compte/devis/{q}").as_str()));
    let (status, _, html) = get(&b, app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("data-live"), "no live feed: it is the account's");
    // Nothing else: the account's pages, another quote, the API.
    for path in ["/compte", "/compte/devis", &format!("/compte/devis/{other}"), "/compte/profil"] {
        let (status, to, _) = get(&b, app, path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert!(to.starts_with("/connexion?suivant="), "{path}: {to}");
    }
    assert_eq!(get(&b, app, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&b, app, &format!("/api/v1/quotes/{q}/pdf")).await.0, StatusCode::UNAUTHORIZED);
    // Its page's PDF only (another document through its address: not found).
    assert_eq!(pdfs_download(&b, app, &html).await, 1);
    let (status, ..) = get(&b, app, &format!("/compte/devis/{q}/pdf/quote/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A tampered link opens nothing.
    let tampered = link.replace(&format!(".d{q}."), &format!(".d{other}."));
    assert_ne!(tampered, link);
    assert_eq!(get(&browser(), app, &tampered).await.0, StatusCode::GONE);

    // Accepting takes the signature step, as in a full session; the evidence keeps the link.
    let token = csrf(&html);
    let accept = format!("{}/compte/devis/{q}/accepter", app.base);
    let r = b.post(&accept).form(&[("csrf", token.as_str()), ("signer_name", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body["status"], "sent");
    let signed = [("csrf", token.as_str()), ("signer_name", "Claire Dubois"), ("consent", "on"), ("terms", "on")];
    let r = b.post(&accept).form(&signed).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let quote = app.get(&app.admin, &format!("/api/v1/quotes/{q}")).await.body;
    assert_eq!(quote["status"], "accepted", "{quote}");
    let outbox = app.list(&app.admin, "/api/v1/outbox").await;
    let row = outbox.iter().find(|r| r["id"] == email.row).unwrap();
    assert_eq!(quote["acceptance"]["link_sent_at"], row["created_at"], "{quote}");
    let audit = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=quote&entity_id={q}")).await;
    let accepted = audit.iter().find(|e| e["action"] == "quote.accepted").expect("the acceptance's audit");
    assert_eq!(accepted["detail"]["email_link_sent_at"], row["created_at"], "{accepted}");
    let bo = app.get(&app.admin, &format!("/api/v1/quotes/{q}/accepted-pdf")).await;
    assert_eq!(bo.status, StatusCode::OK);

    // Signing out everywhere closes the link's session and voids the link.
    let r = full.post(format!("{}/deconnexion/partout", app.base)).form(&[("csrf", full_csrf.as_str())]).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::SEE_OTHER);
    let (status, to, _) = get(&b, app, &page).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/connexion"), "{to}");
    let (status, to, _) = get(&full, app, "/compte").await;
    assert!(status == StatusCode::SEE_OTHER && to.starts_with("/connexion"), "the full session too: {to}");
    assert_eq!(get(&browser(), app, &link).await.0, StatusCode::GONE);
    let audit = app.list(&app.admin, "/api/v1/audit?entity_kind=user").await;
    assert!(audit.iter().any(|e| e["action"] == "account.signed_out_everywhere"), "{audit:?}");
});

both!(the_api_signs_out_everywhere_too, async |app: &TestApp| {
    let (_, first) = app.client_login("Partout").await;
    let second = app.login("partout@client.example", "client-password").await;
    assert_eq!(app.get(&second, "/api/v1/me").await.status, StatusCode::OK);
    let out = app.post(&first, "/api/v1/auth/logout-all", json!({})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    for token in [&first, &second] {
        assert_eq!(app.get(token, "/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "every session ended");
    }
    assert_eq!(app.post("", "/api/v1/auth/logout-all", json!({})).await.status, StatusCode::UNAUTHORIZED);
});

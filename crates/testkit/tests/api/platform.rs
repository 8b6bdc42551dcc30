//! The approved platform (PA), as the French e-invoicing reform wants it between companies: an
//! invoice to a French company is submitted once as a Factur-X flow (B2B, its number as the
//! tracking id, the issued PDF byte for byte with its SHA-256) through the AFNOR Flow Service,
//! despite the platform being down at first; its acknowledgement is read back (searched, or
//! pushed to the webhook) and shown to staff and to the client; a rejection shows its reason; a
//! flow that keeps failing is parked and staff send it again; a private client's invoice is not
//! transmitted; without a platform, the back office says transmission is off.

use immovr_app::ports::{FlowToSubmit, InvoicePlatform};
use immovr_core::Actor;
use immovr_core::model::DocumentKind;
use immovr_testkit::Backend;
use immovr_testkit::pa::{self, FakePlatform};
use sha2::{Digest, Sha256};

use super::*;

pub(super) async fn app_with_platform(backend: Backend, platform: &FakePlatform) -> Option<TestApp> {
    let (url, token_url) = (platform.url.clone(), platform.token_url.clone());
    immovr_testkit::spawn_app_with(backend, move |c| {
        c.platform_url = Some(url);
        c.platform_token_url = Some(token_url);
        c.platform_client_id = Some(pa::CLIENT_ID.into());
        c.platform_client_secret = Some(pa::CLIENT_SECRET.into());
        c.platform_webhook_secret = Some("a-webhook-secret-of-the-studio".into());
        c.platform_registration = Some("0042".into());
        c.mail_retry_seconds = 1;
        c.mail_max_attempts = 3;
    })
    .await
}

/// Waits until the document's transmission reaches `status` (the test clock moves on, so that
/// retries come due).
pub(super) async fn transmission(
    app: &TestApp,
    kind: DocumentKind,
    id: i64,
    status: &str,
) -> immovr_app::ports::Transmission {
    for _ in 0..150 {
        app.clock.advance_seconds(10);
        if let Some(t) = app.app.transmission(&Actor::system(), kind, id).await.unwrap()
            && t.status == status
        {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{kind:?} {id} never {status}: {:?}", app.app.transmission(&Actor::system(), kind, id).await);
}

/// A delivered order's invoice, for a client of `client_id`: its id and number.
pub(super) async fn invoice_for(app: &TestApp, client: &str, client_id: i64) -> (i64, String) {
    let q = app.sent_quote(client_id, &[("Visite virtuelle 360°", "1", "390.00", "20")]).await;
    let d = app.delivered(client, q).await;
    (d.invoice, d.number)
}

pub(super) async fn page(app: &TestApp, b: &immovr_testkit::reqwest::Client, path: &str) -> String {
    b.get(format!("{}{path}", app.base)).send().await.unwrap().text().await.unwrap()
}

async fn journey(backend: Backend) {
    let platform = FakePlatform::start().await;
    let Some(app) = app_with_platform(backend, &platform).await else { return };
    // Down for the first two tries.
    platform.fail_next(2);
    let (client_id, client) = app.client_login("Plateforme").await;
    let (invoice, number) = invoice_for(&app, &client, client_id).await;
    let t = transmission(&app, DocumentKind::Invoice, invoice, "submitted").await;
    assert_eq!(t.attempts, 3, "two 503s, then submitted");
    let flows = platform.flows();
    assert_eq!(flows.len(), 1, "one flow");
    let flow = &flows[0];
    assert_eq!(t.flow_id.as_deref(), Some(flow.flow_id.as_str()));
    assert_eq!(flow.info["trackingId"], number.as_str());
    assert_eq!(
        (flow.info["processingRule"].as_str(), flow.info["flowSyntax"].as_str()),
        (Some("B2B"), Some("Factur-X"))
    );
    // The issued document, byte for byte, with its fingerprint.
    let pdf = app.http.get(format!("{}/api/v1/invoices/{invoice}/pdf", app.base)).bearer_auth(&client).send().await;
    let pdf = pdf.unwrap().bytes().await.unwrap().to_vec();
    assert!(flow.bytes == pdf, "the flow is the issued PDF");
    assert_eq!(flow.info["sha256"], hex::encode(Sha256::digest(&pdf)));

    // Sent again (a lost answer, a crash): the platform's flow is found, none is added.
    let service = immovr_platform::FlowService::new(immovr_platform::PlatformConfig {
        base_url: platform.url.clone(),
        token_url: Some(platform.token_url.clone()),
        client_id: pa::CLIENT_ID.into(),
        client_secret: pa::CLIENT_SECRET.into(),
    })
    .unwrap();
    let again = FlowToSubmit {
        syntax: "Factur-X".into(),
        rule: "B2B".into(),
        tracking_id: number.clone(),
        name: "Facture.pdf".into(),
        sha256: hex::encode(Sha256::digest(&pdf)),
        bytes: pdf.clone(),
    };
    assert_eq!(service.submit(&again).await.unwrap(), flow.flow_id);
    assert_eq!(platform.flows().len(), 1);

    // Deposited: read back by the worker's search; staff and the client see it.
    platform.acknowledge(&number, None);
    assert!(app.app.follow_platform().await.unwrap() >= 1);
    transmission(&app, DocumentKind::Invoice, invoice, "deposited").await;
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let bo = page(&app, &staff, &format!("/gestion/factures/{invoice}")).await;
    assert!(bo.contains(&format!("{number}</strong> — déposée (200)")), "{bo}");
    let (portal, _, _) = app.browser_login("plateforme@client.example", "client-password").await;
    let mine = page(&app, &portal, &format!("/compte/factures/{invoice}")).await;
    assert!(mine.contains("Facture déposée sur la plateforme de facturation électronique le"), "{mine}");

    // A credit note is a flow too; the platform rejects it, through its webhook.
    let cn =
        app.post(&app.admin, &format!("/api/v1/invoices/{invoice}/credit-notes"), json!({"reason": "Erreur"})).await;
    assert_eq!(cn.status, StatusCode::CREATED, "{}", cn.body);
    let (cn_id, cn_number) = (cn.id(), cn.body["number"].as_str().unwrap().to_string());
    transmission(&app, DocumentKind::CreditNote, cn_id, "submitted").await;
    let rejected = platform.acknowledge(&cn_number, Some(("InvalidSchema", "BR-FR-12 : BT-49 absent")));
    let hook = |secret: &str| format!("{}/api/v1/platform/webhook/{secret}", app.base);
    let body = FakePlatform::webhook_body(&rejected);
    let wrong = app.http.post(hook("not-the-secret-at-all")).json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let r = app.http.post(hook("a-webhook-secret-of-the-studio")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = transmission(&app, DocumentKind::CreditNote, cn_id, "rejected").await;
    assert_eq!(t.reason.as_deref(), Some("InvalidSchema : BR-FR-12 : BT-49 absent"));
    let bo = page(&app, &staff, &format!("/gestion/factures/{invoice}")).await;
    assert!(bo.contains("rejetée par la plateforme (213)") && bo.contains("BT-49 absent"), "{bo}");

    // A private person's invoice is not transmitted (B2C: e-reported).
    let person = json!({"client": {"kind": "person", "name": "Léa Martin", "email": "lea@client.example",
        "billing_address": {"line1": "4 rue des Lilas", "postcode": "69003", "city": "Lyon"}}, "password": "client-password"});
    let person_id = app.post(&app.admin, "/api/v1/clients", person).await.id();
    let lea = app.login("lea@client.example", "client-password").await;
    let (private, _) = invoice_for(&app, &lea, person_id).await;
    app.settle_outbox().await;
    assert!(app.app.transmission(&Actor::system(), DocumentKind::Invoice, private).await.unwrap().is_none());
    let bo = page(&app, &staff, &format!("/gestion/factures/{private}")).await;
    assert!(bo.contains("Non transmise : client particulier"), "{bo}");
    // A company without a SIREN: not transmitted either, and staff are told to complete it.
    let unknown = json!({"client": {"kind": "company", "name": "Sans Siren", "email": "sans@client.example",
        "company_name": "Sans Siren SARL", "billing_address": {"line1": "2 rue B", "postcode": "69002", "city": "Lyon"}},
        "password": "client-password"});
    let unknown_id = app.post(&app.admin, "/api/v1/clients", unknown).await.id();
    let sans = app.login("sans@client.example", "client-password").await;
    let (no_siren, _) = invoice_for(&app, &sans, unknown_id).await;
    assert!(app.app.transmission(&Actor::system(), DocumentKind::Invoice, no_siren).await.unwrap().is_none());
    let bo = page(&app, &staff, &format!("/gestion/factures/{no_siren}")).await;
    assert!(
        bo.contains("cette entreprise n’a pas de SIREN") && bo.contains(&format!("/gestion/clients/{unknown_id}")),
        "{bo}"
    );

    // Down for good: parked after three attempts, sent again by staff.
    platform.fail_next(100);
    let (parked, _) = invoice_for(&app, &client, client_id).await;
    let t = transmission(&app, DocumentKind::Invoice, parked, "failed").await;
    assert!(t.last_error.as_deref().unwrap_or("").contains("503"), "{t:?}");
    platform.fail_next(0);
    let html = page(&app, &staff, &format!("/gestion/factures/{parked}")).await;
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_string();
    let retry = staff
        .post(format!("{}/gestion/factures/{parked}/transmissions/{}", app.base, t.id))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::SEE_OTHER);
    transmission(&app, DocumentKind::Invoice, parked, "submitted").await;
    assert_eq!(platform.flows().len(), 3, "the invoice, the credit note, the retried invoice");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invoices_to_companies_go_through_the_platform_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invoices_to_companies_go_through_the_platform_postgres() {
    journey(Backend::Postgres).await;
}

both!(without_a_platform_the_back_office_says_transmission_is_off, async |app: &TestApp| {
    let (client_id, client) = app.client_login("Sans PA").await;
    let (invoice, _) = invoice_for(app, &client, client_id).await;
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let bo = page(app, &staff, &format!("/gestion/factures/{invoice}")).await;
    assert!(bo.contains("Transmission à une plateforme agréée : désactivée"), "{bo}");
    assert!(app.app.transmission(&Actor::system(), DocumentKind::Invoice, invoice).await.unwrap().is_none());
});

//! The retention policy: a prospect three years after its last contact and a former client
//! three years after the relationship ended are erased, a client with business still open is
//! kept, one with recent contact is left alone; ten years on, the documents the law kept for
//! erased clients go too. A dry run lists it and changes nothing; a second run finds nothing
//! more to do.

use immovr_core::Actor;
use immovr_core::model::RetentionPolicy;

use super::*;

/// A client with an accepted quote, delivered and invoiced: (client id, its token, the invoice).
async fn invoiced(app: &TestApp, name: &str) -> (i64, String, i64) {
    let (client_id, client) = app.client_login(name).await;
    let q = app.sent_quote(client_id, &[("Visite", "1", "390", "20")]).await;
    let invoice = app.delivered(&client, q).await.invoice;
    (client_id, client, invoice)
}

fn erased(client: &Value) -> bool {
    client["erased_at"].is_string()
}

// The server's own daily run is given periods it never reaches: the test applies the policy
// itself, at the moments it chooses.
both!(
    the_retention_policy_erases_what_its_periods_let_go_and_keeps_the_rest,
    with | c | {
        (c.retention_prospect_months, c.retention_client_months) = (1200, 1200);
        (c.retention_accounting_years, c.retention_log_days) = (100, 36500);
    },
    async |app: &TestApp| {
        let policy = RetentionPolicy::default();
        let system = Actor::system();
        // A prospect (a request, a quote it never answered), a former client (paid), a client who
        // never paid, and a prospect who comes back two years on.
        let (prospect, prospect_token) = app.client_login("Prospect Ancien").await;
        let request = json!({"property_type": "Maison", "property_address": "5 rue Lointaine, Lyon"});
        app.post(&prospect_token, "/api/v1/quote-requests", request.clone()).await;
        app.sent_quote(prospect, &[("Plan 2D", "1", "120", "20")]).await;
        let (former, _, paid) = invoiced(app, "Client Ancien").await;
        let pay = json!({"method": "transfer", "amount": "468.00", "date": "2026-06-15", "reference": "VIR"});
        assert_eq!(
            app.post(&app.admin, &format!("/api/v1/invoices/{paid}/payments"), pay).await.status,
            StatusCode::CREATED
        );
        let (debtor, _, _) = invoiced(app, "Client Debiteur").await;
        let (returning, _) = app.client_login("Prospect Revenu").await;
        app.clock.advance_days(2 * 365);
        let returning_token = app.login("prospectrevenu@client.example", "client-password").await;
        let back = app.post(&returning_token, "/api/v1/quote-requests", request).await;
        assert_eq!(back.status, StatusCode::CREATED, "{}", back.body);
        app.clock.advance_days(365 + 2);
        let client = |id: i64| async move { app.get(&app.admin, &format!("/api/v1/clients/{id}")).await.body };

        // A dry run lists what is due and changes nothing.
        let due = app.app.retention_due(&system, &policy).await.unwrap();
        assert_eq!(
            (due.prospects.clone(), due.clients.clone(), due.held.clone()),
            (vec![prospect], vec![former], vec![debtor])
        );
        assert_eq!(due.documents, 0, "no document is ten years old yet");
        assert!(due.technical > 0, "sessions ended three years ago: {due:?}");
        assert!(!erased(&client(prospect).await) && !erased(&client(former).await));

        // Applied: the prospect and the former client erased, the debtor kept, the returning one
        // left alone; the studio is told, the journal keeps the counts.
        let run = app.app.apply_retention(&system, &policy).await.unwrap();
        assert_eq!(
            (run.prospects.clone(), run.clients.clone(), run.held.clone()),
            (vec![prospect], vec![former], vec![debtor])
        );
        assert!(run.technical > 0, "{due:?} {run:?}");
        assert!(erased(&client(prospect).await) && erased(&client(former).await));
        assert!(!erased(&client(debtor).await) && !erased(&client(returning).await));
        let invoice = app.get(&app.admin, &format!("/api/v1/invoices/{paid}")).await;
        assert_eq!(invoice.status, StatusCode::OK, "the former client's invoice is kept");
        let pdf = app.http.get(format!("{}/api/v1/invoices/{paid}/pdf", app.base)).bearer_auth(&app.admin).send();
        assert_eq!(pdf.await.unwrap().status(), StatusCode::OK);
        let emails = app.settle_outbox().await;
        assert_eq!(emails.iter().filter(|e| e["kind"] == "retention_applied").count(), 1, "{emails:?}");
        let journal = app.list(&app.admin, "/api/v1/audit?entity_kind=retention").await;
        assert_eq!(journal[0]["detail"]["prospects"], 1, "{journal:?}");
        let why = app.list(&app.admin, &format!("/api/v1/audit?entity_kind=client&entity_id={former}")).await;
        assert!(why.iter().any(|e| e["action"] == "client.erased" && e["detail"]["why"] == "retention"), "{why:?}");

        // Again: nothing more is due, and nobody is emailed again.
        let again = app.app.apply_retention(&system, &policy).await.unwrap();
        assert!(again.prospects.is_empty() && again.clients.is_empty(), "{again:?}");
        assert_eq!(again.held, vec![debtor]);
        let emails = app.settle_outbox().await;
        assert_eq!(emails.iter().filter(|e| e["kind"] == "retention_applied").count(), 1);

        // Ten years on, the documents kept for the erased clients go, files included.
        let files = |root: std::path::PathBuf| walk(&root);
        let before = files(app.files_root());
        app.clock.advance_days(10 * 365 + 3);
        let due = app.app.retention_due(&system, &policy).await.unwrap();
        assert!(due.documents >= 3, "the quote, its purchase order, the invoice: {due:?}");
        let run = app.app.apply_retention(&system, &policy).await.unwrap();
        assert_eq!(run.documents, due.documents);
        let pdf = app.http.get(format!("{}/api/v1/invoices/{paid}/pdf", app.base)).bearer_auth(&app.admin).send();
        assert_eq!(pdf.await.unwrap().status(), StatusCode::NOT_FOUND);
        assert!(walk(&app.files_root()) < before, "their PDFs are removed from the store");
        assert_eq!(app.app.retention_due(&system, &policy).await.unwrap().documents, 0);

        // A policy that would erase too soon is refused.
        let rash = RetentionPolicy { accounting_years: 5, ..policy };
        assert!(app.app.apply_retention(&system, &rash).await.is_err());
    }
);

/// How many files are under a folder.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
        .sum()
}

both!(the_server_applies_the_policy_at_night, async |app: &TestApp| {
    let (prospect, _) = app.client_login("Prospect Nocturne").await;
    let (active, _) = app.client_login("Client Actif").await;
    // Three years on, in the afternoon: nothing happens by day.
    app.clock.advance_days(3 * 365 + 2);
    app.login("clientactif@client.example", "client-password").await;
    let erased_soon = async |id: i64, wait: bool| {
        for _ in 0..if wait { 100 } else { 30 } {
            if erased(&app.get(&app.admin, &format!("/api/v1/clients/{id}")).await.body) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    };
    assert!(!erased_soon(prospect, false).await, "not by day");
    // At 3 in the morning (studio time), the worker erases the prospect only.
    app.clock.advance_minutes(17 * 60);
    assert!(erased_soon(prospect, true).await, "erased at night");
    assert!(!erased(&app.get(&app.admin, &format!("/api/v1/clients/{active}")).await.body));
});

//! The rest of the reform through the platform: each payment of a service invoice to a French
//! company sends its 212 Encaissée status (a CDAR message that passes the official XSD and the
//! BR-FR-CDV schematron) and shows in the invoice's lifecycle; sales to private persons and
//! their payments are e-reported once per ended period (Flux 10.3 and 10.4, valid against the
//! DGFiP's XSD and schematron), B2C; a rejected invoice is corrected and issued again; the
//! buyer's refusal (an incoming CDAR) is read; a platform answering 429 is tried again; requests that the
//! Flow Service's OpenAPI document does not allow are refused by the test platform.

use std::path::PathBuf;
use std::process::Command;

use immovr_core::Actor;
use immovr_core::listing::ListQuery;
use immovr_core::model::{DocumentKind, ReportKind};
use immovr_testkit::Backend;
use immovr_testkit::pa::{self, FakePlatform};
use serde_json::Value;

use super::platform::{app_with_platform, invoice_for, page, transmission};
use super::*;

/// Runs `tests/tools/validate-lifecycle` on a message; panics with its findings.
fn validate(name: &str, xml: &[u8]) {
    let tool =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/tools/validate-lifecycle/validate-lifecycle");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new(tool).arg(&path).output().expect("run validate-lifecycle");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} is not valid:\n{report}\n{}", String::from_utf8_lossy(xml));
}

/// Waits until the platform holds `n` flows of this syntax.
async fn flows_of(app: &TestApp, platform: &FakePlatform, syntax: &str, n: usize) -> Vec<pa::Flow> {
    for _ in 0..150 {
        let flows: Vec<pa::Flow> = platform.flows().into_iter().filter(|f| f.info["flowSyntax"] == syntax).collect();
        if flows.len() >= n {
            return flows;
        }
        app.clock.advance_seconds(10);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never {n} {syntax} flows: {:?}", platform.flows().iter().map(|f| &f.info).collect::<Vec<_>>());
}

async fn pay(app: &TestApp, invoice: i64, amount: &str) {
    let today = app.app.today().to_string();
    let body = json!({"method": "transfer", "amount": amount, "date": today, "reference": "VIR-REFORM"});
    let r = app.post(&app.admin, &format!("/api/v1/invoices/{invoice}/payments"), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn reform(backend: Backend) {
    let platform = FakePlatform::start().await;
    let Some(app) = app_with_platform(backend, &platform).await else { return };
    let (client_id, client) = app.client_login("Encaissement").await;
    let (invoice, number) = invoice_for(&app, &client, client_id).await;
    transmission(&app, DocumentKind::Invoice, invoice, "submitted").await;
    platform.acknowledge(&number, None);
    app.app.follow_platform().await.unwrap();
    transmission(&app, DocumentKind::Invoice, invoice, "deposited").await;

    // Paid in two parts, with a second instance's worker competing for the queue, the platform
    // rate-limiting the first status and losing its answer to the second (kept, but the
    // sender is not told): two 212 statuses, sent once each.
    let second = app.another_instance().await;
    platform.throttle_next(1);
    pay(&app, invoice, "200.00").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    platform.lose_answers_next(1);
    pay(&app, invoice, "268.00").await;
    let statuses = flows_of(&app, &platform, "CDAR", 2).await;
    assert_eq!(statuses.len(), 2, "one status per payment");
    // (The first status waited for the rate limit: they may come in either order.)
    let mut amounts = Vec::new();
    for flow in &statuses {
        assert_eq!((flow.info["processingRule"].as_str(), flow.info.get("flowProfile")), (Some("B2B"), None));
        let xml = String::from_utf8(flow.bytes.clone()).unwrap();
        assert!(xml.contains(&format!("<ram:IssuerAssignedID>{number}</ram:IssuerAssignedID>")), "{xml}");
        let tag = "<ram:ValueAmount currencyID=\"EUR\">";
        let at = xml.find(tag).expect("an amount received") + tag.len();
        amounts.push(xml[at..].split('<').next().unwrap().to_string());
        validate("paid", &flow.bytes);
    }
    amounts.sort();
    assert_eq!(amounts, vec!["200.00", "268.00"]);
    // Both end as submitted (the lost answer's flow found by its tracking id), none twice.
    for _ in 0..100 {
        let open = app.app.unaccepted_transmissions(&Actor::system(), &ListQuery::default()).await.unwrap();
        if open.items.iter().filter(|t| t.syntax == "CDAR").all(|t| t.status == "submitted") {
            break;
        }
        app.clock.advance_seconds(10);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let open = app.app.unaccepted_transmissions(&Actor::system(), &ListQuery::default()).await.unwrap();
    let cdar: Vec<_> = open.items.iter().filter(|t| t.syntax == "CDAR").collect();
    assert!(cdar.len() == 2 && cdar.iter().all(|t| t.status == "submitted"), "{cdar:?}");
    assert_eq!(flows_of(&app, &platform, "CDAR", 2).await.len(), 2, "none sent twice");
    drop(second);
    let codes: Vec<i64> = app
        .app
        .lifecycle(&Actor::system(), DocumentKind::Invoice, invoice)
        .await
        .unwrap()
        .iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(codes, vec![200, 212, 212]);
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let bo = page(&app, &staff, &format!("/gestion/factures/{invoice}")).await;
    assert!(bo.contains("Encaissée (212)") && bo.contains("Déposée (200)"), "{bo}");

    // Rejected by the platform: listed as not accepted; corrected by a credit note, then the
    // corrected invoice is issued from the page and transmitted in turn.
    let (bad, bad_number) = invoice_for(&app, &client, client_id).await;
    transmission(&app, DocumentKind::Invoice, bad, "submitted").await;
    platform.acknowledge(&bad_number, Some(("InvalidSchema", "BR-FR-12 : BT-49 absent")));
    app.app.follow_platform().await.unwrap();
    let listed = page(&app, &staff, "/gestion/plateforme").await;
    assert!(listed.contains(&bad_number) && listed.contains("BT-49 absent"), "{listed}");
    assert!(!listed.contains(&format!(">{number}<")), "the deposited invoice is not listed: {listed}");
    // A payment's status links to the invoice it paid.
    assert!(listed.contains(&format!("<a href=\"/gestion/factures/{invoice}\">212-")), "{listed}");
    let bo = page(&app, &staff, &format!("/gestion/factures/{bad}")).await;
    assert!(
        bo.contains("corrigez-la en l’annulant par un avoir") && bo.contains("Rejetée par la plateforme (213)"),
        "{bo}"
    );
    let cn = app.post(&app.admin, &format!("/api/v1/invoices/{bad}/credit-notes"), json!({"reason": "Rejetée"})).await;
    assert_eq!(cn.status, StatusCode::CREATED, "{}", cn.body);
    let bo = page(&app, &staff, &format!("/gestion/factures/{bad}")).await;
    let at = bo.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = bo[at..].split('"').next().unwrap().to_string();
    assert!(bo.contains("Émettre la facture corrigée"), "{bo}");
    let r = staff
        .post(format!("{}/gestion/factures/{bad}/refacturer", app.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_invoice: i64 = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/gestion/factures/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(new_invoice, bad);
    transmission(&app, DocumentKind::Invoice, new_invoice, "submitted").await;

    // The buyer refuses the corrected invoice (an incoming CDAR, 210 with its reason): read by
    // the worker's search, kept in the invoice's lifecycle, shown to staff; read once.
    let new_number = app.app.invoice(&Actor::system(), new_invoice).await.unwrap().number;
    let refusal = pa::buyer_status(
        &new_number,
        &app.app.today().strftime("%Y%m%d").to_string(),
        210,
        ("TX_TVA_ERR", "Taux de TVA erroné"),
    );
    validate("refusal", refusal.as_bytes());
    platform.receive(&refusal);
    app.app.follow_platform().await.unwrap();
    app.app.follow_platform().await.unwrap();
    let lifecycle = app.app.lifecycle(&Actor::system(), DocumentKind::Invoice, new_invoice).await.unwrap();
    let refused: Vec<_> = lifecycle.iter().filter(|s| s.code == 210).collect();
    assert_eq!(refused.len(), 1, "{lifecycle:?}");
    assert_eq!(
        (refused[0].source.as_str(), refused[0].reason.as_deref()),
        ("buyer", Some("TX_TVA_ERR : Taux de TVA erroné"))
    );
    let bo = page(&app, &staff, &format!("/gestion/factures/{new_invoice}")).await;
    assert!(bo.contains("Refusée par l’acheteur (210)") && bo.contains("TX_TVA_ERR"), "{bo}");

    // A private person: its invoice is not transmitted, its sale and payment are e-reported.
    let person = json!({"client": {"kind": "person", "name": "Léa Martin", "email": "lea@client.example",
        "billing_address": {"line1": "4 rue des Lilas", "postcode": "69003", "city": "Lyon"}}, "password": "client-password"});
    let person_id = app.post(&app.admin, "/api/v1/clients", person).await.id();
    let lea = app.login("lea@client.example", "client-password").await;
    let (private, _) = invoice_for(&app, &lea, person_id).await;
    pay(&app, private, "468.00").await;
    // A second one, paid late (below).
    let (late, _) = invoice_for(&app, &lea, person_id).await;
    // Nothing is reported before the period ends: the last ended one (May) had nothing.
    app.app.ereport_due().await.unwrap();
    let list = ListQuery::default();
    let made = |reports: &[immovr_app::ports::EReportRow]| reports.iter().filter(|r| r.days > 0).count();
    assert_eq!(made(&app.app.ereports(&Actor::system(), &list).await.unwrap().items), 0);
    let queued = app.app.unaccepted_transmissions(&Actor::system(), &list).await.unwrap().items;
    assert!(queued.iter().all(|t| t.syntax != "FRR"), "an empty period sends nothing: {queued:?}");

    // The next month: June's reports (the studio is under the simplified regime: monthly).
    app.clock.advance_days(31);
    app.app.ereport_due().await.unwrap();
    assert!(app.app.ereport_due().await.unwrap().is_empty(), "made once");
    let reports = app.app.ereports(&Actor::system(), &list).await.unwrap().items;
    let mut kinds: Vec<ReportKind> = reports.iter().filter(|r| r.days > 0).map(|r| r.report).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, vec![ReportKind::Payments, ReportKind::Sales]);
    let frr = flows_of(&app, &platform, "FRR", 2).await;
    assert_eq!(frr.len(), 2, "May had nothing: no flow");
    for flow in &frr {
        assert_eq!(flow.info["processingRule"], "B2C");
        validate("ereport", &flow.bytes);
    }
    let xml: Vec<String> = frr.iter().map(|f| String::from_utf8(f.bytes.clone()).unwrap()).collect();
    let sales = xml.iter().find(|x| x.contains("<TransactionsReport>")).expect("a sales report");
    // Only the private person's two sales: 780.00 before VAT, 156.00 of VAT, on receipts (72).
    assert!(sales.contains("<TaxExclusiveAmount>780.00</TaxExclusiveAmount><TaxTotal>156.00</TaxTotal>"), "{sales}");
    assert!(sales.contains("<TaxDueDateTypeCode>72</TaxDueDateTypeCode><CategoryCode>TPS1</CategoryCode>"), "{sales}");
    let payments = xml.iter().find(|x| x.contains("<PaymentsReport>")).expect("a payments report");
    assert!(payments.contains("<Amount>468.00</Amount>") && !payments.contains("200.00"), "{payments}");

    // A transfer received on 30 June, recorded in July after June was reported: it goes with
    // July's payments, dated as received; July had no sale (nothing sent for it).
    let june = immovr_core::ports::NewPayment::Transfer {
        amount: "468.00".parse().unwrap(),
        date: jiff::civil::date(2026, 6, 30),
        reference: "VIR-JUIN".into(),
    };
    app.app.record_payment(&Actor::system(), late, june).await.unwrap();
    app.clock.advance_days(31);
    app.app.ereport_due().await.unwrap();
    let frr = flows_of(&app, &platform, "FRR", 3).await;
    assert_eq!(frr.len(), 3, "July: payments only");
    let july = String::from_utf8(frr[2].bytes.clone()).unwrap();
    assert!(july.contains("<PaymentsReport><ReportPeriod><StartDate>20260701</StartDate>"), "{july}");
    assert!(july.contains("<Date>20260630</Date>") && july.contains("<Amount>468.00</Amount>"), "{july}");
    validate("late", &frr[2].bytes);
    // (A month later: the session has ended.)
    let (staff, _, _) = app.browser_login("admin@test.example", "admin-password").await;
    let listed = page(&app, &staff, "/gestion/plateforme/e-reporting").await;
    assert!(listed.contains("Ventes (10.3)") && listed.contains("Encaissements (10.4)"), "{listed}");

    // The same through the API (accounting; a client is refused).
    let admin = app.login("admin@test.example", "admin-password").await;
    let lc = app.get(&admin, &format!("/api/v1/invoices/{invoice}/lifecycle")).await;
    assert_eq!(lc.status, StatusCode::OK, "{}", lc.body);
    let codes: Vec<i64> = lc.body["statuses"].as_array().unwrap().iter().map(|s| s["code"].as_i64().unwrap()).collect();
    assert_eq!((codes, lc.body["transmission"]["status"].as_str()), (vec![200, 212, 212], Some("deposited")));
    let mut paid: Vec<&str> =
        lc.body["statuses"].as_array().unwrap().iter().filter_map(|s| s["amount"].as_str()).collect();
    paid.sort();
    assert_eq!(paid, vec!["200.00", "268.00"], "{}", lc.body);
    let open = app.get(&admin, "/api/v1/platform/transmissions?limit=1").await;
    assert_eq!(open.body["items"].as_array().map(Vec::len), Some(1), "{}", open.body);
    assert!(open.body["next_cursor"].is_string(), "more than one flow is not accepted: {}", open.body);
    let reports = app.get(&admin, "/api/v1/platform/ereports").await;
    // May's, June's and July's, sales and payments.
    assert_eq!(reports.body["items"].as_array().map(Vec::len), Some(6), "{}", reports.body);
    let lea = app.login("lea@client.example", "client-password").await;
    assert_eq!(app.get(&lea, "/api/v1/platform/ereports").await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_send_their_status_and_private_sales_are_e_reported_sqlite() {
    reform(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_send_their_status_and_private_sales_are_e_reported_postgres() {
    reform(Backend::Postgres).await;
}

/// A restart while a status is being submitted: the platform kept the flow but its answer never
/// reached the old process (its worker aborted mid-request, its lease left behind). After the
/// lease ends the restarted process submits it again, the platform answers that it has it, and
/// the transmission is recorded as submitted: one flow, nothing lost.
async fn restart(backend: Backend) {
    let platform = FakePlatform::start().await;
    let Some(mut app) = app_with_platform(backend, &platform).await else { return };
    let (client_id, client) = app.client_login("Redemarrage").await;
    let (invoice, _) = invoice_for(&app, &client, client_id).await;
    transmission(&app, DocumentKind::Invoice, invoice, "submitted").await;
    platform.hold_answers_next(1);
    pay(&app, invoice, "468.00").await;
    for _ in 0..100 {
        if platform.flows().iter().any(|f| f.info["flowSyntax"] == "CDAR") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.restart().await;
    let submissions = platform.submissions();
    let open = |app: &TestApp| {
        let app = app.app.clone();
        async move {
            let list = app.unaccepted_transmissions(&Actor::system(), &ListQuery::default()).await.unwrap();
            list.items.into_iter().find(|t| t.syntax == "CDAR").expect("the status's transmission")
        }
    };
    assert_eq!(open(&app).await.status, "queued", "the old process never heard back");
    // The old lease (five minutes) runs out.
    app.clock.advance_minutes(6);
    for _ in 0..100 {
        if open(&app).await.status == "submitted" {
            break;
        }
        app.clock.advance_seconds(10);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(open(&app).await.status, "submitted");
    assert!(platform.submissions() > submissions, "submitted again after the restart");
    let statuses: Vec<_> = platform.flows().into_iter().filter(|f| f.info["flowSyntax"] == "CDAR").collect();
    assert_eq!(statuses.len(), 1, "one flow");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_mid_submission_loses_nothing_and_sends_nothing_twice_sqlite() {
    restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_mid_submission_loses_nothing_and_sends_nothing_twice_postgres() {
    restart(Backend::Postgres).await;
}

#[test]
fn the_test_platform_refuses_what_its_openapi_document_does_not_allow() {
    let good = json!({"trackingId": "F-2027-0001", "name": "f.pdf", "processingRule": "B2B", "flowSyntax": "Factur-X",
        "flowProfile": "CIUS", "sha256": "ab".repeat(32)});
    assert_eq!(pa::flow_info_breach(&good), None);
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        pa::flow_info_breach(&b)
    };
    assert!(with("flowSyntax", json!("PDF")).is_some());
    assert!(with("processingRule", json!("B2G")).is_some());
    assert!(with("trackingId", json!("x".repeat(37))).is_some());
    assert!(with("sha256", json!("AB".repeat(32))).is_some());
    assert!(with("colour", json!("blue")).is_some());
    assert!(pa::flow_info_breach(&json!({"trackingId": "x"})).is_some(), "flowSyntax is required");
    assert_eq!(pa::search_breach(&json!({"limit": 100, "where": {"updatedAfter": "2027-01-01T00:00:00Z"}})), None);
    assert!(pa::search_breach(&json!({"limit": 101, "where": {"trackingId": "x"}})).is_some());
    assert!(pa::search_breach(&json!({"where": {}})).is_some());
    assert!(pa::search_breach(&json!({"where": {"updatedAfter": "yesterday"}})).is_some());
}

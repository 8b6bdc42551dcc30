//! `cargo bench -p immovr-testkit --bench flow`: latency of accepting a quote (store level), of
//! the whole quote → order → invoice → payment flow over HTTP, and 8 clients running flows at
//! once (failures, numbering gaps, throughput) — on SQLite, and on PostgreSQL when
//! IMMOVR_TEST_DATABASE_URL is set. Figures go to BENCHMARKS.md; nothing here asserts a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use immovr_core::model::Role;
use immovr_core::money::LineInput;
use immovr_core::ports::{AcceptQuote, NewQuote, Scope};
use immovr_core::{Actor, Store};
use immovr_testkit::serde_json::json;
use immovr_testkit::{Backend, TestApp, spawn_app};

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "| {name} | {n} | {:.2} ms | {:.2} ms | {:.2} ms |",
        mean.as_secs_f64() * 1e3,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
}

fn line() -> LineInput {
    LineInput {
        code: None,
        description: "Visite virtuelle 360°".into(),
        quantity: "1".parse().unwrap(),
        unit: "forfait".into(),
        unit_price: "390.00".parse().unwrap(),
        discount: "0".parse().unwrap(),
        vat_rate: "20".parse().unwrap(),
    }
}

/// One whole flow over HTTP: draft, send, accept, validate, file, deliver (invoice), pay.
async fn flow(app: &TestApp, staff: &str, client: &str, client_id: i64) -> Result<(), String> {
    let check = |a: &immovr_testkit::Answer, what: &str| {
        if a.status.is_success() { Ok(()) } else { Err(format!("{what}: {} {}", a.status, a.body)) }
    };
    let q = app
        .post(staff, "/api/v1/quotes", json!({"client_id": client_id, "title": "Bench", "lines": [
            {"description": "Visite virtuelle 360°", "quantity": "1", "unit": "forfait", "unit_price": "390.00", "vat_rate": "20"},
            {"description": "Home staging", "quantity": "3", "unit": "pièce", "unit_price": "89.00", "vat_rate": "20"}]}))
        .await;
    check(&q, "quote")?;
    let id = q.id();
    check(&app.post(staff, &format!("/api/v1/quotes/{id}/send"), json!({})).await, "send")?;
    let acc = app.post(client, &format!("/api/v1/quotes/{id}/accept"), TestApp::signature()).await;
    check(&acc, "accept")?;
    let po = acc.body["purchase_order"]["id"].as_i64().unwrap();
    let v = app.post(staff, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await;
    check(&v, "validate")?;
    let order = v.body["order_id"].as_i64().unwrap();
    let f = app
        .post(staff, &format!("/api/v1/orders/{order}/deliverables"), json!({"filename": "f.zip", "content_type": "application/zip",
            "size_bytes": 1, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "storage_key": "k"}))
        .await;
    check(&f, "deliverable")?;
    let d = app.post(staff, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
    check(&d, "deliver")?;
    let inv = d.body["invoice"]["id"].as_i64().unwrap();
    let amount = d.body["invoice"]["amount_due"].clone();
    let p = app
        .post(
            staff,
            &format!("/api/v1/invoices/{inv}/payments"),
            json!({"method": "transfer", "amount": amount, "date": "2026-06-15", "reference": "VIR"}),
        )
        .await;
    check(&p, "payment")?;
    if p.body["status"] != "paid" {
        return Err(format!("not paid: {}", p.body));
    }
    Ok(())
}

async fn run(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    println!("\n### {backend:?}\n");
    println!("| measure | n | mean | p50 | p99 |\n|---|---|---|---|---|");

    // A. Accept a quote (with its purchase order), store level, sequential.
    let (client_id, client) = app.signup("Bench").await;
    let staff = Actor { roles: vec![Role::Admin], ..Actor::system() };
    let client_actor = Actor { client_id: Some(client_id), ..Actor::system() };
    let mut ids = Vec::new();
    for _ in 0..300 {
        let q = app
            .store
            .create_quote(
                &staff,
                NewQuote {
                    client_id,
                    request_id: None,
                    title: "B".into(),
                    notes: None,
                    valid_until: None,
                    lines: vec![line()],
                },
            )
            .await
            .unwrap();
        app.store.send_quote(&staff, q.id).await.unwrap();
        ids.push(q.id);
    }
    let mut samples = Vec::new();
    for id in &ids {
        let t = Instant::now();
        app.store
            .accept_quote(
                &client_actor,
                *id,
                AcceptQuote { signer_name: "B".into(), consent: true, terms_accepted: true },
            )
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    stats("accept quote + purchase order (store, one transaction)", samples);

    // B. GET one quote over HTTP.
    let mut samples = Vec::new();
    for id in ids.iter().take(300) {
        let t = Instant::now();
        let a = app.get(&client, &format!("/api/v1/quotes/{id}")).await;
        samples.push(t.elapsed());
        assert!(a.status.is_success());
    }
    stats("GET /api/v1/quotes/{id} (HTTP)", samples);

    // B'. The same quote as the client's HTML page (session cookie, page rendered by maud).
    let browser = immovr_testkit::reqwest::Client::builder().cookie_store(true).build().unwrap();
    browser
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": "bench@client.example", "password": "client-password"}))
        .send()
        .await
        .unwrap();
    let mut samples = Vec::new();
    for id in ids.iter().take(300) {
        let t = Instant::now();
        let page = browser.get(format!("{}/compte/devis/{id}", app.base)).send().await.unwrap();
        let ok = page.status().is_success();
        let _ = page.bytes().await.unwrap();
        samples.push(t.elapsed());
        assert!(ok);
    }
    stats("GET /compte/devis/{id} (HTML page, HTTP)", samples);

    // C. The whole flow over HTTP, sequential (7 requests).
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        flow(&app, &app.admin, &client, client_id).await.unwrap();
        samples.push(t.elapsed());
    }
    stats("quote → order → invoice → payment (HTTP, 7 requests)", samples);

    // D. 8 clients at once, 25 flows each.
    let app = Arc::new(app);
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(app.signup(&format!("Parallel{i}")).await);
    }
    let invoices_before = app.store.invoices(Scope::Staff).await.unwrap().len();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (client_id, token) in clients {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = 0;
            for _ in 0..25 {
                if let Err(e) = flow(&app, &app.admin, &token, client_id).await {
                    eprintln!("flow failed: {e}");
                    failures += 1;
                }
            }
            failures
        }));
    }
    let mut failures = 0;
    for task in tasks {
        failures += task.await.unwrap();
    }
    let elapsed = t.elapsed();
    let mut numbers: Vec<String> =
        app.store.invoices(Scope::Staff).await.unwrap().into_iter().map(|i| i.number).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=numbers.len()).map(|n| format!("F-2026-{n:04}")).collect();
    println!(
        "\n8 concurrent clients × 25 flows: {} flows in {:.2} s ({:.0} flows/s), {failures} failed, {} invoices issued, numbering {}",
        200,
        elapsed.as_secs_f64(),
        200.0 / elapsed.as_secs_f64(),
        numbers.len() - invoices_before,
        if numbers == expected { "gapless, no duplicate" } else { "BROKEN" }
    );
    let app = Arc::try_unwrap(app).ok().expect("tasks done");
    app.stop().await;
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing useful: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
    if let Some(kib) = peak_rss_kib() {
        println!("\npeak memory (whole bench process: server + client + data): {} MiB", kib / 1024);
    }
}

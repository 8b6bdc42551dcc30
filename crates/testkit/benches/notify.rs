//! `cargo bench -p immovr-testkit --bench notify`: notifications queued and sent per second
//! (through lettre to the test kit's SMTP server, over TCP), and the delay from a state change to
//! its live event on an open page — on SQLite (in-process feed) and, when
//! IMMOVR_TEST_DATABASE_URL is set, on PostgreSQL (NOTIFY/LISTEN, the event read on a second
//! instance). Figures go to BENCHMARKS.md; nothing here asserts a time.

use std::time::{Duration, Instant};

use immovr_testkit::serde_json::json;
use immovr_testkit::smtp::SmtpSink;
use immovr_testkit::{Backend, spawn_app_with};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn run(backend: Backend) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let Some(app) = spawn_app_with(backend, move |c| c.smtp_url = Some(url)).await else { return };
    println!("\n### {backend:?}\n");
    let (client_id, client) = app.signup("Bench").await;
    let quote = app.sent_quote(client_id, &[("Visite", "1", "390.00", "20")]).await;
    app.settle_outbox().await;

    // Throughput: 500 staff replies spread over 20 clients' quotes, each queuing an email to
    // that client in its transaction.
    let mut threads = vec![quote];
    for i in 1..20 {
        let (id, _) = app.signup(&format!("Bench{i}")).await;
        threads.push(app.sent_quote(id, &[("Visite", "1", "390.00", "20")]).await);
    }
    app.settle_outbox().await;
    let before = sink.received().len();
    const N: usize = 500;
    let t = Instant::now();
    let mut tasks = Vec::new();
    let app = std::sync::Arc::new(app);
    for w in 0..4 {
        let app = app.clone();
        let threads = threads.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..N / 4 {
                let q = threads[(w * N / 4 + i) % threads.len()];
                let a = app
                    .post(
                        &app.admin,
                        &format!("/api/v1/quotes/{q}/messages"),
                        json!({"body": format!("Réponse {w}-{i}")}),
                    )
                    .await;
                assert!(a.status.is_success(), "{}", a.body);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let queued = t.elapsed();
    while sink.received().len() < before + N {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = t.elapsed();
    println!(
        "{N} notifications to 20 recipients queued in {:.2} s ({:.0}/s, each with its message, over HTTP); all sent over SMTP {:.2} s after the first ({:.0} emails/s)",
        queued.as_secs_f64(),
        N as f64 / queued.as_secs_f64(),
        sent.as_secs_f64(),
        N as f64 / sent.as_secs_f64()
    );
    let _ = client;

    // Delay from a change to its live event on a page (another instance on PostgreSQL).
    let other = if backend == Backend::Postgres { Some(app.another_instance().await) } else { None };
    let base = other.as_ref().map(|o| o.base.clone()).unwrap_or_else(|| app.base.clone());
    let (browser, _, _) = app.browser_login("bench@client.example", "client-password").await;
    let mut events = browser.get(format!("{base}/compte/evenements")).send().await.unwrap();
    let mut delays = Vec::new();
    for i in 0..50 {
        let t = Instant::now();
        let a = app
            .post(&app.admin, &format!("/api/v1/quotes/{quote}/messages"), json!({"body": format!("Réponse {i}")}))
            .await;
        assert!(a.status.is_success(), "{}", a.body);
        let mut seen = String::new();
        while !seen.contains("message_received") {
            let chunk = events.chunk().await.unwrap().expect("event stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        delays.push(t.elapsed());
    }
    delays.sort();
    println!(
        "change → live event on {}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms (50 changes, HTTP request included)",
        if other.is_some() { "another instance (NOTIFY/LISTEN)" } else { "the page (in-process feed)" },
        ms(delays[25]),
        ms(delays[47]),
        ms(delays[49])
    );
    drop(events);
    drop(other);
    let app = std::sync::Arc::try_unwrap(app).ok().expect("tasks done");
    app.stop().await;
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    run(Backend::Sqlite).await;
    run(Backend::Postgres).await;
}

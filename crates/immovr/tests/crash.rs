//! Crashes under load: concurrent journeys (quote → send → accept → validate → upload → deliver →
//! payment), every POST with an `Idempotency-Key`, while the server is killed with SIGKILL at
//! random moments and restarted, at least ten times. Clients retry what got no answer with the
//! same key, as an integration would. Then: one purchase order per accepted quote, gapless invoice
//! numbers, every document renders, every acknowledged record is there, and every key answers
//! (its retry replays the acknowledged answer). On SQLite, and on PostgreSQL when
//! `IMMOVR_TEST_DATABASE_URL` is set.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

const WORKERS: usize = 4;
/// Each worker goes on with journeys until the storm is over, and does at least this many.
const JOURNEYS_PER_WORKER: usize = 3;
const KILLS: usize = 10;

struct Server {
    data: std::path::PathBuf,
    database_url: Option<String>,
    port: u16,
    child: Option<Child>,
}

impl Server {
    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_immovr"));
        c.env_remove("DATABASE_URL")
            .env("IMMOVR_DATA_DIR", &self.data)
            .env("IMMOVR_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("IMMOVR_SIGNUPS_PER_HOUR", "100000")
            .env("RUST_LOG", "error");
        if let Some(url) = &self.database_url {
            c.env("DATABASE_URL", url);
        }
        c
    }

    fn start(&mut self) {
        self.child = Some(self.command().arg("serve").stdout(Stdio::null()).spawn().expect("the server starts"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not come back");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a keyed request was answered, once it was.
#[derive(Clone, Debug)]
struct Acknowledged {
    token: String,
    key: String,
    path: String,
    body: Value,
    status: u16,
    answer: Value,
}

#[derive(Default)]
struct Log {
    acknowledged: Vec<Acknowledged>,
    server_errors: Vec<String>,
    retries: usize,
}

/// A POST with an idempotency key, retried with the same key until it gets an answer: through
/// refused connections (the server is down), cut responses, and `409 idempotency_in_progress`
/// (a run the crash interrupted holds the key until its lease ends).
async fn keyed(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value, log: &Mutex<Log>) -> Value {
    let key = format!("k-{:016x}", rand::rng().random::<u64>());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "{path}: no answer in two minutes");
        let sent = http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&body)
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        let res = match sent {
            Ok(r) => r,
            Err(_) => {
                log.lock().unwrap().retries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let status = res.status().as_u16();
        let Ok(text) = res.text().await else {
            log.lock().unwrap().retries += 1;
            continue;
        };
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 409 && answer["code"] == "idempotency_in_progress" {
            log.lock().unwrap().retries += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        if status >= 500 {
            log.lock().unwrap().server_errors.push(format!("{path}: {status} {text}"));
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        assert!((200..300).contains(&status), "{path}: {status} {text}");
        log.lock().unwrap().acknowledged.push(Acknowledged {
            token: token.to_string(),
            key,
            path: path.to_string(),
            body,
            status,
            answer: answer.clone(),
        });
        return answer;
    }
}

/// A request without a key (sign-up, an upload's PUT, reads), retried while the server is down.
async fn retried(req: impl Fn() -> reqwest::RequestBuilder) -> (u16, bytes::Bytes) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no answer in two minutes");
        if let Ok(res) = req().timeout(Duration::from_secs(20)).send().await {
            let status = res.status().as_u16();
            if let Ok(bytes) = res.bytes().await
                && status < 500
            {
                return (status, bytes);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every item of a paged list.
async fn all(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}{path}?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

/// The token of the sign-up confirmation queued for `email` (read in the outbox, as an admin).
async fn emailed_token(http: &reqwest::Client, base: &str, staff: &str, email: &str) -> String {
    let messages = all(http, base, staff, "/api/v1/outbox").await;
    let m = messages.iter().find(|m| m["kind"] == "signup_confirm" && m["recipient"] == email).expect("a confirmation");
    m["payload"]["url_path"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
}

async fn journey(http: &reqwest::Client, base: &str, staff: &str, client: &(i64, String), n: usize, log: &Mutex<Log>) {
    let (client_id, client_token) = client;
    let quote = keyed(http, base, staff, "/api/v1/quotes", json!({"client_id": client_id, "title": format!("Crash {n}"),
        "lines": [{"description": "Visite virtuelle", "quantity": "1", "unit": "forfait", "unit_price": "390", "vat_rate": "20"},
                  {"description": "Plan 2D", "quantity": "2", "unit": "plan", "unit_price": "80", "vat_rate": "10"}]}), log)
    .await["id"]
        .as_i64()
        .unwrap();
    keyed(http, base, staff, &format!("/api/v1/quotes/{quote}/send"), json!({}), log).await;
    let signature = json!({"signer_name": "Claire Dubois", "consent": true, "terms_accepted": true});
    let po = keyed(http, base, client_token, &format!("/api/v1/quotes/{quote}/accept"), signature, log).await
        ["purchase_order"]["id"]
        .as_i64()
        .unwrap();
    let order =
        keyed(http, base, staff, &format!("/api/v1/purchase-orders/{po}/validate"), json!({}), log).await["order_id"]
            .as_i64()
            .unwrap();
    let url = format!("{base}/api/v1/orders/{order}/files/rendu-{n}.zip");
    let (status, _) =
        retried(|| http.put(&url).bearer_auth(staff).header("content-type", "application/zip").body(vec![7u8; 2048]))
            .await;
    assert_eq!(status, 201, "upload");
    let invoice =
        keyed(http, base, staff, &format!("/api/v1/orders/{order}/deliver"), json!({}), log).await["invoice"].clone();
    keyed(
        http,
        base,
        staff,
        &format!("/api/v1/invoices/{}/payments", invoice["id"]),
        json!({"method": "transfer", "amount": invoice["amount_due"], "date": invoice["issue_date"], "reference": "VIR"}),
        log,
    )
    .await;
}

async fn crash_run(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Server { data: dir.path().join("data"), database_url, port, child: None };
    let out = server
        .command()
        .args(["user", "add", "--email", "crash@studio.example", "--name", "Crash", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = server.command().args(["token", "create", "--email", "crash@studio.example"]).output().unwrap();
    let staff = String::from_utf8_lossy(&out.stdout).trim().to_string();
    server.start();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // Clients sign up before the storm (a sign-up is not keyed: it answers a session).
    let mut clients = Vec::new();
    for w in 0..WORKERS {
        let body = json!({"client": {"kind": "company", "name": format!("Agence {w}"), "email": format!("agence{w}@client.example"),
            "company_name": format!("Agence {w}"), "siren": "123456782", "vat_number": "FR11123456782",
            "billing_address": {"line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}}, "password": "client-password"});
        let res = http.post(format!("{base}/api/v1/auth/signup")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 202);
        let token = emailed_token(&http, &base, &staff, &format!("agence{w}@client.example")).await;
        let res = http
            .post(format!("{base}/api/v1/auth/signup/confirm"))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        clients.push((v["user"]["client_id"].as_i64().unwrap(), v["token"].as_str().unwrap().to_string()));
    }

    let log = Arc::new(Mutex::new(Log::default()));
    let storm_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for (w, client) in clients.into_iter().enumerate() {
        let (http, base, staff, log, over) =
            (http.clone(), base.clone(), staff.clone(), log.clone(), storm_over.clone());
        workers.push(tokio::spawn(async move {
            let mut j = 0;
            while j < JOURNEYS_PER_WORKER || !over.load(std::sync::atomic::Ordering::Relaxed) {
                journey(&http, &base, &staff, &client, w * 1000 + j, &log).await;
                j += 1;
            }
            j
        }));
    }
    // The storm: killed at random moments, restarted after a random pause.
    let mut kills = 0;
    while kills < KILLS {
        let (up, down) = {
            let mut rng = rand::rng();
            (rng.random_range(100..700), rng.random_range(0..300))
        };
        tokio::time::sleep(Duration::from_millis(up)).await;
        server.kill();
        kills += 1;
        tokio::time::sleep(Duration::from_millis(down)).await;
        tokio::task::block_in_place(|| server.start());
    }
    storm_over.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut journeys = 0;
    for w in workers {
        journeys += w.await.unwrap();
    }
    let log = std::mem::take(&mut *log.lock().unwrap());
    assert!(log.server_errors.is_empty(), "server errors: {:?}", log.server_errors);
    assert!(log.retries > 0, "the kills interrupted requests");

    // One purchase order per accepted quote.
    let pos = all(&http, &base, &staff, "/api/v1/purchase-orders").await;
    let mut per_quote: HashMap<i64, usize> = HashMap::new();
    for po in &pos {
        *per_quote.entry(po["quote_id"].as_i64().unwrap()).or_default() += 1;
    }
    assert_eq!(per_quote.len(), journeys, "{per_quote:?}");
    assert!(per_quote.values().all(|&n| n == 1), "a quote with two purchase orders: {per_quote:?}");

    // Gapless invoice numbers, every invoice paid once.
    let invoices = all(&http, &base, &staff, "/api/v1/invoices").await;
    let mut numbers: Vec<u64> =
        invoices.iter().map(|i| i["number"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=journeys as u64).collect::<Vec<_>>(), "invoice numbers");
    for i in &invoices {
        assert_eq!(i["status"], "paid", "{i}");
        assert_eq!(i["payments"].as_array().map(Vec::len), Some(1), "paid once: {i}");
    }

    // Every acknowledged record is there; every document renders.
    let log_ack = log.acknowledged.clone();
    let mut documents = Vec::new();
    for a in &log_ack {
        if a.path == "/api/v1/quotes" {
            let id = a.answer["id"].as_i64().unwrap();
            let (status, _) = retried(|| http.get(format!("{base}/api/v1/quotes/{id}")).bearer_auth(&staff)).await;
            assert_eq!(status, 200, "acknowledged quote {id}");
            documents.push(format!("/api/v1/quotes/{id}/pdf"));
            documents.push(format!("/api/v1/quotes/{id}/accepted-pdf"));
        }
    }
    documents.extend(pos.iter().map(|p| format!("/api/v1/purchase-orders/{}/pdf", p["id"])));
    documents.extend(invoices.iter().map(|i| format!("/api/v1/invoices/{}/pdf", i["id"])));
    for path in &documents {
        let (status, bytes) = retried(|| http.get(format!("{base}{path}")).bearer_auth(&staff)).await;
        assert!(status == 200 && bytes.starts_with(b"%PDF"), "{path}: {status}");
    }

    // Every key answers: its retry replays what was acknowledged.
    let mut replayed = BTreeMap::new();
    for a in &log_ack {
        let res = http
            .post(format!("{base}{}", a.path))
            .bearer_auth(&a.token)
            .header("idempotency-key", &a.key)
            .json(&a.body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!((status, &answer), (a.status, &a.answer), "{} with key {}", a.path, a.key);
        *replayed.entry(a.path.split('/').nth(3).unwrap().to_string()).or_insert(0) += 1;
    }
    assert_eq!(log_ack.len(), journeys * 6, "{replayed:?}");
    server.kill();
    eprintln!("{kills} kills, {} retries, {} keys replayed: {replayed:?}", log.retries, log_ack.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_again_and_again_under_load_sqlite() {
    crash_run(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_again_and_again_under_load_postgres() {
    use sqlx::Connection;
    let Ok(url) = std::env::var("IMMOVR_TEST_DATABASE_URL") else {
        eprintln!("!!! PostgreSQL crash test SKIPPED: IMMOVR_TEST_DATABASE_URL is not set !!!");
        return;
    };
    let name = format!("crash_{:08x}", rand::rng().random::<u32>());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let (head, query) = url.split_once('?').map(|(h, q)| (h, format!("?{q}"))).unwrap_or((&url, String::new()));
    let server_url = head.rsplit_once('/').map(|(s, _)| s).unwrap_or(head);
    let run = tokio::spawn(crash_run(Some(format!("{server_url}/{name}{query}"))));
    let outcome = run.await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

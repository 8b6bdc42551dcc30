//! The load generator: measures immovr from outside, as an integration would.
//!
//! `cargo bench -p immovr --bench load [-- OPTIONS]` builds the release `immovr` binary, starts
//! `immovr serve` as a child process on a fresh database (a temporary SQLite file, and a fresh
//! PostgreSQL database when `--database-url` or `IMMOVR_TEST_DATABASE_URL` names a server) and
//! drives the studio's whole flow over HTTP — quote with 3 lines → send → accept (purchase order)
//! → validate → upload a file → deliver (invoice) → download the invoice PDF → transfer payment —
//! sequentially, then with concurrent workers. It prints per-step and per-flow median / p95 /
//! p99, flows per second, failures, whether invoice numbers are gapless, the server's CPU time
//! per flow (from `/proc/<pid>/stat`, read once the outbox and the renderer are idle, so the
//! background work a flow causes counts; on PostgreSQL the database's processes too, and the
//! database's commits, rows and buffers per flow, which do not drift with the machine) and its
//! peak and steady RSS. `--help` lists the options. Nothing here asserts a time: the figures go
//! to BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[path = "load/compare.rs"]
mod compare;

#[derive(Parser, Clone)]
#[command(about = "Drive immovr's quote-to-cash flow over HTTP and measure the server from outside")]
struct Args {
    /// `cargo bench` passes this; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// sqlite, postgres or both (postgres needs a database URL).
    #[arg(long, default_value = "both")]
    backend: String,
    /// PostgreSQL server to create the benchmark's database on (default: IMMOVR_TEST_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
    /// Sequential flows measured (after a warm-up of 20).
    #[arg(long, default_value_t = 200)]
    sequential: usize,
    /// Concurrent workers.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Flows run by the concurrent workers, in all.
    #[arg(long, default_value_t = 800)]
    flows: usize,
    /// Each concurrent flow signs up a new client (password hashing) instead of reusing one.
    #[arg(long)]
    signup: bool,
    /// Also compare the sequential flow with background work (rendering, emails) running and
    /// paused: two servers side by side, `--sequential` flows on each, interleaved in blocks.
    #[arg(long)]
    compare_paused: bool,
    /// Run the server with its background work (rendering, emails) paused throughout: to look
    /// at what the requests alone do (with `IMMOVR_LOAD_RUST_LOG`, say).
    #[arg(long)]
    paused: bool,
    /// Only the comparison of `--compare-paused`, not the rest of the run.
    #[arg(long)]
    compare_only: bool,
    /// Blocks each side of `--compare-paused` is driven in, alternating.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// The immovr binary (default: the one cargo built for this benchmark).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// First fill the database with generated history (`immovr demo --scale F --no-serve`): 1.0
    /// is ten years of a busy studio.
    #[arg(long)]
    scale: Option<f64>,
    /// Times each read (dashboard, list pages, API lists, a client's home) is measured.
    #[arg(long, default_value_t = 100)]
    reads: usize,
    /// Keep the server's data folder (it is otherwise removed when the run ends) and print where
    /// it is.
    #[arg(long)]
    keep: bool,
    /// Do not wait for the files the last run deleted to be reusable (see `SETTLE`): quicker,
    /// but file creations then cost more.
    #[arg(long)]
    no_settle: bool,
}

// ---------------------------------------------------------------------------------------------
// The server under test, as a child process.

struct Server {
    child: Child,
    pid: u32,
    base: String,
    token: String,
    dir: PathBuf,
    pg: Option<PgDb>,
    keep: bool,
    /// Its renderer and email worker run.
    workers: bool,
}

/// A PostgreSQL database made for one run, dropped afterwards.
struct PgDb {
    admin_url: String,
    name: String,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    fn command(binary: &Path, dir: &Path, url: Option<&str>, listen: &str, workers: bool) -> Command {
        let mut c = Command::new(binary);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("IMMOVR_DATA_DIR", dir)
            .env("IMMOVR_LISTEN", listen)
            .env("IMMOVR_RUN_WORKERS", if workers { "true" } else { "false" })
            // Every flow of `--signup` signs up from this one address.
            .env("IMMOVR_SIGNUPS_PER_HOUR", "1000000")
            // IMMOVR_LOAD_RUST_LOG: the server's log filter, to look inside a run.
            .env("RUST_LOG", std::env::var("IMMOVR_LOAD_RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .current_dir(dir);
        if let Some(url) = url {
            c.env("DATABASE_URL", url);
        }
        // Allocator and runtime settings pass through, to compare them.
        let passed = |k: &str| ["MIMALLOC_", "MALLOC_", "TOKIO_"].iter().any(|p| k.starts_with(p));
        for (k, v) in std::env::vars().filter(|(k, _)| passed(k)) {
            c.env(k, v);
        }
        c
    }

    async fn start(args: &Args, binary: &Path, pg: Option<PgDb>, workers: bool) -> Server {
        let dir = std::env::temp_dir().join(format!("immovr-load-{:x}", rand_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = pg.as_ref().map(|p| p.url.as_str());
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let run = |what: &[&str]| {
            let out = Server::command(binary, &dir, url, &listen, workers).args(what).output().expect("run immovr");
            assert!(out.status.success(), "immovr {what:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        run(&["migrate"]);
        if let Some(scale) = args.scale {
            let started = Instant::now();
            let out = run(&["demo", "--scale", &scale.to_string(), "--no-serve"]);
            let report = out.lines().find(|l| l.starts_with("history generated")).unwrap_or("history generated");
            println!("{report} (scale {scale}, {:.0} s with the demo)", started.elapsed().as_secs_f64());
        }
        run(&[
            "user",
            "add",
            "--email",
            "bench@studio.example",
            "--name",
            "Bench",
            "--role",
            "admin",
            "--password",
            "bench-password",
        ]);
        let token = run(&["token", "create", "--email", "bench@studio.example"]);
        let child = Server::command(binary, &dir, url, &listen, workers)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start immovr serve");
        let pid = child.id();
        let base = format!("http://{listen}");
        // Stopped (and waited for) by `stop`, or killed on drop if the run panics.
        let server = Server { child, pid, base, token, dir, pg, keep: args.keep, workers };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("immovr serve did not become ready");
    }

    async fn stop(mut self) {
        // SIGTERM: a graceful stop.
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        for _ in 0..100 {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.keep {
            TO_REMOVE.lock().unwrap().push(self.dir.clone());
        }
        if self.keep {
            let _ = std::fs::write(self.dir.join("keep"), "");
            println!("data kept in {}", self.dir.display());
            if let Some(pg) = self.pg.take() {
                println!("database kept: {}", pg.url);
            }
        } else if let Some(pg) = self.pg.take() {
            pg.drop_db().await;
        }
    }
}

/// Where the time of the last removal of a run's data folders is kept (its modification time).
fn removal_mark() -> PathBuf {
    std::env::temp_dir().join("immovr-load-removed")
}

/// The data folders this run will remove once it is over.
static TO_REMOVE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// This machine's ext4 has no journal, and without one ext4 will not reuse an inode freed in the
/// last 60 s — 360 s while its inode table block is not written back, which any file created
/// next to it makes it again: every file created meanwhile scans past each of them
/// (`find_inode_bit`, `recently_deleted` in perf). The thousands of files a run leaves, deleted
/// just before the next run, made its file creations cost a fifth of the server's CPU; 1,000
/// files created right after such a deletion took 1.1 s of kernel time instead of 0.09 s. So a
/// run removes its data folders when it is over, and the next one, before it measures, waits
/// until that is six minutes old (`--no-settle`: do not wait, the figures are then disturbed).
const SETTLE: Duration = Duration::from_secs(365);

/// Removes the folders of interrupted runs, then waits out recent removals (see [`SETTLE`]).
fn settle_removals(args: &Args) {
    let mark = removal_mark();
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        let mut removed = false;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with("immovr-load-") && e.path().is_dir() && !e.path().join("keep").exists() {
                removed |= std::fs::remove_dir_all(e.path()).is_ok();
            }
        }
        if removed {
            let _ = std::fs::write(&mark, "");
        }
    }
    let age = std::fs::metadata(&mark).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
    if let Some(age) = age.filter(|a| *a < SETTLE && !args.no_settle) {
        let wait = SETTLE - age;
        eprintln!(
            "waiting {:.0} s: ext4 reuses the inodes the last run freed only after six minutes",
            wait.as_secs_f64()
        );
        std::thread::sleep(wait);
    }
}

/// Removes this run's data folders (kept ones excepted), once nothing more is measured.
fn remove_this_run() {
    let dirs = std::mem::take(&mut *TO_REMOVE.lock().unwrap());
    let removed = dirs.iter().filter(|d| std::fs::remove_dir_all(d).is_ok()).count();
    if removed > 0 {
        let _ = std::fs::write(removal_mark(), "");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl PgDb {
    /// A fresh database on that server, if any (none: SQLite).
    async fn fresh(admin_url: Option<&str>) -> Option<PgDb> {
        match admin_url {
            Some(url) => Some(PgDb::create(url).await),
            None => None,
        }
    }

    async fn create(admin_url: &str) -> PgDb {
        let name = format!("immovr_load_{:x}", rand_u64() & 0xffff_ffff);
        let pool = sqlx::PgPool::connect(admin_url).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.unwrap();
        pool.close().await;
        let mut url = url::Url::parse(admin_url).expect("database URL");
        url.set_path(&format!("/{name}"));
        PgDb { admin_url: admin_url.to_string(), name, url: url.to_string() }
    }

    async fn drop_db(&self) {
        if let Ok(pool) = sqlx::PgPool::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&pool).await;
            pool.close().await;
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() ^ u64::from(std::process::id())
}

// ---------------------------------------------------------------------------------------------
// What the server costs, read from /proc.

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// CPU ticks of every PostgreSQL process on the machine (backends, WAL writer, checkpointer…).
fn postgres_ticks() -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "postgres" {
                total += cpu_ticks(pid).unwrap_or(0);
            }
        }
    }
    total
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// Samples the server's RSS every 20 ms until stopped; keeps the peak.
struct RssSampler {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak_kib.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = status_kib(pid, "VmRSS:") {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        RssSampler { peak_kib, stop, thread: Some(thread) }
    }

    fn peak_mib(&self) -> f64 {
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }

    fn reset(&self) {
        self.peak_kib.store(0, Ordering::Relaxed);
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn rss_mib(pid: u32) -> f64 {
    status_kib(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------------
// The flow.

const STEPS: [&str; 9] =
    ["sign up", "create quote", "send", "accept", "validate", "upload file", "deliver", "invoice PDF", "payment"];

#[derive(Default)]
struct Samples {
    steps: Vec<Vec<Duration>>,
    flows: Vec<Duration>,
    failures: Vec<String>,
    invoice_numbers: Vec<String>,
}

impl Samples {
    fn new() -> Samples {
        Samples { steps: vec![Vec::new(); STEPS.len()], ..Samples::default() }
    }

    fn merge(&mut self, other: Samples) {
        for (a, b) in self.steps.iter_mut().zip(other.steps) {
            a.extend(b);
        }
        self.flows.extend(other.flows);
        self.failures.extend(other.failures);
        self.invoice_numbers.extend(other.invoice_numbers);
    }
}

struct Http {
    http: reqwest::Client,
    base: String,
}

struct Reply {
    status: u16,
    body: Value,
    bytes: usize,
}

impl Http {
    async fn call(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Body>,
    ) -> Result<Reply, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        req = match body {
            Some(Body::Json(v)) => req.json(&v),
            Some(Body::Raw(b)) => req.header("content-type", "application/zip").body(b),
            None => req,
        };
        let res = req.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(format!("{path}: {status} {body}"));
        }
        Ok(Reply { status, body, bytes: bytes.len() })
    }
}

enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

/// A client account the flows act for.
#[derive(Clone)]
struct ClientAccount {
    id: i64,
    token: String,
    email: String,
}

/// Signs up and confirms with the emailed link's token (read in the outbox's newest page, as
/// the admin: what a client's mailbox would show).
async fn sign_up(http: &Http, staff: &str, n: u64) -> Result<ClientAccount, String> {
    let email = format!("agence{n}-{:x}@client.example", rand_u64());
    let r = http
        .call(
            reqwest::Method::POST,
            "",
            "/api/v1/auth/signup",
            Some(Body::Json(json!({
                "client": {
                    "kind": "company", "name": format!("Agence {n}"), "email": email,
                    "company_name": format!("Agence {n} Immobilier"), "siren": "123456782", "vat_number": "FR11123456782",
                    "billing_address": {"line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}
                },
                "password": "client-password"
            }))),
        )
        .await?;
    if r.status != 202 {
        return Err(format!("sign-up: {}", r.status));
    }
    let outbox = http.call(reqwest::Method::GET, staff, "/api/v1/outbox?limit=200", None).await?;
    let token = outbox.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["kind"] == "signup_confirm" && m["recipient"] == email.as_str()))
        .and_then(|m| m["payload"]["url_path"].as_str())
        .and_then(|p| p.rsplit('/').next())
        .ok_or("no confirmation email")?
        .to_string();
    let r = http
        .call(reqwest::Method::POST, "", "/api/v1/auth/signup/confirm", Some(Body::Json(json!({"token": token}))))
        .await?;
    Ok(ClientAccount {
        id: r.body["user"]["client_id"].as_i64().ok_or("no client id")?,
        token: r.body["token"].as_str().ok_or("no token")?.to_string(),
        email,
    })
}

static FLOW_NUMBER: AtomicU64 = AtomicU64::new(0);

/// One whole flow; the client is signed up first when `client` is `None`.
async fn flow(http: &Http, staff: &str, client: Option<&ClientAccount>, today: &str, out: &mut Samples) {
    let started = Instant::now();
    match flow_steps(http, staff, client, today, out).await {
        Ok(number) => {
            out.flows.push(started.elapsed());
            out.invoice_numbers.push(number);
        }
        Err(e) => out.failures.push(e),
    }
}

async fn flow_steps(
    http: &Http,
    staff: &str,
    client: Option<&ClientAccount>,
    today: &str,
    out: &mut Samples,
) -> Result<String, String> {
    use reqwest::Method;
    let n = FLOW_NUMBER.fetch_add(1, Ordering::Relaxed);
    let mut timed = Instant::now();
    let mut lap = |out: &mut Samples, step: usize| {
        out.steps[step].push(timed.elapsed());
        timed = Instant::now();
    };
    let signed_up;
    let client = match client {
        Some(c) => c,
        None => {
            signed_up = sign_up(http, staff, n).await?;
            lap(out, 0);
            &signed_up
        }
    };
    let q = http
        .call(
            Method::POST,
            staff,
            "/api/v1/quotes",
            Some(Body::Json(json!({"client_id": client.id, "title": format!("Visite virtuelle — lot {n}"), "lines": [
                {"description": "Visite virtuelle 360°", "quantity": "1", "unit": "forfait", "unit_price": "390.00", "vat_rate": "20"},
                {"description": "Home staging virtuel", "quantity": "3", "unit": "pièce", "unit_price": "89.00", "vat_rate": "20", "discount": "10.00"},
                {"description": "Plan 2D", "quantity": "1", "unit": "forfait", "unit_price": "120.00", "vat_rate": "10"}]}))),
        )
        .await?;
    let quote = q.body["id"].as_i64().ok_or("no quote id")?;
    lap(out, 1);
    http.call(Method::POST, staff, &format!("/api/v1/quotes/{quote}/send"), Some(Body::Json(json!({})))).await?;
    lap(out, 2);
    let a = http
        .call(
            Method::POST,
            &client.token,
            &format!("/api/v1/quotes/{quote}/accept"),
            Some(Body::Json(json!({"signer_name": "Claire Dubois", "consent": true, "terms_accepted": true}))),
        )
        .await?;
    let po = a.body["purchase_order"]["id"].as_i64().ok_or("no purchase order")?;
    lap(out, 3);
    let v = http
        .call(Method::POST, staff, &format!("/api/v1/purchase-orders/{po}/validate"), Some(Body::Json(json!({}))))
        .await?;
    let order = v.body["order_id"].as_i64().ok_or("no order")?;
    lap(out, 4);
    let file: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    http.call(Method::PUT, staff, &format!("/api/v1/orders/{order}/files/visite-360.zip"), Some(Body::Raw(file)))
        .await?;
    lap(out, 5);
    let d =
        http.call(Method::POST, staff, &format!("/api/v1/orders/{order}/deliver"), Some(Body::Json(json!({})))).await?;
    let invoice = d.body["invoice"]["id"].as_i64().ok_or("no invoice")?;
    let number = d.body["invoice"]["number"].as_str().ok_or("no invoice number")?.to_string();
    let amount = d.body["invoice"]["amount_due"].clone();
    lap(out, 6);
    let pdf = http.call(Method::GET, &client.token, &format!("/api/v1/invoices/{invoice}/pdf"), None).await?;
    if pdf.bytes < 1000 || pdf.status != 200 {
        return Err(format!("invoice PDF: {} bytes", pdf.bytes));
    }
    lap(out, 7);
    let p = http
        .call(
            Method::POST,
            staff,
            &format!("/api/v1/invoices/{invoice}/payments"),
            Some(Body::Json(
                json!({"method": "transfer", "amount": amount, "date": today, "reference": format!("VIR {number}")}),
            )),
        )
        .await?;
    if p.body["status"] != "paid" {
        return Err(format!("invoice {number} not paid: {}", p.body));
    }
    lap(out, 8);
    Ok(number)
}

// ---------------------------------------------------------------------------------------------
// Reporting.

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn row(name: &str, samples: &[Duration]) {
    let mut s = samples.to_vec();
    s.sort();
    if s.is_empty() {
        return;
    }
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        s.len(),
        pct(&s, 0.5),
        pct(&s, 0.95),
        pct(&s, 0.99),
        s.last().unwrap().as_secs_f64() * 1e3
    );
}

fn report_latency(samples: &Samples) {
    println!("| step | n | median ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|");
    for (name, s) in STEPS.iter().zip(&samples.steps) {
        row(name, s);
    }
    row("**whole flow**", &samples.flows);
}

/// The run's invoice numbers (one year's series): consecutive with neither gap nor duplicate,
/// from 1 on a fresh database, after the generated history's last number otherwise.
fn gapless(numbers: &[String], fresh: bool) -> String {
    let mut seq: Vec<u64> = numbers.iter().filter_map(|n| n.rsplit('-').next()?.parse().ok()).collect();
    seq.sort_unstable();
    let n = seq.len() as u64;
    let dupes = seq.windows(2).filter(|w| w[0] == w[1]).count();
    let first = if fresh { 1 } else { seq.first().copied().unwrap_or(1) };
    let expected = (first..first + n).collect::<Vec<_>>() == seq;
    if expected {
        format!("{n} invoices, numbered {first}..{}: gapless, no duplicate", first + n - 1)
    } else {
        format!("{n} invoices: BROKEN numbering ({dupes} duplicates, first {:?}, last {:?})", seq.first(), seq.last())
    }
}

/// Waits until the server has nothing left to do: no email pending and its CPU time still for
/// half a second (the renderer and the email worker are idle).
async fn settle(http: &Http, server: &Server) {
    if !server.workers {
        // Its emails wait: only its CPU time can still.
        tokio::time::sleep(Duration::from_millis(500)).await;
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending =
            match http.call(reqwest::Method::GET, &server.token, "/api/v1/outbox?status=pending&limit=100", None).await
            {
                Ok(r) => r.body["items"].as_array().map_or(0, Vec::len),
                Err(_) => 0,
            };
        let before = cpu_ticks(server.pid);
        tokio::time::sleep(Duration::from_millis(500)).await;
        if pending == 0 && cpu_ticks(server.pid) == before {
            return;
        }
        if Instant::now() > deadline {
            println!("(the server did not settle within 120 s: {pending} emails pending)");
            return;
        }
    }
}

struct Cpu {
    app: u64,
    db: u64,
    work: Option<DbWork>,
}

/// Once the server is idle: its CPU time, PostgreSQL's, and what PostgreSQL did for the run's
/// database.
async fn cpu_now(server: &Server) -> Cpu {
    let work = db_work(server).await;
    Cpu { app: cpu_ticks(server.pid).unwrap_or(0), db: if server.pg.is_some() { postgres_ticks() } else { 0 }, work }
}

/// What PostgreSQL did for the run's database (`pg_stat_database`): counts that do not drift
/// with the machine's speed, as its CPU time does.
#[derive(Clone, Copy)]
struct DbWork {
    commits: i64,
    returned: i64,
    fetched: i64,
    hit: i64,
    read: i64,
}

/// A backend reports its counters when it has been idle ten seconds (`PGSTAT_IDLE_INTERVAL`),
/// or at most once a second while busy: read after that long idle, they are whole.
const PG_STATS_DELAY: Duration = Duration::from_millis(10_500);

async fn db_work(server: &Server) -> Option<DbWork> {
    let pg = server.pg.as_ref()?;
    tokio::time::sleep(PG_STATS_DELAY).await;
    // From the administration database, so that reading adds nothing to the run's counters.
    let pool = sqlx::PgPool::connect(&pg.admin_url).await.ok()?;
    let row: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT xact_commit, tup_returned, tup_fetched, blks_hit, blks_read FROM pg_stat_database WHERE datname = $1",
    )
    .bind(&pg.name)
    .fetch_optional(&pool)
    .await
    .ok()
    .flatten();
    pool.close().await;
    let (commits, returned, fetched, hit, read) = row?;
    Some(DbWork { commits, returned, fetched, hit, read })
}

fn report_cpu(before: &Cpu, after: &Cpu, flows: usize, ticks: f64) -> f64 {
    let per = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / ticks * 1e3 / flows.max(1) as f64;
    let app = per(before.app, after.app);
    if after.db > 0 {
        let db = per(before.db, after.db);
        println!("server CPU per flow, background work included: {app:.1} ms immovr + {db:.1} ms PostgreSQL");
        if let (Some(b), Some(a)) = (before.work, after.work) {
            let n = flows.max(1) as f64;
            let per = |x: i64, y: i64| (y - x) as f64 / n;
            println!(
                "PostgreSQL's work per flow (`pg_stat_database`): {:.1} commits, rows {:.0} returned / {:.0} fetched, \
                 {:.0} buffers hit / {:.1} read",
                per(b.commits, a.commits),
                per(b.returned, a.returned),
                per(b.fetched, a.fetched),
                per(b.hit, a.hit),
                per(b.read, a.read)
            );
        }
    } else {
        println!("server CPU per flow, background work included: {app:.1} ms");
    }
    app
}

// ---------------------------------------------------------------------------------------------
// Phases.

async fn sequential(http: &Http, server: &Server, clients: &[ClientAccount], today: &str, n: usize) -> Samples {
    let mut out = Samples::new();
    for _ in 0..n {
        flow(http, &server.token, Some(&clients[0]), today, &mut out).await;
    }
    out
}

async fn concurrent(
    http: &Arc<Http>,
    server: &Server,
    clients: &[ClientAccount],
    today: &str,
    flows: usize,
    signup: bool,
) -> (Samples, Duration) {
    let started = Instant::now();
    let workers = clients.len();
    let mut tasks = Vec::new();
    for (w, client) in clients.iter().enumerate() {
        let (http, staff, client, today) = (http.clone(), server.token.clone(), client.clone(), today.to_string());
        let mine = flows / workers + usize::from(w < flows % workers);
        tasks.push(tokio::spawn(async move {
            let mut out = Samples::new();
            for _ in 0..mine {
                flow(&http, &staff, (!signup).then_some(&client), &today, &mut out).await;
            }
            out
        }));
    }
    let mut all = Samples::new();
    for t in tasks {
        all.merge(t.await.unwrap());
    }
    (all, started.elapsed())
}

async fn run_backend(args: &Args, binary: &Path, pg_admin: Option<&str>) {
    let ticks = clock_ticks();
    let label = if pg_admin.is_some() { "PostgreSQL" } else { "SQLite" };
    let today = {
        let out = Command::new("date").arg("+%Y-%m-%d").output().expect("date");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    if args.compare_only {
        println!("\n## {label}");
        compare::interleaved(args, binary, pg_admin, &today).await;
        return;
    }
    let server = Server::start(args, binary, PgDb::fresh(pg_admin).await, !args.paused).await;
    let sampler = RssSampler::start(server.pid);
    let http = Arc::new(Http {
        http: reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap(),
        base: server.base.clone(),
    });
    println!("\n## {label} (server pid {}, idle RSS {:.1} MiB)\n", server.pid, rss_mib(server.pid));

    let mut clients = Vec::new();
    for w in 0..args.workers.max(1) {
        clients.push(sign_up(&http, &server.token, 1_000_000 + w as u64).await.expect("sign-up"));
    }
    // Warm-up: first renders, prepared statements, connections.
    let warm = sequential(&http, &server, &clients, &today, 20).await;
    assert!(warm.failures.is_empty(), "warm-up failed: {:?}", warm.failures);
    settle(&http, &server).await;
    let mut numbers = warm.invoice_numbers;

    println!("### Sequential: {} flows, one client reused\n", args.sequential);
    let before = cpu_now(&server).await;
    let started = Instant::now();
    let seq = sequential(&http, &server, &clients, &today, args.sequential).await;
    let wall = started.elapsed();
    settle(&http, &server).await;
    let after = cpu_now(&server).await;
    report_latency(&seq);
    println!();
    report_cpu(&before, &after, seq.flows.len(), ticks);
    println!(
        "{} flows in {:.2} s ({:.1} flows/s), {} failed; RSS {:.1} MiB after, peak {:.1} MiB",
        seq.flows.len(),
        wall.as_secs_f64(),
        seq.flows.len() as f64 / wall.as_secs_f64(),
        seq.failures.len(),
        rss_mib(server.pid),
        sampler.peak_mib()
    );
    for f in seq.failures.iter().take(5) {
        println!("  failure: {f}");
    }
    numbers.extend(seq.invoice_numbers.iter().cloned());

    let what = if args.signup { "a new client signed up per flow" } else { "one client per worker" };
    println!("\n### Concurrent: {} workers, {} flows, {what}\n", args.workers, args.flows);
    sampler.reset();
    let before = cpu_now(&server).await;
    let (conc, wall) = concurrent(&http, &server, &clients, &today, args.flows, args.signup).await;
    let peak_during = sampler.peak_mib();
    settle(&http, &server).await;
    let after = cpu_now(&server).await;
    report_latency(&conc);
    println!();
    report_cpu(&before, &after, conc.flows.len(), ticks);
    println!(
        "{} flows in {:.2} s: **{:.1} flows/s**, {} failed",
        conc.flows.len(),
        wall.as_secs_f64(),
        conc.flows.len() as f64 / wall.as_secs_f64(),
        conc.failures.len()
    );
    for f in conc.failures.iter().take(5) {
        println!("  failure: {f}");
    }
    numbers.extend(conc.invoice_numbers.iter().cloned());
    println!(
        "RSS: peak {:.1} MiB during the run, {:.1} MiB once idle (VmHWM {:.1} MiB)",
        peak_during,
        rss_mib(server.pid),
        status_kib(server.pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    println!("invoice numbers: {}", gapless(&numbers, args.scale.is_none()));
    reads(args, &server, &http, &clients[0]).await;
    println!(
        "RSS after the reads: {:.1} MiB (peak over the whole run {:.1} MiB)",
        rss_mib(server.pid),
        status_kib(server.pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    drop(sampler);
    server.stop().await;

    if args.compare_paused {
        compare::interleaved(args, binary, pg_admin, &today).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Reads: what a studio and its clients look at all day, on whatever history the database holds.

/// A browser-like session (cookies kept, redirects not followed) signed in through the login form.
async fn browser_login(base: &str, email: &str, password: &str) -> Result<reqwest::Client, String> {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let html = b.get(format!("{base}/connexion")).send().await.map_err(|e| e.to_string())?;
    let html = html.text().await.map_err(|e| e.to_string())?;
    let at = html.find("name=\"csrf\" value=\"").ok_or("no login form")? + 19;
    let csrf = html[at..].split('"').next().unwrap_or_default().to_string();
    let r = b
        .post(format!("{base}/connexion"))
        .form(&[("email", email), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().as_u16() != 303 {
        return Err(format!("login as {email}: {}", r.status()));
    }
    Ok(b)
}

/// The newest id of an API list (its first item), to aim a cursor half-way down its history.
async fn newest_id(http: &Http, token: &str, list: &str) -> i64 {
    match http.call(reqwest::Method::GET, token, &format!("{list}?limit=1"), None).await {
        Ok(r) => r.body["items"][0]["id"].as_i64().unwrap_or(2),
        Err(_) => 2,
    }
}

async fn reads(args: &Args, server: &Server, http: &Http, client: &ClientAccount) {
    println!("\n### Reads: each {} times, one after the other\n", args.reads);
    let base = server.base.as_str();
    let staff = browser_login(base, "bench@studio.example", "bench-password").await.expect("staff login");
    let portal = browser_login(base, &client.email, "client-password").await.expect("client login");
    let token = server.token.as_str();
    // Half-way down (a cursor is a positive id: with one record, the page after it).
    let deep = async |list: &str| format!("c{}", (newest_id(http, token, list).await / 2).max(1));
    let (quotes, orders, invoices, clients, audit, outbox, pos, requests) = (
        deep("/api/v1/quotes").await,
        deep("/api/v1/orders").await,
        deep("/api/v1/invoices").await,
        deep("/api/v1/clients").await,
        deep("/api/v1/audit").await,
        deep("/api/v1/outbox").await,
        deep("/api/v1/purchase-orders").await,
        deep("/api/v1/quote-requests").await,
    );
    // Words a studio searches for: a client's name as the quote list shows it (first word).
    let word = match http.call(reqwest::Method::GET, token, "/api/v1/clients?limit=1", None).await {
        Ok(r) => {
            r.body["items"][0]["name"].as_str().unwrap_or("Agence").split(' ').next().unwrap_or("Agence").to_string()
        }
        Err(_) => "Agence".into(),
    };
    let word = url::form_urlencoded::byte_serialize(word.as_bytes()).collect::<String>();
    enum Who {
        Staff,
        Client,
        Api,
    }
    use Who::*;
    let reads: Vec<(Who, String)> = vec![
        (Staff, "/gestion".into()),
        (Staff, "/gestion/demandes".into()),
        (Staff, format!("/gestion/demandes?cursor={requests}")),
        (Staff, "/gestion/devis".into()),
        (Staff, format!("/gestion/devis?cursor={quotes}")),
        (Staff, format!("/gestion/devis?q={word}")),
        (Staff, "/gestion/devis?status=sent".into()),
        (Staff, "/gestion/bons-de-commande".into()),
        (Staff, format!("/gestion/bons-de-commande?cursor={pos}")),
        (Staff, "/gestion/commandes".into()),
        (Staff, format!("/gestion/commandes?cursor={orders}")),
        (Staff, "/gestion/commandes?status=open".into()),
        (Staff, "/gestion/factures".into()),
        (Staff, format!("/gestion/factures?cursor={invoices}")),
        (Staff, "/gestion/factures?status=overdue".into()),
        (Staff, format!("/gestion/factures?q={word}")),
        (Staff, "/gestion/clients".into()),
        (Staff, format!("/gestion/clients?cursor={clients}")),
        (Staff, format!("/gestion/clients?q={word}")),
        (Staff, "/gestion/journal".into()),
        (Staff, format!("/gestion/journal?cursor={audit}")),
        (Staff, "/gestion/courriels".into()),
        (Staff, format!("/gestion/courriels?cursor={outbox}")),
        (Client, "/compte".into()),
        (Client, "/compte/devis".into()),
        (Client, "/compte/commandes".into()),
        (Client, "/compte/factures".into()),
        (Api, "/api/v1/quotes".into()),
        (Api, format!("/api/v1/quotes?cursor={quotes}")),
        (Api, format!("/api/v1/quotes?q={word}")),
        (Api, "/api/v1/quotes?status=accepted".into()),
        (Api, format!("/api/v1/quotes?client_id={}", client.id)),
        (Api, "/api/v1/orders".into()),
        (Api, format!("/api/v1/orders?cursor={orders}")),
        (Api, "/api/v1/invoices".into()),
        (Api, format!("/api/v1/invoices?cursor={invoices}")),
        (Api, "/api/v1/invoices?status=unpaid".into()),
        (Api, "/api/v1/invoices?from=2020-01-01&to=2020-12-31".into()),
        (Api, format!("/api/v1/clients?q={word}")),
        (Api, "/api/v1/quotes?from=2018-06-01&to=2018-06-30".into()),
        (Api, "/api/v1/invoices?to=2018-12-31".into()),
        (Api, "/api/v1/quotes?to=2018-12-31".into()),
        (Api, "/api/v1/audit?to=2018-12-31".into()),
        (Api, format!("/api/v1/audit?cursor={audit}")),
        (Api, "/api/v1/audit?from=2019-03-01&to=2019-03-31".into()),
        (Api, "/api/v1/audit?from=2018-01-01".into()),
        (Api, format!("/api/v1/outbox?cursor={outbox}")),
    ];
    println!("| read | n | median ms | p95 ms | p99 ms | max ms | bytes |\n|---|---|---|---|---|---|---|");
    let mut worst = (0.0f64, String::new());
    for (who, path) in reads {
        let mut samples = Vec::with_capacity(args.reads);
        let mut size = 0;
        for _ in 0..args.reads {
            let started = Instant::now();
            let outcome = match who {
                Staff | Client => {
                    let b = if matches!(who, Staff) { &staff } else { &portal };
                    match b.get(format!("{base}{path}")).send().await {
                        Ok(r) if r.status().is_success() => r.bytes().await.map(|b| b.len()).map_err(|e| e.to_string()),
                        Ok(r) => Err(format!("{}", r.status())),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Api => http.call(reqwest::Method::GET, token, &path, None).await.map(|r| r.bytes),
            };
            match outcome {
                Ok(n) => size = n,
                Err(e) => {
                    println!("| {path} | failed: {e} |");
                    break;
                }
            }
            samples.push(started.elapsed());
        }
        samples.sort();
        if samples.is_empty() {
            continue;
        }
        let p99 = pct(&samples, 0.99);
        if p99 > worst.0 {
            worst = (p99, path.clone());
        }
        println!(
            "| `{path}` | {} | {:.2} | {:.2} | {p99:.2} | {:.2} | {size} |",
            samples.len(),
            pct(&samples, 0.5),
            pct(&samples, 0.95),
            samples.last().unwrap().as_secs_f64() * 1e3
        );
    }
    println!("\nslowest read at p99: {:.2} ms, `{}`", worst.0, worst.1);
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if !args.bench && std::env::args().len() == 1 {
        // `cargo test --benches` runs this without `--bench`: nothing to do then.
        return;
    }
    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_immovr")));
    let pg = args.database_url.clone().or_else(|| std::env::var("IMMOVR_TEST_DATABASE_URL").ok());
    println!("# immovr load run — {}", binary.display());
    settle_removals(&args);
    if matches!(args.backend.as_str(), "sqlite" | "both") {
        run_backend(&args, &binary, None).await;
    }
    if matches!(args.backend.as_str(), "postgres" | "both") {
        match &pg {
            Some(url) => run_backend(&args, &binary, Some(url)).await,
            None => println!("\n(PostgreSQL skipped: no --database-url and IMMOVR_TEST_DATABASE_URL is not set)"),
        }
    }
    remove_this_run();
}

//! Test kit: `spawn_app(Backend::Sqlite | Backend::Postgres)` starts the real server (same wiring
//! as the binary) on 127.0.0.1:0 against a fresh database — a temporary SQLite file, or a
//! PostgreSQL schema of its own in `IMMOVR_TEST_DATABASE_URL` — with a clock the test moves.

mod clock;
mod database;
pub mod pa;
mod restart;
pub mod s3;
pub mod smtp;
mod usecases;

pub use clock::TestClock;
pub use database::drop_place;
pub use s3::{MOTO_ENV, S3Server, s3_server};
pub use usecases::{TestUseCases, use_cases};

use std::io::Write as _;
use std::sync::Arc;

use immovr::Config;
use immovr_core::Actor;
use immovr_core::auth::token_sha256;
use immovr_core::model::{Id, Role};
use immovr_store::SqlStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub use reqwest;
pub use serde_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PG_ENV: &str = "IMMOVR_TEST_DATABASE_URL";

/// Test servers take delivered files up to 8 MiB (the product's default is 4 GiB).
pub const TEST_MAX_UPLOAD: u64 = 8 * 1024 * 1024;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub store: SqlStore,
    /// The server's application: its use cases, called without HTTP.
    pub app: Arc<immovr_app::App>,
    pub backend: Backend,
    /// The server's file store.
    pub files: immovr_files::Files,
    /// The server's document renderer (it counts its renders).
    pub documents: Arc<immovr_app::Documents>,
    /// An API token for an admin (every role).
    pub admin: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pg_schema: Option<String>,
    config: Config,
    _dir: tempfile::TempDir,
}

/// Another server on the same database (a multi-instance deployment); stopped on drop.
pub struct Instance {
    pub base: String,
    /// This instance's document renderer.
    pub documents: Arc<immovr_app::Documents>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What [`TestApp::delivered`] made.
pub struct Delivered {
    pub po: Id,
    pub order: Id,
    pub invoice: Id,
    /// The invoice's number.
    pub number: String,
}

/// The answer to a request: status, JSON body (or Null) and headers.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The problem `code` of an error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> Id {
        self.body["id"].as_i64().unwrap_or_else(|| panic!("no id in {}", self.body))
    }
}

/// Bytes as an upload's body, for the use cases that store files.
pub fn body(content: &'static [u8]) -> immovr_app::ports::ByteStream<'static> {
    let chunk: Result<bytes::Bytes, std::io::Error> = Ok(bytes::Bytes::from_static(content));
    Box::pin(futures_util::stream::iter([chunk]))
}

/// A staff member with these roles and password; gives an API token.
pub async fn staff_token(app: &immovr_app::App, email: &str, password: &str, roles: &[Role]) -> String {
    let (user, _) = app
        .add_staff_member(&Actor::system(), email.into(), email.into(), roles.to_vec(), Some(password.into()))
        .await
        .expect("a staff member");
    let token = immovr_app::tokens::new_token(immovr_app::auth::API_TOKEN_PREFIX);
    app.create_api_token(&Actor::system(), user.id, "tests", &token_sha256(&token)).await.expect("a token");
    token
}

/// Starts the app, or returns `None` (after saying so loudly) when PostgreSQL is asked for but
/// `IMMOVR_TEST_DATABASE_URL` is not set.
/// The token of the newest emailed link of this kind (`signup_confirm`, `magic_link`…) queued
/// for this address, sent or not (the outbox row keeps the link's path).
pub async fn emailed_link(app: &immovr_app::App, kind: &str, email: &str) -> String {
    let all = immovr_core::listing::every(immovr_core::listing::ListQuery::first(), async |q| {
        app.emails(&Actor::system(), &q).await
    })
    .await
    .expect("the outbox");
    let m = all
        .iter()
        .filter(|m| m.kind == kind && m.recipient == email)
        .max_by_key(|m| m.id)
        .unwrap_or_else(|| panic!("no {kind} email to {email}"));
    m.payload["url_path"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// A test's configuration on a fresh database (a temporary folder, and on PostgreSQL a schema of
/// its own); `None` (said loudly) when PostgreSQL is asked for but not configured.
pub(crate) fn test_config(backend: Backend) -> Option<(Config, Option<String>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".into(),
        max_upload_bytes: TEST_MAX_UPLOAD,
        // Tests sign up many clients from one address (the rate limit has its own test).
        signups_per_hour: 100_000,
        ..Config::default()
    };
    let mut pg_schema = None;
    if backend == Backend::Postgres {
        let Ok(url) = std::env::var(PG_ENV) else {
            // Written to the real stderr, past the test harness's capture, so it is seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! PostgreSQL test SKIPPED: {PG_ENV} is not set (CI sets it to postgres://postgres@127.0.0.1:5432/test) !!!"
            );
            return None;
        };
        config.database_url = Some(url);
        pg_schema = Some(format!("t_{:016x}", rand::random::<u64>()));
    }
    Some((config, pg_schema, dir))
}

/// Like `spawn_app`, with a chance to change the configuration first.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let (mut config, pg_schema, dir) = test_config(backend)?;
    configure(&mut config);
    let clock = Arc::new(TestClock::new("2026-06-15T08:00:00Z".parse().unwrap()));
    let store = immovr::open_store(&config, clock.clone(), pg_schema.clone()).await.expect("open store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    if config.public_url.is_none() {
        config.public_url = Some(base.clone());
    }
    let service = immovr::service(&config, store.clone(), clock.clone()).await.expect("the service");
    let app = service.state.app.clone();
    let admin = staff_token(&app, "admin@test.example", "admin-password", &[Role::Admin]).await;
    let files = immovr::open_files(&config).expect("the file store");
    let documents = service.state.app.documents().clone();
    let app_config = config.clone();
    let (tx, server) = restart::serve(listener, service);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    Some(TestApp {
        base,
        http,
        clock,
        store,
        app,
        backend,
        files,
        documents,
        admin,
        shutdown: Some(tx),
        server: Some(server),
        pg_schema,
        config: app_config,
        _dir: dir,
    })
}

impl TestApp {
    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, headers }
    }

    /// Every item of a paged list (`{"items": […], "next_cursor": …}`), following the cursors.
    pub async fn list(&self, token: &str, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = path.to_string();
        loop {
            let a = self.get(token, &url).await;
            assert_eq!(a.status, StatusCode::OK, "{url}: {}", a.body);
            out.extend(
                a.body["items"].as_array().unwrap_or_else(|| panic!("{url}: not a page: {}", a.body)).iter().cloned(),
            );
            match a.body["next_cursor"].as_str() {
                Some(c) => url = format!("{path}{}cursor={c}", if path.contains('?') { '&' } else { '?' }),
                None => return out,
            }
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(reqwest::Method::GET, token, path, None, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, token, path, Some(&body), None).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, token, path, Some(&body), None).await
    }

    /// Uploads a final file of an order (staff), as the API takes it: the raw body.
    pub async fn upload(&self, order: impl std::fmt::Display, filename: &str, content: &[u8]) -> Answer {
        let res = self
            .http
            .put(format!("{}/api/v1/orders/{order}/files/{filename}", self.base))
            .bearer_auth(&self.admin)
            .header("content-type", "application/zip")
            .body(content.to_vec())
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Answer { status, body, headers }
    }

    /// Signs up a company client through the API and confirms it with the emailed link's
    /// token; returns (client id, session token).
    pub async fn signup(&self, name: &str) -> (Id, String) {
        let slug: String = name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let email = format!("{slug}@client.example");
        let a = self
            .post(
                "",
                "/api/v1/auth/signup",
                json!({
                    "client": {
                        "kind": "company",
                        "name": name,
                        "email": email,
                        "company_name": format!("{name} Immobilier"),
                        "siren": "123456782",
                        "vat_number": "FR11123456782",
                        "billing_address": {"line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}
                    },
                    "password": "client-password"
                }),
            )
            .await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "signup: {}", a.body);
        let token = self.emailed_link("signup_confirm", &email).await;
        let a = self.post("", "/api/v1/auth/signup/confirm", json!({"token": token})).await;
        assert_eq!(a.status, StatusCode::CREATED, "signup confirmation: {}", a.body);
        (a.body["user"]["client_id"].as_i64().unwrap(), a.body["token"].as_str().unwrap().to_string())
    }

    /// A company client with a login, created by the studio (no email is sent, unlike a
    /// sign-up: for tests that count emails); returns (client id, session token).
    pub async fn client_login(&self, name: &str) -> (Id, String) {
        let slug: String = name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let email = format!("{slug}@client.example");
        let a = self
            .post(
                &self.admin,
                "/api/v1/clients",
                json!({"client": {"kind": "company", "name": name, "email": email, "company_name": format!("{name} Immobilier"),
                    "siren": "123456782", "vat_number": "FR11123456782",
                    "billing_address": {"line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}},
                    "password": "client-password"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "client: {}", a.body);
        (a.id(), self.login(&email, "client-password").await)
    }

    /// The token of the newest emailed link of this kind (`signup_confirm`, `magic_link`…)
    /// queued for this address (read from the outbox, sent or not).
    pub async fn emailed_link(&self, kind: &str, email: &str) -> String {
        emailed_link(&self.app, kind, email).await
    }

    /// The same database opened as a command would open it (`immovr user add`…): a store of
    /// its own, listening to nothing.
    pub async fn command_store(&self) -> SqlStore {
        immovr::open_store(&self.config, self.clock.clone(), self.pg_schema.clone()).await.expect("open store")
    }

    /// The application on that command's store, as `immovr user add` runs it.
    pub async fn command_app(&self) -> (SqlStore, Arc<immovr_app::App>) {
        let store = self.command_store().await;
        let app =
            immovr::application(&self.config, store.clone(), self.clock.clone(), None).await.expect("the application");
        (store, app)
    }

    /// Starts a second server on the same database, as in a deployment of several instances.
    pub async fn another_instance(&self) -> Instance {
        let store =
            immovr::open_store(&self.config, self.clock.clone(), self.pg_schema.clone()).await.expect("open store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let service = immovr::service(&self.config, store, self.clock.clone()).await.expect("the service");
        let documents = service.state.app.documents().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = immovr::serve(listener, service, async {
                let _ = rx.await;
            })
            .await;
        });
        Instance { base, documents, shutdown: Some(tx) }
    }

    /// The entries of a ZIP archive, checked (every CRC) by Python's `zipfile`, a reader
    /// immovr does not share: name → bytes, in the archive's order.
    pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        use base64::Engine;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.zip");
        std::fs::write(&path, bytes).unwrap();
        let script = "import base64, json, sys, zipfile\n\
                      z = zipfile.ZipFile(sys.argv[1])\n\
                      bad = z.testzip()\n\
                      assert bad is None, bad\n\
                      print(json.dumps([[n, base64.b64encode(z.read(n)).decode()] for n in z.namelist()]))";
        let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "not a valid ZIP: {}", String::from_utf8_lossy(&out.stderr));
        let entries: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        entries.into_iter().map(|(n, b)| (n, b64.decode(b).unwrap())).collect()
    }

    /// Where the `.eml` transport writes emails (no `smtp_url`).
    pub fn outbox_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("outbox")
    }

    /// Waits until the email worker has dealt with every queued notification (sent, or failed
    /// for good); returns the outbox, newest first.
    pub async fn settle_outbox(&self) -> Vec<Value> {
        for _ in 0..300 {
            let rows = self.list(&self.admin, "/api/v1/outbox").await;
            if rows.iter().all(|r| r["status"] != "pending") {
                return rows;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the outbox did not settle: {:?}", self.list(&self.admin, "/api/v1/outbox?status=pending").await);
    }

    /// Where the server keeps its files.
    pub fn files_root(&self) -> std::path::PathBuf {
        self._dir.path().join("files")
    }

    /// A browser-like client (cookies kept, redirects not followed) signed in through the login
    /// form: the client, the CSRF token its forms carry, and where the login sent it.
    pub async fn browser_login(&self, email: &str, password: &str) -> (reqwest::Client, String, String) {
        let b =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let html = b.get(format!("{}/connexion", self.base)).send().await.unwrap().text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").expect("a login form") + 19;
        let csrf = html[at..].split('"').next().unwrap().to_string();
        let r = b
            .post(format!("{}/connexion", self.base))
            .form(&[("email", email), ("password", password), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let landed = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (b, csrf, landed)
    }

    /// Logs in with email and password; returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let a = self.post("", "/api/v1/auth/login", json!({"email": email, "password": password})).await;
        assert_eq!(a.status, StatusCode::OK, "login: {}", a.body);
        a.body["token"].as_str().unwrap().to_string()
    }

    /// A staff member with the given roles; returns an API token.
    pub async fn staff(&self, email: &str, roles: &[Role]) -> String {
        staff_token(&self.app, email, "staff-password", roles).await
    }

    /// Drafts and sends a quote with one line per (description, quantity, unit price, VAT rate);
    /// returns its id.
    pub async fn sent_quote(&self, client_id: Id, lines: &[(&str, &str, &str, &str)]) -> Id {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(d, q, p, r)| json!({"description": d, "quantity": q, "unit": "forfait", "unit_price": p, "vat_rate": r}))
            .collect();
        let q = self
            .post(
                &self.admin,
                "/api/v1/quotes",
                json!({"client_id": client_id, "title": "Devis de test", "lines": lines}),
            )
            .await;
        assert_eq!(q.status, StatusCode::CREATED, "create quote: {}", q.body);
        let s = self.post(&self.admin, &format!("/api/v1/quotes/{}/send", q.id()), json!({})).await;
        assert_eq!(s.status, StatusCode::OK, "send quote: {}", s.body);
        q.id()
    }

    /// The client accepts a sent quote, staff validate its purchase order, upload a file and
    /// deliver the order: its purchase order, its order and its invoice (id and number).
    pub async fn delivered(&self, client: &str, quote: Id) -> Delivered {
        let accepted = self.post(client, &format!("/api/v1/quotes/{quote}/accept"), Self::signature()).await;
        assert_eq!(accepted.status, StatusCode::CREATED, "accept: {}", accepted.body);
        let po = accepted.body["purchase_order"]["id"].as_i64().unwrap();
        let validated = self.post(&self.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await;
        let order = validated.body["order_id"].as_i64().unwrap_or_else(|| panic!("validate: {}", validated.body));
        self.upload(order, "visite.zip", b"final files").await;
        let delivered = self.post(&self.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await;
        assert_eq!(delivered.status, StatusCode::OK, "deliver: {}", delivered.body);
        let invoice = &delivered.body["invoice"];
        Delivered {
            po,
            order,
            invoice: invoice["id"].as_i64().unwrap(),
            number: invoice["number"].as_str().unwrap().to_string(),
        }
    }

    /// A "bon pour accord"; a private client asks for the work to start at once (within its
    /// withdrawal period: see the `withdrawal` tests for one who does not).
    pub fn signature() -> Value {
        json!({"signer_name": "Claire Dubois", "consent": true, "terms_accepted": true, "early_start": true})
    }

    /// Number of rows in a table (to check that a refused request changed nothing).
    pub async fn count(&self, what: &str) -> usize {
        let path = match what {
            "audit" => "/api/v1/audit?limit=200",
            "outbox" => "/api/v1/outbox?limit=200",
            other => panic!("cannot count {other}"),
        };
        self.list(&self.admin, path).await.len()
    }

    /// Stops the server and drops the test's PostgreSQL schema.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.store.close().await;
        if let (Some(schema), Ok(url)) = (&self.pg_schema, std::env::var(PG_ENV))
            && let Ok(admin) =
                immovr_store::Db::connect(&immovr_store::Options { url, max_connections: 1, pg_schema: None }).await
        {
            admin.drop_schema(schema).await;
            admin.close().await;
        }
    }
}

/// Runs a use-case test on SQLite and on PostgreSQL:
/// `use_cases!(name, async |u: &TestUseCases| { … })`.
#[macro_export]
macro_rules! use_cases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let u = $crate::use_cases($crate::Backend::Sqlite).await.unwrap();
                ($body)(&u).await;
                u.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(u) = $crate::use_cases($crate::Backend::Postgres).await else { return };
                ($body)(&u).await;
                u.stop().await;
            }
        }
    };
}

/// Runs a test body on SQLite and on PostgreSQL: `both!(name, async |app: &TestApp| { … })`.
#[macro_export]
macro_rules! both {
    // Apps configured by `$config` (e.g. `|c| c.run_workers = false`).
    ($name:ident, with $config:expr, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = $crate::spawn_app_with($crate::Backend::Sqlite, $config).await.unwrap();
                ($body)(&app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(app) = $crate::spawn_app_with($crate::Backend::Postgres, $config).await else {
                    return;
                };
                ($body)(&app).await;
                app.stop().await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = $crate::spawn_app($crate::Backend::Sqlite).await.unwrap();
                ($body)(&app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(app) = $crate::spawn_app($crate::Backend::Postgres).await else {
                    return;
                };
                ($body)(&app).await;
                app.stop().await;
            }
        }
    };
}

//! Test kit: `spawn_app(Backend::Sqlite | Backend::Postgres)` starts the real server (same wiring
//! as the binary) on 127.0.0.1:0 against a fresh database — a temporary SQLite file, or a
//! PostgreSQL schema of its own in `IMMOVR_TEST_DATABASE_URL` — with a clock the test moves.

pub mod smtp;

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use immovr::Config;
use immovr_core::auth::token_sha256;
use immovr_core::model::{Id, Role};
use immovr_core::{Actor, Clock};
use immovr_store::SqlStore;
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub use reqwest;
pub use serde_json;

/// A clock that stands still until the test moves it.
pub struct TestClock(Mutex<Timestamp>);

impl TestClock {
    pub fn new(start: Timestamp) -> Self {
        TestClock(Mutex::new(start))
    }

    pub fn advance_minutes(&self, minutes: i64) {
        let mut t = self.0.lock().unwrap();
        *t = t.checked_add(minutes.minutes()).unwrap();
    }

    pub fn advance_days(&self, days: i64) {
        let mut t = self.0.lock().unwrap();
        *t = t.checked_add((days * 24).hours()).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

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
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// A test's configuration on a fresh database (a temporary folder, and on PostgreSQL a schema of
/// its own); `None` (said loudly) when PostgreSQL is asked for but not configured.
fn test_config(backend: Backend) -> Option<(Config, Option<String>, tempfile::TempDir)> {
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
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        immovr::serve(listener, service, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
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

    /// Runs a statement on the database behind the application's back, as someone with access
    /// to the database (not to immovr) would: what tamper-evidence must show.
    pub async fn raw_sql(&self, sql: &str) -> u64 {
        match &self.pg_schema {
            None => {
                let path = self.config.data_dir.join("immovr.db");
                let conn = rusqlite::Connection::open(path).expect("the SQLite file");
                conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                conn.execute(sql, []).expect("the statement") as u64
            }
            Some(schema) => {
                use sqlx::Connection;
                let url = self.config.database_url.clone().expect("a PostgreSQL URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                sqlx::query(&format!("SET search_path TO {schema}")).execute(&mut conn).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.expect("the statement").rows_affected()
            }
        }
    }

    /// The server's configuration and its PostgreSQL schema (none on SQLite).
    pub fn config(&self) -> (&Config, Option<&str>) {
        (&self.config, self.pg_schema.as_deref())
    }

    /// A configuration naming an empty place beside this app's: a new data folder under `dir`
    /// and, on PostgreSQL, a new database (remove it with [`drop_place`]).
    pub async fn empty_place(&self, dir: &std::path::Path) -> Config {
        let mut config = self.config.clone();
        config.data_dir = dir.to_path_buf();
        if let Some(schema) = &self.pg_schema {
            use sqlx::Connection;
            let url = self.config.database_url.clone().expect("a PostgreSQL URL");
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
            let name = format!("{schema}_{}", rand::random::<u32>());
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a new database");
            let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((&url, String::new()));
            let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(base);
            config.database_url = Some(format!("{server}/{name}{query}"));
        }
        config
    }

    /// Every row of every table of a database, as text, sorted: what two databases compare by.
    pub async fn table_rows(
        config: &Config,
        pg_schema: Option<&str>,
    ) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut tables = std::collections::BTreeMap::new();
        match pg_schema {
            None => {
                use rusqlite::types::ValueRef;
                let conn = rusqlite::Connection::open(config.data_dir.join("immovr.db")).expect("the SQLite file");
                let names: Vec<String> = conn
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                for name in names {
                    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
                    let width = stmt.column_count();
                    let mut rows: Vec<String> = stmt
                        .query_map([], |r| {
                            Ok((0..width)
                                .map(|i| match r.get_ref(i).unwrap() {
                                    ValueRef::Null => "NULL".to_string(),
                                    ValueRef::Integer(n) => n.to_string(),
                                    ValueRef::Real(f) => f.to_string(),
                                    ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                                    ValueRef::Blob(b) => hex::encode(b),
                                })
                                .collect::<Vec<_>>()
                                .join("|"))
                        })
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    rows.sort();
                    tables.insert(name, rows);
                }
            }
            Some(schema) => {
                use sqlx::{Connection, Row};
                let url = config.database_url.clone().expect("a PostgreSQL URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = $1")
                        .bind(schema)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                for name in names {
                    let rows = sqlx::query(&format!("SELECT t::text FROM \"{schema}\".\"{name}\" t"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    let mut rows: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
                    rows.sort();
                    tables.insert(name, rows);
                }
            }
        }
        tables
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
        let all = immovr_core::listing::every(immovr_core::listing::ListQuery::first(), async |q| {
            self.app.emails(&Actor::system(), &q).await
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

    pub fn signature() -> Value {
        json!({"signer_name": "Claire Dubois", "consent": true, "terms_accepted": true})
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

/// Removes the database [`TestApp::empty_place`] made (PostgreSQL; nothing on SQLite).
pub async fn drop_place(config: &Config) {
    use sqlx::Connection;
    let (Some(url), Ok(admin_url)) = (&config.database_url, std::env::var(PG_ENV)) else { return };
    let Some(name) = url.split('?').next().and_then(|u| u.rsplit('/').next()) else { return };
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
    }
}

/// The application alone on a fresh database: no HTTP, no background workers. Use cases are
/// called directly; emails stay queued (see [`TestUseCases::queued`]); documents render when
/// asked for.
pub struct TestUseCases {
    pub app: Arc<immovr_app::App>,
    pub store: SqlStore,
    pub clock: Arc<TestClock>,
    pub backend: Backend,
    pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

/// The application on a fresh database, or `None` when PostgreSQL is asked for but not set.
pub async fn use_cases(backend: Backend) -> Option<TestUseCases> {
    let (config, pg_schema, dir) = test_config(backend)?;
    let clock = Arc::new(TestClock::new("2026-06-15T08:00:00Z".parse().unwrap()));
    let store = immovr::open_store(&config, clock.clone(), pg_schema.clone()).await.expect("open store");
    let app = immovr::application(&config, store.clone(), clock.clone(), None).await.expect("the application");
    Some(TestUseCases { app, store, clock, backend, pg_schema, _dir: dir })
}

impl TestUseCases {
    /// The studio acting on its own authority (every role).
    pub fn studio(&self) -> Actor {
        Actor::system()
    }

    /// A new client, created by the studio with a login; gives it and the actor it acts as.
    pub async fn client(&self, name: &str) -> (immovr_core::model::Client, Actor) {
        let email = format!("{}@client.example", name.to_lowercase().replace(' ', "-"));
        let new = immovr_core::ports::NewClient {
            kind: immovr_core::model::ClientKind::Company,
            name: name.into(),
            email,
            phone: None,
            company_name: Some(format!("{name} SARL")),
            siren: None,
            siret: None,
            vat_number: None,
            billing_address: None,
            language: immovr_core::model::Language::Fr,
        };
        let client = self.app.create_client(&self.studio(), new, None).await.expect("a client");
        let actor = Actor {
            label: format!("client:{} {}", client.id, client.email),
            client_id: Some(client.id),
            ip: Some("192.0.2.7".into()),
            user_agent: Some("use case tests".into()),
            ..Actor::anonymous()
        };
        (client, actor)
    }

    /// The emails queued (and not sent: no worker runs), oldest first.
    pub async fn queued(&self) -> Vec<immovr_core::model::OutboxMessage> {
        let all = immovr_core::listing::every(immovr_core::listing::ListQuery::first(), async |q| {
            self.app.emails(&self.studio(), &q).await
        })
        .await
        .expect("the outbox");
        all.into_iter().rev().collect()
    }

    /// The token of the newest emailed link of this kind (`signup_confirm`, `magic_link`…) to
    /// this address.
    pub async fn link(&self, kind: &str, email: &str) -> String {
        let queued = self.queued().await;
        let m = queued
            .iter()
            .find(|m| m.kind == kind && m.recipient == email)
            .unwrap_or_else(|| panic!("no {kind} to {email}"));
        m.payload["url_path"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
    }

    /// Confirms a sign-up with its link's token; the new session.
    pub async fn confirmed(&self, token: &str) -> immovr_app::auth::NewSession {
        match self.app.confirm_sign_up(token).await.expect("the confirmation").map(|c| c.sign_in) {
            Some(immovr_app::auth::SignIn::Session(s)) => s,
            _ => panic!("no session from the confirmation"),
        }
    }

    /// Signs up and confirms at once; the new session.
    pub async fn signed_up(
        &self,
        client: immovr_core::ports::NewClient,
        password: &str,
    ) -> immovr_app::auth::NewSession {
        let email = client.email.to_lowercase();
        self.app.sign_up(client, password.into(), None).await.expect("the sign-up");
        let token = self.link("signup_confirm", &email).await;
        self.confirmed(&token).await
    }

    /// The audit trail's actions, oldest first.
    pub async fn journal(&self) -> Vec<String> {
        let filter = immovr_core::ports::AuditFilter {
            entity_kind: None,
            entity_id: None,
            list: immovr_core::listing::ListQuery { limit: 200, ..Default::default() },
        };
        let page = self.app.audit_events(&self.studio(), &filter).await.expect("the journal");
        page.items.into_iter().rev().map(|e| e.action).collect()
    }

    /// Closes the database and drops the test's PostgreSQL schema.
    pub async fn stop(self) {
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

/// A local S3-compatible server for the file-store tests: moto's server, from
/// `IMMOVR_TEST_MOTO` (the `moto_server` program; `scripts/test` installs it). Stopped on drop.
pub struct S3Server {
    pub endpoint: String,
    child: std::process::Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const MOTO_ENV: &str = "IMMOVR_TEST_MOTO";

/// Starts the S3 server with one bucket, or says loudly why the S3 test is skipped.
pub async fn s3_server(bucket: &str) -> Option<S3Server> {
    let Ok(program) = std::env::var(MOTO_ENV) else {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! S3 test SKIPPED: {MOTO_ENV} is not set (scripts/test installs moto's S3 server) !!!"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = std::process::Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto_server");
    let server = S3Server { endpoint: format!("http://127.0.0.1:{port}"), child };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.put(format!("{}/{bucket}", server.endpoint)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Some(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the S3 server did not start");
}

//! One thin layer over the two databases: the same SQL text (`$n` placeholders, `RETURNING`,
//! `ON CONFLICT`) runs on SQLite and PostgreSQL; values are bound and read back through `V`, so
//! the use cases are written once. Backend-specific SQL is confined to `Tx::for_update`.
//!
//! SQLite (rusqlite): one writer connection — transactions serialise in-process and start with
//! `BEGIN IMMEDIATE`, so a second process waits for the lock instead of failing midway — and a
//! few read-only connections. Statements run right where the use case awaits them: an SQLite
//! statement takes microseconds, and handing each to a connection thread and back (what sqlx's
//! SQLite driver does) cost more than the statement itself. PostgreSQL (sqlx): one pool, where
//! use cases lock the rows they change, and two connections for the background's writes
//! ([`Db::write_relaxed`]).

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use immovr_core::{Change, DomainError};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::{Mutex, OwnedMutexGuard};

mod append;
mod pg;
mod settings;
mod value;

pub use append::{Inserted, Table};
pub(crate) use settings::SettingsCache;
pub use value::{Row, V};

/// The database, and what this process caches of it.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
    settings: Arc<SettingsCache>,
    /// Seconds of the lease this process takes, in the transaction that issues them, on the
    /// documents it issues (0: none; see [`Db::lease_issued`]).
    issue_lease: Arc<std::sync::atomic::AtomicI64>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Lite>),
    Pg {
        /// The use cases' connections.
        pool: deadpool_postgres::Pool,
        /// A couple of connections whose commits do not wait for the WAL flush
        /// (`synchronous_commit = off`), for [`Db::write_relaxed`].
        relaxed: deadpool_postgres::Pool,
        /// sqlx's, for the migrations, the notifications listened to, and maintenance.
        admin: PgPool,
    },
}

/// An SQLite database: the writer and the readers.
pub struct Lite {
    writer: Arc<Mutex<rusqlite::Connection>>,
    readers: Vec<Arc<Mutex<rusqlite::Connection>>>,
    next_reader: AtomicUsize,
}

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` as background work (the renderer, the email worker, the audit sealer, the
/// transmitter; not the tasks they spawn, such as the nightly retention run): on SQLite its
/// reads never take the writer connection, which the requests' reads and writes then find
/// free (a read that finds it busy starts on a reader connection, cold; a write waits).
pub async fn background<F: Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

fn in_background() -> bool {
    BACKGROUND.try_with(|()| ()).is_ok()
}

/// `args![a, b]` → `vec![V::from(a), V::from(b)]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($crate::db::V::from($a)),*] };
}
pub(crate) use args;

/// A database failure, with the driver's error as its cause; unique violations are told apart
/// so use cases can map them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unique violation: {0}")]
    Unique(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("SQLite: {0}")]
    Sqlite(#[source] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[source] sqlx::Error),
    #[error("PostgreSQL: {0}")]
    Pg(#[source] tokio_postgres::Error),
    #[error("PostgreSQL pool: {0}")]
    Pool(#[source] deadpool_postgres::PoolError),
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Maps a unique violation to a domain error; anything else stays internal.
    pub fn unique_as(self, err: DomainError) -> DomainError {
        match self {
            DbError::Unique(_) => err,
            other => other.into(),
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(
                f.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            return DbError::Unique(Box::new(e));
        }
        DbError::Sqlite(e)
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return DbError::Unique(Box::new(e));
        }
        DbError::Postgres(e)
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
            return DbError::Unique(Box::new(e));
        }
        DbError::Pg(e)
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => DbError::Pool(other),
        }
    }
}

impl From<DbError> for DomainError {
    fn from(e: DbError) -> Self {
        DomainError::internal_from("database", e)
    }
}

/// How long an SQLite connection waits for another process's lock (a command run while the
/// server writes, or the other way round) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Takes SQLite's write lock (`BEGIN IMMEDIATE`): at once when no other process holds it;
/// otherwise waits for it, up to [`BUSY_TIMEOUT`], with the async worker handed over to the
/// other tasks meanwhile (a multi-threaded runtime), so a command's write does not stall the
/// server's reads.
fn begin_immediate(conn: &rusqlite::Connection) -> Result<(), DbError> {
    conn.busy_timeout(Duration::ZERO)?;
    match conn.execute_batch("BEGIN IMMEDIATE") {
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
            let wait = || {
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn.execute_batch("BEGIN IMMEDIATE")
            };
            let multi_threaded = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            Ok(if multi_threaded { tokio::task::block_in_place(wait) } else { wait() }?)
        }
        other => Ok(other?),
    }
}

mod tx;
use pg::PgConn;
pub use tx::Tx;
use tx::{Conn, LiteTx};

pub struct Options {
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL schema to use (tests isolate themselves in one); created if missing.
    pub pg_schema: Option<String>,
}

/// A pool of tokio-postgres connections, handed out newest first (their statements and the
/// server's caches warm), without a check: one the server closed is replaced, one that broke
/// otherwise fails its statement.
fn pg_pool(config: tokio_postgres::Config, size: usize) -> Result<deadpool_postgres::Pool, DbError> {
    let manager = deadpool_postgres::Manager::from_config(
        config,
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(size.max(1))
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .queue_mode(deadpool_postgres::QueueMode::Lifo)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Other(e.to_string()))
}

/// A value in a connection's `options` (`-c name=value`): spaces and backslashes escaped.
fn pg_option(value: &str) -> String {
    value.replace('\\', "\\\\").replace(' ', "\\ ")
}

impl Db {
    fn tx(&self, conn: Conn) -> Tx {
        Tx {
            conn,
            changes: Vec::new(),
            appended: Vec::new(),
            inserted: Vec::new(),
            settings_generation: self.settings.generation(),
            settings: self.settings.clone(),
            settings_written: false,
            issue_lease: self.issue_lease.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// From now on, the documents this process issues are leased to it for `lease` in the
    /// transaction that issues them: its renderer takes them as soon as they commit, and
    /// another instance neither claims nor renders them meanwhile (after a crash the lease runs
    /// out and any instance takes them). Set when the process runs its background renderer.
    pub fn lease_issued(&self, lease: jiff::SignedDuration) {
        self.issue_lease.store(lease.as_secs().max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// The cache of the `settings` table (see [`SettingsCache`]).
    pub(crate) fn settings_cache(&self) -> &Arc<SettingsCache> {
        &self.settings
    }

    /// The PostgreSQL pool (live updates listen on a connection of their own).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Pg { admin, .. } => Some(admin),
            _ => None,
        }
    }

    pub async fn connect(opts: &Options) -> Result<Db, DbError> {
        if opts.url.starts_with("postgres://") || opts.url.starts_with("postgresql://") {
            let mut connect = PgConnectOptions::from_str(&opts.url)?;
            if let Some(schema) = &opts.pg_schema {
                let admin = PgPoolOptions::new().max_connections(1).connect_with(connect.clone()).await?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema.replace('"', "")))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                connect = connect.options([("search_path", schema.as_str())]);
            }
            // Short queries through indexes: starting parallel workers cost more than they won
            // (a 0.2 ms dashboard count took 9 ms with a gather).
            connect = connect.options([("max_parallel_workers_per_gather", "0")]);
            // Few and seldom used (migrations, LISTEN, VACUUM): sqlx's check of each connection it
            // hands out costs nothing that matters here.
            let admin = PgPoolOptions::new()
                .acquire_timeout(Duration::from_secs(10))
                .max_connections(2)
                .connect_with(connect)
                .await?;
            let mut config = tokio_postgres::Config::from_str(&opts.url)?;
            let mut session = config.get_options().map(str::to_string).unwrap_or_default();
            if let Some(schema) = &opts.pg_schema {
                session.push_str(&format!(" -c search_path={}", pg_option(&schema.replace('"', ""))));
            }
            session.push_str(" -c max_parallel_workers_per_gather=0");
            config.options(session.trim());
            let pool = pg_pool(config.clone(), opts.max_connections as usize)?;
            // Reachable, or an error now rather than at the first request.
            drop(pool.get().await?);
            config.options(format!("{session} -c synchronous_commit=off").trim());
            let relaxed = pg_pool(config, 2)?;
            return Ok(Db {
                backend: Backend::Pg { pool, relaxed, admin },
                settings: Arc::new(SettingsCache::new(false, true)),
                issue_lease: Default::default(),
            });
        }
        let path = opts.url.strip_prefix("sqlite://").or_else(|| opts.url.strip_prefix("sqlite:")).unwrap_or(&opts.url);
        let path = path.split('?').next().unwrap_or(path);
        let open = |flags: rusqlite::OpenFlags| -> Result<rusqlite::Connection, DbError> {
            let conn = rusqlite::Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // WAL (readers never wait for the writer), foreign keys, and a commit is on disk
            // when it returns.
            conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
            conn.set_prepared_statement_cache_capacity(128);
            Ok(conn)
        };
        use rusqlite::OpenFlags as F;
        let writer =
            open(F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_CREATE | F::SQLITE_OPEN_NO_MUTEX | F::SQLITE_OPEN_URI)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let readers = (0..opts.max_connections.max(2))
            .map(|_| {
                open(F::SQLITE_OPEN_READ_ONLY | F::SQLITE_OPEN_NO_MUTEX | F::SQLITE_OPEN_URI)
                    .map(|c| Arc::new(Mutex::new(c)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lite = Lite { writer: Arc::new(Mutex::new(writer)), readers, next_reader: AtomicUsize::new(0) };
        // One process serves an SQLite file: what it caches changes only through it.
        Ok(Db {
            backend: Backend::Sqlite(Arc::new(lite)),
            settings: Arc::new(SettingsCache::new(true, false)),
            issue_lease: Default::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        match &self.backend {
            Backend::Sqlite(lite) => {
                let mut conn = lite.writer.clone().lock_owned().await;
                crate::migrations::sqlite(&mut conn)
            }
            Backend::Pg { admin, .. } => {
                sqlx::migrate!("./migrations/postgres").run(admin).await.map_err(|e| DbError::Other(e.to_string()))
            }
        }
    }

    /// A transaction that will write. On SQLite it takes the single writer connection, and the
    /// database's write lock at once (`BEGIN IMMEDIATE`).
    pub async fn write(&self) -> Result<Tx, DbError> {
        let conn = match &self.backend {
            Backend::Sqlite(lite) => {
                let conn = lite.writer().await;
                begin_immediate(&conn)?;
                Conn::Sqlite(LiteTx { conn, open: true, relaxed: false, read_only: false })
            }
            Backend::Pg { pool, .. } => Conn::Pg(Box::new(PgConn::begin(pool).await?)),
        };
        Ok(self.tx(conn))
    }

    /// A write whose loss in a crash would only make work be done again — a render lease, a
    /// rendered file's record (rendering is deterministic: the same bytes again), an email
    /// marked sent (sent once more) — made of statements that each stand on their own:
    /// PostgreSQL runs each as its own transaction (no `BEGIN`/`COMMIT` round trips) on a
    /// connection that commits without waiting for its WAL to reach the disk
    /// (`synchronous_commit = off`; still atomic and consistent, and never ahead of the
    /// business records it follows). The background work's commits then stop queueing behind,
    /// and in front of, the requests' own flushes. On SQLite one transaction with
    /// `synchronous = NORMAL`: its WAL frames reach the disk with the next FULL commit or
    /// checkpoint, in order.
    pub async fn write_relaxed(&self) -> Result<Tx, DbError> {
        self.relaxed(false).await
    }

    /// [`Db::write_relaxed`] for several statements that must stand or fall together — the
    /// audit chain's seals (made again after a crash, they are the same: each hash follows from
    /// the events, in order): on PostgreSQL one transaction on the relaxed connections.
    pub async fn write_relaxed_together(&self) -> Result<Tx, DbError> {
        self.relaxed(true).await
    }

    async fn relaxed(&self, together: bool) -> Result<Tx, DbError> {
        let conn = match &self.backend {
            Backend::Pg { relaxed, .. } if together => Conn::Pg(Box::new(PgConn::begin(relaxed).await?)),
            Backend::Pg { relaxed, .. } => Conn::Pg(Box::new(PgConn::auto(relaxed).await?)),
            Backend::Sqlite(lite) => {
                let conn = lite.writer().await;
                conn.execute_batch("PRAGMA synchronous = NORMAL")?;
                // From here on the guard restores FULL, whatever happens.
                let mut tx = LiteTx { conn, open: false, relaxed: true, read_only: false };
                begin_immediate(&tx.conn)?;
                tx.open = true;
                Conn::Sqlite(tx)
            }
        };
        Ok(self.tx(conn))
    }

    /// A read. On SQLite a transaction: one consistent snapshot for a multi-query read; on
    /// PostgreSQL statements on a pooled connection (see [`Conn::Pg`]). For a short read (a
    /// few rows by key): on SQLite it may hold the writer connection, and a write waits for it.
    pub async fn read(&self) -> Result<Tx, DbError> {
        self.read_on(true).await
    }

    /// A read that may take a while (a list, the dashboard, the generator's scans): never on
    /// SQLite's writer connection, so no write waits for it.
    pub async fn read_long(&self) -> Result<Tx, DbError> {
        self.read_on(false).await
    }

    async fn read_on(&self, may_use_writer: bool) -> Result<Tx, DbError> {
        let conn = match &self.backend {
            Backend::Sqlite(lite) => {
                // The writer connection when it is free: its page cache stays warm, where a
                // reader's is emptied by every commit of the writer (WAL: a reader sees that
                // the database changed and starts its next transaction cold, reading each
                // page again from the kernel — a sixth of the server's CPU in a sequential
                // flow). It stays a read (`LiteTx::read_only`). A read never waits for it:
                // busy, the read goes to a reader connection.
                let may_use_writer = may_use_writer && !in_background();
                let writer = if may_use_writer { lite.writer.clone().try_lock_owned().ok() } else { None };
                if may_use_writer && writer.is_none() {
                    tracing::trace!(target: "immovr_store::db::lite", "writer busy: a read on a reader connection");
                }
                let mut tx = match writer {
                    Some(conn) => LiteTx { conn, open: false, relaxed: false, read_only: true },
                    None => LiteTx { conn: lite.reader().await, open: false, relaxed: false, read_only: false },
                };
                tx.conn.execute_batch("BEGIN")?;
                tx.open = true;
                Conn::Sqlite(tx)
            }
            Backend::Pg { pool, .. } => Conn::Pg(Box::new(PgConn::auto(pool).await?)),
        };
        Ok(self.tx(conn))
    }

    /// Drops a PostgreSQL schema and everything in it (test clean-up).
    pub async fn drop_schema(&self, schema: &str) {
        if let Backend::Pg { admin, .. } = &self.backend {
            let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema.replace('"', ""));
            if let Err(e) = sqlx::query(&sql).execute(admin).await {
                tracing::warn!(error = %e, "dropping schema {schema}");
            }
        }
    }

    /// Several instances may share this database (PostgreSQL); a SQLite file has one.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Pg { .. })
    }

    pub fn backend(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Pg { .. } => "postgres",
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            // Connections close when the last handle goes.
            Backend::Sqlite(_) => {}
            Backend::Pg { pool, relaxed, admin } => {
                relaxed.close();
                pool.close();
                admin.close().await;
            }
        }
    }
}

impl Lite {
    /// The writer connection, once free (a trace event tells when it was not).
    async fn writer(&self) -> OwnedMutexGuard<rusqlite::Connection> {
        match self.writer.clone().try_lock_owned() {
            Ok(conn) => conn,
            Err(_) => {
                tracing::trace!(target: "immovr_store::db::lite", "writer busy: a write waits");
                self.writer.clone().lock_owned().await
            }
        }
    }

    /// A free read-only connection, or the next one in turn when all are busy.
    async fn reader(&self) -> OwnedMutexGuard<rusqlite::Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(guard) = self.readers[(start + i) % n].clone().try_lock_owned() {
                return guard;
            }
        }
        self.readers[start % n].clone().lock_owned().await
    }
}

#[cfg(test)]
pub(crate) mod tests;

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
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Column, PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

mod append;
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
        pool: PgPool,
        /// A couple of connections whose commits do not wait for the WAL flush
        /// (`synchronous_commit = off`), for [`Db::write_relaxed`].
        relaxed: PgPool,
    },
}

/// An SQLite database: the writer and the readers.
pub struct Lite {
    writer: Arc<Mutex<rusqlite::Connection>>,
    readers: Vec<Arc<Mutex<rusqlite::Connection>>>,
    next_reader: AtomicUsize,
}

/// `args![a, b]` → `vec![V::from(a), V::from(b)]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($crate::db::V::from($a)),*] };
}
pub(crate) use args;

/// A database failure; unique violations are told apart so use cases can map them.
#[derive(Debug)]
pub enum DbError {
    Unique(String),
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
            return DbError::Unique(e.to_string());
        }
        DbError::Other(e.to_string())
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return DbError::Unique(db.message().to_string());
        }
        DbError::Other(e.to_string())
    }
}

impl From<DbError> for DomainError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(m) | DbError::Other(m) => DomainError::Internal(format!("database: {m}")),
        }
    }
}

fn pg_rows(rows: &[sqlx::postgres::PgRow]) -> Result<Vec<Row>, DbError> {
    use sqlx::Row as _;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let names: Arc<[String]> = first.columns().iter().map(|c| c.name().to_string()).collect();
    rows.iter()
        .map(|row| {
            let mut values = Vec::with_capacity(names.len());
            for i in 0..names.len() {
                values.push(match row.try_get::<Option<i64>, _>(i) {
                    Ok(v) => V::I(v),
                    Err(_) => V::T(row.try_get::<Option<String>, _>(i)?),
                });
            }
            Ok(Row { names: names.clone(), values })
        })
        .collect()
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                V::I(v) => q.bind(*v),
                V::T(v) => q.bind(v.as_deref()),
            };
        }
        q
    }};
}

/// `$1`, `$2`, …: SQLite reads them as named parameters, numbered in order of appearance, so
/// each is bound by its name.
fn placeholder(i: usize) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 16] =
        ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16"];
    match NAMES.get(i) {
        Some(n) => (*n).into(),
        None => format!("${}", i + 1).into(),
    }
}

fn lite_prepare<'c>(t: &'c LiteTx, sql: &str, args: &[V]) -> Result<rusqlite::CachedStatement<'c>, DbError> {
    let mut stmt = t.conn.prepare_cached(sql)?;
    if t.read_only && !stmt.readonly() {
        return Err(DbError::Other(format!("a read may not write: {sql}")));
    }
    for (i, a) in args.iter().enumerate() {
        let Some(index) = stmt.parameter_index(&placeholder(i))? else { continue };
        match a {
            V::I(v) => stmt.raw_bind_parameter(index, v)?,
            V::T(v) => stmt.raw_bind_parameter(index, v.as_deref())?,
        }
    }
    Ok(stmt)
}

fn lite_rows(t: &LiteTx, sql: &str, args: &[V], limit: Option<usize>) -> Result<Vec<Row>, DbError> {
    use rusqlite::types::ValueRef;
    let mut stmt = lite_prepare(t, sql, args)?;
    let names: Arc<[String]> = stmt.column_names().into_iter().map(str::to_string).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => V::I(None),
                ValueRef::Integer(n) => V::I(Some(n)),
                ValueRef::Real(f) => V::T(Some(f.to_string())),
                ValueRef::Text(t) | ValueRef::Blob(t) => V::T(Some(String::from_utf8_lossy(t).into_owned())),
            });
        }
        out.push(Row { names: names.clone(), values });
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(out)
}

enum Conn {
    Sqlite(LiteTx),
    Pg(Transaction<'static, Postgres>),
    /// A pooled PostgreSQL connection without a transaction: each statement commits on its
    /// own. For reads — under READ COMMITTED each statement sees its own snapshot whether or not
    /// it runs inside `BEGIN … COMMIT`, so the two round trips of a transaction bought nothing —
    /// and for the background work's single-statement writes (see [`Db::write_relaxed`]).
    PgAuto(PoolConnection<Postgres>),
}

impl Conn {
    fn pg(&mut self) -> &mut PgConnection {
        match self {
            Conn::Pg(tx) => tx,
            Conn::PgAuto(c) => c,
            Conn::Sqlite(_) => unreachable!("a PostgreSQL connection"),
        }
    }
}

/// A transaction on an SQLite connection, rolled back on drop unless committed.
struct LiteTx {
    conn: OwnedMutexGuard<rusqlite::Connection>,
    open: bool,
    /// Began with `synchronous = NORMAL` (see [`Db::write_relaxed`]): FULL again once done.
    relaxed: bool,
    /// A read on the writer connection (see [`Db::read`]): statements that write are refused
    /// (`sqlite3_stmt_readonly`; `PRAGMA query_only` would expire every prepared statement of
    /// the connection each time it is set).
    read_only: bool,
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if self.open
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rolling back an SQLite transaction");
        }
        if self.relaxed
            && let Err(e) = self.conn.execute_batch("PRAGMA synchronous = FULL")
        {
            tracing::error!(error = %e, "restoring synchronous = FULL");
        }
    }
}

/// A transaction on either backend, with the live changes to announce once it commits.
pub struct Tx {
    conn: Conn,
    changes: Vec<Change>,
    /// Rows appended on PostgreSQL, written at commit (see [`Tx::append`]).
    appended: Vec<(&'static Table, Vec<V>)>,
    /// Rows appended to tables that return ids, with their ids (on PostgreSQL known at commit).
    inserted: Vec<Inserted>,
    settings: Arc<SettingsCache>,
    /// The cache's generation when this transaction began.
    settings_generation: u64,
    /// This transaction wrote settings: it reads them from the database, and its commit
    /// empties the cache.
    settings_written: bool,
    /// See [`Db::lease_issued`].
    issue_lease: i64,
}

impl Tx {
    /// The lease this process takes on the documents it issues (see [`Db::lease_issued`]).
    pub fn issue_lease(&self) -> Option<jiff::SignedDuration> {
        (self.issue_lease > 0).then(|| jiff::SignedDuration::from_secs(self.issue_lease))
    }

    /// `" FOR UPDATE"` on PostgreSQL; nothing on SQLite, where the single writer serialises.
    pub fn for_update(&self) -> &'static str {
        match self.conn {
            Conn::Sqlite(_) | Conn::PgAuto(_) => "",
            Conn::Pg(_) => " FOR UPDATE",
        }
    }

    /// Each statement is a round trip to the database server (PostgreSQL): worth reading a
    /// record's children with it (see `support::children_column`).
    pub fn round_trips(&self) -> bool {
        matches!(self.conn, Conn::Pg(_) | Conn::PgAuto(_))
    }

    /// Announce this change if (and only if) the transaction commits.
    pub fn announce(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub async fn exec(&mut self, sql: &str, args: Vec<V>) -> Result<u64, DbError> {
        Ok(match &mut self.conn {
            Conn::Sqlite(t) => lite_prepare(t, sql, &args)?.raw_execute()? as u64,
            pg => bind_all!(sqlx::query(sql), &args).execute(pg.pg()).await?.rows_affected(),
        })
    }

    pub async fn all(&mut self, sql: &str, args: Vec<V>) -> Result<Vec<Row>, DbError> {
        match &mut self.conn {
            Conn::Sqlite(t) => lite_rows(t, sql, &args, None),
            pg => pg_rows(&bind_all!(sqlx::query(sql), &args).fetch_all(pg.pg()).await?),
        }
    }

    /// [`Tx::all`] for a list's query: on PostgreSQL an unnamed statement, planned for these
    /// arguments every time. A cached statement falls back to a generic plan after five runs,
    /// blind to the values: for an old month of audit events it walked half a million rows
    /// newest first (140 ms) instead of reading that month from its index (5 ms). The lists'
    /// statements also vary with their filters, and would crowd the statement cache.
    pub async fn all_planned(&mut self, sql: &str, args: Vec<V>) -> Result<Vec<Row>, DbError> {
        match &mut self.conn {
            Conn::Sqlite(t) => lite_rows(t, sql, &args, None),
            pg => pg_rows(&bind_all!(sqlx::query(sql).persistent(false), &args).fetch_all(pg.pg()).await?),
        }
    }

    pub async fn opt(&mut self, sql: &str, args: Vec<V>) -> Result<Option<Row>, DbError> {
        match &mut self.conn {
            Conn::Sqlite(t) => Ok(lite_rows(t, sql, &args, Some(1))?.pop()),
            pg => {
                let row = bind_all!(sqlx::query(sql), &args).fetch_optional(pg.pg()).await?;
                Ok(pg_rows(row.as_slice())?.pop())
            }
        }
    }

    pub async fn one(&mut self, sql: &str, args: Vec<V>) -> Result<Row, DbError> {
        self.opt(sql, args).await?.ok_or_else(|| DbError::Other(format!("no row: {sql}")))
    }

    /// Runs an `INSERT … RETURNING id` and gives the id.
    pub async fn insert(&mut self, sql: &str, args: Vec<V>) -> Result<i64, DbError> {
        let row = self.one(sql, args).await?;
        row.i64("id").map_err(|e| DbError::Other(e.to_string()))
    }

    /// PostgreSQL: commits with the changes sent to `channel` (`NOTIFY`, delivered to every
    /// listening instance when, and only if, the transaction commits), so there is nothing left
    /// to announce here. Elsewhere: `commit`.
    pub async fn commit_notifying(mut self, channel: &str) -> Result<Committed, DbError> {
        if matches!(self.conn, Conn::Pg(_) | Conn::PgAuto(_)) {
            let mut notify = Vec::with_capacity(self.changes.len());
            for change in std::mem::take(&mut self.changes) {
                let mut payload = serde_json::to_string(&change).map_err(|e| DbError::Other(e.to_string()))?;
                if payload.len() > 7900 {
                    // NOTIFY carries at most 8000 bytes: the pages only need to know to refresh.
                    let light =
                        Change { client_id: change.client_id, kind: change.kind, payload: serde_json::json!({}) };
                    payload = serde_json::to_string(&light).map_err(|e| DbError::Other(e.to_string()))?;
                }
                notify.push(payload);
            }
            self.flush_pg(channel, notify).await?;
        }
        self.commit().await
    }

    /// Commits; gives back the changes to announce and the ids of what it inserted.
    pub async fn commit(mut self) -> Result<Committed, DbError> {
        if !self.appended.is_empty() {
            self.flush_pg("", Vec::new()).await?;
        }
        let done = match self.conn {
            Conn::Sqlite(mut t) => t.conn.execute_batch("COMMIT").map(|_| t.open = false).map_err(DbError::from),
            Conn::Pg(tx) => tx.commit().await.map_err(DbError::from),
            Conn::PgAuto(_) => Ok(()),
        };
        // Even when the commit reports a failure: it may have happened.
        if self.settings_written {
            self.settings.invalidate();
        }
        done?;
        Ok(Committed { changes: self.changes, inserted: self.inserted })
    }
}

/// What a committed transaction leaves to do: the changes to announce, and the rows it appended
/// to tables that return ids (`Table::returns_id`), with their ids.
pub struct Committed {
    pub changes: Vec<Change>,
    pub inserted: Vec<Inserted>,
}

pub struct Options {
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL schema to use (tests isolate themselves in one); created if missing.
    pub pg_schema: Option<String>,
}

/// A pooled connection is checked (a `Sync` and its answer, one round trip) only when it has
/// been idle for a second or more, as connection pools commonly do: sqlx checks every one it
/// hands out by default, which cost a round trip per transaction and per read — a dozen per flow
/// on PostgreSQL. One that broke within that second fails its statement, as it would have had it
/// broken just after the check.
fn pg_pool_options() -> PgPoolOptions {
    PgPoolOptions::new().acquire_timeout(Duration::from_secs(10)).test_before_acquire(false).before_acquire(
        |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        },
    )
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
            Backend::Pg { pool, .. } => Some(pool),
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
            let pool = pg_pool_options().max_connections(opts.max_connections).connect_with(connect.clone()).await?;
            let relaxed = pg_pool_options()
                .max_connections(2)
                .min_connections(0)
                .connect_lazy_with(connect.options([("synchronous_commit", "off")]));
            return Ok(Db {
                backend: Backend::Pg { pool, relaxed },
                settings: Arc::new(SettingsCache::new(false, true)),
                issue_lease: Default::default(),
            });
        }
        let path = opts.url.strip_prefix("sqlite://").or_else(|| opts.url.strip_prefix("sqlite:")).unwrap_or(&opts.url);
        let path = path.split('?').next().unwrap_or(path);
        let open = |flags: rusqlite::OpenFlags| -> Result<rusqlite::Connection, DbError> {
            let conn = rusqlite::Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(Duration::from_secs(10))?;
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
            Backend::Pg { pool, .. } => {
                sqlx::migrate!("./migrations/postgres").run(pool).await.map_err(|e| DbError::Other(e.to_string()))
            }
        }
    }

    /// A transaction that will write. On SQLite it takes the single writer connection, and the
    /// database's write lock at once (`BEGIN IMMEDIATE`).
    pub async fn write(&self) -> Result<Tx, DbError> {
        let conn = match &self.backend {
            Backend::Sqlite(lite) => {
                let conn = lite.writer.clone().lock_owned().await;
                conn.execute_batch("BEGIN IMMEDIATE")?;
                Conn::Sqlite(LiteTx { conn, open: true, relaxed: false, read_only: false })
            }
            Backend::Pg { pool, .. } => Conn::Pg(pool.begin().await?),
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
        let conn = match &self.backend {
            Backend::Pg { relaxed, .. } => Conn::PgAuto(relaxed.acquire().await?),
            Backend::Sqlite(lite) => {
                let conn = lite.writer.clone().lock_owned().await;
                conn.execute_batch("PRAGMA synchronous = NORMAL")?;
                // From here on the guard restores FULL, whatever happens.
                let mut tx = LiteTx { conn, open: false, relaxed: true, read_only: false };
                tx.conn.execute_batch("BEGIN IMMEDIATE")?;
                tx.open = true;
                Conn::Sqlite(tx)
            }
        };
        Ok(self.tx(conn))
    }

    /// A read. On SQLite a transaction: one consistent snapshot for a multi-query read; on
    /// PostgreSQL statements on a pooled connection (see [`Conn::PgAuto`]). For a short read (a
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
                let writer = if may_use_writer { lite.writer.clone().try_lock_owned().ok() } else { None };
                let mut tx = match writer {
                    Some(conn) => LiteTx { conn, open: false, relaxed: false, read_only: true },
                    None => LiteTx { conn: lite.reader().await, open: false, relaxed: false, read_only: false },
                };
                tx.conn.execute_batch("BEGIN")?;
                tx.open = true;
                Conn::Sqlite(tx)
            }
            Backend::Pg { pool, .. } => Conn::PgAuto(pool.acquire().await?),
        };
        Ok(self.tx(conn))
    }

    /// Drops a PostgreSQL schema and everything in it (test clean-up).
    pub async fn drop_schema(&self, schema: &str) {
        if let Backend::Pg { pool, .. } = &self.backend {
            let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema.replace('"', ""));
            if let Err(e) = sqlx::query(&sql).execute(pool).await {
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
            Backend::Pg { pool, relaxed } => {
                relaxed.close().await;
                pool.close().await
            }
        }
    }
}

impl Lite {
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
mod tests;

//! Transactions on either backend: statements bound and read back through `V`, what a
//! transaction appends, and its commit.

use super::pg::{self, Op, Out, PgConn};
use super::*;

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

pub(super) fn lite_prepare<'c>(t: &'c LiteTx, sql: &str, args: &[V]) -> Result<rusqlite::CachedStatement<'c>, DbError> {
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

pub(super) fn lite_rows(t: &LiteTx, sql: &str, args: &[V], limit: Option<usize>) -> Result<Vec<Row>, DbError> {
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

pub(super) enum Conn {
    Sqlite(LiteTx),
    /// A pooled PostgreSQL connection, in a transaction — or not: each statement then commits
    /// on its own. For reads — under READ COMMITTED each statement sees its own snapshot whether
    /// or not it runs inside `BEGIN … COMMIT` — and for the background work's single-statement
    /// writes (see [`Db::write_relaxed`]). Boxed: a pooled client is large.
    Pg(Box<PgConn>),
}

/// A transaction on an SQLite connection, rolled back on drop unless committed.
pub(super) struct LiteTx {
    pub(super) conn: OwnedMutexGuard<rusqlite::Connection>,
    pub(super) open: bool,
    /// Began with `synchronous = NORMAL` (see [`Db::write_relaxed`]): FULL again once done.
    pub(super) relaxed: bool,
    /// A read on the writer connection (see [`Db::read`]): statements that write are refused
    /// (`sqlite3_stmt_readonly`; `PRAGMA query_only` would expire every prepared statement of
    /// the connection each time it is set).
    pub(super) read_only: bool,
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
    pub(super) conn: Conn,
    pub(super) changes: Vec<Change>,
    /// Rows appended on PostgreSQL, written at commit (see [`Tx::append`]).
    pub(super) appended: Vec<(&'static Table, Vec<V>)>,
    /// Rows appended to tables that return ids, with their ids (on PostgreSQL known at commit).
    pub(super) inserted: Vec<Inserted>,
    pub(super) settings: Arc<SettingsCache>,
    /// The cache's generation when this transaction began.
    pub(super) settings_generation: u64,
    /// This transaction wrote settings: it reads them from the database, and its commit
    /// empties the cache.
    pub(super) settings_written: bool,
    /// See [`Db::lease_issued`].
    pub(super) issue_lease: i64,
}

impl Tx {
    /// The lease this process takes on the documents it issues (see [`Db::lease_issued`]).
    pub fn issue_lease(&self) -> Option<jiff::SignedDuration> {
        (self.issue_lease > 0).then(|| jiff::SignedDuration::from_secs(self.issue_lease))
    }

    /// `" FOR UPDATE"` on PostgreSQL; nothing on SQLite, where the single writer serialises.
    /// ` FOR SHARE` on PostgreSQL (the row may not change until commit; others may share it);
    /// nothing on SQLite, whose single writer serialises transactions anyway.
    pub fn for_share(&self) -> &'static str {
        if self.for_update().is_empty() { "" } else { " FOR SHARE" }
    }

    pub fn for_update(&self) -> &'static str {
        match &self.conn {
            Conn::Pg(pg) if pg.in_transaction() => " FOR UPDATE",
            _ => "",
        }
    }

    /// Each statement is a round trip to the database server (PostgreSQL): worth reading a
    /// record's children with it (see `support::children_column`).
    pub fn round_trips(&self) -> bool {
        matches!(self.conn, Conn::Pg(_))
    }

    /// Announce this change if (and only if) the transaction commits.
    pub fn announce(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub async fn exec(&mut self, sql: &str, args: Vec<V>) -> Result<u64, DbError> {
        Ok(match &mut self.conn {
            Conn::Sqlite(t) => lite_prepare(t, sql, &args)?.raw_execute()? as u64,
            Conn::Pg(pg) => match pg.run(vec![(sql, pg::params(args), Op::Execute)], false).await?.pop() {
                Some(Out::Count(n)) => n,
                _ => 0,
            },
        })
    }

    /// [`Tx::exec`] for a statement whose count of changed rows nobody reads: on PostgreSQL, in
    /// a transaction, it is sent with the next statement or the commit (one round trip fewer;
    /// a failure then shows there, and the transaction fails as a whole as before).
    pub async fn exec_later(&mut self, sql: &str, args: Vec<V>) -> Result<(), DbError> {
        match &mut self.conn {
            Conn::Pg(pg) if pg.in_transaction() => pg.queue(sql, args).await,
            _ => self.exec(sql, args).await.map(drop),
        }
    }

    /// A read whose rows are wanted a little later ([`Tx::take`]): on PostgreSQL, in a
    /// transaction, it is sent with the next statement (one round trip fewer). It runs where it
    /// stands in the transaction's order, before the statements that follow. Its failure shows
    /// at the next statement, as that statement's (as with [`Tx::exec_later`]): queue only what
    /// cannot fail in a way the next statement's caller would read otherwise (a unique
    /// violation, say).
    pub async fn all_later(&mut self, sql: &str, args: Vec<V>) -> Result<Later, DbError> {
        match &mut self.conn {
            Conn::Pg(pg) if pg.in_transaction() => Ok(Later::Queued(pg.queue_read(sql, args).await?)),
            _ => Ok(Later::Read(self.all(sql, args).await?)),
        }
    }

    /// The rows of a [`Tx::all_later`].
    pub async fn take(&mut self, later: Later) -> Result<Vec<Row>, DbError> {
        match (later, &mut self.conn) {
            (Later::Read(rows), _) => Ok(rows),
            (Later::Queued(slot), Conn::Pg(pg)) => pg::rows(pg.take(slot).await?),
            (Later::Queued(_), Conn::Sqlite(_)) => Err(DbError::Other("a queued read on SQLite".into())),
        }
    }

    async fn pg_rows(&mut self, sql: &str, args: Vec<V>, op: Op) -> Result<Vec<Row>, DbError> {
        let Conn::Pg(pg) = &mut self.conn else { unreachable!("a PostgreSQL connection") };
        match pg.run(vec![(sql, pg::params(args), op)], false).await?.pop() {
            Some(Out::Rows(rows)) => pg::rows(rows),
            _ => Ok(Vec::new()),
        }
    }

    /// The rows of each query, run one after the other as [`Tx::all`] would run them; on
    /// PostgreSQL sent together, in one round trip. Each query still sees what was committed
    /// before it ran: a read sent behind a locking read sees what the lock waited for.
    pub async fn all_together<const N: usize>(
        &mut self,
        queries: [(&str, Vec<V>); N],
    ) -> Result<[Vec<Row>; N], DbError> {
        let mut out = Vec::with_capacity(N);
        match &mut self.conn {
            Conn::Sqlite(t) => {
                for (sql, args) in &queries {
                    out.push(lite_rows(t, sql, args, None)?);
                }
            }
            Conn::Pg(pg) => {
                let mains = queries.into_iter().map(|(sql, args)| (sql, pg::params(args), Op::Query)).collect();
                for o in pg.run(mains, false).await? {
                    out.push(match o {
                        Out::Rows(rows) => pg::rows(rows)?,
                        Out::Count(_) => Vec::new(),
                    });
                }
            }
        }
        out.try_into().map_err(|_| DbError::Other("a query gave no answer".into()))
    }

    pub async fn all(&mut self, sql: &str, args: Vec<V>) -> Result<Vec<Row>, DbError> {
        match &mut self.conn {
            Conn::Sqlite(t) => lite_rows(t, sql, &args, None),
            Conn::Pg(_) => self.pg_rows(sql, args, Op::Query).await,
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
            Conn::Pg(_) => self.pg_rows(sql, args, Op::Planned).await,
        }
    }

    pub async fn opt(&mut self, sql: &str, args: Vec<V>) -> Result<Option<Row>, DbError> {
        match &mut self.conn {
            Conn::Sqlite(t) => Ok(lite_rows(t, sql, &args, Some(1))?.pop()),
            Conn::Pg(_) => Ok(self.pg_rows(sql, args, Op::Query).await?.into_iter().next()),
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
        if matches!(self.conn, Conn::Pg(_)) {
            let mut notify = Vec::with_capacity(self.changes.len());
            for change in std::mem::take(&mut self.changes) {
                let mut payload = serde_json::to_string(&change).map_err(|e| DbError::Other(e.to_string()))?;
                if payload.len() > 7900 {
                    // NOTIFY carries at most 8000 bytes: the pages only need to know to refresh.
                    let light = Change { client_id: change.client_id, event: immovr_core::LiveEvent::Resync };
                    payload = serde_json::to_string(&light).map_err(|e| DbError::Other(e.to_string()))?;
                }
                notify.push(payload);
            }
            return self.finish(channel, notify).await;
        }
        self.commit().await
    }

    /// Commits; gives back the changes to announce and the ids of what it inserted.
    pub async fn commit(mut self) -> Result<Committed, DbError> {
        let done = match &mut self.conn {
            Conn::Sqlite(t) => t.conn.execute_batch("COMMIT").map(|_| t.open = false).map_err(DbError::from),
            Conn::Pg(_) => return self.finish("", Vec::new()).await,
        };
        self.committed(done)
    }

    /// PostgreSQL: the queued statements, the appended rows with the notifications, and the
    /// `COMMIT`, in one round trip.
    async fn finish(mut self, channel: &str, notify: Vec<String>) -> Result<Committed, DbError> {
        let flush = self.flush_pg(channel, notify)?;
        let Conn::Pg(pg) = &mut self.conn else { unreachable!("a PostgreSQL connection") };
        let done = match flush {
            Some((sql, params)) => match pg.run(vec![(&sql, params, Op::Query)], true).await {
                Ok(mut out) => {
                    // Committed: what cannot be read back now is logged, not reported as a
                    // failure of what is done (the renderer finds the documents by itself).
                    let rows = match out.pop() {
                        Some(Out::Rows(rows)) => rows,
                        _ => Vec::new(),
                    };
                    if let Err(e) = self.flushed(rows) {
                        tracing::error!(error = %e, "reading back the ids of a committed transaction's rows");
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            None => pg.run(Vec::new(), true).await.map(drop),
        };
        self.committed(done)
    }

    fn committed(self, done: Result<(), DbError>) -> Result<Committed, DbError> {
        // Even when the commit reports a failure: it may have happened.
        if self.settings_written {
            self.settings.invalidate();
        }
        done?;
        Ok(Committed { changes: self.changes, inserted: self.inserted })
    }
}

/// A read sent later ([`Tx::all_later`]), or already read.
#[must_use = "its rows are taken with Tx::take"]
pub enum Later {
    Read(Vec<Row>),
    Queued(usize),
}

/// What a committed transaction leaves to do: the changes to announce, and the rows it appended
/// to tables that return ids (`Table::returns_id`), with their ids.
pub struct Committed {
    pub changes: Vec<Change>,
    pub inserted: Vec<Inserted>,
}

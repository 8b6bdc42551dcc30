//! PostgreSQL through tokio-postgres, pipelined: a transaction's `BEGIN` goes out with its first
//! statement, the statements whose answer nobody waits for ([`Tx::exec_later`](super::Tx)) with
//! the next one, and its appended rows with the `COMMIT` — each group one round trip instead of
//! one per statement. The server still runs them one after the other, in order; an error stops
//! the transaction as before (the statements after it fail, and the `COMMIT` rolls back).

use std::error::Error as StdError;

use bytes::BytesMut;
use deadpool_postgres::{Object, Pool};
use futures_util::TryStreamExt;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::{DbError, Row, V};

/// Statements queued at most: [`futures_util::future::join_all`] polls up to this many in
/// order on its first poll (more go through an unordered set); past it, the queue is sent.
pub(super) const QUEUED: usize = 30;

/// Prepared statements a connection keeps at most; past this, it forgets them all (statements
/// built from a variable number of rows would otherwise pile up on the server).
const CACHED_STATEMENTS: usize = 400;

/// A parameter: a value, or an array of them (`UNNEST`).
pub(super) enum P {
    V(V),
    Ints(Vec<Option<i64>>),
    Texts(Vec<Option<String>>),
}

impl P {
    /// The type it is declared with when the statement is prepared, as sqlx did: every value is
    /// a `BIGINT` or a `TEXT`, and the SQL casts where it needs another type.
    fn ty(&self) -> Type {
        match self {
            P::V(V::I(_)) => Type::INT8,
            P::V(V::T(_)) => Type::TEXT,
            P::Ints(_) => Type::INT8_ARRAY,
            P::Texts(_) => Type::TEXT_ARRAY,
        }
    }
}

impl std::fmt::Debug for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::V(v) => v.fmt(f),
            P::Ints(v) => v.fmt(f),
            P::Texts(v) => v.fmt(f),
        }
    }
}

impl ToSql for P {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            P::V(V::I(v)) => v.to_sql(ty, out),
            P::V(V::T(v)) => v.as_deref().to_sql(ty, out),
            P::Ints(v) => v.to_sql(ty, out),
            P::Texts(v) => v.to_sql(ty, out),
        }
    }

    /// Each parameter is declared with its own type (see [`P::ty`]).
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub(super) fn params(args: Vec<V>) -> Vec<P> {
    args.into_iter().map(P::V).collect()
}

/// What a statement gives back.
pub(super) enum Op {
    /// Its rows, through a prepared statement kept by the connection.
    Query,
    /// The number of rows it changed.
    Execute,
    /// Its rows, through an unnamed statement planned for these values (see `Tx::all_planned`).
    Planned,
}

pub(super) enum Out {
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// No transaction: each statement commits on its own.
    Auto,
    /// A transaction whose `BEGIN` goes out with its first statement.
    Pending,
    /// `BEGIN` sent.
    Open,
    /// Committed, or rolled back by a failed `COMMIT`.
    Done,
    /// A statement failed before its `BEGIN` went out: nothing more may run, lest it run
    /// outside a transaction.
    Failed,
}

/// A pooled connection, in a transaction or not.
pub(super) struct PgConn {
    client: Option<Object>,
    state: State,
    /// Statements to send, in order, before the next one (see [`Tx::exec_later`](super::Tx)),
    /// each with the slot of `fetched` its rows go to, if they are wanted
    /// ([`Tx::all_later`](super::Tx)).
    queued: Vec<(String, Vec<P>, Option<usize>)>,
    /// The rows of the queued reads, once sent: taken by [`PgConn::take`].
    fetched: Vec<Option<Vec<tokio_postgres::Row>>>,
}

impl PgConn {
    pub(super) async fn auto(pool: &Pool) -> Result<PgConn, DbError> {
        Ok(PgConn { client: Some(pool.get().await?), state: State::Auto, queued: Vec::new(), fetched: Vec::new() })
    }

    pub(super) async fn begin(pool: &Pool) -> Result<PgConn, DbError> {
        Ok(PgConn { client: Some(pool.get().await?), state: State::Pending, queued: Vec::new(), fetched: Vec::new() })
    }

    pub(super) fn in_transaction(&self) -> bool {
        matches!(self.state, State::Pending | State::Open | State::Failed)
    }

    /// Sends `sql` with the next statement (or the commit). Only in a transaction: without one,
    /// [`PgConn::run`] it at once. A full queue is sent first.
    pub(super) async fn queue(&mut self, sql: &str, args: Vec<V>) -> Result<(), DbError> {
        if self.queued.len() >= QUEUED {
            self.run(Vec::new(), false).await?;
        }
        self.queued.push((sql.to_string(), params(args), None));
        Ok(())
    }

    /// [`PgConn::queue`] for a read whose rows are wanted: they are kept in the slot it gives,
    /// for [`PgConn::take`].
    pub(super) async fn queue_read(&mut self, sql: &str, args: Vec<V>) -> Result<usize, DbError> {
        if self.queued.len() >= QUEUED {
            self.run(Vec::new(), false).await?;
        }
        let slot = self.fetched.len();
        self.fetched.push(None);
        self.queued.push((sql.to_string(), params(args), Some(slot)));
        Ok(slot)
    }

    /// The rows of a queued read: sent now (with what is queued) if they were not yet.
    pub(super) async fn take(&mut self, slot: usize) -> Result<Vec<tokio_postgres::Row>, DbError> {
        if self.queued.iter().any(|q| q.2 == Some(slot)) {
            self.run(Vec::new(), false).await?;
        }
        self.fetched
            .get_mut(slot)
            .and_then(Option::take)
            .ok_or_else(|| DbError::Other("a queued read's rows were taken already".into()))
    }

    async fn prepare(client: &Object, sql: &str, params: &[P]) -> Result<tokio_postgres::Statement, DbError> {
        if client.statement_cache.size() >= CACHED_STATEMENTS {
            client.statement_cache.clear();
        }
        let types: Vec<Type> = params.iter().map(P::ty).collect();
        Ok(client.prepare_typed_cached(sql, &types).await?)
    }

    /// Runs `mains` in order, after the pending `BEGIN` and the queued statements, and before
    /// the `COMMIT` when `commit`: all of them in one round trip. Each statement still runs
    /// after the one before it has finished, with its own snapshot (READ COMMITTED): a read
    /// sent behind a locking read sees what was committed before the lock was granted.
    pub(super) async fn run(&mut self, mains: Vec<(&str, Vec<P>, Op)>, commit: bool) -> Result<Vec<Out>, DbError> {
        if self.state == State::Failed {
            return Err(DbError::Other("this transaction already failed".into()));
        }
        let begin = self.state == State::Pending;
        if begin && mains.is_empty() && self.queued.is_empty() {
            // Nothing was sent: nothing to commit.
            if commit {
                self.state = State::Done;
            }
            return Ok(Vec::new());
        }
        let commit = commit && self.state != State::Auto;
        let client = self.client.as_ref().ok_or_else(|| DbError::Other("the connection is gone".into()))?;
        // Everything is prepared (and checked) before anything is sent: a request that failed
        // before going out must not leave the `COMMIT` sent with it to commit without it. Until
        // then the queued statements stay queued, and a failure here fails the transaction.
        let failed = |e: DbError, state: &mut State| {
            if *state == State::Pending {
                *state = State::Failed;
            }
            e
        };
        let mut statements = Vec::with_capacity(self.queued.len());
        for (sql, params, _) in &self.queued {
            match Self::prepare(client, sql, params).await {
                Ok(st) => statements.push(st),
                Err(e) => return Err(failed(e, &mut self.state)),
            }
        }
        let mut main_statements = Vec::with_capacity(mains.len());
        for (sql, params, op) in &mains {
            main_statements.push(match op {
                Op::Query | Op::Execute => match Self::prepare(client, sql, params).await {
                    Ok(st) => Some(st),
                    Err(e) => return Err(failed(e, &mut self.state)),
                },
                Op::Planned => None,
            });
        }
        let counts = statements.iter().zip(&self.queued).map(|(st, (_, p, _))| (st.params().len(), p.len()));
        let main_counts = main_statements
            .iter()
            .zip(&mains)
            .filter_map(|(st, m)| st.as_ref().map(|st| (st.params().len(), m.1.len())));
        if let Some((want, got)) = counts.chain(main_counts).find(|(want, got)| want != got) {
            let e = DbError::Other(format!("a statement takes {want} parameters, given {got}"));
            return Err(failed(e, &mut self.state));
        }
        let queued = std::mem::take(&mut self.queued);
        let begin_f = async { if begin { client.batch_execute("BEGIN").await } else { Ok(()) } };
        let queued_f =
            futures_util::future::join_all(statements.iter().zip(&queued).map(|(st, (_, params, slot))| async move {
                Ok(match slot {
                    Some(_) => Out::Rows(client.query_raw(st, params.iter()).await?.try_collect().await?),
                    None => Out::Count(client.execute_raw(st, params.iter()).await?),
                })
            }));
        let mains_f = futures_util::future::join_all(mains.iter().zip(&main_statements).map(
            |((sql, params, op), st)| async move {
                Ok(match (op, st) {
                    (Op::Execute, Some(st)) => Out::Count(client.execute_raw(st, params.iter()).await?),
                    (Op::Query, Some(st)) => Out::Rows(client.query_raw(st, params.iter()).await?.try_collect().await?),
                    _ => Out::Rows(
                        client.query_typed_raw(sql, params.iter().map(|p| (p, p.ty()))).await?.try_collect().await?,
                    ),
                })
            },
        ));
        let commit_f = async { if commit { client.batch_execute("COMMIT").await } else { Ok(()) } };
        // To count a request's round trips: RUST_LOG=tower_http=debug,immovr_store::db::pg=trace.
        tracing::trace!(begin, queued = queued.len(), mains = mains.len(), commit, "round trip");
        if begin {
            // Before anything is sent: a request dropped halfway (its client hung up) leaves a
            // transaction that `Drop` rolls back.
            self.state = State::Open;
        }
        let (began, queued_done, outs, committed) = tokio::join!(begin_f, queued_f, mains_f, commit_f);
        if commit {
            // Committed, or — after an error — rolled back: either way the transaction is over.
            self.state = State::Done;
        }
        began?;
        for (done, (_, _, slot)) in queued_done.into_iter().zip(&queued) {
            let done: Result<Out, tokio_postgres::Error> = done;
            if let (Out::Rows(rows), Some(slot)) = (done?, slot) {
                self.fetched[*slot] = Some(rows);
            }
        }
        let outs = outs.into_iter().collect::<Result<Vec<Out>, tokio_postgres::Error>>()?;
        committed?;
        Ok(outs)
    }
}

impl Drop for PgConn {
    /// A transaction dropped before its commit is rolled back before its connection goes back
    /// to the pool; a connection that cannot be is closed instead.
    fn drop(&mut self) {
        if self.state != State::Open {
            return;
        }
        let Some(client) = self.client.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = client.batch_execute("ROLLBACK").await {
                        tracing::warn!(error = %e, "rolling back a PostgreSQL transaction");
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}

/// The rows as [`Row`]s: `BIGINT` (and the smaller integers) as integers, text as text.
pub(super) fn rows(rows: Vec<tokio_postgres::Row>) -> Result<Vec<Row>, DbError> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns = first.columns();
    let names: std::sync::Arc<[String]> = columns.iter().map(|c| c.name().to_string()).collect();
    let kinds: Vec<Type> = columns.iter().map(|c| c.type_().clone()).collect();
    rows.iter()
        .map(|row| {
            let mut values = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                values.push(match *kind {
                    Type::INT8 => V::I(row.try_get::<_, Option<i64>>(i)?),
                    Type::INT4 => V::I(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
                    Type::INT2 => V::I(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
                    _ => V::T(row.try_get::<_, Option<String>>(i)?),
                });
            }
            Ok(Row { names: names.clone(), values })
        })
        .collect()
}

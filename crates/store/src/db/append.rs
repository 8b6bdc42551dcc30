//! Rows a transaction only appends (audit events, outbox rows, search terms): written at
//! commit, on PostgreSQL in one statement with the transaction's notifications.

use super::pg::P;
use super::{Conn, DbError, Tx, V};

/// A table a transaction only appends to, and never reads back (audit events, outbox rows,
/// search terms): see [`Tx::append`].
pub struct Table {
    pub name: &'static str,
    /// The columns written, and whether each holds integers (otherwise text).
    pub columns: &'static [(&'static str, bool)],
    /// `ON CONFLICT DO NOTHING` (a row already there is fine).
    pub skip_existing: bool,
    /// The ids given to its rows are wanted once the transaction commits (see
    /// `Committed`).
    pub returns_id: bool,
}

/// A row appended to a table that returns ids, with the id it was given.
pub struct Inserted {
    pub table: &'static Table,
    pub row: Vec<V>,
    pub id: i64,
}

impl Inserted {
    pub fn is(&self, table: &'static Table) -> bool {
        std::ptr::eq(self.table, table)
    }
}

impl Table {
    /// `INSERT INTO name (a, b) <rows> [ON CONFLICT DO NOTHING]`.
    fn insert(&self, rows: &str) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.0).collect();
        let conflict = if self.skip_existing { " ON CONFLICT DO NOTHING" } else { "" };
        format!("INSERT INTO {} ({}) {rows}{conflict}", self.name, names.join(", "))
    }

    fn insert_sql(&self) -> String {
        let params: Vec<String> = (1..=self.columns.len()).map(|i| format!("${i}")).collect();
        self.insert(&format!("VALUES ({})", params.join(", ")))
    }
}

impl Tx {
    /// Appends a row to `table` as part of this transaction. On PostgreSQL the rows are held
    /// and written when it commits, all of them in one statement together with its `NOTIFY`s
    /// (one round trip instead of one per row: a flow appends about thirty); on SQLite, where a
    /// statement costs microseconds and no round trip, at once. Either way they are written if
    /// and only if the transaction commits.
    pub(crate) async fn append(&mut self, table: &'static Table, row: Vec<V>) -> Result<(), DbError> {
        if row.len() != table.columns.len() {
            return Err(DbError::Other(format!(
                "{}: {} values for {} columns",
                table.name,
                row.len(),
                table.columns.len()
            )));
        }
        match self.conn {
            Conn::Sqlite(_) if table.returns_id => {
                let id = self.insert(&format!("{} RETURNING id", table.insert_sql()), row.clone()).await?;
                self.inserted.push(Inserted { table, row, id });
            }
            Conn::Sqlite(_) => {
                self.exec(&table.insert_sql(), row).await?;
            }
            Conn::Pg(_) => self.appended.push((table, row)),
        }
        Ok(())
    }

    /// Forgets the rows appended to `table` (not yet written) that `drop` selects: a record
    /// indexed again in the same transaction replaces its earlier terms.
    pub(crate) fn unappend(&mut self, table: &'static Table, drop: impl Fn(&[V]) -> bool) {
        self.appended.retain(|(t, row)| !(std::ptr::eq(*t, table) && drop(row)));
    }

    /// The tables rows were appended to, in the order of their first row.
    fn appended_tables(&self) -> Vec<&'static Table> {
        let mut tables: Vec<&'static Table> = Vec::new();
        for (t, _) in &self.appended {
            if !tables.iter().any(|x| std::ptr::eq(*x, *t)) {
                tables.push(t);
            }
        }
        tables
    }

    /// PostgreSQL: the statement that writes the appended rows and sends `notify` on `channel`
    /// — `WITH t0 AS (INSERT … SELECT * FROM UNNEST($1::text[], …)), … SELECT
    /// count(pg_notify(…))` — and its parameters; none when there is nothing to write. Its text
    /// depends only on which tables have rows, so it stays a prepared statement. Its row goes
    /// to [`Tx::flushed`].
    pub(super) fn flush_pg(&self, channel: &str, notify: Vec<String>) -> Result<Option<(String, Vec<P>)>, DbError> {
        if self.appended.is_empty() && notify.is_empty() {
            return Ok(None);
        }
        let tables = self.appended_tables();
        let mut arrays = Vec::new();
        let mut ctes = Vec::new();
        for (ti, table) in tables.iter().enumerate() {
            let rows: Vec<&Vec<V>> =
                self.appended.iter().filter(|(t, _)| std::ptr::eq(*t, *table)).map(|(_, r)| r).collect();
            let mut unnest = Vec::new();
            for (ci, (_, int)) in table.columns.iter().enumerate() {
                let n = arrays.len() + 1;
                if *int {
                    let values = rows
                        .iter()
                        .map(|r| match &r[ci] {
                            V::I(v) => Ok(*v),
                            V::T(None) => Ok(None),
                            V::T(Some(t)) => t.parse().map(Some).map_err(|_| {
                                DbError::Other(format!("{}.{}: not an integer", table.name, table.columns[ci].0))
                            }),
                        })
                        .collect::<Result<_, DbError>>()?;
                    arrays.push(P::Ints(values));
                    unnest.push(format!("${n}::int8[]"));
                } else {
                    let values = rows
                        .iter()
                        .map(|r| match &r[ci] {
                            V::T(v) => v.clone(),
                            V::I(v) => v.map(|i| i.to_string()),
                        })
                        .collect();
                    arrays.push(P::Texts(values));
                    unnest.push(format!("${n}::text[]"));
                }
            }
            let returning = if table.returns_id { " RETURNING id" } else { "" };
            let insert = table.insert(&format!("SELECT * FROM UNNEST({})", unnest.join(", ")));
            ctes.push(format!("t{ti} AS ({insert}{returning})"));
        }
        // The ids of the tables that return them, ascending: the rows are inserted in the order
        // of their arrays, each taking the next value of the sequence.
        let mut tail: Vec<String> = tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.returns_id)
            .map(|(ti, _)| format!("(SELECT string_agg(id::text, ',' ORDER BY id) FROM t{ti}) AS ids{ti}"))
            .collect();
        if !notify.is_empty() {
            let n = arrays.len() + 1;
            tail.push(format!("(SELECT count(pg_notify(${n}, p)) FROM UNNEST(${}::text[]) AS p) AS notified", n + 1));
        }
        let tail = if tail.is_empty() { "SELECT 1".to_string() } else { format!("SELECT {}", tail.join(", ")) };
        let sql = if ctes.is_empty() { tail } else { format!("WITH {} {tail}", ctes.join(", ")) };
        if !notify.is_empty() {
            arrays.push(P::V(V::T(Some(channel.to_string()))));
            arrays.push(P::Texts(notify.into_iter().map(Some).collect()));
        }
        Ok(Some((sql, arrays)))
    }

    /// Takes the ids the appended rows were given from the row of [`Tx::flush_pg`]'s statement.
    pub(super) fn flushed(&mut self, rows: Vec<tokio_postgres::Row>) -> Result<(), DbError> {
        let row = rows.into_iter().next().ok_or_else(|| DbError::Other("no row from the appended rows".into()))?;
        let tables = self.appended_tables();
        for (ti, table) in tables.iter().enumerate().filter(|(_, t)| t.returns_id) {
            let ids: Option<String> = row.try_get(format!("ids{ti}").as_str())?;
            let ids: Vec<i64> = ids.unwrap_or_default().split(',').filter_map(|i| i.parse().ok()).collect();
            let rows: Vec<Vec<V>> =
                self.appended.iter().filter(|(t, _)| std::ptr::eq(*t, *table)).map(|(_, r)| r.clone()).collect();
            if ids.len() != rows.len() {
                return Err(DbError::Other(format!("{}: {} ids for {} rows", table.name, ids.len(), rows.len())));
            }
            self.inserted.extend(rows.into_iter().zip(ids).map(|(row, id)| Inserted { table, row, id }));
        }
        self.appended.clear();
        Ok(())
    }
}

//! The text search of lists: each record's normalised words (`immovr_core::listing::index_terms`)
//! in `search_terms`, keyed by kind and term, written in the transaction that creates or renames
//! the record. A list's search word matches a record when it starts one of the record's own terms
//! or one of its client's: the same indexed range scans on SQLite and PostgreSQL, whatever the
//! size of the history.

use immovr_core::Result;
use immovr_core::listing::{index_terms, prefix_upper};
use immovr_core::model::Id;

use crate::db::{Table, Tx, V, args};

/// What is indexed: the entity kinds of `search_terms.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Client,
    Request,
    Quote,
    PurchaseOrder,
    Order,
    Invoice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Request => "request",
            Kind::Quote => "quote",
            Kind::PurchaseOrder => "purchase_order",
            Kind::Order => "order",
            Kind::Invoice => "invoice",
        }
    }
}

/// The words of the records, appended at commit like the audit log (see [`Tx::append`]).
static SEARCH_TERMS: Table = Table {
    name: "search_terms",
    columns: &[("kind", false), ("term", false), ("entity_id", true)],
    skip_existing: true,
    returns_id: false,
};

/// (Re)writes the search terms of a record from its texts.
pub(crate) async fn index<'a>(
    tx: &mut Tx,
    kind: Kind,
    id: Id,
    texts: impl IntoIterator<Item = &'a str>,
    replace: bool,
) -> Result<()> {
    if replace {
        let (k, i) = (V::from(kind.as_str()), V::from(id));
        tx.unappend(&SEARCH_TERMS, |row| row[0] == k && row[2] == i);
        tx.exec_later("DELETE FROM search_terms WHERE kind = $1 AND entity_id = $2", args![kind.as_str(), id]).await?;
    }
    for term in index_terms(texts) {
        tx.append(&SEARCH_TERMS, args![kind.as_str(), term, id]).await?;
    }
    Ok(())
}

/// The WHERE clauses and arguments of a list query, numbered as they are added.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    pub args: Vec<V>,
}

impl Filter {
    pub fn new() -> Filter {
        Filter::default()
    }

    /// Adds an argument; gives its placeholder.
    pub fn arg(&mut self, v: impl Into<V>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    pub fn and(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// Every word must start a term of the record (`id_col`) or of its client (`client_col`).
    pub fn words(&mut self, kind: Kind, id_col: &str, client_col: &str, words: &[String]) {
        for w in words {
            let (k, lo, hi) = (self.arg(kind.as_str()), self.arg(w.as_str()), self.arg(prefix_upper(w)));
            let clause = if kind == Kind::Client {
                format!(
                    "{id_col} IN (SELECT entity_id FROM search_terms WHERE kind = {k} AND term >= {lo} AND term < {hi})"
                )
            } else {
                let c = self.arg(Kind::Client.as_str());
                format!(
                    "({id_col} IN (SELECT entity_id FROM search_terms WHERE kind = {k} AND term >= {lo} AND term < {hi}) \
                     OR {client_col} IN (SELECT entity_id FROM search_terms WHERE kind = {c} AND term >= {lo} AND term < {hi}))"
                )
            };
            self.and(clause);
        }
    }

    /// ` WHERE …` (or nothing).
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }
}

impl crate::SqlStore {
    /// Indexes the records of a database created before the search existed, once (a flag in
    /// `settings` says it is done), a thousand records per transaction.
    pub(crate) async fn backfill_search(&self) -> Result<()> {
        let mut tx = self.db.read().await?;
        let done = tx.setting("search_indexed").await?.is_some();
        drop(tx);
        if done {
            return Ok(());
        }
        let sources: [(Kind, &str); 6] = [
            (Kind::Client, "SELECT id, name AS a, company_name AS b, email AS c FROM clients"),
            (Kind::Request, "SELECT id, property_type AS a, property_address AS b, '' AS c FROM quote_requests"),
            (Kind::Quote, "SELECT id, title AS a, number AS b, '' AS c FROM quotes"),
            (Kind::PurchaseOrder, "SELECT id, number AS a, quote_number AS b, '' AS c FROM purchase_orders"),
            (
                Kind::Order,
                "SELECT o.id AS id, p.number AS a, '' AS b, '' AS c FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id",
            ),
            (
                Kind::Invoice,
                "SELECT i.id AS id, i.number AS a, p.number AS b, '' AS c FROM invoices i \
                 JOIN orders o ON o.id = i.order_id JOIN purchase_orders p ON p.id = o.purchase_order_id",
            ),
        ];
        for (kind, select) in sources {
            let mut after = 0i64;
            loop {
                let mut tx = self.db.write().await?;
                let rows = tx
                    .all(
                        &format!("SELECT * FROM ({select}) s WHERE s.id > $1 ORDER BY s.id LIMIT $2"),
                        args![after, 1000i64],
                    )
                    .await?;
                for r in &rows {
                    let (a, b, c) = (r.opt_text("a")?, r.opt_text("b")?, r.opt_text("c")?);
                    let texts = [a.as_deref(), b.as_deref(), c.as_deref()].into_iter().flatten();
                    index(&mut tx, kind, r.i64("id")?, texts, true).await?;
                    after = r.i64("id")?;
                }
                tx.commit().await?;
                if rows.len() < 1000 {
                    break;
                }
            }
        }
        let mut tx = self.db.write().await?;
        tx.write_settings(
            "INSERT INTO settings (key, value) VALUES ('search_indexed', 'true') ON CONFLICT (key) DO NOTHING",
            vec![],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

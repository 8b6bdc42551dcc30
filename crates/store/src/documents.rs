//! Issued documents: the frozen snapshot written in the issuing transaction, and the PDF file
//! recorded once when it is first rendered.

use immovr_app::ports::DocumentRepo;
use immovr_core::model::*;
use immovr_core::ports::Scope;
use immovr_core::{Context, DomainError, Result};
use jiff::Timestamp;

use crate::db::{Inserted, Row, Table, Tx, V, args};
use crate::{SqlStore, scope_client};

/// Records an issued document in the caller's transaction: its snapshot, and on an instance
/// that renders in the background, a lease for its renderer.
pub(crate) async fn issue_document(
    tx: &mut Tx,
    snapshot: &DocumentSnapshot,
    entity_id: Id,
    client_id: Id,
) -> Result<()> {
    let json = serde_json::to_string(snapshot).context("a document's snapshot")?;
    let now = snapshot.issued_at;
    // Leased to this process's renderer only if it renders that kind as soon as issued.
    let lease_until = tx.issue_lease().filter(|_| renders_at_once(snapshot.kind)).map(|lease| now + lease);
    tx.append(
        &DOCUMENTS,
        args![snapshot.kind.as_str(), entity_id, client_id, &snapshot.number, json, now, lease_until],
    )
    .await?;
    Ok(())
}

/// The documents this process issued, leased to it as they were (see `Db::lease_issued`),
/// waiting for its renderer: handed over in-process, so that it neither claims them nor reads
/// them back (past [`HELD`] of them, their ids only).
#[derive(Default)]
pub(crate) struct Issued {
    queue: std::sync::Mutex<IssuedDocuments>,
    /// Signalled when documents are handed over (a permit is kept if nobody waits).
    signal: tokio::sync::Notify,
}

/// Records held for the renderer at most; past them, only ids (a renderer that falls behind,
/// e.g. under a burst of sign-ups hashing passwords, must not hold the backlog in memory).
const HELD: usize = ISSUED_HELD;

impl Issued {
    /// Takes in the documents a committed transaction issued with a lease.
    pub fn committed(&self, inserted: &[Inserted]) {
        let docs: Vec<DocumentRecord> = inserted
            .iter()
            .filter(|i| i.is(&DOCUMENTS) && matches!(i.row.get(6), Some(V::T(Some(_)))))
            .filter_map(|i| match issued_record(i) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    // Then the renderer's next sweep takes it, once the lease ends.
                    tracing::error!(error = %e, "an issued document's record");
                    None
                }
            })
            .collect();
        if !docs.is_empty() {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            for doc in docs {
                if queue.records.len() < HELD {
                    queue.records.push(doc);
                } else {
                    queue.ids_only.push(IssuedId::from(&doc));
                }
            }
            self.signal.notify_one();
        }
    }

    pub fn take(&self) -> IssuedDocuments {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Resolves once documents wait (at once if some do).
    pub async fn wait(&self) {
        loop {
            let signalled = self.signal.notified();
            if !self.queue.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
                return;
            }
            signalled.await;
        }
    }
}

/// The record of a document from the row its transaction appended.
fn issued_record(i: &Inserted) -> Result<DocumentRecord> {
    let text = |n: usize| match i.row.get(n) {
        Some(V::T(Some(t))) => Ok(t.as_str()),
        _ => Err(DomainError::internal(format!("documents: column {n}"))),
    };
    let int = |n: usize| match i.row.get(n) {
        Some(V::I(Some(v))) => Ok(*v),
        _ => Err(DomainError::internal(format!("documents: column {n}"))),
    };
    Ok(DocumentRecord {
        id: i.id,
        kind: DocumentKind::parse(text(0)?)?,
        entity_id: int(1)?,
        client_id: int(2)?,
        number: text(3)?.to_string(),
        snapshot: serde_json::from_str(text(4)?).context("a document's snapshot")?,
        issued_at: text(5)?.parse().context("a document's issue time")?,
        file: None,
    })
}

/// An issued document's row: never read back in the transaction that issues it, so appended
/// (on PostgreSQL written at commit with the audit events and the notifications: one statement
/// fewer per document, four per flow); its id comes back for the renderer
/// ([`Issued`]).
static DOCUMENTS: Table = Table {
    name: "documents",
    columns: &[
        ("kind", false),
        ("entity_id", true),
        ("client_id", true),
        ("number", false),
        ("snapshot", false),
        ("issued_at", false),
        ("render_lease_until", false),
    ],
    skip_existing: false,
    returns_id: true,
};

fn document_from_row(r: &Row) -> Result<DocumentRecord> {
    let file = match (r.opt_text("file_key")?, r.opt_text("sha256")?, r.opt_i64("size")?) {
        (Some(key), Some(sha256), Some(size)) => Some(DocumentFile { key, sha256, size }),
        _ => None,
    };
    Ok(DocumentRecord {
        id: r.i64("id")?,
        kind: DocumentKind::parse(&r.text("kind")?)?,
        entity_id: r.i64("entity_id")?,
        client_id: r.i64("client_id")?,
        number: r.text("number")?,
        snapshot: serde_json::from_str(&r.text("snapshot")?).context("a document's snapshot")?,
        issued_at: r.ts("issued_at")?,
        file,
    })
}

/// Documents issued in the last days are rendered in the background, as soon as issued.
const EAGER_DAYS: i64 = 7;

/// The condition on the documents the background renderer takes: those an email attaches (a
/// quote, a purchase order, an invoice, a credit note), so that they are ready when it goes. An
/// accepted quote is attached to nothing: it is rendered when first downloaded (most never
/// are), which spares a quarter of the rendering a flow costs. The partial index the claims
/// read (`documents_unrendered`, migration 0025) has the same condition, so that those never
/// rendered in the background are not in it (a test checks the claims still use it).
const EAGER_KINDS: &str = "kind <> 'signed_quote'";

/// One instance's claim: what is left to render, in the order of the index (issued_at, id).
fn claim_sql() -> String {
    format!(
        "SELECT * FROM documents WHERE sha256 IS NULL AND issued_at >= $1 AND {EAGER_KINDS} \
         ORDER BY issued_at, id LIMIT $2"
    )
}

/// Instances sharing the database: the claim leases what it takes, skipping what another holds.
fn shared_claim_sql() -> String {
    format!(
        "UPDATE documents SET render_lease_until = $2 WHERE id IN (\
         SELECT id FROM documents WHERE sha256 IS NULL AND issued_at >= $4 AND {EAGER_KINDS} \
         AND (render_lease_until IS NULL OR render_lease_until <= $1) \
         ORDER BY issued_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *"
    )
}

/// [`EAGER_KINDS`] in Rust.
fn renders_at_once(kind: DocumentKind) -> bool {
    kind != DocumentKind::SignedQuote
}

#[async_trait::async_trait]
impl DocumentRepo for SqlStore {
    async fn document(&self, scope: Scope, kind: DocumentKind, entity_id: Id) -> Result<Option<DocumentRecord>> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT * FROM documents WHERE kind = $1 AND entity_id = $2 AND ($3 IS NULL OR client_id = $3)",
                args![kind.as_str(), entity_id, scope_client(scope)],
            )
            .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    async fn client_documents(&self, client_id: Id) -> Result<Vec<(DocumentKind, Id)>> {
        let mut tx = self.db.read_long().await?;
        let rows =
            tx.all("SELECT kind, entity_id FROM documents WHERE client_id = $1 ORDER BY id", args![client_id]).await?;
        rows.iter().map(|r| Ok((DocumentKind::parse(&r.text("kind")?)?, r.i64("entity_id")?))).collect()
    }

    fn lease_issued(&self, lease: jiff::SignedDuration) {
        self.db.lease_issued(lease);
    }

    fn take_issued(&self) -> IssuedDocuments {
        self.issued.take()
    }

    async fn issued(&self) {
        self.issued.wait().await
    }

    async fn claim_documents(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<DocumentRecord>> {
        let limit = limit.clamp(1, 100);
        // Recent documents only: history imported without its PDFs renders on demand. In the
        // order of the index (issued_at, id): `ORDER BY id` made SQLite scan the whole table.
        let since = now - jiff::SignedDuration::from_hours(24 * EAGER_DAYS);
        if !self.db.is_shared() {
            // One instance: the renderer's in-process bookkeeping is the lease; no write.
            let mut tx = self.db.read().await?;
            let rows = tx.all(&claim_sql(), args![since, limit]).await?;
            return rows.iter().map(document_from_row).collect();
        }
        let mut tx = self.db.write_relaxed().await?;
        let rows = tx.all(&shared_claim_sql(), args![now, lease_until, limit, since]).await?;
        self.commit(tx).await?;
        let mut docs: Vec<DocumentRecord> = rows.iter().map(document_from_row).collect::<Result<_>>()?;
        docs.sort_by_key(|d| d.id);
        Ok(docs)
    }

    async fn claim_document(&self, id: Id, now: Timestamp, lease_until: Timestamp) -> Result<bool> {
        if !self.db.is_shared() {
            return Ok(true);
        }
        let mut tx = self.db.write_relaxed().await?;
        let n = tx
            .exec(
                "UPDATE documents SET render_lease_until = $2 WHERE id = $1 AND sha256 IS NULL \
                 AND (render_lease_until IS NULL OR render_lease_until <= $3)",
                args![id, lease_until, now],
            )
            .await?;
        self.commit(tx).await?;
        Ok(n == 1)
    }

    async fn set_document_file(&self, id: Id, file: DocumentFile, rendered_at: Timestamp) -> Result<DocumentFile> {
        let mut tx = self.db.write_relaxed().await?;
        let recorded = tx
            .opt(
                "UPDATE documents SET file_key = $2, sha256 = $3, size = $4, rendered_at = $5, render_lease_until = NULL \
                 WHERE id = $1 AND sha256 IS NULL RETURNING file_key, sha256, size",
                args![id, &file.key, &file.sha256, file.size, rendered_at],
            )
            .await?;
        // Recorded already (by another instance): the file of record is that one.
        let row = match recorded {
            Some(row) => row,
            None => tx.one("SELECT file_key, sha256, size FROM documents WHERE id = $1", args![id]).await?,
        };
        self.commit(tx).await?;
        match (row.opt_text("file_key")?, row.opt_text("sha256")?, row.opt_i64("size")?) {
            (Some(key), Some(sha256), Some(size)) => Ok(DocumentFile { key, sha256, size }),
            _ => Err(DomainError::internal("document file not recorded")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: Id) -> Inserted {
        let now: Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        let client = Client {
            id: 1,
            kind: ClientKind::Person,
            name: "Jeanne Martin".into(),
            email: "jeanne@client.example".into(),
            phone: None,
            company_name: None,
            siren: None,
            siret: None,
            vat_number: None,
            billing_address: None,
            language: Language::Fr,
            notify_email: true,
            created_at: now,
            erasure_requested_at: None,
            erased_at: None,
        };
        let snapshot = DocumentSnapshot {
            kind: DocumentKind::Quote,
            number: format!("D-2026-{id:05}"),
            language: Language::Fr,
            issued_at: now,
            company: crate::default_company(),
            client,
            quote: None,
            purchase_order: None,
            invoice: None,
            credit_note: None,
        };
        let json = serde_json::to_string(&snapshot).unwrap();
        let lease = Some(now + jiff::SignedDuration::from_secs(30));
        Inserted { table: &DOCUMENTS, row: args!["quote", id, 1, &snapshot.number, json, now, lease], id: 1000 + id }
    }

    #[test]
    fn a_backlog_of_issued_documents_is_held_as_ids_past_a_few_hundred() {
        let issued = Issued::default();
        let rows: Vec<Inserted> = (1..=300).map(row).collect();
        issued.committed(&rows);
        let taken = issued.take();
        assert_eq!(taken.records.len(), HELD);
        assert_eq!(taken.records[0].id, 1001);
        assert_eq!(taken.records[0].number, "D-2026-00001");
        let ids: Vec<Id> = taken.ids_only.iter().map(|i| i.id).collect();
        assert_eq!(ids, (1000 + HELD as i64 + 1..=1300).collect::<Vec<_>>());
        assert_eq!(taken.ids_only[0], IssuedId { id: 1257, kind: DocumentKind::Quote, entity_id: 257 });
        assert!(issued.take().is_empty(), "handed over once");
        // Without a lease (a process that renders nothing in the background): nothing held.
        let mut unleased = row(1);
        unleased.row[6] = V::T(None);
        issued.committed(&[unleased]);
        assert!(issued.take().is_empty());
    }

    /// The claims read the partial index of the documents left to render: its condition must
    /// follow [`EAGER_KINDS`], or the claims read the table instead. (That the index leaves the
    /// signed quotes out is not something a plan shows: BENCHMARKS.md has the counts.) Table
    /// scans are switched off on PostgreSQL so that an empty table does not hide the index.
    #[tokio::test]
    async fn the_claims_read_the_index_of_the_documents_left_to_render() {
        use crate::db::{Db, Options};
        let plan = |rows: Vec<Row>, col: &str| rows.iter().map(|r| r.text(col).unwrap()).collect::<Vec<_>>().join("\n");
        let now = Timestamp::UNIX_EPOCH;

        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::connect(&Options { url, max_connections: 2, pg_schema: None }).await.unwrap();
        db.migrate().await.unwrap();
        let mut r = db.read().await.unwrap();
        let sqlite =
            plan(r.all(&format!("EXPLAIN QUERY PLAN {}", claim_sql()), args![now, 10]).await.unwrap(), "detail");
        assert!(sqlite.contains("USING INDEX documents_unrendered"), "SQLite's plan: {sqlite}");
        assert!(!sqlite.contains("TEMP B-TREE"), "read in the index's order: {sqlite}");

        let Some((db, schema)) = crate::db::tests::postgres("t_claims", 1).await else { return };
        db.migrate().await.unwrap();
        let mut w = db.write().await.unwrap();
        w.exec("SET LOCAL enable_seqscan = off", vec![]).await.unwrap();
        let sql = format!("EXPLAIN {}", shared_claim_sql());
        let pg = plan(w.all(&sql, args![now, now, 10, now]).await.unwrap(), "QUERY PLAN");
        drop(w);
        db.drop_schema(&schema).await;
        assert!(pg.contains("Index Scan using documents_unrendered"), "PostgreSQL's plan: {pg}");
    }

    /// PostgreSQL compresses snapshots with lz4 (migration 0026) when the server has it.
    #[tokio::test]
    async fn postgresql_compresses_snapshots_with_lz4_when_it_can() {
        let Some((db, schema)) = crate::db::tests::postgres("t_lz4", 1).await else { return };
        db.migrate().await.unwrap();
        let mut r = db.read().await.unwrap();
        let has_lz4 = r
            .one(
                "SELECT ('lz4' = ANY(enumvals))::text AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'",
                vec![],
            )
            .await
            .unwrap()
            .text("lz4")
            .unwrap();
        let method = r
            .one(
                "SELECT a.attcompression::text AS method FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = 'documents' AND a.attname = 'snapshot'",
                args![schema.as_str()],
            )
            .await
            .unwrap()
            .text("method")
            .unwrap();
        drop(r);
        db.drop_schema(&schema).await;
        // 'l': lz4; '' (the server's default, pglz) only where the server cannot do lz4.
        assert_eq!(method, if has_lz4 == "true" { "l" } else { "" }, "documents.snapshot's compression");
    }
}

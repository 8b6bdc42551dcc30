//! Transmissions to the approved platform (PA): queued with the document they carry, leased by
//! the worker, and what the platform said of them.

use async_trait::async_trait;
use immovr_app::ports::{
    EReportRow, EReportSources, FlowAck, FlowUpdate, IncomingStatus, LifecycleStatus, ReportedPayment, Transmission,
    TransmissionRepo, Transmissions, WrittenFlow,
};
use immovr_core::Result;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{DocumentKind, FlowKind, Id, ReportKind};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::billing::{INVOICE_SELECT, credit_note_from_parts};
use crate::db::{Row, args};
use crate::lists::{id_list, lines_of};
use crate::{SqlStore, SqlTx};

/// A flow's row as shown (not its written file), with the invoice it is about.
const FLOW_SELECT: &str = "SELECT f.id, f.document_kind, f.document_id, f.tracking_id, f.status, f.attempts, \
     f.flow_id, f.reason, f.last_error, f.updated_at, f.flow_syntax, f.processing_rule, \
     CASE f.document_kind WHEN 'invoice' THEN f.document_id \
     WHEN 'credit_note' THEN (SELECT c.invoice_id FROM credit_notes c WHERE c.id = f.document_id) \
     WHEN 'payment' THEN (SELECT p.invoice_id FROM payments p WHERE p.id = f.document_id) END AS invoice_id \
     FROM platform_flows f";

fn transmission_from_row(r: &Row) -> Result<Transmission> {
    Ok(Transmission {
        id: r.i64("id")?,
        document_kind: FlowKind::parse(&r.text("document_kind")?)?,
        document_id: r.i64("document_id")?,
        syntax: r.text("flow_syntax")?,
        rule: r.text("processing_rule")?,
        invoice_id: r.opt_i64("invoice_id")?,
        tracking_id: r.text("tracking_id")?,
        status: r.text("status")?,
        attempts: r.i64("attempts")?,
        flow_id: r.opt_text("flow_id")?,
        reason: r.opt_text("reason")?,
        last_error: r.opt_text("last_error")?,
        updated_at: r.ts("updated_at")?,
    })
}

#[async_trait]
impl Transmissions for SqlStore {
    async fn claim_transmissions(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Transmission>> {
        // Rows another instance is leasing are skipped, not waited for (PostgreSQL); SQLite has
        // one writer.
        let skip = if self.db.is_shared() { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE platform_flows SET locked_until = $2, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM platform_flows WHERE status = 'queued' AND next_attempt_at <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1) ORDER BY id LIMIT $3{skip}) RETURNING id"
        );
        let mut tx = self.db.write().await?;
        let leased = tx.all(&sql, args![now, lease_until, limit.clamp(1, 100)]).await?;
        self.commit(tx).await?;
        if leased.is_empty() {
            return Ok(vec![]);
        }
        // (Ids read from the database: written in the statement as numbers.)
        let ids = leased.iter().map(|r| r.i64("id").map(|id| id.to_string())).collect::<Result<Vec<_>>>()?;
        let mut tx = self.db.read().await?;
        let rows = tx.all(&format!("{FLOW_SELECT} WHERE f.id IN ({}) ORDER BY f.id", ids.join(", ")), vec![]).await?;
        rows.iter().map(transmission_from_row).collect()
    }

    async fn written_flow(&self, id: Id) -> Result<Option<(String, String)>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT file_name, payload FROM platform_flows WHERE id = $1", args![id]).await?;
        Ok(match row {
            Some(r) => r.opt_text("file_name")?.zip(r.opt_text("payload")?),
            None => None,
        })
    }

    async fn transmission_submitted(&self, id: Id, flow_id: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "UPDATE platform_flows SET status = 'submitted', flow_id = $2, locked_until = NULL, last_error = NULL, \
             updated_at = $3 WHERE id = $1 AND status IN ('queued', 'failed')",
            args![id, flow_id, at],
        )
        .await?;
        self.commit(tx).await
    }

    async fn transmission_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>, at: Timestamp) -> Result<()> {
        let error: String = error.chars().take(2000).collect();
        let mut tx = self.db.write().await?;
        match retry_at {
            Some(retry) => {
                tx.exec(
                    "UPDATE platform_flows SET last_error = $2, next_attempt_at = $3, locked_until = NULL, updated_at = $4 \
                     WHERE id = $1 AND status = 'queued'",
                    args![id, error, retry, at],
                )
                .await?
            }
            None => {
                tx.exec(
                    "UPDATE platform_flows SET status = 'failed', last_error = $2, locked_until = NULL, updated_at = $3 \
                     WHERE id = $1 AND status = 'queued'",
                    args![id, error, at],
                )
                .await?
            }
        };
        self.commit(tx).await
    }

    async fn transmission_acknowledged(&self, update: &FlowUpdate, at: Timestamp) -> Result<bool> {
        let status = match update.ack {
            FlowAck::Pending => return Ok(false),
            FlowAck::Ok => "deposited",
            FlowAck::Error => "rejected",
        };
        let reason: Option<String> = update.reason.as_ref().map(|r| r.chars().take(2000).collect());
        let (code, reason_kept) = if status == "deposited" { (200, None) } else { (213, reason.clone()) };
        let mut tx = self.db.write().await?;
        // By the flow id the submission gave back, or by tracking id (our document number)
        // while the submission's answer is not recorded yet. Deposited and rejected are final; a
        // row parked by a worker whose lease ran out takes the platform's word too.
        let changed = tx
            .exec(
                "UPDATE platform_flows SET status = $3, reason = $4, flow_id = COALESCE(flow_id, $2), \
                 locked_until = NULL, updated_at = $5 \
                 WHERE (flow_id = $2 OR (flow_id IS NULL AND tracking_id = $1)) AND status IN ('queued', 'submitted', 'failed')",
                args![update.tracking_id.clone(), &update.flow_id, status, reason, at],
            )
            .await?;
        if changed > 0 {
            // An invoice's or a credit note's lifecycle: 200 Déposée or 213 Rejetée.
            tx.exec(
                "INSERT INTO lifecycle_statuses (document_kind, document_id, code, reason, source, at) \
                 SELECT document_kind, document_id, $2, $3, 'platform', $4 FROM platform_flows \
                 WHERE flow_id = $1 AND document_kind IN ('invoice', 'credit_note')",
                args![&update.flow_id, code, reason_kept, at],
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(changed > 0)
    }

    async fn unaccepted_transmissions(&self, list: &ListQuery) -> Result<Page<Transmission>> {
        list.check(&[])?;
        let size = list.page_size();
        let after = if list.after.is_some() { " AND f.id < $2" } else { "" };
        let sql = format!("{FLOW_SELECT} WHERE f.status <> 'deposited'{after} ORDER BY f.id DESC LIMIT $1");
        let mut tx = self.db.read().await?;
        let rows = tx.all(&sql, paging(size, list.after)).await?;
        let items = rows.iter().map(transmission_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, size, |t| t.id))
    }

    async fn lifecycle(&self, kind: DocumentKind, document_id: Id) -> Result<Vec<LifecycleStatus>> {
        let mut tx = self.db.read().await?;
        // A document's few statuses (one per event of its life): not a list to page.
        let rows = tx
            .all(
                "SELECT code, reason, amount, source, at FROM lifecycle_statuses WHERE document_kind = $1 AND document_id = $2 \
                 ORDER BY id",
                args![kind.as_str(), document_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LifecycleStatus {
                    code: r.i64("code")?,
                    reason: r.opt_text("reason")?,
                    amount: r.opt_dec("amount")?,
                    source: r.text("source")?,
                    at: r.ts("at")?,
                })
            })
            .collect()
    }

    async fn ereports(&self, list: &ListQuery) -> Result<Page<EReportRow>> {
        list.check(&[])?;
        let size = list.page_size();
        let after = if list.after.is_some() { " WHERE id < $2" } else { "" };
        let sql = format!("SELECT * FROM ereports{after} ORDER BY id DESC LIMIT $1");
        let mut tx = self.db.read().await?;
        let rows = tx.all(&sql, paging(size, list.after)).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(EReportRow {
                    id: r.i64("id")?,
                    report: ReportKind::parse(&r.text("report")?)?,
                    period_start: r.date("period_start")?,
                    period_end: r.date("period_end")?,
                    days: r.i64("days")?,
                    total: r.dec("total")?,
                    created_at: r.ts("created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, size, |r| r.id))
    }

    async fn ereport_bounds(&self, kind: ReportKind) -> Result<Option<(Date, Date)>> {
        let mut tx = self.db.read().await?;
        let r = tx
            .opt(
                "SELECT MIN(period_start) AS first_day, MAX(period_end) AS last_day FROM ereports WHERE report = $1",
                args![kind.as_str()],
            )
            .await?;
        let Some(r) = r else { return Ok(None) };
        Ok(r.opt_date("first_day")?.zip(r.opt_date("last_day")?))
    }

    async fn ereport_sources(&self, kind: ReportKind, from: Date, to: Date) -> Result<EReportSources> {
        // One period of one studio's sales to private persons: bounded by the period.
        let mut tx = self.db.read_long().await?;
        let person = "SELECT id FROM clients WHERE kind = 'person'";
        let mut sources = EReportSources { invoices: Vec::new(), credit_notes: Vec::new(), payments: Vec::new() };
        // Each kind read at once with its lines (a period holds many; no row-by-row loads).
        let ids = |rows: Vec<crate::db::Row>| rows.iter().map(|r| r.i64("id")).collect::<Result<Vec<Id>>>();
        if kind == ReportKind::Sales {
            let unreported = |table: &str| {
                format!(
                    "SELECT id FROM {table} WHERE issue_date >= $1 AND issue_date <= $2 AND ereport_id IS NULL \
                     AND client_id IN ({person}) ORDER BY id"
                )
            };
            let invoice_ids = ids(tx.all(&unreported("invoices"), args![from, to]).await?)?;
            let credit_ids = ids(tx.all(&unreported("credit_notes"), args![from, to]).await?)?;
            sources.invoices = self.invoices_by_ids(&mut tx, &invoice_ids).await?;
            if !credit_ids.is_empty() {
                let (list, args) = id_list(&credit_ids, 0);
                let rows = tx
                    .all(
                        &format!(
                            "SELECT c.*, i.number AS invoice_number FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id \
                             WHERE c.id IN {list} ORDER BY c.id"
                        ),
                        args,
                    )
                    .await?;
                let mut lines = lines_of(&mut tx, "credit_note", &credit_ids).await?;
                for r in &rows {
                    sources
                        .credit_notes
                        .push(credit_note_from_parts(r, lines.remove(&r.i64("id")?).unwrap_or_default())?);
                }
            }
            return Ok(sources);
        }
        let payments = tx
            .all(
                &format!(
                    "SELECT p.id, p.invoice_id, p.date, p.amount FROM payments p JOIN invoices i ON i.id = p.invoice_id \
                     WHERE p.date >= $1 AND p.date <= $2 AND p.ereport_id IS NULL AND i.client_id IN ({person}) ORDER BY p.id"
                ),
                args![from, to],
            )
            .await?;
        let mut paid_ids: Vec<Id> = payments.iter().map(|r| r.i64("invoice_id")).collect::<Result<_>>()?;
        paid_ids.sort_unstable();
        paid_ids.dedup();
        let rates: std::collections::HashMap<Id, _> =
            self.invoices_by_ids(&mut tx, &paid_ids).await?.into_iter().map(|i| (i.id, i.totals.per_rate)).collect();
        sources.payments = payments
            .iter()
            .map(|r| {
                Ok(ReportedPayment {
                    id: r.i64("id")?,
                    date: r.date("date")?,
                    amount: r.dec("amount")?,
                    invoice_rates: rates.get(&r.i64("invoice_id")?).cloned().unwrap_or_default(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(sources)
    }

    async fn transmission_of(&self, kind: DocumentKind, document_id: Id) -> Result<Option<Transmission>> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                &format!("{FLOW_SELECT} WHERE f.document_kind = $1 AND f.document_id = $2"),
                args![kind.as_str(), document_id],
            )
            .await?;
        row.as_ref().map(transmission_from_row).transpose()
    }

    async fn record_incoming_status(&self, s: &IncomingStatus) -> Result<bool> {
        let reason: Option<String> = s.reason.as_ref().map(|r| r.chars().take(2000).collect());
        let mut tx = self.db.write().await?;
        // The invoice or the credit note of that number; once per message (read again when the
        // platform updates its flow, or by two instances at once: the unique index keeps one).
        let mut added = 0;
        for (kind, table) in [("invoice", "invoices"), ("credit_note", "credit_notes")] {
            added += tx
                .exec(
                    &format!(
                        "INSERT INTO lifecycle_statuses (document_kind, document_id, code, reason, source, at, message_id) \
                         SELECT $1, d.id, $3, $4, $5, $6, $7 FROM {table} d WHERE d.number = $2 ON CONFLICT DO NOTHING"
                    ),
                    args![kind, &s.invoice_number, s.code, reason.clone(), s.source.as_str(), s.updated_at, &s.flow_id],
                )
                .await?;
        }
        self.commit(tx).await?;
        Ok(added > 0)
    }

    async fn lifecycle_cursor(&self) -> Result<Option<Timestamp>> {
        self.cursor(LIFECYCLE_CURSOR).await
    }

    async fn set_lifecycle_cursor(&self, at: Timestamp) -> Result<()> {
        self.set_cursor(LIFECYCLE_CURSOR, at).await
    }

    async fn platform_cursor(&self) -> Result<Option<Timestamp>> {
        self.cursor(CURSOR).await
    }

    async fn set_platform_cursor(&self, at: Timestamp) -> Result<()> {
        self.set_cursor(CURSOR, at).await
    }

    async fn retry_transmission(&self, id: Id, at: Timestamp) -> Result<bool> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .exec(
                "UPDATE platform_flows SET status = 'queued', attempts = 0, next_attempt_at = $2, locked_until = NULL, \
                 updated_at = $2 WHERE id = $1 AND status = 'failed'",
                args![id, at],
            )
            .await?;
        self.commit(tx).await?;
        Ok(changed > 0)
    }
}

/// A page's arguments: one row more than its size (it says there is a next page), and where it
/// starts.
fn paging(size: i64, after: Option<Id>) -> Vec<crate::db::V> {
    match after {
        Some(after) => args![size + 1, after],
        None => args![size + 1],
    }
}

/// The `settings` row of the platform's last update read.
const CURSOR: &str = "platform.updated_after";
/// The `settings` row of the last received lifecycle status read.
const LIFECYCLE_CURSOR: &str = "platform.lifecycle_after";

impl SqlStore {
    /// These invoices, read at once with their lines and payments.
    async fn invoices_by_ids(&self, tx: &mut crate::db::Tx, ids: &[Id]) -> Result<Vec<immovr_core::model::Invoice>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let (list, args) = id_list(ids, 0);
        let rows = tx.all(&format!("{INVOICE_SELECT} WHERE i.id IN {list} ORDER BY i.id"), args).await?;
        self.invoices_from_rows(tx, &rows).await
    }

    async fn cursor(&self, key: &str) -> Result<Option<Timestamp>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT value FROM settings WHERE key = $1", args![key]).await?;
        Ok(row.map(|r| r.text("value")).transpose()?.and_then(|v| v.parse().ok()))
    }

    async fn set_cursor(&self, key: &str, at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![key, at.to_string()],
        )
        .await?;
        self.commit(tx).await
    }
}

#[async_trait]
impl TransmissionRepo for SqlTx {
    async fn queue_transmission(
        &mut self,
        kind: DocumentKind,
        document_id: Id,
        tracking_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO platform_flows (document_kind, document_id, tracking_id, status, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', $4, $4, $4) ON CONFLICT (document_kind, document_id) DO NOTHING",
                args![kind.as_str(), document_id, tracking_id, at],
            )
            .await?;
        Ok(())
    }

    async fn queue_written_flow(&mut self, f: &WrittenFlow<'_>, at: Timestamp) -> Result<bool> {
        let added = self
            .tx
            .exec(
                "INSERT INTO platform_flows (document_kind, document_id, tracking_id, status, next_attempt_at, created_at, \
                 updated_at, flow_syntax, processing_rule, file_name, payload) \
                 VALUES ($1, $2, $3, 'queued', $4, $4, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                args![f.kind.as_str(), f.id, f.tracking_id, at, f.syntax, f.rule, f.name, f.xml],
            )
            .await?;
        Ok(added > 0)
    }

    async fn record_lifecycle(&mut self, kind: DocumentKind, id: Id, s: &LifecycleStatus) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO lifecycle_statuses (document_kind, document_id, code, reason, amount, source, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![
                    kind.as_str(),
                    id,
                    s.code,
                    s.reason.clone(),
                    s.amount.map(|a| a.to_string()),
                    s.source.as_str(),
                    s.at
                ],
            )
            .await?;
        Ok(())
    }

    async fn insert_ereport(&mut self, row: &EReportRow) -> Result<Option<Id>> {
        let r = self
            .tx
            .opt(
                "INSERT INTO ereports (report, period_start, period_end, days, total, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (report, period_start) DO NOTHING RETURNING id",
                args![row.report.as_str(), row.period_start, row.period_end, row.days, row.total, row.created_at],
            )
            .await?;
        r.map(|r| r.i64("id")).transpose()
    }

    async fn transmission_status(&mut self, kind: DocumentKind, id: Id) -> Result<Option<String>> {
        let r = self
            .tx
            .opt(
                "SELECT status FROM platform_flows WHERE document_kind = $1 AND document_id = $2",
                args![kind.as_str(), id],
            )
            .await?;
        r.map(|r| r.text("status")).transpose()
    }

    async fn mark_ereported(&mut self, report_id: Id, sources: &EReportSources, kind: ReportKind) -> Result<()> {
        // Ids read from the database: written in the statement as numbers.
        let list = |ids: &mut dyn Iterator<Item = Id>| ids.map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
        let tables = match kind {
            ReportKind::Sales => vec![
                ("invoices", list(&mut sources.invoices.iter().map(|i| i.id))),
                ("credit_notes", list(&mut sources.credit_notes.iter().map(|c| c.id))),
            ],
            ReportKind::Payments => vec![("payments", list(&mut sources.payments.iter().map(|p| p.id)))],
        };
        for (table, ids) in tables.into_iter().filter(|(_, ids)| !ids.is_empty()) {
            self.tx
                .exec(
                    &format!("UPDATE {table} SET ereport_id = $1 WHERE id IN ({ids}) AND ereport_id IS NULL"),
                    args![report_id],
                )
                .await?;
        }
        Ok(())
    }
}

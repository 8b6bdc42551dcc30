//! Transmissions to the approved platform (PA): queued with the document they carry, leased by
//! the worker, and what the platform said of them.

use async_trait::async_trait;
use immovr_app::ports::{FlowAck, FlowUpdate, Transmission, TransmissionRepo, Transmissions};
use immovr_core::Result;
use immovr_core::model::{DocumentKind, Id};
use jiff::Timestamp;

use crate::db::{Row, args};
use crate::{SqlStore, SqlTx};

fn transmission_from_row(r: &Row) -> Result<Transmission> {
    Ok(Transmission {
        id: r.i64("id")?,
        document_kind: DocumentKind::parse(&r.text("document_kind")?)?,
        document_id: r.i64("document_id")?,
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
             AND (locked_until IS NULL OR locked_until <= $1) ORDER BY id LIMIT $3{skip}) RETURNING *"
        );
        let mut tx = self.db.write().await?;
        let rows = tx.all(&sql, args![now, lease_until, limit.clamp(1, 100)]).await?;
        self.commit(tx).await?;
        let mut out: Vec<Transmission> = rows.iter().map(transmission_from_row).collect::<Result<_>>()?;
        out.sort_by_key(|t| t.id);
        Ok(out)
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
        self.commit(tx).await?;
        Ok(changed > 0)
    }

    async fn transmission_of(&self, kind: DocumentKind, document_id: Id) -> Result<Option<Transmission>> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT * FROM platform_flows WHERE document_kind = $1 AND document_id = $2",
                args![kind.as_str(), document_id],
            )
            .await?;
        row.as_ref().map(transmission_from_row).transpose()
    }

    async fn platform_cursor(&self) -> Result<Option<Timestamp>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT value FROM settings WHERE key = $1", args![CURSOR]).await?;
        Ok(row.map(|r| r.text("value")).transpose()?.and_then(|v| v.parse().ok()))
    }

    async fn set_platform_cursor(&self, at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![CURSOR, at.to_string()],
        )
        .await?;
        self.commit(tx).await
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

/// The `settings` row of the platform's last update read.
const CURSOR: &str = "platform.updated_after";

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
}

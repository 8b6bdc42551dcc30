//! The outbox: the email worker's leases and outcomes, a failed email put back in the queue,
//! the reminders' record; the journal's, the emails' and the dashboard's reads; the idempotency
//! of API requests.

use async_trait::async_trait;
use immovr_app::ports::{Idempotency, JournalQueries, Mailbox, OutboxRepo};
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::ports::{AuditFilter, Dashboard, IdempotencyStart};
use immovr_core::{DomainError, Result};
use jiff::{SignedDuration, Timestamp};

use crate::db::args;
use crate::support::outbox_from_row;
use crate::{SqlStore, SqlTx, not_found};

#[async_trait]
impl Mailbox for SqlStore {
    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>> {
        let limit = limit.clamp(1, 100);
        if !self.db.is_shared() {
            // One instance and one worker: nothing to lease, so nothing to write. The attempt is
            // counted when its outcome is recorded.
            let mut tx = self.db.read().await?;
            let rows = tx
                .all(
                    "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
                    args![now, limit],
                )
                .await?;
            return rows
                .iter()
                .map(|r| outbox_from_row(r).map(|m| OutboxMessage { attempts: m.attempts + 1, ..m }))
                .collect();
        }
        let mut tx = self.db.write_relaxed().await?;
        // Rows another instance is leasing right now are skipped, not waited for.
        let rows = tx
            .all(
                "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 WHERE id IN (\
                 SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $1) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *",
                args![now, lease_until, limit],
            )
            .await?;
        self.commit(tx).await?;
        let mut out: Vec<OutboxMessage> = rows.iter().map(outbox_from_row).collect::<Result<_>>()?;
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    async fn outbox_sent(&self, ids: &[Id], at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = args![at];
        let mut placeholders = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            placeholders.push(format!("${}", i + 2));
            args.push((*id).into());
        }
        let sql = format!(
            "UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL, attempts = {} \
             WHERE id IN ({})",
            if self.db.is_shared() { "attempts" } else { "attempts + 1" },
            placeholders.join(", ")
        );
        let mut tx = self.db.write_relaxed().await?;
        tx.exec(&sql, args).await?;
        self.commit(tx).await
    }

    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        let error: String = error.chars().take(2000).collect();
        // Where claiming wrote nothing (SQLite), the attempt is counted here.
        let counted = if self.db.is_shared() { "attempts" } else { "attempts + 1" };
        let mut tx = self.db.write_relaxed().await?;
        match retry_at {
            Some(at) => {
                let sql = format!(
                    "UPDATE outbox SET last_error = $2, next_attempt_at = $3, locked_until = NULL, attempts = {counted} \
                     WHERE id = $1 AND status = 'pending'"
                );
                tx.exec(&sql, args![id, error, at]).await?
            }
            None => {
                let sql = format!(
                    "UPDATE outbox SET status = 'failed', last_error = $2, locked_until = NULL, attempts = {counted} \
                     WHERE id = $1 AND status = 'pending'"
                );
                tx.exec(&sql, args![id, error]).await?
            }
        };
        self.commit(tx).await
    }
}

#[async_trait]
impl OutboxRepo for SqlTx {
    async fn lock_outbox(&mut self, id: Id) -> Result<OutboxMessage> {
        let sql = format!("SELECT * FROM outbox WHERE id = $1{}", self.tx.for_update());
        let row = self.tx.opt(&sql, args![id]).await?.ok_or_else(|| not_found("notification"))?;
        outbox_from_row(&row)
    }

    async fn requeue_outbox(&mut self, id: Id, at: Timestamp) -> Result<OutboxMessage> {
        let row = self
            .tx
            .one(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, locked_until = NULL WHERE id = $1 RETURNING *",
                args![id, at],
            )
            .await?;
        outbox_from_row(&row)
    }

    async fn record_reminder(&mut self, kind: &str, entity_id: Id, step: &str, at: Timestamp) -> Result<bool> {
        let inserted = self
            .tx
            .exec(
                "INSERT INTO reminders (kind, entity_id, step, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                args![kind, entity_id, step, at],
            )
            .await?;
        Ok(inserted == 1)
    }
}

#[async_trait]
impl JournalQueries for SqlStore {
    async fn company(&self) -> Result<CompanySettings> {
        let mut tx = self.db.read().await?;
        crate::support::company(&mut tx).await
    }

    async fn legal_texts(&self, kind: immovr_core::model::LegalKind) -> Result<Vec<immovr_core::model::LegalText>> {
        let mut tx = self.db.read().await?;
        match tx.setting(&format!("legal.{}", kind.as_str())).await? {
            Some(value) => immovr_core::Context::context(serde_json::from_str(&value), "the legal texts"),
            None => Ok(Vec::new()),
        }
    }

    async fn audit_events(&self, filter: &AuditFilter) -> Result<Page<AuditEvent>> {
        self.audit_page(filter).await
    }

    async fn outbox(&self, list: &ListQuery) -> Result<Page<OutboxMessage>> {
        self.outbox_page(list).await
    }

    async fn dashboard(&self, preview: i64) -> Result<Dashboard> {
        self.dashboard_q(preview).await
    }

    async fn ping(&self) -> bool {
        match self.db.read().await {
            Ok(mut tx) => tx.opt("SELECT CAST(1 AS BIGINT) AS one", vec![]).await.is_ok(),
            Err(_) => false,
        }
    }
}

#[async_trait]
impl Idempotency for SqlStore {
    async fn idempotency_start(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<IdempotencyStart> {
        let mut tx = self.db.write().await?;
        let inserted = tx
            .exec(
                "INSERT INTO idempotency_keys (owner, key, fingerprint, created_at, attempt, lease_until) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (owner, key) DO NOTHING",
                args![owner, key, fingerprint, now, now + lease],
            )
            .await?;
        let outcome = if inserted == 1 {
            IdempotencyStart::Started { attempt: 1 }
        } else {
            let row = tx
                .one(
                    &format!(
                        "SELECT fingerprint, status, body, attempt, lease_until FROM idempotency_keys \
                         WHERE owner = $1 AND key = $2{}",
                        tx.for_update()
                    ),
                    args![owner, key],
                )
                .await?;
            if row.text("fingerprint")? != fingerprint {
                return Err(DomainError::IdempotencyKeyReused);
            }
            match row.opt_i64("status")? {
                Some(status) => {
                    IdempotencyStart::Replay { status: status as u16, body: row.opt_text("body")?.unwrap_or_default() }
                }
                None => {
                    let until = row.ts("lease_until")?;
                    if until > now {
                        IdempotencyStart::InProgress { until }
                    } else {
                        // The run that held it died or gave up: this one takes over.
                        let attempt = row.i64("attempt")? + 1;
                        tx.exec(
                            "UPDATE idempotency_keys SET attempt = $3, lease_until = $4 WHERE owner = $1 AND key = $2",
                            args![owner, key, attempt, now + lease],
                        )
                        .await?;
                        IdempotencyStart::Started { attempt }
                    }
                }
            }
        };
        self.commit(tx).await?;
        Ok(outcome)
    }

    async fn idempotency_complete(&self, owner: &str, key: &str, attempt: i64, status: u16, body: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "UPDATE idempotency_keys SET status = $4, body = $5 \
             WHERE owner = $1 AND key = $2 AND attempt = $3 AND status IS NULL",
            args![owner, key, attempt, status as i64, body],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn idempotency_abandon(&self, owner: &str, key: &str, attempt: i64) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND attempt = $3 AND status IS NULL",
            args![owner, key, attempt],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn forget_idempotency_keys(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.db.write().await?;
        let n = tx.exec("DELETE FROM idempotency_keys WHERE created_at < $1", args![before]).await?;
        self.commit(tx).await?;
        Ok(n)
    }
}

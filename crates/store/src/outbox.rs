//! The email worker's side of the outbox: lease due rows, record each attempt's outcome, put a
//! failed row back in the queue; and the time-based notifications (quote about to expire,
//! invoice overdue), queued once per step.

use immovr_core::model::*;
use immovr_core::ports::{Actor, add_days};
use immovr_core::{DomainError, Notification, Result};
use jiff::Timestamp;
use serde_json::json;

use crate::db::args;
use crate::support::{audit, company, notify_client, outbox_from_row};
use crate::{SqlStore, not_found};

impl SqlStore {
    pub(crate) async fn claim_outbox_tx(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
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

    pub(crate) async fn outbox_sent_tx(&self, ids: &[Id], at: Timestamp) -> Result<()> {
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

    pub(crate) async fn outbox_failed_tx(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
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

    pub(crate) async fn retry_outbox_tx(&self, actor: &Actor, id: Id) -> Result<OutboxMessage> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let row = tx
            .opt(&format!("SELECT * FROM outbox WHERE id = $1{}", tx.for_update()), args![id])
            .await?
            .ok_or_else(|| not_found("notification"))?;
        let m = outbox_from_row(&row)?;
        if m.status != "failed" {
            return Err(DomainError::validation("status", "only a failed notification is sent again"));
        }
        tx.exec(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, locked_until = NULL WHERE id = $1",
            args![id, now],
        )
        .await?;
        audit(&mut tx, now, actor, "outbox.retried", ("outbox", id), json!({"kind": m.kind, "recipient": m.recipient}))
            .await?;
        let row = tx.one("SELECT * FROM outbox WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        outbox_from_row(&row)
    }

    /// Queues the reminders due today; each (kind, record, step) once, whatever the number of
    /// workers or restarts. Returns how many were queued.
    pub(crate) async fn queue_reminders_tx(&self) -> Result<usize> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let mut queued = 0;
        if company.quote_reminder_days > 0 {
            let horizon = add_days(today, company.quote_reminder_days);
            let quotes = tx
                .all(
                    "SELECT id, client_id, number, valid_until, total_incl_vat FROM quotes \
                     WHERE status = 'sent' AND valid_until >= $1 AND valid_until <= $2",
                    args![today, horizon],
                )
                .await?;
            for q in &quotes {
                let id = q.i64("id")?;
                let inserted = tx
                    .exec(
                        "INSERT INTO reminders (kind, entity_id, step, created_at) VALUES ('quote_expiring', $1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                        args![id, q.text("valid_until")?, now],
                    )
                    .await?;
                if inserted == 1 {
                    let expiring = Notification::QuoteExpiring {
                        quote_id: id,
                        number: q.opt_text("number")?,
                        valid_until: q.date("valid_until")?,
                        total_incl_vat: q.dec("total_incl_vat")?,
                    };
                    notify_client(&mut tx, now, q.i64("client_id")?, expiring).await?;
                    queued += 1;
                }
            }
        }
        let mut steps: Vec<i64> = company.overdue_reminder_days.iter().copied().filter(|d| *d >= 0).collect();
        steps.sort_unstable();
        if let Some(first) = steps.first() {
            let latest_due = add_days(today, -first);
            let invoices = tx
                .all(
                    "SELECT id, client_id, number, due_date, total_incl_vat, amount_paid FROM invoices \
                     WHERE status IN ('issued', 'partially_paid') AND due_date <= $1",
                    args![latest_due],
                )
                .await?;
            for inv in &invoices {
                let due = inv.date("due_date")?;
                // The latest step reached: earlier ones missed (server down) are not sent late.
                let Some(step) = steps.iter().rev().find(|s| add_days(due, **s) <= today) else { continue };
                let id = inv.i64("id")?;
                let inserted = tx
                    .exec(
                        "INSERT INTO reminders (kind, entity_id, step, created_at) VALUES ('invoice_overdue', $1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                        args![id, step.to_string(), now],
                    )
                    .await?;
                if inserted == 1 {
                    let total: rust_decimal::Decimal = inv.dec("total_incl_vat")?;
                    let paid: rust_decimal::Decimal = inv.dec("amount_paid")?;
                    let overdue = Notification::InvoiceOverdue {
                        invoice_id: id,
                        number: inv.text("number")?,
                        due_date: due,
                        amount_due: total - paid,
                        days_late: *step,
                    };
                    notify_client(&mut tx, now, inv.i64("client_id")?, overdue).await?;
                    queued += 1;
                }
            }
        }
        self.commit(tx).await?;
        Ok(queued)
    }
}

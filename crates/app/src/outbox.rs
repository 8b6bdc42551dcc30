//! Notifications after they are queued: the email worker's leases and outcomes, a failed email
//! sent again by staff, the reminders (a quote about to expire, an overdue invoice) queued once
//! per step; the studio's journal and dashboard.

use crate::idempotency::Outcome;

/// The delay before the attempt that follows `attempts` failed ones (an email, a transmission
/// to the platform): `base`, doubled at each attempt, at most six hours.
pub fn backoff(base: std::time::Duration, attempts: i64) -> jiff::SignedDuration {
    let factor = 2u32.saturating_pow((attempts.max(1) - 1).min(16) as u32);
    let delay = base.saturating_mul(factor).min(std::time::Duration::from_secs(6 * 3600));
    jiff::SignedDuration::try_from(delay).unwrap_or(jiff::SignedDuration::from_secs(60))
}
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{AuditEvent, Id, OutboxMessage, Role};
use immovr_core::notification::Notification;
use immovr_core::ports::{AuditFilter, Dashboard, add_days};
use immovr_core::{Actor, DomainError, Result};
use jiff::Timestamp;
use serde_json::json;

use crate::App;
use crate::support::{audit, notify};

impl App {
    /// Staff send a failed email again (admin).
    #[tracing::instrument(skip_all, fields(outbox_id = id), err(level = "info"))]
    pub async fn retry_email(&self, actor: &Actor, id: Id) -> Result<OutboxMessage> {
        actor.require(Role::Admin)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let m = tx.lock_outbox(id).await?;
        if m.status != "failed" {
            return Err(DomainError::validation("status", "only a failed notification is sent again"));
        }
        let m = tx.requeue_outbox(id, now).await?;
        let detail = json!({"kind": m.kind, "recipient": m.recipient});
        audit(tx.as_mut(), now, actor, "outbox.retried", ("outbox", id), detail).await?;
        self.answer(tx, Outcome::Done, m).await
    }

    /// Queues the reminders due today (quotes about to expire, overdue invoices), each (kind,
    /// record, step) once whatever the number of workers or restarts; how many.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn queue_reminders(&self) -> Result<usize> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let mut queued = 0;
        if company.quote_reminder_days > 0 {
            let horizon = add_days(today, company.quote_reminder_days);
            for q in tx.quotes_expiring(today, horizon).await? {
                if tx.record_reminder("quote_expiring", q.id, &q.valid_until.to_string(), now).await? {
                    let client = tx.client_now(q.client_id).await?;
                    let expiring = Notification::QuoteExpiring {
                        quote_id: q.id,
                        number: q.number,
                        valid_until: q.valid_until,
                        total_incl_vat: q.total_incl_vat,
                    };
                    notify(tx.as_mut(), now, &client, expiring).await?;
                    queued += 1;
                }
            }
        }
        let mut steps: Vec<i64> = company.overdue_reminder_days.iter().copied().filter(|d| *d >= 0).collect();
        steps.sort_unstable();
        if let Some(first) = steps.first() {
            for inv in tx.invoices_due(add_days(today, -first)).await? {
                // The latest step reached: earlier ones missed (server down) are not sent late.
                let Some(step) = steps.iter().rev().find(|s| add_days(inv.due_date, **s) <= today) else { continue };
                if tx.record_reminder("invoice_overdue", inv.id, &step.to_string(), now).await? {
                    let client = tx.client_now(inv.client_id).await?;
                    let overdue = Notification::InvoiceOverdue {
                        invoice_id: inv.id,
                        number: inv.number,
                        due_date: inv.due_date,
                        amount_due: inv.amount_due,
                        days_late: *step,
                    };
                    notify(tx.as_mut(), now, &client, overdue).await?;
                    queued += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Leases up to `limit` emails due now until `lease_until` (the email worker).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_emails(&self, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>> {
        self.db.claim_outbox(self.now(), lease_until, limit).await
    }

    /// These emails went out.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn emails_sent(&self, ids: &[Id]) -> Result<()> {
        self.db.outbox_sent(ids, self.now()).await
    }

    /// An email failed: another attempt at `retry_at`, or none (parked, shown to staff).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn email_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        self.db.outbox_failed(id, error, retry_at).await
    }

    /// The company settings (identity, bank details, numbering, terms).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn company(&self) -> Result<immovr_core::model::CompanySettings> {
        self.db.company().await
    }

    /// The audit trail (admin), newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn audit_events(&self, actor: &Actor, filter: &AuditFilter) -> Result<Page<AuditEvent>> {
        actor.require(Role::Admin)?;
        if let Some(kind) = &filter.entity_kind {
            immovr_core::text::plain("entity_kind", kind, 40)?;
        }
        self.db.audit_events(filter).await
    }

    /// The emails, newest first (admin).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn emails(&self, actor: &Actor, list: &ListQuery) -> Result<Page<OutboxMessage>> {
        actor.require(Role::Admin)?;
        self.db.outbox(list).await
    }

    /// What waits for the studio's team, counted over every record, with the first few of each.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dashboard(&self, actor: &Actor, preview: i64) -> Result<Dashboard> {
        if actor.scope() != immovr_core::Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.dashboard(preview).await
    }
}

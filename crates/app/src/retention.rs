//! The retention policy, applied every day (and by `immovr retention`): prospects and former
//! clients erased once their period has run (GDPR art. 5(1)(e)), the documents the law kept
//! for erased clients removed once the accounting period has run, technical records forgotten.
//! Each erasure is its own transaction (see [`App::erase_client`]); a run again finds nothing
//! left to do.

use immovr_core::model::{Id, RetentionPolicy, RetentionRun, Role};
use immovr_core::{Actor, DomainError, Notification, Result};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::App;
use crate::support::{audit, notify_staff};

/// Clients read at a time.
const PAGE: i64 = 500;

/// Where the accounting period ends: records of fiscal years closed `years` ago or more (the
/// studio's fiscal year is the calendar year), counted from the close of their year
/// (commercial code L123-22): before 1 January of the year `years` back.
fn fiscal_cutoff(now: Timestamp, years: i64) -> Result<Timestamp> {
    let tz = immovr_core::ports::studio_timezone();
    let year = now.to_zoned(tz.clone()).year() as i64 - years;
    let first = jiff::civil::Date::new(year as i16, 1, 1).map_err(DomainError::internal)?;
    Ok(first.to_zoned(tz).map_err(DomainError::internal)?.timestamp())
}

/// When a period ends, counted back from `now` in the studio's calendar.
fn cutoff(now: Timestamp, span: jiff::Span) -> Result<Timestamp> {
    let zoned = now.to_zoned(immovr_core::ports::studio_timezone());
    Ok(zoned.checked_sub(span).map_err(DomainError::internal)?.timestamp())
}

impl App {
    /// What the policy finds due now (admin), without doing any of it.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn retention_due(&self, actor: &Actor, policy: &RetentionPolicy) -> Result<RetentionRun> {
        actor.require(Role::Admin)?;
        policy.check()?;
        let now = self.now();
        let mut run = self.due_clients(policy, now).await?;
        run.documents = self.db.expired_documents(fiscal_cutoff(now, policy.accounting_years)?).await?;
        run.technical = self.db.expired_technical(now, cutoff(now, policy.log_days.days())?).await?;
        Ok(run)
    }

    /// Applies the policy (admin; the daily job acts as the system): erases what is due,
    /// removes expired documents and their files, forgets technical records; the journal keeps
    /// what was done (counts), and the studio is emailed when clients or documents went.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn apply_retention(&self, actor: &Actor, policy: &RetentionPolicy) -> Result<RetentionRun> {
        actor.require(Role::Admin)?;
        policy.check()?;
        let now = self.now();
        let due = self.due_clients(policy, now).await?;
        let mut run = RetentionRun { held: due.held, ..RetentionRun::default() };
        for (ids, prospects) in [(due.prospects, true), (due.clients, false)] {
            for id in ids {
                // (The erasure checks again, under its lock: business opened meanwhile holds it.)
                match self.erase(actor, id, "retention").await {
                    Ok(_) if prospects => run.prospects.push(id),
                    Ok(_) => run.clients.push(id),
                    Err(DomainError::ErasureBlocked) => run.held.push(id),
                    // Erased meanwhile (by staff).
                    Err(DomainError::ClientErased) => {}
                    // One that fails is tried again the next night; the others go on.
                    Err(e) => tracing::error!(error = %e, client_id = id, "erasing a client past its retention period"),
                }
            }
        }
        let mut tx = self.db.begin().await?;
        run.documents = tx.expire_records(fiscal_cutoff(now, policy.accounting_years)?, now).await?;
        run.technical = tx.forget_technical(now, cutoff(now, policy.log_days.days())?).await?;
        if run.any() {
            let detail = json!({
                "prospects": run.prospects.len(),
                "clients": run.clients.len(),
                "held": run.held.len(),
                "documents": run.documents,
                "technical": run.technical,
            });
            audit(tx.as_mut(), now, actor, "retention.applied", ("retention", 0), detail).await?;
        }
        if !run.prospects.is_empty() || !run.clients.is_empty() || run.documents > 0 {
            let company = tx.company().await?;
            let news = Notification::RetentionApplied {
                prospects: run.prospects.len() as u64,
                clients: run.clients.len() as u64,
                held: run.held.len() as u64,
                documents: run.documents,
            };
            notify_staff(tx.as_mut(), now, &company, news).await?;
        }
        tx.commit().await?;
        if let Err(e) = self.remove_let_go_files().await {
            tracing::warn!(error = %e, "removing expired files");
        }
        Ok(run)
    }

    /// Every client of that kind inactive for the policy's period, by id.
    /// The prospects and former clients past their period, and those of them held by business
    /// still open.
    async fn due_clients(&self, policy: &RetentionPolicy, now: Timestamp) -> Result<RetentionRun> {
        let mut run = RetentionRun::default();
        for prospects in [true, false] {
            for (id, open) in self.inactive(policy, prospects, now).await? {
                match (open, prospects) {
                    (true, _) => run.held.push(id),
                    (false, true) => run.prospects.push(id),
                    (false, false) => run.clients.push(id),
                }
            }
        }
        Ok(run)
    }

    async fn inactive(&self, policy: &RetentionPolicy, prospects: bool, now: Timestamp) -> Result<Vec<(Id, bool)>> {
        let months = if prospects { policy.prospect_months } else { policy.client_months };
        let before = cutoff(now, months.months())?;
        let (mut all, mut after) = (Vec::new(), 0);
        loop {
            let page = self.db.inactive_clients(prospects, before, after, PAGE).await?;
            all.extend(&page);
            match page.last() {
                Some((last, _)) if page.len() as i64 == PAGE => after = *last,
                _ => return Ok(all),
            }
        }
    }
}

//! Erasure on request (GDPR art. 17) within what French law keeps: the client asks from Mon
//! Compte, staff (admin) confirm — or erase on their own, a request made by other means.

use immovr_core::model::{Client, ErasureReport, Id, Role};
use immovr_core::{Actor, DomainError, Notification, Result, Scope};
use serde_json::json;

use crate::App;
use crate::support::{audit, notify_staff};

/// Files removed from the store at a time by [`App::remove_let_go_files`].
const REMOVALS: i64 = 100;

impl App {
    /// The client asks for its data to be erased: recorded once (a second ask changes nothing),
    /// the studio told by email.
    #[tracing::instrument(skip_all, fields(client_id), err(level = "info"))]
    pub async fn request_erasure(&self, actor: &Actor, client_id: Id) -> Result<Client> {
        if actor.scope() != Scope::Client(client_id) {
            return Err(DomainError::not_found("client"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if tx.request_erasure(client_id, now).await? {
            audit(tx.as_mut(), now, actor, "client.erasure_requested", ("client", client_id), json!({})).await?;
            let company = tx.company().await?;
            notify_staff(tx.as_mut(), now, &company, Notification::ErasureRequested { client_id }).await?;
        }
        let client = tx.client_now(client_id).await?;
        tx.commit().await?;
        Ok(client)
    }

    /// Erases a client's personal data (admin), in one transaction with its journal event,
    /// then removes its files from the store. Refused while business with it still runs (an
    /// order in progress, a purchase order to validate, an invoice not settled: the studio may
    /// need them to perform the contract or claim its due, art. 17(3)(b) and (e)).
    #[tracing::instrument(skip_all, fields(client_id), err(level = "info"))]
    pub async fn erase_client(&self, actor: &Actor, client_id: Id) -> Result<ErasureReport> {
        let report = self.erase(actor, client_id, "request").await?;
        if let Err(e) = self.remove_let_go_files().await {
            // Queued: the hourly job removes them once the store answers.
            tracing::warn!(error = %e, "removing an erased client's files");
        }
        Ok(report)
    }

    /// [`App::erase_client`], its journal event saying why (`request`, `retention`), without
    /// removing the files it let go (a retention run removes them once, at its end).
    pub(crate) async fn erase(&self, actor: &Actor, client_id: Id, why: &str) -> Result<ErasureReport> {
        actor.require(Role::Admin)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if tx.open_business(client_id).await? {
            // Found erased already, the answer says so rather than that business is open.
            return match tx.client_now(client_id).await?.erased_at {
                Some(_) => Err(DomainError::ClientErased),
                None => Err(DomainError::ErasureBlocked),
            };
        }
        let report = tx.erase_client(client_id, now).await?;
        // Counts only: the journal keeps that it happened, never what was erased.
        let detail = json!({
            "why": why,
            "messages": report.messages,
            "files": report.files,
            "journal_events": report.journal_events,
            "journal_events_kept_whole": report.journal_events_kept_whole,
            "emails": report.emails,
            "invoices_kept": report.invoices_kept,
            "acceptances_kept": report.acceptances_kept,
        });
        audit(tx.as_mut(), now, actor, "client.erased", ("client", client_id), detail).await?;
        tx.commit().await?;
        self.documents().forget_client(client_id);
        Ok(report)
    }

    /// Removes the files a committed change let go (an erasure), until the store has removed
    /// them all; how many. A store that fails leaves the rest for the next run.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn remove_let_go_files(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let mut failed = None;
            // Oldest first; one the store refuses does not hold the others back (it stays queued).
            let keys = self.db.pending_removals(REMOVALS).await?;
            for key in &keys {
                match self.files().remove(key).await {
                    Ok(()) => {
                        self.db.removal_done(key).await?;
                        removed += 1;
                    }
                    Err(e) => failed = Some(DomainError::internal(format!("removing {key}: {e}"))),
                }
            }
            match failed {
                Some(e) => return Err(e),
                // A full batch removed: more may wait.
                None if keys.len() as i64 == REMOVALS => {}
                None => return Ok(removed),
            }
        }
    }
}

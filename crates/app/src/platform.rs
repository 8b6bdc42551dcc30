//! Transmission of invoices and credit notes to the studio's approved platform (PA), as the
//! French e-invoicing reform asks of invoices between French companies (from September 2027).
//!
//! A document to a company identified by its SIREN is queued in the transaction that issues it
//! (when a platform is configured), tracked by its number. The worker submits it (Factur-X, the
//! issued PDF byte for byte, with its SHA-256), retrying with backoff and parking it after
//! repeated failures (staff may retry); a flow the platform already has counts as sent, so a
//! retry after a crash never makes a second one. The platform's acknowledgements are read back
//! (searched after the last one read, or pushed to the webhook): deposited (200 Déposée), or
//! rejected with its reasons (213 Rejetée).

use std::time::Duration;

use immovr_core::model::{Client, ClientKind, DocumentKind, Id, Role};
use immovr_core::{Actor, DomainError, Result, Scope};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::App;
use crate::ports::{FlowToSubmit, FlowUpdate, PlatformError, Transmission, Tx};
use crate::support::audit;

/// Transmissions sent at once.
pub const BATCH: i64 = 10;

impl App {
    /// The platform's name (its address), when one is configured.
    pub fn platform_name(&self) -> Option<&str> {
        self.platform.as_ref().map(|p| p.name())
    }

    /// Queues the transmission of an issued document when a platform is configured and the
    /// client is a French company (SIREN): business-to-business e-invoicing.
    pub(crate) async fn queue_transmission(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        client: &Client,
        (kind, id, number): (DocumentKind, Id, &str),
    ) -> Result<()> {
        let french_company =
            client.kind == ClientKind::Company && client.siren.as_deref().is_some_and(|s| !s.trim().is_empty());
        if self.platform.is_some() && french_company {
            tx.queue_transmission(kind, id, number, now).await?;
        }
        Ok(())
    }

    /// Submits the transmissions that are due; how many were attempted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn transmit_due(&self, retry_base: Duration, max_attempts: i64) -> usize {
        let Some(platform) = &self.platform else { return 0 };
        let mut attempted = 0;
        // One at a time, each under a lease longer than a submission can take (a token, the
        // flow, a retry after a 401, a search: 30 s each at most).
        while attempted < BATCH as usize {
            let now = self.now();
            let due = match self.db.claim_transmissions(now, now + SignedDuration::from_mins(5), 1).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the transmissions due");
                    return attempted;
                }
            };
            let Some(t) = due.first() else { break };
            attempted += 1;
            let outcome = match self.flow_of(t).await {
                Ok(flow) => platform.submit(&flow).await,
                Err(e) => Err(PlatformError::Unavailable(e.to_string())),
            };
            let now = self.now();
            let recorded = match outcome {
                Ok(flow_id) => {
                    tracing::info!(tracking_id = %t.tracking_id, %flow_id, "submitted to the platform");
                    self.db.transmission_submitted(t.id, &flow_id, now).await
                }
                Err(e) => {
                    let retry = matches!(e, PlatformError::Unavailable(_)) && t.attempts < max_attempts;
                    let retry_at = retry.then(|| now + crate::outbox::backoff(retry_base, t.attempts));
                    tracing::warn!(tracking_id = %t.tracking_id, error = %e, retry = ?retry_at, "not submitted");
                    self.db.transmission_failed(t.id, &e.to_string(), retry_at, now).await
                }
            };
            if let Err(e) = recorded {
                // The lease ends by itself: submitted again, which the platform answers with
                // the same flow.
                tracing::error!(error = %e, "recording a transmission");
            }
        }
        attempted
    }

    /// The flow of a transmission: the issued document as it was rendered.
    async fn flow_of(&self, t: &Transmission) -> Result<FlowToSubmit> {
        let (doc, pdf) = self.documents().rendered(Scope::Staff, t.document_kind, t.document_id).await?;
        let (bytes, sha256) = self.documents().load(&doc, &pdf.file).await?;
        Ok(FlowToSubmit { tracking_id: t.tracking_id.clone(), name: pdf.file_name, sha256, bytes })
    }

    /// Reads the platform's acknowledgements since the last ones read; how many concerned our
    /// transmissions.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn follow_platform(&self) -> Result<usize> {
        let Some(platform) = &self.platform else { return Ok(0) };
        let mut known = 0;
        // Pages until the platform has nothing newer (bounded: the rest waits for the next run).
        for _ in 0..20 {
            let after = self.db.platform_cursor().await?;
            let updates = platform.updates(after).await.map_err(DomainError::internal)?;
            let Some(last) = updates.iter().map(|u| u.updated_at).max() else { break };
            for u in &updates {
                if self.db.transmission_acknowledged(u, self.now()).await? {
                    known += 1;
                }
            }
            self.db.set_platform_cursor(last).await?;
            if after.is_some_and(|a| a >= last) {
                break;
            }
        }
        Ok(known)
    }

    /// A flow's state pushed by the platform (its webhook's body): recorded like one searched.
    pub async fn platform_callback(&self, body: &[u8]) -> Result<bool> {
        let Some(platform) = &self.platform else { return Err(DomainError::not_found("platform")) };
        let update: FlowUpdate = platform.read_callback(body).map_err(|e| DomainError::validation("flowInfo", e))?;
        self.db.transmission_acknowledged(&update, self.now()).await
    }

    /// A document's transmission (staff).
    pub async fn transmission(&self, actor: &Actor, kind: DocumentKind, id: Id) -> Result<Option<Transmission>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.transmission_of(kind, id).await
    }

    /// When an invoice of the caller's was deposited on the platform, if it was.
    pub async fn invoice_deposited(&self, actor: &Actor, invoice_id: Id) -> Result<Option<Timestamp>> {
        // Read through the caller's scope first: a client learns nothing of another's invoice.
        self.invoice(actor, invoice_id).await?;
        let t = self.db.transmission_of(DocumentKind::Invoice, invoice_id).await?;
        Ok(t.filter(|t| t.status == "deposited").map(|t| t.updated_at))
    }

    /// Puts a transmission parked after repeated failures back in the queue (accounting).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn retry_transmission(&self, actor: &Actor, id: Id) -> Result<()> {
        actor.require(Role::Accounting)?;
        let now = self.now();
        if !self.db.retry_transmission(id, now).await? {
            return Err(DomainError::validation("transmission", "only a failed transmission is sent again"));
        }
        let mut tx = self.begin().await?;
        audit(tx.as_mut(), now, actor, "transmission.retried", ("transmission", id), json!({})).await?;
        tx.commit().await
    }
}

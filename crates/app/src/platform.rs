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

use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{Client, ClientKind, DocumentKind, FlowKind, Id, Invoice, Role};
use immovr_core::ports::studio_timezone;
use immovr_core::{Actor, DomainError, Result, Scope};
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::ports::{
    EReportRow, FlowToSubmit, FlowUpdate, LifecycleStatus, PaidStatus, PlatformError, Transmission, Tx, WrittenFlow,
};
use crate::support::audit;

/// Transmissions sent at once.
pub const BATCH: i64 = 10;

impl App {
    /// The platform's name (its address), when one is configured.
    pub fn platform_name(&self) -> Option<&str> {
        self.platform.as_ref().map(|p| p.name())
    }

    /// Queues the transmission of an issued document when a platform is configured and the
    /// client is a French company (SIREN): business-to-business e-invoicing. A credit note
    /// names the invoice it `cancels`: the platform holds no invoice it rejected, so a credit
    /// note of one is not sent.
    pub(crate) async fn queue_transmission(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        client: &Client,
        (kind, id, number): (DocumentKind, Id, &str),
        cancels: Option<Id>,
    ) -> Result<()> {
        let french_company =
            client.kind == ClientKind::Company && client.siren.as_deref().is_some_and(|s| !s.trim().is_empty());
        if self.platform.is_none() || !french_company {
            return Ok(());
        }
        if let Some(invoice) = cancels
            && tx.transmission_status(DocumentKind::Invoice, invoice).await?.as_deref() == Some("rejected")
        {
            return Ok(());
        }
        tx.queue_transmission(kind, id, number, now).await
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

    /// The flow of a transmission: the issued document as it was rendered, or the message
    /// written when it was queued.
    async fn flow_of(&self, t: &Transmission) -> Result<FlowToSubmit> {
        let flow = |name: String, bytes: Vec<u8>, sha256: String| FlowToSubmit {
            syntax: t.syntax.clone(),
            rule: t.rule.clone(),
            tracking_id: t.tracking_id.clone(),
            name,
            sha256,
            bytes,
        };
        let kind = match t.document_kind {
            FlowKind::Invoice => DocumentKind::Invoice,
            FlowKind::CreditNote => DocumentKind::CreditNote,
            FlowKind::Payment | FlowKind::EReport => {
                let (name, xml) = self.db.written_flow(t.id).await?.ok_or_else(|| DomainError::not_found("flow"))?;
                let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(xml.as_bytes()));
                return Ok(flow(name, xml.into_bytes(), sha256));
            }
        };
        let (doc, pdf) = self.documents().rendered(Scope::Staff, kind, t.document_id).await?;
        let (bytes, sha256) = self.documents().load(&doc, &pdf.file).await?;
        Ok(flow(pdf.file_name, bytes, sha256))
    }

    /// Queues the 212 Encaissée status of a payment, in the transaction that records it, when
    /// the invoice went to the platform (a French company) and is for services on which VAT
    /// is due when paid (no option for debits): the amount received per VAT rate.
    pub(crate) async fn queue_paid_status(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        invoice: &Invoice,
        (payment_id, paid_on, amount): (Id, jiff::civil::Date, Decimal),
    ) -> Result<()> {
        if self.platform.is_none() {
            return Ok(());
        }
        let company = tx.company().await?;
        if !company.einvoicing.vat_on_receipts() {
            return Ok(());
        }
        // Only for an invoice the platform has or will have (not one it rejected).
        match tx.transmission_status(DocumentKind::Invoice, invoice.id).await?.as_deref() {
            None | Some("rejected") => return Ok(()),
            Some(_) => {}
        }
        let client = tx.client_now(invoice.client_id).await?;
        let Some(siren) = client.siren.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(()) };
        let by_rate: Vec<(Decimal, Decimal)> =
            invoice.totals.per_rate.iter().map(|r| (r.rate, r.total_incl_vat)).collect();
        // The platform refuses a tracking id over 36 characters.
        let tracking_id: String = format!("212-{payment_id}-{}", invoice.number).chars().take(36).collect();
        let status = PaidStatus {
            message_id: tracking_id.clone(),
            issued_at: now.to_zoned(studio_timezone()).datetime(),
            invoice_number: invoice.number.clone(),
            invoice_date: invoice.issue_date,
            paid_on,
            amounts: split_by_rate(amount, &by_rate),
            seller: company.clone(),
            buyer_name: client.display_name().to_string(),
            buyer_siren: siren.to_string(),
        };
        let xml = self.reform.paid_status(&status);
        let name = format!("{tracking_id}.xml");
        let flow = WrittenFlow {
            kind: FlowKind::Payment,
            id: payment_id,
            tracking_id: &tracking_id,
            syntax: "CDAR",
            rule: "B2B",
            name: &name,
            xml: &xml,
        };
        tx.queue_written_flow(&flow, now).await?;
        let paid = LifecycleStatus { code: 212, reason: None, amount: Some(amount), source: "studio".into(), at: now };
        tx.record_lifecycle(DocumentKind::Invoice, invoice.id, &paid).await
    }

    /// Reads the platform's acknowledgements since the last ones read, then the lifecycle
    /// statuses received about our invoices; how many concerned our documents.
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
        // The statuses received about our invoices (the buyer's refusal…), the same way.
        for _ in 0..20 {
            let after = self.db.lifecycle_cursor().await?;
            let (received, last) = platform.incoming_statuses(after).await.map_err(DomainError::internal)?;
            let Some(last) = last else { break };
            for s in &received {
                if self.db.record_incoming_status(s).await? {
                    known += 1;
                }
            }
            self.db.set_lifecycle_cursor(last).await?;
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

    /// A document's lifecycle (staff): deposited, rejected, paid… oldest first.
    pub async fn lifecycle(&self, actor: &Actor, kind: DocumentKind, id: Id) -> Result<Vec<LifecycleStatus>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.lifecycle(kind, id).await
    }

    /// The flows the platform has not accepted (yet), newest first (staff).
    pub async fn unaccepted_transmissions(&self, actor: &Actor, list: &ListQuery) -> Result<Page<Transmission>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.unaccepted_transmissions(list).await
    }

    /// The e-reporting reports made, newest first (staff).
    pub async fn ereports(&self, actor: &Actor, list: &ListQuery) -> Result<Page<EReportRow>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.ereports(list).await
    }

    /// Whether e-reporting is on: a platform and its registration number are configured.
    pub fn ereporting_on(&self) -> bool {
        self.platform.is_some() && self.platform_registration.is_some()
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

/// An amount received split over an invoice's VAT rates in proportion of each rate's total
/// (VAT included); the last rate takes the rounding remainder, so the parts add up.
pub fn split_by_rate(received: Decimal, totals_by_rate: &[(Decimal, Decimal)]) -> Vec<(Decimal, Decimal)> {
    let whole: Decimal = totals_by_rate.iter().map(|(_, t)| *t).sum();
    if whole.is_zero() {
        return totals_by_rate.first().map(|(r, _)| vec![(*r, received)]).unwrap_or_default();
    }
    let mut out = Vec::with_capacity(totals_by_rate.len());
    let mut left = received;
    for (i, (rate, total)) in totals_by_rate.iter().enumerate() {
        let part = if i + 1 == totals_by_rate.len() { left } else { (received * total / whole).round_dp(2) };
        left -= part;
        out.push((*rate, part));
    }
    out
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::split_by_rate;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_payment_is_split_over_the_rates_and_adds_up() {
        let split = split_by_rate(d("100.00"), &[(d("20"), d("240.00")), (d("10"), d("110.00"))]);
        assert_eq!(split, vec![(d("20"), d("68.57")), (d("10"), d("31.43"))]);
        assert_eq!(split.iter().map(|(_, a)| *a).sum::<Decimal>(), d("100.00"));
        assert_eq!(split_by_rate(d("50"), &[(d("20"), d("0"))]), vec![(d("20"), d("50"))]);
    }
}

//! The email worker: sends what the outbox holds, in order, with retries. Each row is leased
//! before sending (several workers or instances never take the same row at once), sent with a
//! Message-ID derived from the row (a resend after a crash is the same message, which mail
//! systems deduplicate), then marked sent. An error schedules another attempt with exponential
//! backoff; after `max_attempts` the row is parked as failed, shown to staff, who may retry it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use immovr_app::App;
use immovr_app::access::LinkSigner;
use immovr_app::live::LiveFeed;
use immovr_app::ports::{Lane, run_on};
use immovr_core::Notification;
use immovr_core::links;
use immovr_core::model::{CompanySettings, OutboxMessage};
use immovr_notify::{Attachment, Composer, NotifyError, Transport, link, shoot_invitation};
use jiff::SignedDuration;

/// Emails taken at once.
const BATCH: i64 = 20;

/// After a change, the worker waits this long before looking at the outbox: the emails a few
/// quick steps queue go out in one batch (one read, one write to record them).
const GATHER: Duration = Duration::from_millis(50);

pub struct Mailer {
    pub app: Arc<App>,
    pub composer: Arc<Composer>,
    pub transport: Transport,
    /// First retry delay; doubled at each attempt (capped at six hours).
    pub retry_base: Duration,
    pub max_attempts: i64,
    /// Applied once a day.
    pub retention: immovr_core::model::RetentionPolicy,
}

impl Mailer {
    /// The delay before the attempt that follows `attempts` failed ones.
    pub fn backoff(&self, attempts: i64) -> Duration {
        immovr_app::outbox::backoff(self.retry_base, attempts).unsigned_abs()
    }

    async fn attachments(&self, notification: &Notification) -> Result<Vec<Attachment>, NotifyError> {
        let mut out = Vec::new();
        for (kind, id) in notification.documents() {
            let scope = immovr_core::ports::Scope::Staff;
            let Some(doc) =
                self.app.documents().find(scope, kind, id).await.map_err(|e| NotifyError::Build(e.to_string()))?
            else {
                // Issued before documents existed: the email goes without it.
                tracing::warn!("no {} document for {id}: sent without it", kind.as_str());
                continue;
            };
            let (pdf, bytes) = self.app.documents().bytes(&doc).await.map_err(|e| NotifyError::Build(e.to_string()))?;
            out.push(Attachment { filename: pdf.file_name, content_type: "application/pdf".into(), bytes });
        }
        Ok(out)
    }

    /// Sends one leased row; records a failure at once; true when sent (recorded by the caller,
    /// with the rest of its batch).
    async fn deliver(&self, m: &OutboxMessage, company: &CompanySettings, signer: &LinkSigner) -> bool {
        let outcome = async {
            let notification = m.notification().map_err(|e| NotifyError::Build(e.to_string()))?;
            let mut attachments = self.attachments(&notification).await?;
            // A client's email about a document opens it: a signed link (see immovr-app's `access`).
            let url = match signer.path(m, &notification) {
                Some(path) => links::absolute(self.composer.base_url(), &path),
                None => link(&notification, self.composer.base_url()),
            };
            if let Some(ics) = shoot_invitation(m, company, &url) {
                attachments.push(ics);
            }
            let mut m = m.clone();
            if let Some(o) = m.payload.as_object_mut() {
                o.insert(
                    "calendar".into(),
                    serde_json::Value::Bool(attachments.iter().any(|a| a.filename.ends_with(".ics"))),
                );
            }
            // Composed, formatted (the attachments in base64) and, to a folder, written on the
            // background thread: CPU that must not slow the requests down.
            let name = format!("{:08}-{}", m.id, m.kind);
            let (composer, company) = (self.composer.clone(), company.clone());
            let folder = self.transport.folder().map(std::path::Path::to_path_buf);
            let composed = run_on(self.app.executor().as_ref(), Lane::Background, move || {
                let message = composer.compose_at(&m, &company, &attachments, &url)?;
                let bytes = message.formatted();
                match folder {
                    Some(dir) => Transport::write_eml(&dir, &name, &bytes).map(|()| None),
                    None => Ok(Some((message.envelope().clone(), bytes))),
                }
            })
            .await
            .map_err(|e| NotifyError::Build(e.to_string()))??;
            match composed {
                Some((envelope, bytes)) => self.transport.send_formatted(&envelope, &bytes).await,
                None => Ok(()),
            }
        }
        .await;
        let now = self.app.clock().now();
        let recorded = match outcome {
            Ok(()) => {
                tracing::info!(id = m.id, kind = %m.kind, "email sent");
                return true;
            }
            Err(e) => {
                let retry_at = (m.attempts < self.max_attempts)
                    .then(|| now + immovr_app::outbox::backoff(self.retry_base, m.attempts));
                tracing::warn!(id = m.id, kind = %m.kind, attempts = m.attempts, error = %e, retry = ?retry_at, "email not sent");
                self.app.email_failed(m.id, &e.to_string(), retry_at).await
            }
        };
        if let Err(e) = recorded {
            // The lease ends by itself: the row will be sent again, under the same Message-ID.
            tracing::error!(id = m.id, error = %e, "recording an email's outcome");
        }
        false
    }

    /// Sends up to a batch of what is due now; returns how many rows were attempted.
    pub async fn run_once(&self) -> usize {
        let now = self.app.clock().now();
        let lease = now + SignedDuration::from_mins(5);
        let batch = match self.app.claim_emails(lease, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "reading the outbox");
                return 0;
            }
        };
        if batch.is_empty() {
            return 0;
        }
        // The company's identity and bank details, read once for the batch.
        let company = match self.app.company().await {
            Ok(c) => c,
            Err(e) => {
                // The leases end by themselves: these rows are taken again later.
                tracing::warn!(error = %e, "reading the company settings");
                return 0;
            }
        };
        let company = &company;
        // The key and the recipients' accounts that sign the links, read once for the batch.
        let signer = match self.app.link_signer(&batch).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "reading what signs the emails' links");
                return 0;
            }
        };
        let signer = &signer;
        // Several recipients at once (an SMTP exchange is mostly waiting), each recipient's
        // emails in order.
        let mut groups: Vec<Vec<&OutboxMessage>> = Vec::new();
        for m in &batch {
            match groups.iter_mut().find(|g| g[0].recipient == m.recipient) {
                Some(g) => g.push(m),
                None => groups.push(vec![m]),
            }
        }
        let sent = std::sync::Mutex::new(Vec::with_capacity(batch.len()));
        futures_util::stream::iter(groups)
            .for_each_concurrent(8, |group| {
                let sent = &sent;
                async move {
                    for m in group {
                        if self.deliver(m, company, signer).await {
                            sent.lock().unwrap_or_else(|p| p.into_inner()).push(m.id);
                        }
                    }
                }
            })
            .await;
        // One transaction records the whole batch (a crash before it: the same messages again,
        // under the same Message-IDs, once the lease ends).
        let sent = sent.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = self.app.emails_sent(&sent).await {
            tracing::error!(error = %e, "recording sent emails");
        }
        batch.len()
    }

    /// The worker: sends as soon as a change commits, and at least every few seconds (retries,
    /// rows queued by another instance); queues reminders, and forgets day-old idempotency
    /// keys, hourly.
    pub async fn run(self: Arc<Self>, live: LiveFeed) {
        let mut changes = live.subscribe();
        let mut last_reminders: Option<jiff::Timestamp> = None;
        let mut last_retention: Option<jiff::Timestamp> = None;
        let retaining = Arc::new(std::sync::atomic::AtomicBool::new(false));
        loop {
            let now = self.app.clock().now();
            if last_reminders.is_none_or(|t| now.duration_since(t) >= SignedDuration::from_hours(1)) {
                match self.app.queue_reminders().await {
                    Ok(n) if n > 0 => tracing::info!(queued = n, "reminders queued"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "queuing reminders"),
                }
                // Idempotency keys are kept a day: retries come within minutes.
                if let Err(e) = self.app.forget_idempotency_keys(SignedDuration::from_hours(24)).await {
                    tracing::warn!(error = %e, "forgetting old idempotency keys");
                }
                // Files kept for refused forms that never came back.
                if let Err(e) = self.app.forget_kept_uploads().await {
                    tracing::warn!(error = %e, "forgetting kept uploads");
                }
                // Files an erasure let go that the store did not remove at once.
                if let Err(e) = self.app.remove_let_go_files().await {
                    tracing::warn!(error = %e, "removing erased files");
                }
                // Sign-ups never confirmed, and their attachments, a day after their link ended.
                if let Err(e) = self.app.forget_pending_signups().await {
                    tracing::warn!(error = %e, "forgetting unconfirmed sign-ups");
                }
                last_reminders = Some(now);
            }
            // The retention policy: once a night, between 2 and 6 (studio time), when the
            // studio is not working (a first run on years of history may erase many clients).
            let hour = now.to_zoned(immovr_core::ports::studio_timezone()).hour();
            let night = (2..6).contains(&hour);
            if night
                && last_retention.is_none_or(|t| now.duration_since(t) >= SignedDuration::from_hours(12))
                && !retaining.swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                // Beside the sending, not in its way: a first run may take a while.
                let (app, policy, busy) = (self.app.clone(), self.retention, retaining.clone());
                tokio::spawn(async move {
                    match app.apply_retention(&immovr_core::Actor::system(), &policy).await {
                        Ok(run) if run.any() => tracing::info!(
                            prospects = run.prospects.len(),
                            clients = run.clients.len(),
                            held = run.held.len(),
                            documents = run.documents,
                            technical = run.technical,
                            "retention applied"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "applying the retention policy"),
                    }
                    busy.store(false, std::sync::atomic::Ordering::Release);
                });
                last_retention = Some(now);
            }
            // A full batch: more may be waiting.
            while self.run_once().await >= BATCH as usize {}
            match tokio::time::timeout(Duration::from_secs(2), changes.recv()).await {
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return,
                Ok(_) => {
                    tokio::time::sleep(GATHER).await;
                    while changes.try_recv().is_ok() {}
                }
                Err(_) => {}
            }
        }
    }
}

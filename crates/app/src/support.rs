//! What the use cases share: checked text, audit events, notifications, numbering, issued
//! documents.

use immovr_core::model::{Client, CompanySettings, DocumentKind, DocumentSnapshot, Id, Language};
use immovr_core::rules::{document_number, number_series};
use immovr_core::{Actor, Change, Notification, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::ports::{AuditRecord, Gathering, Tx};

/// A single line a person typed (a name, a title): see `immovr_core::text::line`.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<String> {
    immovr_core::text::line(field, value, max)
}

/// An optional single line: empty is none.
pub(crate) fn check_opt_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    immovr_core::text::opt_line(field, value.as_deref(), max)
}

/// A text of several lines a person typed (a message, notes, a reason): see
/// `immovr_core::text::text`.
pub(crate) fn check_paragraph(field: &str, value: &str, max: usize) -> Result<String> {
    immovr_core::text::text(field, value, max)
}

/// An optional text of several lines: empty is none.
pub(crate) fn check_opt_paragraph(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    immovr_core::text::opt_text(field, value.as_deref(), max)
}

/// Appends the audit event of a change: who (and from which address), what, on which record.
pub(crate) async fn audit(
    tx: &mut dyn Tx,
    at: Timestamp,
    actor: &Actor,
    action: &str,
    (entity_kind, entity_id): (&str, Id),
    detail: Value,
) -> Result<()> {
    let mut detail = detail;
    if let (Some(obj), Some(ip)) = (detail.as_object_mut(), &actor.ip) {
        obj.insert("ip".into(), json!(ip));
    }
    // Personal data apart, under a salted digest: an erasure can remove it (immovr_core::audit).
    let (who, detail, personal) = immovr_core::audit::split(&actor.label, detail);
    let personal = personal.map(|json| immovr_core::audit::PersonalPart::new(json, crate::tokens::random_key(22)));
    tx.audit(AuditRecord { at, actor: &who, action, entity_kind, entity_id, detail, personal }).await
}

/// Queues a notification to a client (its email and language) and tells its open pages.
pub(crate) async fn notify_client(
    tx: &mut dyn Tx,
    at: Timestamp,
    client_id: Id,
    (email, language): (&str, Language),
    notification: Notification,
) -> Result<()> {
    tx.enqueue(email, language, &notification, at).await?;
    tx.announce(Change::notified(Some(client_id), notification));
    Ok(())
}

/// How long stages planned one after the other gather into one email.
pub(crate) const GATHERING: jiff::SignedDuration = jiff::SignedDuration::from_mins(2);

/// Queues a notification to a client that gathers with the ones queued under the same key in
/// the next minutes (one email: see [`Notification::gather`]); the open pages are told at once.
pub(crate) async fn notify_gathered(
    tx: &mut dyn Tx,
    at: Timestamp,
    client: &Client,
    key: &str,
    notification: Notification,
) -> Result<()> {
    // A margin before the email is due: no worker reads it while this transaction runs.
    let not_before = at + jiff::SignedDuration::from_secs(30);
    let gathered = match tx.gathering(key, not_before).await? {
        Some((id, queued)) => match queued.gather(notification.clone()) {
            Ok(merged) => Some((id, merged)),
            Err(_) => None,
        },
        None => None,
    };
    match gathered {
        Some((id, merged)) => tx.regather(id, &merged).await?,
        None => {
            let g = Gathering {
                recipient: &client.email,
                language: client.language,
                notification: &notification,
                key,
                at,
                due: at + GATHERING,
            };
            tx.enqueue_gathering(g).await?
        }
    }
    tx.announce(Change::notified(Some(client.id), notification));
    Ok(())
}

/// [`notify_client`] with the client's record at hand.
pub(crate) async fn notify(tx: &mut dyn Tx, at: Timestamp, client: &Client, notification: Notification) -> Result<()> {
    notify_client(tx, at, client.id, (&client.email, client.language), notification).await
}

/// Queues a notification to the studio team (the company's email) and tells the staff's pages.
pub(crate) async fn notify_staff(
    tx: &mut dyn Tx,
    at: Timestamp,
    company: &CompanySettings,
    notification: Notification,
) -> Result<()> {
    tx.enqueue(&company.email, Language::Fr, &notification, at).await?;
    tx.announce(Change::notified(None, notification));
    Ok(())
}

/// The next number of a series (prefix + year of `date`): `F-2026-0001`, gapless.
pub(crate) async fn next_number(tx: &mut dyn Tx, prefix: &str, date: Date) -> Result<String> {
    let n = tx.next_in_series(&number_series(prefix, date.year())).await?;
    Ok(document_number(prefix, date.year(), n))
}

/// A document number, and the day it was taken on (its series is that day's year).
pub(crate) struct NumberTaken {
    pub number: String,
    pub date: Date,
}

impl NumberTaken {
    /// The value `n` of the series of `prefix` and `date`'s year.
    pub(crate) fn new(prefix: &str, date: Date, n: i64) -> NumberTaken {
        NumberTaken { number: document_number(prefix, date.year(), n), date }
    }
}

/// What a document shows, besides the company and the client.
#[derive(Default)]
pub(crate) struct Shown {
    pub quote: Option<immovr_core::model::Quote>,
    pub purchase_order: Option<immovr_core::model::PurchaseOrder>,
    pub invoice: Option<immovr_core::model::Invoice>,
    pub credit_note: Option<immovr_core::model::CreditNote>,
}

/// Records an issued document in the transaction of the change that issues it: a snapshot of
/// everything it shows (the company settings and the client as they are now), from which its
/// PDF is rendered — whoever renders it, whenever, the same bytes.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    tx: &mut dyn Tx,
    at: Timestamp,
    company: &CompanySettings,
    client: &Client,
    kind: DocumentKind,
    entity_id: Id,
    number: &str,
    shown: Shown,
) -> Result<()> {
    let snapshot = DocumentSnapshot {
        kind,
        number: number.to_string(),
        language: client.language,
        issued_at: at,
        company: company.clone(),
        client: client.clone(),
        quote: shown.quote,
        purchase_order: shown.purchase_order,
        invoice: shown.invoice,
        credit_note: shown.credit_note,
    };
    tx.issue_document(&snapshot, entity_id, client.id).await
}

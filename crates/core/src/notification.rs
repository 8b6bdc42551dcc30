//! Notifications: what a change tells the client or the studio. A use case queues one in the
//! transaction of the change it reports (the outbox, sent by email by a worker) and announces it
//! to the pages that are open (the live feed). One enum, each kind with its typed payload; it is
//! stored as its `kind` and its payload's JSON, whose fields the email templates read by name.
//!
//! Where a notification leads (its link) and which documents its email carries are decided
//! here, from the typed payload, so that a kind and its link can never disagree.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Result};
use crate::links::{DocumentPage, backoffice, portal};
use crate::model::{DocumentKind, Id, RefusalKind, ThreadKind};

/// What a revised quote changes of the version before: its lines added, removed and changed
/// (matched by catalogue code, or by description), and the totals before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteChanges {
    pub previous_version: i64,
    pub added: Vec<LineSummary>,
    pub removed: Vec<LineSummary>,
    /// Each changed line as it was, and as it is.
    pub changed: Vec<(LineSummary, LineSummary)>,
    pub total_before: Decimal,
    pub total_after: Decimal,
}

/// A quote line as a change shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineSummary {
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    pub total_excl_vat: Decimal,
}

impl LineSummary {
    fn of(l: &crate::money::Line) -> LineSummary {
        LineSummary {
            description: l.description.clone(),
            quantity: l.quantity.normalize(),
            unit: l.unit.clone(),
            total_excl_vat: l.total_excl_vat,
        }
    }
}

impl QuoteChanges {
    /// What `after` changes of `before` (its version before).
    pub fn between(before: &crate::model::Quote, after: &crate::model::Quote) -> QuoteChanges {
        // The same line: the same catalogue code, or the same description.
        let same = |a: &crate::money::Line, b: &crate::money::Line| match (&a.code, &b.code) {
            (Some(x), Some(y)) if x == y => true,
            _ => a.description.trim().to_lowercase() == b.description.trim().to_lowercase(),
        };
        let mut changes = QuoteChanges {
            previous_version: before.version,
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            total_before: before.totals.total_incl_vat,
            total_after: after.totals.total_incl_vat,
        };
        for l in &after.lines {
            match before.lines.iter().find(|b| same(b, l)) {
                None => changes.added.push(LineSummary::of(l)),
                Some(b) => {
                    let unchanged = b.description == l.description
                        && b.quantity == l.quantity
                        && b.unit == l.unit
                        && b.unit_price == l.unit_price
                        && b.discount == l.discount
                        && b.vat_rate == l.vat_rate;
                    if !unchanged {
                        changes.changed.push((LineSummary::of(b), LineSummary::of(l)));
                    }
                }
            }
        }
        for b in &before.lines {
            if !after.lines.iter().any(|l| same(b, l)) {
                changes.removed.push(LineSummary::of(b));
            }
        }
        changes
    }
}

/// Every notification immovr sends, with what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Notification {
    // To the client.
    /// A quote (or a new version) is ready; its PDF is attached.
    QuoteSent {
        quote_id: Id,
        number: String,
        version: i64,
        valid_until: Date,
        total_incl_vat: Decimal,
        /// A revision: what changed since the version before.
        #[serde(default)]
        changes: Option<Box<QuoteChanges>>,
    },
    /// The studio moved a quote's validity date.
    QuoteExtended {
        quote_id: Id,
        number: Option<String>,
        valid_until: Date,
    },
    /// A sent quote expires soon (a reminder).
    QuoteExpiring {
        quote_id: Id,
        number: Option<String>,
        valid_until: Date,
        total_incl_vat: Decimal,
    },
    /// The client accepted: the purchase order was generated; its PDF is attached.
    PurchaseOrderCreated(Accepted),
    PurchaseOrderCancelled {
        purchase_order_id: Id,
        number: String,
        reason: String,
        /// The accepted quote it came from (its page tells the client; absent in rows queued
        /// before it was recorded).
        #[serde(default)]
        quote_id: Option<Id>,
    },
    OrderRegistered {
        order_id: Id,
        purchase_order_number: String,
    },
    /// Stages planned (or put back to plan): stages planned one after the other within a few
    /// minutes gather into one email (see `merge`).
    StagePlanned(PlannedStages),
    StageDone(StageNews),
    /// The final files are delivered and the invoice issued; its PDF is attached.
    OrderDelivered {
        order_id: Id,
        invoice_id: Id,
        invoice_number: String,
        total_incl_vat: Decimal,
        due_date: Date,
    },
    /// An invoice issued after a credit note (the order was delivered before); its PDF attached.
    InvoiceIssued {
        invoice_id: Id,
        number: String,
        total_incl_vat: Decimal,
    },
    PaymentReceived {
        invoice_id: Id,
        number: String,
        amount: Decimal,
        amount_due: Decimal,
    },
    /// An invoice was cancelled by a credit note; the credit note's PDF is attached.
    CreditNoteIssued {
        credit_note_id: Id,
        number: String,
        invoice_id: Id,
        invoice_number: String,
    },
    InvoiceOverdue {
        invoice_id: Id,
        number: String,
        due_date: Date,
        amount_due: Decimal,
        days_late: i64,
    },
    /// The studio wrote in a thread.
    MessageReceived(MessageNews),
    // To an account (client or staff).
    MagicLink(LinkNews),
    PasswordReset(LinkNews),
    /// A sign-up waits for its address to be confirmed: the link creates the account.
    SignupConfirm(LinkNews),
    /// Someone signed up with an address that has an account: its owner is told, with a
    /// sign-in link (the sign-up's answer is the same either way).
    SignupExisting(LinkNews),
    // To the studio.
    QuoteRequestReceived {
        quote_request_id: Id,
        client_id: Id,
        property: String,
    },
    QuoteAccepted(Accepted),
    QuoteRefused {
        quote_id: Id,
        number: Option<String>,
        version: i64,
        kind: RefusalKind,
        comment: Option<String>,
    },
    /// A client wrote in a thread.
    ClientMessageReceived(MessageNews),
    /// A client asked from Mon Compte for its data to be erased: staff confirm on its page.
    ErasureRequested {
        client_id: Id,
    },
    /// A private client withdrew (consumer code L221-18): its acknowledgement (L221-21).
    WithdrawalConfirmed(Withdrawn),
    /// The studio's news of it.
    WithdrawalReceived(Withdrawn),
    /// The daily retention run erased clients or removed documents past their period.
    RetentionApplied {
        prospects: u64,
        clients: u64,
        held: u64,
        documents: u64,
    },
}

/// A client's withdrawal from a purchase order (and its order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withdrawn {
    pub quote_id: Id,
    pub purchase_order_id: Id,
    pub purchase_order_number: String,
    pub order_id: Option<Id>,
    /// Owed for the work done at its request before it withdrew.
    pub amount_due: Decimal,
}

/// A quote accepted and the purchase order generated with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub quote_id: Id,
    pub quote_number: String,
    pub purchase_order_id: Id,
    pub purchase_order_number: String,
    pub total_incl_vat: Decimal,
}

/// A stage of an order planned or done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageNews {
    pub order_id: Id,
    pub stage_id: Id,
    /// The stage's label, in the client's language.
    pub stage: String,
    pub stage_code: String,
    pub planned_date: Option<Date>,
    /// The time of day (the studio's clock), when one is set.
    #[serde(default)]
    pub planned_time: Option<Time>,
    /// Where it takes place (the on-site shoot: the property's address).
    #[serde(default)]
    pub place: Option<String>,
}

/// Stages of one order planned: one email for all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStages {
    pub order_id: Id,
    /// In the order's sequence; a stage planned again appears once, with its last plan.
    pub stages: Vec<StageNews>,
}

impl PlannedStages {
    /// This digest with a stage's newer plan (replacing its earlier one).
    pub fn with(mut self, news: StageNews) -> Self {
        self.stages.retain(|s| s.stage_id != news.stage_id);
        self.stages.push(news);
        self.stages.sort_by_key(|s| s.stage_id);
        self
    }
}

/// A message posted in a quote's or an order's thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageNews {
    pub thread_kind: ThreadKind,
    pub thread_id: Id,
    pub message_id: Id,
    pub author: String,
}

/// A single-use link sent by email (its path holds the raw token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkNews {
    pub url_path: String,
    pub expires_at: Timestamp,
    pub name: String,
}

impl Notification {
    /// The stored kind, which also names the email's templates (`{kind}.{lang}.txt`).
    pub fn kind(&self) -> &'static str {
        use Notification::*;
        match self {
            QuoteSent { .. } => "quote_sent",
            QuoteExtended { .. } => "quote_extended",
            QuoteExpiring { .. } => "quote_expiring",
            PurchaseOrderCreated(_) => "purchase_order_created",
            PurchaseOrderCancelled { .. } => "purchase_order_cancelled",
            OrderRegistered { .. } => "order_registered",
            StagePlanned(_) => "stage_planned",
            StageDone(_) => "stage_done",
            OrderDelivered { .. } => "order_delivered",
            InvoiceIssued { .. } => "invoice_issued",
            PaymentReceived { .. } => "payment_received",
            CreditNoteIssued { .. } => "credit_note_issued",
            InvoiceOverdue { .. } => "invoice_overdue",
            MessageReceived(_) => "message_received",
            MagicLink(_) => "magic_link",
            PasswordReset(_) => "password_reset",
            SignupConfirm(_) => "signup_confirm",
            SignupExisting(_) => "signup_existing",
            QuoteRequestReceived { .. } => "quote_request_received",
            QuoteAccepted(_) => "quote_accepted",
            QuoteRefused { .. } => "quote_refused",
            ClientMessageReceived(_) => "client_message_received",
            ErasureRequested { .. } => "erasure_requested",
            RetentionApplied { .. } => "retention_applied",
            WithdrawalConfirmed(_) => "withdrawal_confirmed",
            WithdrawalReceived(_) => "withdrawal_received",
        }
    }

    /// This notification with a later one of the same kind, as one email (stages planned one
    /// after the other); the later one back when they do not gather.
    pub fn gather(self, later: Notification) -> std::result::Result<Notification, Notification> {
        match (self, later) {
            (Notification::StagePlanned(all), Notification::StagePlanned(new)) if all.order_id == new.order_id => {
                Ok(Notification::StagePlanned(new.stages.into_iter().fold(all, PlannedStages::with)))
            }
            (_, later) => Err(later),
        }
    }

    /// The payload as stored (the fields the templates read).
    pub fn payload(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut o)) => o.remove("payload").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }

    /// A notification from its stored kind and payload.
    pub fn from_parts(kind: &str, payload: &serde_json::Value) -> Result<Notification> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|e| DomainError::internal(format!("notification {kind}: {e}")))
    }

    /// The document an email to the client is about: its page in the portal, which the email's
    /// signed link opens. `None` for the news of an account or of the studio.
    pub fn document_page(&self) -> Option<DocumentPage> {
        use Notification::*;
        match self {
            QuoteSent { quote_id, .. } | QuoteExtended { quote_id, .. } | QuoteExpiring { quote_id, .. } => {
                Some(DocumentPage::Quote(*quote_id))
            }
            PurchaseOrderCreated(a) => Some(DocumentPage::Quote(a.quote_id)),
            WithdrawalConfirmed(w) => Some(DocumentPage::Quote(w.quote_id)),
            PurchaseOrderCancelled { quote_id, .. } => quote_id.map(DocumentPage::Quote),
            OrderRegistered { order_id, .. } | OrderDelivered { order_id, .. } => Some(DocumentPage::Order(*order_id)),
            StagePlanned(s) => Some(DocumentPage::Order(s.order_id)),
            StageDone(s) => Some(DocumentPage::Order(s.order_id)),
            InvoiceIssued { invoice_id, .. }
            | PaymentReceived { invoice_id, .. }
            | CreditNoteIssued { invoice_id, .. }
            | InvoiceOverdue { invoice_id, .. } => Some(DocumentPage::Invoice(*invoice_id)),
            MessageReceived(m) => Some(match m.thread_kind {
                ThreadKind::Quote => DocumentPage::Quote(m.thread_id),
                ThreadKind::Order => DocumentPage::Order(m.thread_id),
            }),
            _ => None,
        }
    }

    /// Where on its page the email leads (the thread, for a message).
    pub fn fragment(&self) -> &'static str {
        match self {
            Notification::MessageReceived(_) => "#h-msg",
            _ => "",
        }
    }

    /// The page it leads to: the client's portal, or the back office for the studio's news.
    pub fn path(&self) -> String {
        use Notification::*;
        if let Some(page) = self.document_page() {
            return format!("{}{}", page.path(), self.fragment());
        }
        match self {
            MagicLink(l) | PasswordReset(l) | SignupConfirm(l) | SignupExisting(l) => l.url_path.clone(),
            QuoteRequestReceived { .. } => backoffice::REQUESTS.to_string(),
            QuoteAccepted(_) => backoffice::PURCHASE_ORDERS.to_string(),
            QuoteRefused { quote_id, .. } => backoffice::quote(*quote_id),
            ClientMessageReceived(m) => backoffice::thread(m.thread_kind, m.thread_id),
            ErasureRequested { client_id } => backoffice::client(*client_id),
            RetentionApplied { .. } => backoffice::JOURNAL.to_string(),
            WithdrawalReceived(w) => match w.order_id {
                Some(order) => backoffice::order(order),
                None => backoffice::PURCHASE_ORDERS.to_string(),
            },
            // A cancelled purchase order queued before its quote was recorded.
            _ => portal::ORDERS.to_string(),
        }
    }

    /// The issued documents its email carries: (kind, record id).
    pub fn documents(&self) -> Vec<(DocumentKind, Id)> {
        use Notification::*;
        match self {
            QuoteSent { quote_id, .. } => vec![(DocumentKind::Quote, *quote_id)],
            PurchaseOrderCreated(a) => vec![(DocumentKind::PurchaseOrder, a.purchase_order_id)],
            OrderDelivered { invoice_id, .. } | InvoiceIssued { invoice_id, .. } => {
                vec![(DocumentKind::Invoice, *invoice_id)]
            }
            CreditNoteIssued { credit_note_id, .. } => vec![(DocumentKind::CreditNote, *credit_note_id)],
            _ => Vec::new(),
        }
    }
}

/// A committed change that someone may be looking at: open pages refresh. It travels (to the
/// pages, and between instances through PostgreSQL's `NOTIFY`) as `{client_id, kind, payload}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "WireChange", try_from = "WireChange")]
pub struct Change {
    /// The client concerned; `None` for the studio's news (a new request, a client's message…).
    pub client_id: Option<Id>,
    pub event: LiveEvent,
}

/// What a change tells the open pages.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// A notification queued by the change (sent to the pages as its kind and payload).
    Notified(Notification),
    /// Changes may have been missed (a connection was lost): refresh.
    Resync,
    /// Rows that processes cache changed (settings, users, sessions): every instance forgets
    /// what it cached. Not for pages.
    CacheInvalidated,
}

#[derive(Serialize, Deserialize)]
struct WireChange {
    client_id: Option<Id>,
    kind: String,
    #[serde(default)]
    payload: serde_json::Value,
}

impl From<Change> for WireChange {
    fn from(c: Change) -> WireChange {
        let kind = c.kind().to_string();
        let payload = match &c.event {
            LiveEvent::Notified(n) => n.payload(),
            _ => serde_json::json!({}),
        };
        WireChange { client_id: c.client_id, kind, payload }
    }
}

impl TryFrom<WireChange> for Change {
    type Error = DomainError;

    fn try_from(w: WireChange) -> Result<Change> {
        let event = match w.kind.as_str() {
            "resync" => LiveEvent::Resync,
            "cache_invalidated" => LiveEvent::CacheInvalidated,
            kind => LiveEvent::Notified(Notification::from_parts(kind, &w.payload)?),
        };
        Ok(Change { client_id: w.client_id, event })
    }
}

impl Change {
    pub fn notified(client_id: Option<Id>, notification: Notification) -> Change {
        Change { client_id, event: LiveEvent::Notified(notification) }
    }

    /// Its kind, as the pages receive it.
    pub fn kind(&self) -> &'static str {
        match &self.event {
            LiveEvent::Notified(n) => n.kind(),
            LiveEvent::Resync => "resync",
            LiveEvent::CacheInvalidated => "cache_invalidated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_is_stored_as_its_kind_and_payload_and_read_back() {
        let n = Notification::CreditNoteIssued {
            credit_note_id: 1,
            number: "AV-2026-0001".into(),
            invoice_id: 4,
            invoice_number: "F-2026-0001".into(),
        };
        assert_eq!(n.kind(), "credit_note_issued");
        let payload = n.payload();
        assert_eq!(payload["invoice_id"], 4);
        assert_eq!(Notification::from_parts(n.kind(), &payload).unwrap(), n);
        // The credit note's email opens the invoice it cancels (it linked to /compte/factures/0).
        assert_eq!(n.path(), "/compte/factures/4");
        assert_eq!(n.documents(), vec![(DocumentKind::CreditNote, 1)]);
        assert!(Notification::from_parts("credit_note_issued", &serde_json::json!({"credit_note_id": 1})).is_err());
    }

    #[test]
    fn a_change_travels_as_kind_and_payload() {
        let n = Notification::OrderRegistered { order_id: 5, purchase_order_number: "BC-2026-0001".into() };
        let change = Change::notified(Some(3), n.clone());
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "order_registered");
        assert_eq!(json["payload"]["order_id"], 5);
        assert_eq!(json["client_id"], 3);
        assert_eq!(serde_json::from_value::<Change>(json).unwrap(), change);
        let resync = Change { client_id: None, event: LiveEvent::Resync };
        let json = serde_json::to_value(&resync).unwrap();
        assert_eq!(json["kind"], "resync");
        assert_eq!(serde_json::from_value::<Change>(json).unwrap(), resync);
        assert_eq!(change.kind(), "order_registered");
    }
}

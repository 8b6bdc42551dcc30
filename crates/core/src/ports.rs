//! Ports: what the domain needs from the outside world, implemented by other crates.
//! `Store` holds the use cases: each runs in one transaction that writes the state change, its
//! audit event and its outbox rows together.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use utoipa::ToSchema;

use crate::error::{DomainError, Result};
pub use crate::inputs::*;
pub use crate::listing::{ListQuery, Page};
use crate::model::*;
pub use crate::notification::Change;

/// Time is a parameter so tests control it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the system clock is read
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Calendar dates (validity, due dates, numbering years) are the studio's: Europe/Paris.
pub fn studio_timezone() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}

pub fn today(clock: &dyn Clock) -> Date {
    clock.now().to_zoned(studio_timezone()).date()
}

pub fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(days.days()).unwrap_or(date)
}

/// Who does something: recorded in audit events.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Id>,
    /// For the audit log: "staff:3 alice@…", "client:7 …", "system".
    pub label: String,
    pub roles: Vec<Role>,
    pub client_id: Option<Id>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor { user_id: None, label: "system".into(), roles: vec![], client_id: None, ip: None, user_agent: None }
    }

    pub fn for_user(user: &User) -> Self {
        let label = match user.client_id {
            Some(c) => format!("client:{c} {}", user.email),
            None => format!("staff:{} {}", user.id, user.email),
        };
        Actor {
            user_id: Some(user.id),
            label,
            roles: user.roles.clone(),
            client_id: user.client_id,
            ip: None,
            user_agent: None,
        }
    }

    /// What this actor may read: staff see everything, a client only its own.
    pub fn scope(&self) -> Scope {
        match self.client_id {
            Some(c) => Scope::Client(c),
            None => Scope::Staff,
        }
    }

    /// Admins hold every role.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.client_id.is_none() && (self.roles.contains(&role) || self.roles.contains(&Role::Admin)) {
            Ok(())
        } else {
            Err(DomainError::Forbidden { role: role.as_str() })
        }
    }

    pub fn require_client(&self) -> Result<Id> {
        self.client_id.ok_or(DomainError::Forbidden { role: "client" })
    }
}

/// Read scope. A client asking for another client's record gets `NotFound`, never `Forbidden`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Staff,
    Client(Id),
}

/// A "to do" of the dashboard: how many, and the first few (most urgent first).
#[derive(Debug, Clone)]
pub struct Todo<T> {
    pub count: i64,
    pub items: Vec<T>,
}

impl<T> Default for Todo<T> {
    fn default() -> Self {
        Todo { count: 0, items: Vec::new() }
    }
}

/// A stage due soon, with its order.
#[derive(Debug, Clone)]
pub struct StageDue {
    pub order_id: Id,
    pub purchase_order_number: String,
    pub stage: Stage,
}

/// What waits for the studio's team.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    pub new_requests: Todo<QuoteRequest>,
    /// Quotes whose client asked for changes, not revised yet.
    pub changes_requested: Todo<Quote>,
    /// Sent quotes whose validity ends within a week.
    pub expiring: Todo<Quote>,
    pub to_validate: Todo<PurchaseOrder>,
    /// Stages not done, planned within a week (or late).
    pub stages_due: Todo<StageDue>,
    /// Open orders with at most one stage left.
    pub to_deliver: Todo<Order>,
    pub overdue: Todo<Invoice>,
    pub failed_emails: Todo<OutboxMessage>,
}

/// Outcome of accepting a quote: the accepted version and the purchase order created with it.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct Accepted {
    pub quote: Quote,
    pub purchase_order: PurchaseOrder,
}

/// Outcome of delivering an order: the order and the invoice issued with it.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct Delivered {
    pub order: Order,
    pub invoice: Invoice,
}

/// A stored answer to a request made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyStart {
    /// First time: go ahead, then `idempotency_complete`.
    Started,
    /// Seen and finished: replay this answer.
    Replay { status: u16, body: String },
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Settings
    async fn company(&self) -> Result<CompanySettings>;
    async fn set_company(&self, actor: &Actor, settings: CompanySettings) -> Result<()>;

    // Accounts and authentication
    async fn create_staff_user(&self, actor: &Actor, user: NewStaffUser) -> Result<User>;
    /// The user and its password hash.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn create_session(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()>;
    async fn session_user(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>>;
    async fn delete_session(&self, token_sha256: &str) -> Result<()>;
    async fn create_api_token(&self, actor: &Actor, user_id: Id, name: &str, token_sha256: &str) -> Result<Id>;
    async fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>>;

    // Clients
    /// Creates a client and, with a password hash, its login.
    async fn register_client(&self, actor: &Actor, client: NewClient, password_hash: Option<String>) -> Result<Client>;
    /// Sign-up with a first quote request, in one transaction; returns the new login.
    async fn register_client_with_request(
        &self,
        actor: &Actor,
        client: NewClient,
        password_hash: String,
        request: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<User>;
    async fn client(&self, scope: Scope, id: Id) -> Result<Client>;
    /// Clients, newest first; `q` searches names, company and email.
    async fn clients(&self, list: &ListQuery) -> Result<Page<Client>>;
    /// The display names of these clients (the rows of a list page name their client).
    async fn client_names(&self, ids: &[Id]) -> Result<Vec<(Id, String)>>;

    // Catalogue
    async fn catalogue(&self, active_only: bool) -> Result<Vec<CatalogueItem>>;
    async fn create_catalogue_item(&self, actor: &Actor, item: NewCatalogueItem) -> Result<CatalogueItem>;
    async fn update_catalogue_item(&self, actor: &Actor, id: Id, patch: CatalogueItemPatch) -> Result<CatalogueItem>;

    // Quote requests
    async fn create_quote_request(
        &self,
        actor: &Actor,
        client_id: Id,
        request: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<QuoteRequest>;
    /// A request's attachment, if the scope may see the request.
    async fn attachment(&self, scope: Scope, request_id: Id, attachment_id: Id) -> Result<Attachment>;
    /// An order's delivered file, if the scope may see the order.
    async fn deliverable(&self, scope: Scope, order_id: Id, deliverable_id: Id) -> Result<Deliverable>;
    /// Quote requests, newest first. Status: new, quoted, closed; period: received; `q`: property,
    /// address and client.
    async fn quote_requests(&self, scope: Scope, list: &ListQuery) -> Result<Page<QuoteRequest>>;
    async fn quote_request(&self, scope: Scope, id: Id) -> Result<QuoteRequest>;

    // Quotes
    async fn create_quote(&self, actor: &Actor, quote: NewQuote) -> Result<Quote>;
    async fn update_quote(&self, actor: &Actor, id: Id, draft: QuoteDraft) -> Result<Quote>;
    async fn send_quote(&self, actor: &Actor, id: Id) -> Result<Quote>;
    async fn accept_quote(&self, actor: &Actor, id: Id, acceptance: AcceptQuote) -> Result<Accepted>;
    async fn refuse_quote(&self, actor: &Actor, id: Id, refusal: RefuseQuote) -> Result<Quote>;
    /// Drafts the next version from a sent, refused or expired one.
    async fn revise_quote(&self, actor: &Actor, id: Id) -> Result<Quote>;
    async fn extend_quote(&self, actor: &Actor, id: Id, valid_until: Date) -> Result<Quote>;
    /// Quote versions, newest first. Status: draft, sent, expired, accepted, refused, superseded;
    /// period: created; `q`: number, title and client.
    async fn quotes(&self, scope: Scope, list: &ListQuery) -> Result<Page<Quote>>;
    async fn quote(&self, scope: Scope, id: Id) -> Result<Quote>;
    /// Every version of one quote (that the scope may see), newest first.
    async fn quote_versions(&self, scope: Scope, family_id: Id) -> Result<Vec<Quote>>;
    /// The purchase order created when this quote version was accepted.
    async fn purchase_order_for_quote(&self, scope: Scope, quote_id: Id) -> Result<Option<PurchaseOrder>>;

    // Purchase orders and orders
    async fn validate_purchase_order(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder>;
    async fn cancel_purchase_order(&self, actor: &Actor, id: Id, reason: &str) -> Result<PurchaseOrder>;
    /// Purchase orders, newest first. Status: pending, validated, cancelled; period: created; `q`:
    /// number, quote number and client.
    async fn purchase_orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<PurchaseOrder>>;
    async fn purchase_order(&self, scope: Scope, id: Id) -> Result<PurchaseOrder>;
    /// Orders, newest first. Status: registered, in_progress, delivered, cancelled, open (registered
    /// or in progress), with_files (some final files uploaded); period:
    /// registered; `q`: purchase order number and client.
    async fn orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<Order>>;
    async fn order(&self, scope: Scope, id: Id) -> Result<Order>;
    /// An order's status alone (one read: an upload is refused before its bytes are taken).
    async fn order_status(&self, scope: Scope, id: Id) -> Result<OrderStatus>;
    async fn plan_stage(&self, actor: &Actor, order_id: Id, stage_id: Id, plan: StagePlan) -> Result<Order>;
    async fn complete_stage(&self, actor: &Actor, order_id: Id, stage_id: Id) -> Result<Order>;
    async fn add_deliverable(&self, actor: &Actor, order_id: Id, file: NewDeliverable) -> Result<Order>;
    /// Marks the order delivered and issues its invoice, in one transaction.
    async fn deliver_order(&self, actor: &Actor, order_id: Id) -> Result<Delivered>;
    /// Issues an invoice for a delivered order with none in force (after a credit note).
    async fn issue_invoice(&self, actor: &Actor, order_id: Id) -> Result<Invoice>;

    // Invoices
    /// Invoices, newest first. Status: issued, partially_paid, paid, cancelled, unpaid (issued or
    /// partially paid), overdue (unpaid past the due date); period: issue date; `q`: number, purchase order number and client.
    async fn invoices(&self, scope: Scope, list: &ListQuery) -> Result<Page<Invoice>>;
    async fn invoice(&self, scope: Scope, id: Id) -> Result<Invoice>;
    async fn record_payment(&self, actor: &Actor, invoice_id: Id, payment: NewPayment) -> Result<Invoice>;
    async fn issue_credit_note(&self, actor: &Actor, invoice_id: Id, note: NewCreditNote) -> Result<CreditNote>;
    async fn credit_note(&self, scope: Scope, id: Id) -> Result<CreditNote>;

    // Messages
    async fn post_message(
        &self,
        actor: &Actor,
        kind: ThreadKind,
        thread_id: Id,
        message: NewMessage,
    ) -> Result<Message>;
    async fn messages(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>>;

    // Audit and outbox
    async fn audit_events(&self, filter: AuditFilter) -> Result<Page<AuditEvent>>;
    /// Notifications, newest first. Status: pending, sent, failed; `q`: recipient.
    async fn outbox(&self, list: &ListQuery) -> Result<Page<OutboxMessage>>;
    /// What waits for the studio's team, counted over every record.
    async fn dashboard(&self, preview: i64) -> Result<Dashboard>;
    /// Leases up to `limit` notifications due at `now` until `lease_until`: no other worker
    /// takes them meanwhile (after a crash, the lease ends and they are sent again).
    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>>;
    /// Marks these notifications sent (one transaction for a batch).
    async fn outbox_sent(&self, ids: &[Id], at: Timestamp) -> Result<()>;
    /// A failed attempt: try again at `retry_at`, or without one, park it as failed.
    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()>;
    /// Staff send a failed notification again.
    async fn retry_outbox(&self, actor: &Actor, id: Id) -> Result<OutboxMessage>;
    /// Queues the time-based notifications due today (quotes about to expire, overdue
    /// invoices), each once; returns how many.
    async fn queue_reminders(&self) -> Result<usize>;

    // Idempotency of POST requests, keyed by caller and key; `fingerprint` identifies the request.
    async fn idempotency_start(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyStart>;
    async fn idempotency_complete(&self, owner: &str, key: &str, status: u16, body: &str) -> Result<()>;
    async fn idempotency_abandon(&self, owner: &str, key: &str) -> Result<()>;

    /// Records a single-use link for the account with this email and queues the email that
    /// carries `url_path` (the caller's page + the raw token). Unknown emails do nothing and
    /// answer the same, so the form does not reveal who has an account.
    async fn create_login_link(
        &self,
        email: &str,
        purpose: LinkPurpose,
        token_sha256: &str,
        url_path: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Uses a link once: the user, if the link exists, has this purpose, is unused and unexpired.
    async fn consume_login_link(
        &self,
        token_sha256: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<User>>;
    /// Sets a new password and closes every session of that user.
    async fn set_password(&self, actor: &Actor, user_id: Id, password_hash: String) -> Result<()>;
    async fn update_profile(&self, actor: &Actor, client_id: Id, profile: ProfileUpdate) -> Result<Client>;

    /// The TOTP secret (base32) of a user who turned the second factor on.
    async fn totp_secret(&self, user_id: Id) -> Result<Option<String>>;
    /// Turns the second factor on (with a secret) or off (`None`).
    async fn set_totp(&self, actor: &Actor, user_id: Id, secret: Option<String>) -> Result<()>;
    /// A password was right; the login now waits for its code.
    async fn begin_second_factor(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()>;
    /// The user whose login waits under this token (unexpired); the token is used up.
    async fn take_second_factor(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>>;

    /// Marks the other side's messages of a thread as read by this side (staff or the client).
    async fn mark_thread_read(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<()>;
    /// Threads with messages this side has not read: (kind, thread id, unread count).
    async fn unread_threads(&self, scope: Scope) -> Result<Vec<(ThreadKind, Id, i64)>>;

    /// Staff accounts.
    async fn staff_users(&self) -> Result<Vec<User>>;
    /// Replaces a staff member's roles (at least one).
    async fn set_roles(&self, actor: &Actor, user_id: Id, roles: Vec<Role>) -> Result<User>;
    async fn log_contact(&self, actor: &Actor, order_id: Id, note: &str) -> Result<ContactNote>;
    async fn contact_log(&self, order_id: Id) -> Result<Vec<ContactNote>>;

    /// True when the database answers.
    async fn ping(&self) -> bool;
}

pub type DynStore = Arc<dyn Store>;

/// Where the store announces committed changes (live updates).
pub trait ChangeFeed: Send + Sync + 'static {
    fn publish(&self, change: Change);
}

/// A feed nobody listens to.
pub struct NoFeed;

impl ChangeFeed for NoFeed {
    fn publish(&self, _change: Change) {}
}

/// What a single-use login link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    MagicLink,
    PasswordReset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::MagicLink => "magic_link",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

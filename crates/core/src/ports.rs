//! The vocabulary every layer shares: who acts (`Actor`) and what they may see (`Scope`), time
//! (`Clock`), the use cases' inputs and outcomes, and where committed changes are announced
//! (`ChangeFeed`). The use cases themselves and their ports live in `immovr-app`.

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
    /// Acting in a session opened by a document's link from an email: when it was queued (an
    /// acceptance keeps it with its evidence).
    pub via_link: Option<jiff::Timestamp>,
}

impl Actor {
    /// immovr itself, or its operator at the command line: trusted with every role (it
    /// registers an order when purchase orders validate themselves, applies the configuration's
    /// settings, adds the first staff accounts).
    pub fn system() -> Self {
        Actor {
            user_id: None,
            label: "system".into(),
            roles: vec![Role::Admin],
            client_id: None,
            ip: None,
            user_agent: None,
            via_link: None,
        }
    }

    /// Someone not signed in: no role, sees nothing of anyone's (a page before the login, a
    /// sign-up, a link asked for by email).
    pub fn anonymous() -> Self {
        Actor {
            user_id: None,
            label: "anonymous".into(),
            roles: vec![],
            client_id: None,
            ip: None,
            user_agent: None,
            via_link: None,
        }
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
            via_link: None,
        }
    }

    /// Who this is, without the kind and id of the label: a staff member's or client's email,
    /// "system", "anonymous".
    pub fn name(&self) -> &str {
        match self.label.split_once(' ') {
            Some((_, name)) => name,
            None => &self.label,
        }
    }

    /// What this actor may read: staff see everything, a client only its own, someone not
    /// signed in nothing.
    pub fn scope(&self) -> Scope {
        match self.client_id {
            Some(c) => Scope::Client(c),
            None if !self.roles.is_empty() => Scope::Staff,
            None => Scope::Nobody,
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
    /// Someone not signed in: no record is theirs.
    Nobody,
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

/// Where a request made with an `Idempotency-Key` stands.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyStart {
    /// This run holds the key, as attempt `attempt`: go ahead.
    Started { attempt: i64 },
    /// Another run holds the key until `until`: come back then.
    InProgress { until: jiff::Timestamp },
    /// Seen and answered: replay this answer.
    Replay { status: u16, body: String },
}

/// Where the store announces committed changes (live updates).
pub trait ChangeFeed: Send + Sync + 'static {
    fn publish(&self, change: Change);
}

/// A feed nobody listens to.
pub struct NoFeed;

impl ChangeFeed for NoFeed {
    fn publish(&self, _change: Change) {}
}

//! Purchase orders, orders with their stages and final files, in a use case's transaction.

use async_trait::async_trait;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{
    Client, ContactNote, Deliverable, Id, InvoiceOrigin, Language, Order, OrderStatus, PurchaseOrder, StaffContact,
    Stage, StageStatus, Withdrawal,
};
use immovr_core::money::Line;
use immovr_core::ports::NewDeliverable;
use immovr_core::{Result, Scope};
use jiff::Timestamp;
use jiff::civil::Date;

/// An order's own row, locked, with its purchase order's number and its invoice in force.
#[derive(Debug, Clone)]
pub struct OrderHead {
    pub id: Id,
    pub purchase_order_id: Id,
    pub purchase_order_number: String,
    pub client_id: Id,
    pub status: OrderStatus,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub invoice_in_force: Option<Id>,
    /// The property (from the quote's request), when known: where the shoot takes place.
    pub property_address: Option<String>,
    pub contact: Option<StaffContact>,
    /// A private client's right of withdrawal.
    pub withdrawal: Option<Withdrawal>,
}

impl OrderHead {
    /// The whole order, with its stages and files.
    pub fn with(self, stages: Vec<Stage>, deliverables: Vec<Deliverable>) -> Order {
        Order {
            id: self.id,
            purchase_order_id: self.purchase_order_id,
            purchase_order_number: self.purchase_order_number,
            client_id: self.client_id,
            status: self.status,
            created_at: self.created_at,
            delivered_at: self.delivered_at,
            stages,
            deliverables,
            invoice_id: self.invoice_in_force,
            property_address: self.property_address,
            contact: self.contact,
            withdrawal: self.withdrawal,
        }
    }
}

/// An order locked to be invoiced: its row, its purchase order's lines (which never change)
/// and its client, as the invoice's document shows them.
pub struct OrderToInvoice {
    pub head: OrderHead,
    pub lines: Vec<Line>,
    pub client: Client,
    /// The accepted quote and the property, for the invoice to name them.
    pub origin: InvoiceOrigin,
}

/// How a client is written to.
#[derive(Debug, Clone)]
pub struct Contact {
    pub email: String,
    pub language: Language,
}

/// A stage's new plan.
pub struct StagePlanRow<'a> {
    pub planned_date: Option<Date>,
    pub planned_time: Option<jiff::civil::Time>,
    pub place: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub status: StageStatus,
}

/// An order locked to be delivered (see [`OrderRepo::lock_order_to_deliver`]).
pub struct ToDeliver {
    pub order: OrderToInvoice,
    pub stages: Vec<Stage>,
    pub files: Vec<Deliverable>,
    /// Its invoice's number in the series.
    pub invoice_number: i64,
}

/// An order locked with a final file added (see [`OrderRepo::lock_order_adding_file`]).
pub struct FileAdded {
    pub order: OrderHead,
    pub id: Id,
    pub stages: Vec<Stage>,
    pub files: Vec<Deliverable>,
}

#[async_trait]
pub trait OrderRepo: Send {
    /// A purchase order, locked.
    async fn lock_purchase_order(&mut self, scope: Scope, id: Id) -> Result<PurchaseOrder>;
    /// A purchase order locked (staff), and its order registered if it is pending, as
    /// [`OrderRepo::insert_order`] does (to be rolled back if the caller refuses it): the
    /// insert need not wait for the lock's answer (one round trip on PostgreSQL).
    async fn lock_purchase_order_registering(
        &mut self,
        id: Id,
        contact_user_id: Option<Id>,
        at: Timestamp,
    ) -> Result<(PurchaseOrder, Option<(Id, Contact)>)>;
    /// Validates it (its row locked by the caller); gives the validation time as stored.
    async fn mark_purchase_order_validated(&mut self, id: Id, at: Timestamp) -> Result<Option<Timestamp>>;
    async fn mark_purchase_order_cancelled(&mut self, id: Id, reason: &str) -> Result<()>;
    /// Gives a private client's purchase order its withdrawal period.
    async fn set_withdrawal(&mut self, id: Id, ends_on: Date, early_start: bool) -> Result<()>;
    /// Records the client's withdrawal: the purchase order and its order (if any) cancelled,
    /// what it owes kept.
    async fn mark_withdrawn(&mut self, id: Id, at: Timestamp, amount_due: rust_decimal::Decimal) -> Result<()>;
    /// A purchase order as it now is, with the lines the caller holds.
    async fn purchase_order_now(&mut self, id: Id, lines: Vec<Line>) -> Result<PurchaseOrder>;
    /// Registers the order of a validated purchase order; gives its id and how its client is
    /// written to.
    async fn insert_order(
        &mut self,
        purchase_order: Id,
        client_id: Id,
        number: &str,
        contact_user_id: Option<Id>,
        at: Timestamp,
    ) -> Result<(Id, Contact)>;
    /// The order's stages, in order: (code, label).
    async fn insert_stages(&mut self, order_id: Id, stages: &[(&str, &str)]) -> Result<()>;
    async fn lock_order(&mut self, id: Id) -> Result<OrderHead>;
    async fn lock_order_to_invoice(&mut self, id: Id) -> Result<OrderToInvoice>;
    /// [`OrderRepo::lock_order_to_invoice`], then its stages and files as they are under the
    /// lock, and the next value of the invoices' `series` (see
    /// [`TakeNumber`](super::quotes::TakeNumber)); at once where each statement is a round trip.
    async fn lock_order_to_deliver(&mut self, id: Id, series: &str) -> Result<ToDeliver>;
    /// An order's stages and files, as they are now.
    async fn order_children(&mut self, id: Id) -> Result<(Vec<Stage>, Vec<Deliverable>)>;
    /// A whole order, as it is now in this transaction.
    async fn order_now(&mut self, id: Id) -> Result<Order>;
    async fn stage(&mut self, order_id: Id, stage_id: Id) -> Result<Option<Stage>>;
    async fn plan_stage(&mut self, stage_id: Id, plan: &StagePlanRow<'_>) -> Result<()>;
    async fn complete_stage(&mut self, stage_id: Id, at: Timestamp) -> Result<()>;
    /// Marks every stage of the order not done yet as done at `at` (delivery ends them).
    async fn complete_stages(&mut self, order_id: Id, at: Timestamp) -> Result<()>;
    async fn set_order_status(&mut self, id: Id, status: OrderStatus) -> Result<()>;
    /// The client's contact person for the order (a staff member).
    async fn set_order_contact(&mut self, id: Id, user_id: Id) -> Result<()>;
    /// Locks an order and records a final file of it, to be rolled back if the order, as
    /// locked, takes none (the file's insert need not wait for the lock's answer: one round
    /// trip on PostgreSQL); gives the order's stages and files with it, and the file's id.
    async fn lock_order_adding_file(&mut self, order_id: Id, file: &NewDeliverable, at: Timestamp)
    -> Result<FileAdded>;
    /// Marks it delivered; gives the delivery time as stored.
    async fn mark_delivered(&mut self, id: Id, at: Timestamp) -> Result<Option<Timestamp>>;
    async fn insert_contact(&mut self, order_id: Id, author: &str, note: &str, at: Timestamp) -> Result<ContactNote>;
}

/// Reading purchase orders and orders.
#[async_trait]
pub trait OrderQueries: Send + Sync {
    /// Purchase orders, newest first. Status: pending, validated, cancelled; period: created;
    /// `q`: number, quote number and client.
    async fn purchase_orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<PurchaseOrder>>;
    async fn purchase_order(&self, scope: Scope, id: Id) -> Result<PurchaseOrder>;
    /// The purchase order created when this quote version was accepted.
    async fn purchase_order_for_quote(&self, scope: Scope, quote_id: Id) -> Result<Option<PurchaseOrder>>;
    /// Orders, newest first. Status: registered, in_progress, delivered, cancelled, open
    /// (registered or in progress), with_files; period: registered; `q`: purchase order number
    /// and client.
    async fn orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<Order>>;
    async fn order(&self, scope: Scope, id: Id) -> Result<Order>;
    /// An order's status alone (one read: an upload is refused before its bytes are taken).
    async fn order_status(&self, scope: Scope, id: Id) -> Result<OrderStatus>;
    /// An order's final file, if the scope may see the order.
    async fn deliverable(&self, scope: Scope, order_id: Id, deliverable_id: Id) -> Result<Deliverable>;
    async fn contact_log(&self, order_id: Id) -> Result<Vec<ContactNote>>;
}

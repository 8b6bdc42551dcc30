//! Invoices, payments and credit notes, in a use case's transaction.

use async_trait::async_trait;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{CreditNote, Id, Invoice, InvoiceOrigin, InvoiceStatus, Payment, PaymentMethod};
use immovr_core::money::{Line, Totals};
use immovr_core::{Result, Scope};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::Contact;

/// A new invoice's row.
pub struct InvoiceRow<'a> {
    pub number: &'a str,
    pub order_id: Id,
    pub purchase_order_number: &'a str,
    pub origin: &'a InvoiceOrigin,
    pub client_id: Id,
    pub issue_date: Date,
    pub service_date: Date,
    pub due_date: Date,
    pub totals: &'a Totals,
    pub at: Timestamp,
}

/// A payment received.
pub struct PaymentRow<'a> {
    pub method: PaymentMethod,
    pub amount: Decimal,
    pub date: Date,
    pub reference: Option<&'a str>,
    pub cheque_number: Option<&'a str>,
    pub bank: Option<&'a str>,
    pub deposit_date: Option<Date>,
    pub at: Timestamp,
}

/// A new credit note, cancelling `invoice` whole (its lines and totals).
pub struct CreditNoteRow<'a> {
    pub number: &'a str,
    pub invoice: &'a Invoice,
    pub reason: &'a str,
    pub issue_date: Date,
    pub at: Timestamp,
}

/// An unpaid invoice past its due date (reminders).
pub struct DueInvoice {
    pub id: Id,
    pub client_id: Id,
    pub number: String,
    pub due_date: Date,
    pub amount_due: Decimal,
}

#[async_trait]
pub trait BillingRepo: Send {
    /// An order's invoice, with its lines; an error when the order has one in force already.
    async fn insert_invoice(&mut self, row: &InvoiceRow<'_>, lines: Vec<Line>) -> Result<Invoice>;
    /// An invoice, locked, with its payments and credit notes.
    async fn lock_invoice(&mut self, id: Id) -> Result<Invoice>;
    /// [`BillingRepo::lock_invoice`], and records a payment of it, to be rolled back if the
    /// invoice, as locked, takes none (the insert need not wait for the lock's answer: one
    /// round trip on PostgreSQL); gives the invoice as locked (without the payment), the
    /// payment, and how the invoice's client is written to.
    async fn lock_invoice_paying(&mut self, id: Id, payment: &PaymentRow<'_>) -> Result<(Invoice, Payment, Contact)>;
    async fn set_invoice_payments(&mut self, id: Id, amount_paid: Decimal, status: InvoiceStatus) -> Result<()>;
    async fn insert_credit_note(&mut self, row: &CreditNoteRow<'_>) -> Result<CreditNote>;
    async fn set_invoice_status(&mut self, id: Id, status: InvoiceStatus) -> Result<()>;
    /// Unpaid invoices due on `latest_due` or before.
    async fn invoices_due(&mut self, latest_due: Date) -> Result<Vec<DueInvoice>>;
}

/// Reading invoices and credit notes.
#[async_trait]
pub trait BillingQueries: Send + Sync {
    /// Invoices, newest first. Status: issued, partially_paid, paid, cancelled, unpaid, overdue;
    /// period: issue date; `q`: number, purchase order number and client.
    async fn invoices(&self, scope: Scope, list: &ListQuery) -> Result<Page<Invoice>>;
    async fn invoice(&self, scope: Scope, id: Id) -> Result<Invoice>;
    async fn credit_note(&self, scope: Scope, id: Id) -> Result<CreditNote>;
}

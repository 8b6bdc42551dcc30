//! Invoices (issued from the purchase order when the order is delivered), payments by transfer
//! or cheque, and credit notes. An issued invoice is never edited: a credit note cancels it.

use crate::idempotency::Outcome;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{CompanySettings, CreditNote, DocumentKind, Id, Invoice, InvoiceStatus, PaymentMethod, Role};
use immovr_core::money::totals;
use immovr_core::notification::Notification;
use immovr_core::ports::{NewCreditNote, NewPayment, add_days, studio_timezone};
use immovr_core::rules::{apply_payment, check_cancellable, check_invoiceable, number_series};
use immovr_core::{Actor, DomainError, Result};
use jiff::Timestamp;
use serde_json::json;

use crate::App;
use crate::ports::{CreditNoteRow, InvoiceRow, OrderToInvoice, PaymentRow, Tx};
use crate::support::{
    NumberTaken, Shown, audit, check_paragraph, check_text, issue, next_number, notify, notify_client,
};

impl App {
    /// Issues the invoice of a delivered order inside the caller's transaction: the purchase
    /// order's lines, the service date (delivery), the due date from the payment terms; its
    /// document (Factur-X) is issued with it.
    pub(crate) async fn invoice_order(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        actor: &Actor,
        company: &CompanySettings,
        order: OrderToInvoice,
        number: NumberTaken,
    ) -> Result<Invoice> {
        let OrderToInvoice { head, lines, client, origin } = order;
        let t = totals(&lines);
        // Issued on the day its number was taken.
        let NumberTaken { number, date: today } = number;
        let delivered_at = head.delivered_at;
        let service_date = delivered_at.map(|ts| ts.to_zoned(studio_timezone()).date()).unwrap_or(today);
        let row = InvoiceRow {
            number: &number,
            order_id: head.id,
            purchase_order_number: &head.purchase_order_number,
            origin: &origin,
            client_id: head.client_id,
            issue_date: today,
            service_date,
            due_date: add_days(today, company.payment_terms_days),
            totals: &t,
            at: now,
        };
        let invoice = tx.insert_invoice(&row, lines).await?;
        let detail = json!({"number": number, "order_id": head.id, "total_incl_vat": t.total_incl_vat});
        audit(tx, now, actor, "invoice.issued", ("invoice", invoice.id), detail).await?;
        let shown = Shown { invoice: Some(invoice.clone()), ..Shown::default() };
        issue(tx, now, company, &client, DocumentKind::Invoice, invoice.id, &number, shown).await?;
        self.queue_transmission(tx, now, &client, (DocumentKind::Invoice, invoice.id, &number), None).await?;
        Ok(invoice)
    }

    /// Issues an invoice for a delivered order with none in force, after a credit note
    /// (accounting); the client is told, the invoice attached.
    #[tracing::instrument(skip_all, fields(order_id), err(level = "info"))]
    pub async fn issue_invoice(&self, actor: &Actor, order_id: Id) -> Result<Invoice> {
        actor.require(Role::Accounting)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let order = tx.lock_order_to_invoice(order_id).await?;
        check_invoiceable(order.head.status, order.head.invoice_in_force.is_some())?;
        let client = order.client.clone();
        let today = self.today();
        let n = tx.next_in_series(&number_series(&company.invoice_prefix, today.year())).await?;
        let number = NumberTaken::new(&company.invoice_prefix, today, n);
        let invoice = self.invoice_order(tx.as_mut(), now, actor, &company, order, number).await?;
        let issued = Notification::InvoiceIssued {
            invoice_id: invoice.id,
            number: invoice.number.clone(),
            total_incl_vat: invoice.totals.total_incl_vat,
        };
        notify(tx.as_mut(), now, &client, issued).await?;
        self.answer(tx, Outcome::Created, invoice).await
    }

    /// Records a bank transfer or a cheque received for an invoice, in part or in full
    /// (accounting); the client is told.
    #[tracing::instrument(skip_all, fields(invoice_id), err(level = "info"))]
    pub async fn record_payment(&self, actor: &Actor, invoice_id: Id, p: NewPayment) -> Result<Invoice> {
        actor.require(Role::Accounting)?;
        let today = self.today();
        let (method, date, reference, cheque_number, bank, deposit_date) = match &p {
            NewPayment::Transfer { date, reference, .. } => {
                (PaymentMethod::Transfer, *date, Some(check_text("reference", reference, 140)?), None, None, None)
            }
            NewPayment::Cheque { cheque_number, bank, received_date, deposit_date, .. } => {
                if deposit_date.is_some_and(|d| d < *received_date) {
                    return Err(DomainError::validation("deposit_date", "must not be before the date received"));
                }
                (
                    PaymentMethod::Cheque,
                    *received_date,
                    None,
                    Some(check_text("cheque_number", cheque_number, 40)?),
                    Some(check_text("bank", bank, 100)?),
                    *deposit_date,
                )
            }
        };
        if date > today {
            return Err(DomainError::validation("date", "must not be in the future"));
        }
        let given = p.amount();
        let mut amount = given;
        amount.rescale(2);
        let now = self.now();
        let mut tx = self.begin().await?;
        let row = PaymentRow {
            method,
            amount,
            date,
            reference: reference.as_deref(),
            cheque_number: cheque_number.as_deref(),
            bank: bank.as_deref(),
            deposit_date,
            at: now,
        };
        // Recorded with the lock, in one round trip; refused below, it goes with the rollback.
        let (invoice, payment, contact) = tx.lock_invoice_paying(invoice_id, &row).await?;
        let new_status = apply_payment(invoice.status, invoice.amount_due, given)?;
        self.queue_paid_status(tx.as_mut(), now, &invoice, (payment.id, date, amount)).await?;
        let paid = invoice.amount_paid + amount;
        tx.set_invoice_payments(invoice_id, paid, new_status).await?;
        let detail = json!({"payment_id": payment.id, "method": method.as_str(), "amount": amount, "status": new_status.as_str()});
        audit(tx.as_mut(), now, actor, "payment.recorded", ("invoice", invoice_id), detail).await?;
        let received = Notification::PaymentReceived {
            invoice_id,
            number: invoice.number.clone(),
            amount,
            amount_due: invoice.amount_due - amount,
        };
        notify_client(tx.as_mut(), now, invoice.client_id, (&contact.email, contact.language), received).await?;
        // What it now is, from what this use case read and wrote (no reading back).
        let mut invoice = invoice;
        invoice.status = new_status;
        invoice.amount_paid = paid;
        invoice.amount_due = invoice.totals.total_incl_vat - paid;
        invoice.payments.push(payment);
        self.answer(tx, Outcome::Created, invoice).await
    }

    /// Cancels an issued, unpaid invoice with a credit note of the same lines (accounting); its
    /// document (Factur-X) is issued and the client told.
    #[tracing::instrument(skip_all, fields(invoice_id), err(level = "info"))]
    pub async fn issue_credit_note(&self, actor: &Actor, invoice_id: Id, note: NewCreditNote) -> Result<CreditNote> {
        actor.require(Role::Accounting)?;
        let reason = check_paragraph("reason", &note.reason, 2000)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let invoice = tx.lock_invoice(invoice_id).await?;
        check_cancellable(invoice.status)?;
        let number = next_number(tx.as_mut(), &company.credit_note_prefix, today).await?;
        let row = CreditNoteRow { number: &number, invoice: &invoice, reason: &reason, issue_date: today, at: now };
        let credit_note = tx.insert_credit_note(&row).await?;
        tx.set_invoice_status(invoice_id, InvoiceStatus::Cancelled).await?;
        let detail = json!({"credit_note_id": credit_note.id, "number": number, "reason": reason});
        audit(tx.as_mut(), now, actor, "credit_note.issued", ("invoice", invoice_id), detail).await?;
        let client = tx.client_now(invoice.client_id).await?;
        let issued = Notification::CreditNoteIssued {
            credit_note_id: credit_note.id,
            number: number.clone(),
            invoice_id,
            invoice_number: invoice.number.clone(),
        };
        notify(tx.as_mut(), now, &client, issued).await?;
        let shown = Shown { credit_note: Some(credit_note.clone()), invoice: Some(invoice), ..Shown::default() };
        let id = credit_note.id;
        issue(tx.as_mut(), now, &company, &client, DocumentKind::CreditNote, id, &number, shown).await?;
        let doc = (DocumentKind::CreditNote, id, number.as_str());
        self.queue_transmission(tx.as_mut(), now, &client, doc, Some(invoice_id)).await?;
        self.answer(tx, Outcome::Created, credit_note).await
    }

    /// Invoices, newest first: a client's own, or all for staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn invoices(&self, actor: &Actor, list: &ListQuery) -> Result<Page<Invoice>> {
        self.db.invoices(actor.scope(), list).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn invoice(&self, actor: &Actor, id: Id) -> Result<Invoice> {
        self.db.invoice(actor.scope(), id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn credit_note(&self, actor: &Actor, id: Id) -> Result<CreditNote> {
        self.db.credit_note(actor.scope(), id).await
    }
}

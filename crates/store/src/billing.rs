//! Invoices (issued from the purchase order when the order is delivered), payments by transfer
//! or cheque, and credit notes. An issued invoice is never edited: a credit note cancels it.

use immovr_core::model::*;
use immovr_core::money::totals;
use immovr_core::ports::*;
use immovr_core::rules::{apply_payment, check_cancellable, check_invoiceable};
use immovr_core::{Context, DomainError, Notification, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;

use crate::db::{Row, Tx, V, args};
use crate::documents::{Issue, issue_document, issue_document_for};
use crate::orders::lock_order_row;
use crate::search::{self, Kind};
use crate::support::{
    append_lines, audit, check_text, client_of_row, company, insert_lines, lines_and_totals, lines_column,
    lines_of_row, load_lines, next_number, notify_client, notify_client_at,
};
use crate::{SqlStore, not_found, scope_client};

/// The order an invoice is issued for, as the caller read it (see `orders::lock_order_row`).
pub(crate) struct Invoiced<'a> {
    /// The order's row, with its purchase order's number (`po_number`).
    pub order: &'a Row,
    /// When it was delivered (the service date), as it is now.
    pub delivered_at: Option<Timestamp>,
}

/// Issues the invoice of a delivered order inside the caller's transaction; gives it and the
/// client it was issued to (as read for its document).
pub(crate) async fn issue_invoice_for(
    tx: &mut Tx,
    now: Timestamp,
    today: Date,
    actor: &Actor,
    company: &CompanySettings,
    of: Invoiced<'_>,
) -> Result<(Invoice, Client)> {
    let order_id = of.order.i64("id")?;
    let client_id = of.order.i64("client_id")?;
    let po_number = of.order.text("po_number")?;
    let lines = lines_of_row(tx, of.order, "purchase_order", of.order.i64("purchase_order_id")?).await?;
    let t = totals(&lines);
    let number = next_number(tx, &company.invoice_prefix, today).await?;
    let service_date = of.delivered_at.map(|ts| ts.to_zoned(studio_timezone()).date()).unwrap_or(today);
    let due_date = add_days(today, company.payment_terms_days);
    let row = tx
        .one(
            "INSERT INTO invoices (number, order_id, client_id, status, issue_date, service_date, due_date, payment_reference, \
             total_excl_vat, total_vat, total_incl_vat, amount_paid, created_at) \
             VALUES ($1, $2, $3, 'issued', $4, $5, $6, $1, $7, $8, $9, '0.00', $10) RETURNING *",
            args![&number, order_id, client_id, today, service_date, due_date, t.total_excl_vat, t.total_vat, t.total_incl_vat, now],
        )
        .await
        .map_err(|e| e.unique_as(DomainError::AlreadyInvoiced))?;
    let id = row.i64("id")?;
    // The invoice is built from these lines, not read back.
    append_lines(tx, "invoice", id, &lines).await?;
    search::index(tx, Kind::Invoice, id, [number.as_str(), po_number.as_str()], false).await?;
    audit(
        tx,
        now,
        actor,
        "invoice.issued",
        ("invoice", id),
        json!({"number": number, "order_id": order_id, "total_incl_vat": t.total_incl_vat}),
    )
    .await?;
    // A new invoice: no payments, no credit notes yet.
    let invoice = invoice_from_parts(&row.with("po_number", V::from(po_number.as_str())), lines, &[], Vec::new())?;
    let mut issue = Issue::new(DocumentKind::Invoice, id, client_id, &number);
    issue.invoice = Some(invoice.clone());
    let client = client_of_row(tx, of.order, client_id).await?;
    issue_document_for(tx, now, company, issue, &client).await?;
    Ok((invoice, client))
}

async fn payments_of(tx: &mut Tx, invoice_id: Id) -> Result<Vec<Row>> {
    Ok(tx.all("SELECT * FROM payments WHERE invoice_id = $1 ORDER BY id", args![invoice_id]).await?)
}

/// An invoice from its row (read with its lines when [`lines_column`] was part of it), its
/// payments and credit notes read after it: those may have been added while the caller waited
/// for the invoice's lock (on PostgreSQL both in one statement).
async fn invoice_from_row(tx: &mut Tx, r: &Row) -> Result<Invoice> {
    let id = r.i64("id")?;
    let lines = lines_of_row(tx, r, "invoice", id).await?;
    let (payments, credit_note_ids) = if tx.round_trips() {
        let both = tx
            .one(
                "SELECT COALESCE((SELECT json_agg(c ORDER BY c.id) FROM payments c WHERE c.invoice_id = $1), '[]')::text AS payments, \
                 COALESCE((SELECT json_agg(c.id ORDER BY c.id) FROM credit_notes c WHERE c.invoice_id = $1), '[]')::text AS credit_notes",
                args![id],
            )
            .await?;
        let ids: Vec<Id> = serde_json::from_str(&both.text("credit_notes")?).context("an invoice's credit notes")?;
        (Row::from_json_rows(&both.text("payments")?)?, ids)
    } else {
        let credit_notes = tx.all("SELECT id FROM credit_notes WHERE invoice_id = $1 ORDER BY id", args![id]).await?;
        (payments_of(tx, id).await?, credit_notes.iter().map(|c| c.i64("id")).collect::<Result<_>>()?)
    };
    invoice_from_parts(r, lines, &payments, credit_note_ids)
}

fn payment_from_row(p: &Row) -> Result<Payment> {
    Ok(Payment {
        id: p.i64("id")?,
        method: PaymentMethod::parse(&p.text("method")?)?,
        amount: p.dec("amount")?,
        date: p.date("date")?,
        reference: p.opt_text("reference")?,
        cheque_number: p.opt_text("cheque_number")?,
        bank: p.opt_text("bank")?,
        deposit_date: p.opt_date("deposit_date")?,
        recorded_at: p.ts("recorded_at")?,
    })
}

/// An invoice from its row, lines, payments' rows and credit notes.
pub(crate) fn invoice_from_parts(
    r: &Row,
    lines: Vec<immovr_core::money::Line>,
    payments: &[Row],
    credit_note_ids: Vec<Id>,
) -> Result<Invoice> {
    let id = r.i64("id")?;
    let (lines, totals) = lines_and_totals(lines, r)?;
    let status = InvoiceStatus::parse(&r.text("status")?)?;
    let amount_paid = r.dec("amount_paid")?;
    let amount_due =
        if status == InvoiceStatus::Cancelled { Decimal::ZERO } else { totals.total_incl_vat - amount_paid };
    Ok(Invoice {
        id,
        number: r.text("number")?,
        order_id: r.i64("order_id")?,
        purchase_order_number: r.text("po_number")?,
        client_id: r.i64("client_id")?,
        status,
        issue_date: r.date("issue_date")?,
        service_date: r.date("service_date")?,
        due_date: r.date("due_date")?,
        payment_reference: r.text("payment_reference")?,
        lines,
        totals,
        amount_paid,
        amount_due,
        payments: payments.iter().map(payment_from_row).collect::<Result<_>>()?,
        credit_note_ids,
        created_at: r.ts("created_at")?,
    })
}

pub(crate) const INVOICE_SELECT: &str = "SELECT i.*, p.number AS po_number FROM invoices i JOIN orders o ON o.id = i.order_id \
     JOIN purchase_orders p ON p.id = o.purchase_order_id";

pub(crate) async fn load_invoice(tx: &mut Tx, scope: Scope, id: Id, lock: bool) -> Result<Invoice> {
    let lock = if lock && !tx.for_update().is_empty() { " FOR UPDATE OF i" } else { "" };
    let row = tx
        .opt(
            // An invoice's lines never change: read with it.
            &format!(
                "{} WHERE i.id = $1 AND ($2 IS NULL OR i.client_id = $2){lock}",
                INVOICE_SELECT.replacen(
                    " FROM invoices i",
                    &format!("{} FROM invoices i", lines_column(tx, "invoice", "i.id")),
                    1
                )
            ),
            args![id, scope_client(scope)],
        )
        .await?
        .ok_or_else(|| not_found("invoice"))?;
    invoice_from_row(tx, &row).await
}

pub(crate) async fn load_credit_note(tx: &mut Tx, scope: Scope, id: Id) -> Result<CreditNote> {
    let r = tx
        .opt(
            "SELECT c.*, i.number AS invoice_number FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id \
             WHERE c.id = $1 AND ($2 IS NULL OR c.client_id = $2)",
            args![id, scope_client(scope)],
        )
        .await?
        .ok_or_else(|| not_found("credit note"))?;
    let (lines, totals) = lines_and_totals(load_lines(tx, "credit_note", id).await?, &r)?;
    Ok(CreditNote {
        id,
        number: r.text("number")?,
        invoice_id: r.i64("invoice_id")?,
        invoice_number: r.text("invoice_number")?,
        client_id: r.i64("client_id")?,
        reason: r.text("reason")?,
        issue_date: r.date("issue_date")?,
        lines,
        totals,
        created_at: r.ts("created_at")?,
    })
}

impl SqlStore {
    pub(crate) async fn issue_invoice_tx(&self, actor: &Actor, order_id: Id) -> Result<Invoice> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let (status, row) = lock_order_row(&mut tx, order_id, true).await?;
        check_invoiceable(status, row.opt_i64("invoice_in_force")?.is_some())?;
        let client_id = row.i64("client_id")?;
        let of = Invoiced { order: &row, delivered_at: row.opt_ts("delivered_at")? };
        let (invoice, client) = issue_invoice_for(&mut tx, now, self.today(), actor, &company, of).await?;
        let issued = Notification::InvoiceIssued {
            invoice_id: invoice.id,
            number: invoice.number.clone(),
            total_incl_vat: invoice.totals.total_incl_vat,
        };
        notify_client_at(&mut tx, now, client_id, (&client.email, client.language), issued).await?;
        self.commit(tx).await?;
        Ok(invoice)
    }

    pub(crate) async fn record_payment_tx(&self, actor: &Actor, invoice_id: Id, p: NewPayment) -> Result<Invoice> {
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
        let amount = p.amount();
        let now = self.now();
        let mut amount_cents = amount;
        amount_cents.rescale(2);
        let mut tx = self.db.write().await?;
        let invoice = load_invoice(&mut tx, Scope::Staff, invoice_id, true).await?;
        let new_status = apply_payment(invoice.status, invoice.amount_due, amount)?;
        let amount = amount_cents;
        // With the client's email and language, for the notification.
        let row = tx
            .one(
                "INSERT INTO payments (invoice_id, method, amount, date, reference, cheque_number, bank, deposit_date, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *, \
                 (SELECT email FROM clients WHERE id = $10) AS client_email, \
                 (SELECT language FROM clients WHERE id = $10) AS client_language",
                args![invoice_id, method.as_str(), amount, date, reference, cheque_number, bank, deposit_date, now, invoice.client_id],
            )
            .await?;
        let payment = payment_from_row(&row)?;
        let payment_id = payment.id;
        let paid = invoice.amount_paid + amount;
        tx.exec(
            "UPDATE invoices SET amount_paid = $2, status = $3 WHERE id = $1",
            args![invoice_id, paid, new_status.as_str()],
        )
        .await?;
        audit(
            &mut tx,
            now,
            actor,
            "payment.recorded",
            ("invoice", invoice_id),
            json!({"payment_id": payment_id, "method": method.as_str(), "amount": amount, "status": new_status.as_str()}),
        )
        .await?;
        notify_client_at(
            &mut tx,
            now,
            invoice.client_id,
            (&row.text("client_email")?, Language::parse(&row.text("client_language")?)?),
            Notification::PaymentReceived {
                invoice_id,
                number: invoice.number.clone(),
                amount,
                amount_due: invoice.amount_due - amount,
            },
        )
        .await?;
        self.commit(tx).await?;
        // What it now is, from what this use case read and wrote (no reading back).
        let mut invoice = invoice;
        invoice.status = new_status;
        invoice.amount_paid = paid;
        invoice.amount_due = invoice.totals.total_incl_vat - paid;
        invoice.payments.push(payment);
        Ok(invoice)
    }

    pub(crate) async fn issue_credit_note_tx(
        &self,
        actor: &Actor,
        invoice_id: Id,
        note: NewCreditNote,
    ) -> Result<CreditNote> {
        let reason = check_text("reason", &note.reason, 2000)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let invoice = load_invoice(&mut tx, Scope::Staff, invoice_id, true).await?;
        check_cancellable(invoice.status)?;
        let number = next_number(&mut tx, &company.credit_note_prefix, today).await?;
        let t = &invoice.totals;
        let id = tx
            .insert(
                "INSERT INTO credit_notes (number, invoice_id, client_id, reason, issue_date, total_excl_vat, total_vat, total_incl_vat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                args![&number, invoice_id, invoice.client_id, &reason, today, t.total_excl_vat, t.total_vat, t.total_incl_vat, now],
            )
            .await?;
        insert_lines(&mut tx, "credit_note", id, &invoice.lines).await?;
        tx.exec("UPDATE invoices SET status = 'cancelled' WHERE id = $1", args![invoice_id]).await?;
        audit(
            &mut tx,
            now,
            actor,
            "credit_note.issued",
            ("invoice", invoice_id),
            json!({"credit_note_id": id, "number": number, "reason": reason}),
        )
        .await?;
        notify_client(
            &mut tx,
            now,
            invoice.client_id,
            Notification::CreditNoteIssued {
                credit_note_id: id,
                number: number.clone(),
                invoice_id,
                invoice_number: invoice.number.clone(),
            },
        )
        .await?;
        let cn = load_credit_note(&mut tx, Scope::Staff, id).await?;
        let mut issue = Issue::new(DocumentKind::CreditNote, id, invoice.client_id, &number);
        issue.credit_note = Some(cn.clone());
        issue.invoice = Some(invoice);
        issue_document(&mut tx, now, &company, issue).await?;
        self.commit(tx).await?;
        Ok(cn)
    }
}

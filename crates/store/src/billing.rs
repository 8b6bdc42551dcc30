//! Invoices, payments by transfer or cheque, and credit notes: the SQL of the billing use cases
//! (see `immovr_app::billing`) and of reading invoices.

use async_trait::async_trait;
use immovr_app::ports::{BillingQueries, BillingRepo, Contact, CreditNoteRow, DueInvoice, InvoiceRow, PaymentRow};
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::money::Line;
use immovr_core::ports::Scope;
use immovr_core::{Context, DomainError, Result};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::db::{Row, Tx, V, args};
use crate::search::{self, Kind};
use crate::support::{append_lines, insert_lines, lines_and_totals, lines_column, lines_of_row, load_lines};
use crate::{SqlStore, SqlTx, not_found, scope_client};

async fn payments_of(tx: &mut Tx, invoice_id: Id) -> Result<Vec<Row>> {
    Ok(tx.all("SELECT * FROM payments WHERE invoice_id = $1 ORDER BY id", args![invoice_id]).await?)
}

/// An invoice from its row (read with its lines when [`lines_column`] was part of it), its
/// payments and credit notes read after it: those may have been added while the caller waited
/// for the invoice's lock (on PostgreSQL both in one statement).
/// An invoice's payments and credit notes, in one row (PostgreSQL: see [`load_invoice`]).
const INVOICE_CHILDREN: &str = "SELECT COALESCE((SELECT json_agg(c ORDER BY c.id) FROM payments c WHERE c.invoice_id = $1), '[]')::text AS payments, \
     COALESCE((SELECT json_agg(c.id ORDER BY c.id) FROM credit_notes c WHERE c.invoice_id = $1), '[]')::text AS credit_notes";

/// An invoice from its row; `children`: its [`INVOICE_CHILDREN`] row when already read.
async fn invoice_from_row(tx: &mut Tx, r: &Row, children: Option<Row>) -> Result<Invoice> {
    let id = r.i64("id")?;
    let lines = lines_of_row(tx, r, "invoice", id).await?;
    let (payments, credit_note_ids) = if tx.round_trips() {
        let both = match children {
            Some(row) => row,
            None => tx.one(INVOICE_CHILDREN, args![id]).await?,
        };
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
        origin: InvoiceOrigin {
            quote_number: r.opt_text("quote_number")?,
            quote_version: r.opt_i64("quote_version")?,
            subject: r.opt_text("subject")?,
            property_address: r.opt_text("property_address")?,
        },
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
    let sql = invoice_sql(tx, lock);
    if !tx.round_trips() {
        let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("invoice"))?;
        return invoice_from_row(tx, &row, None).await;
    }
    // Its payments and credit notes may change under its lock: read after it, in the same
    // round trip.
    let [rows, children] =
        tx.all_together([(sql.as_str(), args![id, scope_client(scope)]), (INVOICE_CHILDREN, args![id])]).await?;
    let row = rows.into_iter().next().ok_or_else(|| not_found("invoice"))?;
    invoice_from_row(tx, &row, children.into_iter().next()).await
}

/// The statement of [`load_invoice`] (parameters: its id, the client's scope).
fn invoice_sql(tx: &Tx, lock: bool) -> String {
    let lock = if lock && !tx.for_update().is_empty() { " FOR UPDATE OF i" } else { "" };
    // An invoice's lines never change: read with it.
    format!(
        "{} WHERE i.id = $1 AND ($2 IS NULL OR i.client_id = $2){lock}",
        INVOICE_SELECT.replacen(
            " FROM invoices i",
            &format!("{} FROM invoices i", lines_column(tx, "invoice", "i.id")),
            1
        )
    )
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
    let lines = load_lines(tx, "credit_note", id).await?;
    credit_note_from_parts(&r, lines)
}

pub(crate) fn credit_note_from_parts(r: &Row, lines: Vec<Line>) -> Result<CreditNote> {
    let (lines, totals) = lines_and_totals(lines, r)?;
    Ok(CreditNote {
        id: r.i64("id")?,
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

#[async_trait]
impl BillingRepo for SqlTx {
    async fn insert_invoice(&mut self, r: &InvoiceRow<'_>, lines: Vec<Line>) -> Result<Invoice> {
        let t = r.totals;
        let row = self
            .tx
            .one(
                "INSERT INTO invoices (number, order_id, client_id, status, issue_date, service_date, due_date, payment_reference, \
                 total_excl_vat, total_vat, total_incl_vat, amount_paid, created_at, quote_number, quote_version, subject, property_address) \
                 VALUES ($1, $2, $3, 'issued', $4, $5, $6, $1, $7, $8, $9, '0.00', $10, $11, $12, $13, $14) RETURNING *",
                args![
                    r.number,
                    r.order_id,
                    r.client_id,
                    r.issue_date,
                    r.service_date,
                    r.due_date,
                    t.total_excl_vat,
                    t.total_vat,
                    t.total_incl_vat,
                    r.at,
                    r.origin.quote_number.clone(),
                    r.origin.quote_version,
                    r.origin.subject.clone(),
                    r.origin.property_address.clone()
                ],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::AlreadyInvoiced))?;
        let id = row.i64("id")?;
        // The invoice is built from these lines, not read back.
        append_lines(&mut self.tx, "invoice", id, &lines).await?;
        search::index(&mut self.tx, Kind::Invoice, id, [r.number, r.purchase_order_number], false).await?;
        // A new invoice: no payments, no credit notes yet.
        invoice_from_parts(&row.with("po_number", V::from(r.purchase_order_number)), lines, &[], Vec::new())
    }

    async fn lock_invoice(&mut self, id: Id) -> Result<Invoice> {
        load_invoice(&mut self.tx, Scope::Staff, id, true).await
    }

    async fn lock_invoice_paying(&mut self, id: Id, p: &PaymentRow<'_>) -> Result<(Invoice, Payment, Contact)> {
        // With the client's email and language, for the notification; nothing inserted for an
        // invoice that does not exist (not found, rather than a foreign key's error).
        let insert = "INSERT INTO payments (invoice_id, method, amount, date, reference, cheque_number, bank, deposit_date, recorded_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM invoices WHERE id = $1) RETURNING *, \
             (SELECT c.email FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = payments.invoice_id) AS client_email, \
             (SELECT c.language FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = payments.invoice_id) AS client_language";
        let values =
            args![id, p.method.as_str(), p.amount, p.date, p.reference, p.cheque_number, p.bank, p.deposit_date, p.at];
        let (invoice, inserted) = if self.tx.round_trips() {
            // After the invoice's payments are read: the invoice as locked, without this one.
            let sql = invoice_sql(&self.tx, true);
            let [rows, children, inserted] = self
                .tx
                .all_together([(sql.as_str(), args![id, V::I(None)]), (INVOICE_CHILDREN, args![id]), (insert, values)])
                .await?;
            let row = rows.into_iter().next().ok_or_else(|| not_found("invoice"))?;
            (invoice_from_row(&mut self.tx, &row, children.into_iter().next()).await?, inserted)
        } else {
            let invoice = load_invoice(&mut self.tx, Scope::Staff, id, true).await?;
            (invoice, self.tx.all(insert, values).await?)
        };
        let row = inserted.first().ok_or_else(|| DomainError::internal("a payment's record"))?;
        let contact =
            Contact { email: row.text("client_email")?, language: Language::parse(&row.text("client_language")?)? };
        Ok((invoice, payment_from_row(row)?, contact))
    }

    async fn set_invoice_payments(&mut self, id: Id, amount_paid: Decimal, status: InvoiceStatus) -> Result<()> {
        self.tx
            .exec_later(
                "UPDATE invoices SET amount_paid = $2, status = $3 WHERE id = $1",
                args![id, amount_paid, status.as_str()],
            )
            .await?;
        Ok(())
    }

    async fn insert_credit_note(&mut self, r: &CreditNoteRow<'_>) -> Result<CreditNote> {
        let invoice = r.invoice;
        let t = &invoice.totals;
        let row = self
            .tx
            .one(
                "INSERT INTO credit_notes (number, invoice_id, client_id, reason, issue_date, total_excl_vat, total_vat, total_incl_vat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
                args![r.number, invoice.id, invoice.client_id, r.reason, r.issue_date, t.total_excl_vat, t.total_vat, t.total_incl_vat, r.at],
            )
            .await?;
        let id = row.i64("id")?;
        insert_lines(&mut self.tx, "credit_note", id, &invoice.lines).await?;
        credit_note_from_parts(&row.with("invoice_number", V::from(invoice.number.as_str())), invoice.lines.clone())
    }

    async fn set_invoice_status(&mut self, id: Id, status: InvoiceStatus) -> Result<()> {
        self.tx.exec("UPDATE invoices SET status = $2 WHERE id = $1", args![id, status.as_str()]).await?;
        Ok(())
    }

    async fn invoices_due(&mut self, latest_due: Date) -> Result<Vec<DueInvoice>> {
        let rows = self
            .tx
            .all(
                "SELECT id, client_id, number, due_date, total_incl_vat, amount_paid FROM invoices \
                 WHERE status IN ('issued', 'partially_paid') AND due_date <= $1",
                args![latest_due],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueInvoice {
                    id: r.i64("id")?,
                    client_id: r.i64("client_id")?,
                    number: r.text("number")?,
                    due_date: r.date("due_date")?,
                    amount_due: r.dec("total_incl_vat")? - r.dec("amount_paid")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl BillingQueries for SqlStore {
    async fn invoices(&self, scope: Scope, list: &ListQuery) -> Result<Page<Invoice>> {
        self.invoices_page(scope, list).await
    }

    async fn invoice(&self, scope: Scope, id: Id) -> Result<Invoice> {
        let mut tx = self.db.read().await?;
        load_invoice(&mut tx, scope, id, false).await
    }

    async fn credit_note(&self, scope: Scope, id: Id) -> Result<CreditNote> {
        let mut tx = self.db.read().await?;
        load_credit_note(&mut tx, scope, id).await
    }
}

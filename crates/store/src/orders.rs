//! Purchase orders (generated on acceptance), orders with their stages and final files: the SQL
//! of the order use cases (see `immovr_app::orders`) and of reading orders.

use async_trait::async_trait;
use immovr_app::ports::{Contact, FileAdded, OrderHead, OrderRepo, OrderToInvoice, StagePlanRow, ToDeliver};
use immovr_core::model::*;
use immovr_core::money::Line;
use immovr_core::ports::{NewDeliverable, Scope};
use immovr_core::{DomainError, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::db::{Row, Tx, V, args};
use crate::search::{self, Kind};
use crate::support::{
    NEXT_IN_SERIES, client_column, client_of_row, lines_and_totals, lines_column, lines_of_row, number_taken,
};
use crate::{SqlTx, not_found, scope_client};

/// A purchase order's row with its order's id and status.
const PO_SELECT: &str = "SELECT p.*, o.id AS order_id, o.status AS order_status FROM purchase_orders p \
     LEFT JOIN orders o ON o.purchase_order_id = p.id";

pub(crate) async fn load_purchase_order(tx: &mut Tx, scope: Scope, id: Id, lock: bool) -> Result<PurchaseOrder> {
    let sql = purchase_order_sql(tx, lock);
    let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("purchase order"))?;
    po_from_row(tx, &row).await
}

/// The statement of [`load_purchase_order`] (parameters: its id, the client's scope).
fn purchase_order_sql(tx: &Tx, lock: bool) -> String {
    // A purchase order's lines never change: read with it.
    format!(
        "SELECT p.*, o.id AS order_id, o.status AS order_status{} FROM purchase_orders p \
         LEFT JOIN orders o ON o.purchase_order_id = p.id WHERE p.id = $1 AND ($2 IS NULL OR p.client_id = $2){}",
        lines_column(tx, "purchase_order", "p.id"),
        // PostgreSQL cannot lock the nullable side of the outer join: lock the purchase order only.
        if lock && !tx.for_update().is_empty() { " FOR UPDATE OF p" } else { "" }
    )
}

/// How a new order's client is written to (its email and language), returned by its insert.
const ORDER_CONTACT: &str = "(SELECT c.email FROM clients c WHERE c.id = orders.client_id) AS email, \
     (SELECT c.language FROM clients c WHERE c.id = orders.client_id) AS language";

/// A purchase order read again after this use case wrote it, with the lines the caller holds.
pub(crate) async fn reload_purchase_order(
    tx: &mut Tx,
    id: Id,
    lines: Vec<immovr_core::money::Line>,
) -> Result<PurchaseOrder> {
    let row = tx.one(&format!("{PO_SELECT} WHERE p.id = $1"), args![id]).await?;
    po_from_parts(&row, lines)
}

async fn po_from_row(tx: &mut Tx, r: &Row) -> Result<PurchaseOrder> {
    let lines = lines_of_row(tx, r, "purchase_order", r.i64("id")?).await?;
    po_from_parts(r, lines)
}

pub(crate) fn po_from_parts(r: &Row, lines: Vec<immovr_core::money::Line>) -> Result<PurchaseOrder> {
    let id = r.i64("id")?;
    let (lines, totals) = lines_and_totals(lines, r)?;
    Ok(PurchaseOrder {
        id,
        number: r.text("number")?,
        quote_id: r.i64("quote_id")?,
        quote_number: r.text("quote_number")?,
        quote_version: r.i64("quote_version")?,
        client_id: r.i64("client_id")?,
        status: PurchaseOrderStatus::parse(&r.text("status")?)?,
        cancel_reason: r.opt_text("cancel_reason")?,
        lines,
        totals,
        created_at: r.ts("created_at")?,
        validated_at: r.opt_ts("validated_at")?,
        order_id: r.opt_i64("order_id")?,
        order_status: r.opt_text("order_status")?.map(|s| OrderStatus::parse(&s)).transpose()?,
        withdrawal: withdrawal_of(r, "")?,
    })
}

/// The withdrawal right of a purchase order's row (its columns prefixed `prefix`), if any.
pub(crate) fn withdrawal_of(r: &Row, prefix: &str) -> Result<Option<Withdrawal>> {
    let Some(ends_on) = r.opt_date(&format!("{prefix}withdrawal_ends_on"))? else { return Ok(None) };
    Ok(Some(Withdrawal {
        ends_on,
        early_start: r.opt_i64(&format!("{prefix}early_start"))?.is_some_and(|v| v != 0),
        withdrawn_at: r.opt_ts(&format!("{prefix}withdrawn_at"))?,
        amount_due: r.opt_dec(&format!("{prefix}withdrawal_amount"))?,
    }))
}

pub(crate) fn stage_from_row(r: &Row) -> Result<Stage> {
    Ok(Stage {
        id: r.i64("id")?,
        position: r.i64("position")?,
        code: r.text("code")?,
        label: r.text("label")?,
        status: StageStatus::parse(&r.text("status")?)?,
        planned_date: r.opt_date("planned_date")?,
        planned_time: r.opt_text("planned_time")?.map(|t| parse_time(&t)).transpose()?,
        place: r.opt_text("place")?,
        assignee: r.opt_text("assignee")?,
        notes: r.opt_text("notes")?,
        done_at: r.opt_ts("done_at")?,
    })
}

/// A stage's time as stored (`HH:MM`).
fn parse_time(text: &str) -> Result<jiff::civil::Time> {
    text.parse().map_err(|e| DomainError::internal(format!("a stage's time {text:?}: {e}")))
}

/// A stage's time as stored.
fn time_text(t: Option<jiff::civil::Time>) -> Option<String> {
    t.map(|t| t.strftime("%H:%M").to_string())
}

/// An order from its row (read with `invoice_in_force`, see [`load_order`]): its stages and
/// deliverables read.
async fn order_from_row(tx: &mut Tx, r: &Row) -> Result<Order> {
    let (stages, files) = stages_and_files(tx, r.i64("id")?).await?;
    order_from_parts(r, &stages, &files, r.opt_i64("invoice_in_force")?)
}

/// An order's stages and deliverables in one row (PostgreSQL: see [`stages_and_files`]).
const ORDER_CHILDREN: &str = "SELECT COALESCE((SELECT json_agg(c ORDER BY c.position) FROM stages c WHERE c.order_id = $1), '[]')::text AS stages, \
     COALESCE((SELECT json_agg(c ORDER BY c.id) FROM deliverables c WHERE c.order_id = $1), '[]')::text AS files";

/// The stages and deliverables of an [`ORDER_CHILDREN`] row.
fn children_of(rows: Vec<Row>) -> Result<(Vec<Row>, Vec<Row>)> {
    let both = rows.into_iter().next().ok_or_else(|| DomainError::internal("an order's children: no row"))?;
    Ok((Row::from_json_rows(&both.text("stages")?)?, Row::from_json_rows(&both.text("files")?)?))
}

/// An order's stages and deliverables as models.
fn stages_and_files_of((stages, files): (Vec<Row>, Vec<Row>)) -> Result<(Vec<Stage>, Vec<Deliverable>)> {
    Ok((
        stages.iter().map(stage_from_row).collect::<Result<_>>()?,
        files.iter().map(deliverable_from_row).collect::<Result<_>>()?,
    ))
}

/// An order's stages and deliverables, as they are now (both may change under the order's lock,
/// so read after it): on PostgreSQL in one statement.
async fn stages_and_files(tx: &mut Tx, order_id: Id) -> Result<(Vec<Row>, Vec<Row>)> {
    if tx.round_trips() {
        return children_of(tx.all(ORDER_CHILDREN, args![order_id]).await?);
    }
    let stages = tx.all("SELECT * FROM stages WHERE order_id = $1 ORDER BY position", args![order_id]).await?;
    let files = tx.all("SELECT * FROM deliverables WHERE order_id = $1 ORDER BY id", args![order_id]).await?;
    Ok((stages, files))
}

pub(crate) fn deliverable_from_row(f: &Row) -> Result<Deliverable> {
    Ok(Deliverable {
        id: f.i64("id")?,
        filename: f.text("filename")?,
        content_type: f.text("content_type")?,
        size_bytes: f.i64("size_bytes")?,
        sha256: f.text("sha256")?,
        storage_key: f.text("storage_key")?,
        created_at: f.ts("created_at")?,
    })
}

/// An order from its row, its stages' and deliverables' rows and the invoice in force.
pub(crate) fn order_from_parts(r: &Row, stages: &[Row], files: &[Row], invoice_id: Option<Id>) -> Result<Order> {
    let id = r.i64("id")?;
    Ok(Order {
        id,
        purchase_order_id: r.i64("purchase_order_id")?,
        purchase_order_number: r.text("po_number")?,
        client_id: r.i64("client_id")?,
        status: OrderStatus::parse(&r.text("status")?)?,
        created_at: r.ts("created_at")?,
        delivered_at: r.opt_ts("delivered_at")?,
        stages: stages.iter().map(stage_from_row).collect::<Result<_>>()?,
        deliverables: files.iter().map(deliverable_from_row).collect::<Result<_>>()?,
        invoice_id,
        property_address: r.opt_text("property_address")?,
        contact: staff_contact(r)?,
        withdrawal: withdrawal_of(r, "po_")?,
    })
}

/// The purchase order's withdrawal right, as an order's row carries it (`po_` columns, read by
/// [`withdrawal_of`]).
macro_rules! po_withdrawal {
    () => {
        "p.withdrawal_ends_on AS po_withdrawal_ends_on, p.early_start AS po_early_start, \
         p.withdrawn_at AS po_withdrawn_at, p.withdrawal_amount AS po_withdrawal_amount"
    };
}

/// An order's row with its purchase order's number, the property (from the quote's request)
/// and the contact person at the studio.
pub(crate) const ORDER_SELECT: &str = concat!(
    "SELECT o.*, p.number AS po_number, ",
    po_withdrawal!(),
    ", (SELECT r.property_address FROM quotes q JOIN quote_requests r ON r.id = q.request_id WHERE q.id = p.quote_id) \
     AS property_address, u.name AS contact_name, u.email AS contact_email \
     FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id LEFT JOIN users u ON u.id = o.contact_user_id"
);

/// An order's row with its purchase order's number and the invoice in force (at most one: a
/// unique index).
const ORDER_ROW_SELECT: &str = concat!(
    "SELECT o.*, p.number AS po_number, ",
    po_withdrawal!(),
    ", (SELECT i.id FROM invoices i \
     WHERE i.order_id = o.id AND i.status <> 'cancelled') AS invoice_in_force, \
     (SELECT r.property_address FROM quotes q JOIN quote_requests r ON r.id = q.request_id WHERE q.id = p.quote_id) \
     AS property_address, u.name AS contact_name, u.email AS contact_email FROM orders o \
     JOIN purchase_orders p ON p.id = o.purchase_order_id LEFT JOIN users u ON u.id = o.contact_user_id"
);

pub(crate) async fn load_order(tx: &mut Tx, scope: Scope, id: Id) -> Result<Order> {
    let row = tx
        .opt(
            &format!("{ORDER_ROW_SELECT} WHERE o.id = $1 AND ($2 IS NULL OR o.client_id = $2)"),
            args![id, scope_client(scope)],
        )
        .await?
        .ok_or_else(|| not_found("order"))?;
    order_from_row(tx, &row).await
}

/// Locks an order's row, read as [`load_order`] reads it.
///
/// `po_lines`: with its purchase order's lines (which never change: see `children_column`)
/// and its client, for an invoice to be issued from it.
async fn lock_order_row(tx: &mut Tx, id: Id, po_lines: bool) -> Result<Row> {
    let sql = lock_order_sql(tx, po_lines);
    tx.opt(&sql, args![id]).await?.ok_or_else(|| not_found("order"))
}

/// The statement of [`lock_order_row`] (its one parameter: the order's id).
fn lock_order_sql(tx: &Tx, po_lines: bool) -> String {
    let lock = if tx.for_update().is_empty() { "" } else { " FOR UPDATE OF o" };
    let lines = match po_lines {
        true => format!(
            "{}{}, p.quote_number, p.quote_version, \
             (SELECT q.title FROM quotes q WHERE q.id = p.quote_id) AS quote_title, \
             (SELECT r.property_address FROM quotes q JOIN quote_requests r ON r.id = q.request_id \
              WHERE q.id = p.quote_id) AS property_address",
            lines_column(tx, "purchase_order", "o.purchase_order_id"),
            client_column(tx, "o.client_id")
        ),
        false => String::new(),
    };
    let select = ORDER_ROW_SELECT.replacen(" FROM orders o", &format!("{lines} FROM orders o"), 1);
    format!("{select} WHERE o.id = $1{lock}")
}

/// An order's own row (read with [`ORDER_ROW_SELECT`]).
fn order_head(r: &Row) -> Result<OrderHead> {
    Ok(OrderHead {
        id: r.i64("id")?,
        purchase_order_id: r.i64("purchase_order_id")?,
        purchase_order_number: r.text("po_number")?,
        client_id: r.i64("client_id")?,
        status: OrderStatus::parse(&r.text("status")?)?,
        created_at: r.ts("created_at")?,
        delivered_at: r.opt_ts("delivered_at")?,
        invoice_in_force: r.opt_i64("invoice_in_force")?,
        property_address: r.opt_text("property_address")?,
        contact: staff_contact(r)?,
        withdrawal: withdrawal_of(r, "po_")?,
    })
}

/// The order's contact person at the studio (read with [`ORDER_SELECT`]).
fn staff_contact(r: &Row) -> Result<Option<StaffContact>> {
    match r.opt_i64("contact_user_id")? {
        Some(user_id) => {
            Ok(Some(StaffContact { user_id, name: r.text("contact_name")?, email: r.text("contact_email")? }))
        }
        None => Ok(None),
    }
}

fn contact(r: &Row) -> Result<Contact> {
    Ok(Contact { email: r.text("email")?, language: Language::parse(&r.text("language")?)? })
}

pub(crate) fn contact_from_row(r: &Row) -> Result<ContactNote> {
    Ok(ContactNote {
        id: r.i64("id")?,
        author: r.text("author")?,
        note: r.text("note")?,
        created_at: r.ts("created_at")?,
    })
}

impl SqlTx {
    /// What an invoice is issued from: the order's row read by [`lock_order_row`] with its
    /// purchase order's lines.
    async fn order_to_invoice(&mut self, row: Row) -> Result<OrderToInvoice> {
        let head = order_head(&row)?;
        let lines = lines_of_row(&mut self.tx, &row, "purchase_order", head.purchase_order_id).await?;
        let client = client_of_row(&mut self.tx, &row, head.client_id).await?;
        let origin = InvoiceOrigin {
            quote_number: Some(row.text("quote_number")?),
            quote_version: Some(row.i64("quote_version")?),
            subject: Some(row.text("quote_title")?),
            property_address: row.opt_text("property_address")?,
        };
        Ok(OrderToInvoice { head, lines, client, origin })
    }
}

#[async_trait]
impl OrderRepo for SqlTx {
    async fn lock_purchase_order(&mut self, scope: Scope, id: Id) -> Result<PurchaseOrder> {
        load_purchase_order(&mut self.tx, scope, id, true).await
    }

    async fn lock_purchase_order_registering(
        &mut self,
        id: Id,
        contact_user_id: Option<Id>,
        at: Timestamp,
    ) -> Result<(PurchaseOrder, Option<(Id, Contact)>)> {
        // Sent behind the locking read, run once the lock is granted: a purchase order no
        // longer pending registers nothing.
        let insert = format!(
            "INSERT INTO orders (purchase_order_id, client_id, status, created_at, contact_user_id) \
             SELECT p.id, p.client_id, 'registered', $2, $3 FROM purchase_orders p WHERE p.id = $1 AND p.status = 'pending' \
             RETURNING id, {ORDER_CONTACT}"
        );
        let (row, inserted) = if self.tx.round_trips() {
            let lock = purchase_order_sql(&self.tx, true);
            let [rows, inserted] = self
                .tx
                .all_together([
                    (lock.as_str(), args![id, V::I(None)]),
                    (insert.as_str(), args![id, at, contact_user_id]),
                ])
                .await?;
            (rows.into_iter().next().ok_or_else(|| not_found("purchase order"))?, inserted)
        } else {
            let row = self.tx.opt(&purchase_order_sql(&self.tx, true), args![id, V::I(None)]).await?;
            let row = row.ok_or_else(|| not_found("purchase order"))?;
            (row, self.tx.all(&insert, args![id, at, contact_user_id]).await?)
        };
        let po = po_from_row(&mut self.tx, &row).await?;
        let Some(inserted) = inserted.first() else { return Ok((po, None)) };
        let order_id = inserted.i64("id")?;
        search::index(&mut self.tx, Kind::Order, order_id, [po.number.as_str()], false).await?;
        Ok((po, Some((order_id, contact(inserted)?))))
    }

    async fn mark_purchase_order_validated(&mut self, id: Id, at: Timestamp) -> Result<Option<Timestamp>> {
        // Its row is locked (and pending): sent with the next statement. A timestamp is stored
        // as it is (nine fractional digits), so `at` is the time as stored.
        self.tx
            .exec_later(
                "UPDATE purchase_orders SET status = 'validated', validated_at = $2 WHERE id = $1",
                args![id, at],
            )
            .await?;
        Ok(Some(at))
    }

    async fn mark_purchase_order_cancelled(&mut self, id: Id, reason: &str) -> Result<()> {
        self.tx
            .exec(
                "UPDATE purchase_orders SET status = 'cancelled', cancel_reason = $2 WHERE id = $1",
                args![id, reason],
            )
            .await?;
        Ok(())
    }

    async fn set_withdrawal(&mut self, id: Id, ends_on: Date, early_start: bool) -> Result<()> {
        self.tx
            .exec(
                "UPDATE purchase_orders SET withdrawal_ends_on = $2, early_start = $3 WHERE id = $1",
                args![id, ends_on, early_start],
            )
            .await?;
        Ok(())
    }

    async fn mark_withdrawn(&mut self, id: Id, at: Timestamp, amount_due: Decimal) -> Result<()> {
        self.tx
            .exec(
                "UPDATE purchase_orders SET status = 'cancelled', cancel_reason = 'withdrawal', withdrawn_at = $2, \
                 withdrawal_amount = $3 WHERE id = $1",
                args![id, at, amount_due],
            )
            .await?;
        self.tx
            .exec(
                "UPDATE orders SET status = 'cancelled' WHERE purchase_order_id = $1 AND status IN ('registered', 'in_progress')",
                args![id],
            )
            .await?;
        Ok(())
    }

    async fn purchase_order_now(&mut self, id: Id, lines: Vec<Line>) -> Result<PurchaseOrder> {
        reload_purchase_order(&mut self.tx, id, lines).await
    }

    async fn insert_order(
        &mut self,
        po: Id,
        client_id: Id,
        number: &str,
        contact_user_id: Option<Id>,
        at: Timestamp,
    ) -> Result<(Id, Contact)> {
        // With the client's email and language, which the notification and the stages' labels need.
        let sql = format!(
            "INSERT INTO orders (purchase_order_id, client_id, status, created_at, contact_user_id) \
             VALUES ($1, $2, 'registered', $3, $4) RETURNING id, {ORDER_CONTACT}"
        );
        let row = self.tx.one(&sql, args![po, client_id, at, contact_user_id]).await?;
        let order_id = row.i64("id")?;
        search::index(&mut self.tx, Kind::Order, order_id, [number], false).await?;
        Ok((order_id, contact(&row)?))
    }

    async fn insert_stages(&mut self, order_id: Id, stages: &[(&str, &str)]) -> Result<()> {
        // In one statement.
        let mut sql = String::from("INSERT INTO stages (order_id, position, code, label, status) VALUES ");
        let mut values = vec![V::from(order_id)];
        for (i, (code, label)) in stages.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = values.len();
            sql.push_str(&format!("($1, ${}, ${}, ${}, 'pending')", n + 1, n + 2, n + 3));
            values.extend([V::from(i as i64 + 1), V::from(*code), V::from(*label)]);
        }
        self.tx.exec_later(&sql, values).await?;
        Ok(())
    }

    async fn lock_order(&mut self, id: Id) -> Result<OrderHead> {
        order_head(&lock_order_row(&mut self.tx, id, false).await?)
    }

    async fn lock_order_to_invoice(&mut self, id: Id) -> Result<OrderToInvoice> {
        let row = lock_order_row(&mut self.tx, id, true).await?;
        self.order_to_invoice(row).await
    }

    async fn lock_order_to_deliver(&mut self, id: Id, series: &str) -> Result<ToDeliver> {
        let number =
            |rows: Vec<Row>| number_taken(&rows)?.ok_or_else(|| DomainError::internal("an invoice's number not taken"));
        if !self.tx.round_trips() {
            let order = self.lock_order_to_invoice(id).await?;
            let invoice_number = number(self.tx.all(NEXT_IN_SERIES, args![series]).await?)?;
            let (stages, files) = self.order_children(id).await?;
            return Ok(ToDeliver { order, stages, files, invoice_number });
        }
        // The children read after the lock, and the number taken, in the same round trip.
        let sql = lock_order_sql(&self.tx, true);
        let [rows, children, taken] = self
            .tx
            .all_together([(sql.as_str(), args![id]), (ORDER_CHILDREN, args![id]), (NEXT_IN_SERIES, args![series])])
            .await?;
        let row = rows.into_iter().next().ok_or_else(|| not_found("order"))?;
        let order = self.order_to_invoice(row).await?;
        let (stages, files) = stages_and_files_of(children_of(children)?)?;
        Ok(ToDeliver { order, stages, files, invoice_number: number(taken)? })
    }

    async fn order_children(&mut self, id: Id) -> Result<(Vec<Stage>, Vec<Deliverable>)> {
        stages_and_files_of(stages_and_files(&mut self.tx, id).await?)
    }

    async fn order_now(&mut self, id: Id) -> Result<Order> {
        load_order(&mut self.tx, Scope::Staff, id).await
    }

    async fn stage(&mut self, order_id: Id, stage_id: Id) -> Result<Option<Stage>> {
        let row =
            self.tx.opt("SELECT * FROM stages WHERE id = $1 AND order_id = $2", args![stage_id, order_id]).await?;
        row.as_ref().map(stage_from_row).transpose()
    }

    async fn plan_stage(&mut self, stage_id: Id, p: &StagePlanRow<'_>) -> Result<()> {
        self.tx
            .exec(
                "UPDATE stages SET planned_date = $2, assignee = $3, notes = $4, status = $5, planned_time = $6, place = $7 \
                 WHERE id = $1",
                args![stage_id, p.planned_date, p.assignee, p.notes, p.status.as_str(), time_text(p.planned_time), p.place],
            )
            .await?;
        Ok(())
    }

    async fn complete_stage(&mut self, stage_id: Id, at: Timestamp) -> Result<()> {
        self.tx.exec("UPDATE stages SET status = 'done', done_at = $2 WHERE id = $1", args![stage_id, at]).await?;
        Ok(())
    }

    async fn complete_stages(&mut self, order_id: Id, at: Timestamp) -> Result<()> {
        self.tx
            .exec_later(
                "UPDATE stages SET status = 'done', done_at = $2 WHERE order_id = $1 AND status <> 'done'",
                args![order_id, at],
            )
            .await?;
        Ok(())
    }

    async fn set_order_status(&mut self, id: Id, status: OrderStatus) -> Result<()> {
        self.tx.exec("UPDATE orders SET status = $2 WHERE id = $1", args![id, status.as_str()]).await?;
        Ok(())
    }

    async fn set_order_contact(&mut self, id: Id, user_id: Id) -> Result<()> {
        self.tx.exec("UPDATE orders SET contact_user_id = $2 WHERE id = $1", args![id, user_id]).await?;
        Ok(())
    }

    async fn lock_order_adding_file(&mut self, order_id: Id, f: &NewDeliverable, at: Timestamp) -> Result<FileAdded> {
        // Nothing inserted for an order that does not exist (not found, rather than a foreign
        // key's error).
        let insert = "INSERT INTO deliverables (order_id, filename, content_type, size_bytes, sha256, storage_key, created_at) \
                      SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM orders WHERE id = $1) RETURNING id";
        let values = args![order_id, &f.filename, &f.content_type, f.size_bytes, &f.sha256, &f.storage_key, at];
        let id = |rows: Vec<Row>| rows.first().map(|r| r.i64("id")).transpose();
        if !self.tx.round_trips() {
            let order = order_head(&lock_order_row(&mut self.tx, order_id, false).await?)?;
            let id = id(self.tx.all(insert, values).await?)?;
            let (stages, files) = self.order_children(order_id).await?;
            let id = id.ok_or_else(|| DomainError::internal("a deliverable's id"))?;
            return Ok(FileAdded { order, id, stages, files });
        }
        // The insert and the children (with the new file) sent behind the locking read, in the
        // same round trip: each runs once the lock is granted.
        let lock = lock_order_sql(&self.tx, false);
        let [rows, inserted, children] = self
            .tx
            .all_together([(lock.as_str(), args![order_id]), (insert, values), (ORDER_CHILDREN, args![order_id])])
            .await?;
        let order = order_head(rows.first().ok_or_else(|| not_found("order"))?)?;
        let id = id(inserted)?.ok_or_else(|| DomainError::internal("a deliverable's id"))?;
        let (stages, files) = stages_and_files_of(children_of(children)?)?;
        Ok(FileAdded { order, id, stages, files })
    }

    async fn mark_delivered(&mut self, id: Id, at: Timestamp) -> Result<Option<Timestamp>> {
        // Its row is locked (and open): sent with the next statement; the time as stored is
        // `at` (see `mark_purchase_order_validated`).
        let sql = "UPDATE orders SET status = 'delivered', delivered_at = $2 WHERE id = $1";
        self.tx.exec_later(sql, args![id, at]).await?;
        Ok(Some(at))
    }

    async fn insert_contact(&mut self, order_id: Id, author: &str, note: &str, at: Timestamp) -> Result<ContactNote> {
        let row = self
            .tx
            .one(
                "INSERT INTO contact_log (order_id, author, note, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
                args![order_id, author, note, at],
            )
            .await?;
        contact_from_row(&row)
    }
}

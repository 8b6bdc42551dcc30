//! Purchase orders (created on acceptance), orders with their stages and deliverables, delivery.

use immovr_core::model::*;
use immovr_core::notification::{Notification, StageNews};
use immovr_core::ports::*;
use immovr_core::rules::{check_deliverable, check_order_open, check_purchase_order_pending};
use immovr_core::{DomainError, Result};
use jiff::Timestamp;
use serde_json::json;

use crate::billing::{Invoiced, issue_invoice_for};
use crate::db::{Row, Tx, V, args};
use crate::search::{self, Kind};
use crate::support::{
    audit, check_opt_text, check_text, client_column, company, lines_and_totals, lines_column, lines_of_row,
    notify_client, notify_client_at,
};
use crate::{SqlStore, not_found, scope_client};

/// A purchase order's row with its order's id and status.
const PO_SELECT: &str = "SELECT p.*, o.id AS order_id, o.status AS order_status FROM purchase_orders p \
     LEFT JOIN orders o ON o.purchase_order_id = p.id";

pub(crate) async fn load_purchase_order(tx: &mut Tx, scope: Scope, id: Id, lock: bool) -> Result<PurchaseOrder> {
    // A purchase order's lines never change: read with it.
    let sql = format!(
        "SELECT p.*, o.id AS order_id, o.status AS order_status{} FROM purchase_orders p \
         LEFT JOIN orders o ON o.purchase_order_id = p.id WHERE p.id = $1 AND ($2 IS NULL OR p.client_id = $2){}",
        lines_column(tx, "purchase_order", "p.id"),
        // PostgreSQL cannot lock the nullable side of the outer join: lock the purchase order only.
        if lock && !tx.for_update().is_empty() { " FOR UPDATE OF p" } else { "" }
    );
    let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("purchase order"))?;
    po_from_row(tx, &row).await
}

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
    })
}

/// Registers the order of a validated purchase order, with the stage template's stages.
pub(crate) async fn create_order(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    company: &CompanySettings,
    po_id: Id,
    po_number: &str,
    client_id: Id,
) -> Result<Id> {
    // With the client's email and language, which the notification and the stages' labels need.
    let client = tx
        .one(
            "INSERT INTO orders (purchase_order_id, client_id, status, created_at) VALUES ($1, $2, 'registered', $3) \
             RETURNING id, (SELECT email FROM clients WHERE id = $2) AS email, \
             (SELECT language FROM clients WHERE id = $2) AS language",
            args![po_id, client_id, now],
        )
        .await?;
    let order_id = client.i64("id")?;
    search::index(tx, Kind::Order, order_id, [po_number], false).await?;
    let client_language = client.text("language")?;
    // The template's stages in one statement.
    if !company.stage_template.is_empty() {
        let mut sql = String::from("INSERT INTO stages (order_id, position, code, label, status) VALUES ");
        let mut values = vec![V::from(order_id)];
        for (i, s) in company.stage_template.iter().enumerate() {
            let label = if client_language == "en" { &s.label_en } else { &s.label_fr };
            if i > 0 {
                sql.push_str(", ");
            }
            let n = values.len();
            sql.push_str(&format!("($1, ${}, ${}, ${}, 'pending')", n + 1, n + 2, n + 3));
            values.extend([V::from(i as i64 + 1), V::from(s.code.as_str()), V::from(label.as_str())]);
        }
        tx.exec(&sql, values).await?;
    }
    audit(tx, now, actor, "order.registered", ("order", order_id), json!({"purchase_order": po_number})).await?;
    notify_client_at(
        tx,
        now,
        client_id,
        (&client.text("email")?, Language::parse(&client_language)?),
        Notification::OrderRegistered { order_id, purchase_order_number: po_number.to_string() },
    )
    .await?;
    Ok(order_id)
}

pub(crate) fn stage_from_row(r: &Row) -> Result<Stage> {
    Ok(Stage {
        id: r.i64("id")?,
        position: r.i64("position")?,
        code: r.text("code")?,
        label: r.text("label")?,
        status: StageStatus::parse(&r.text("status")?)?,
        planned_date: r.opt_date("planned_date")?,
        assignee: r.opt_text("assignee")?,
        notes: r.opt_text("notes")?,
        done_at: r.opt_ts("done_at")?,
    })
}

/// An order from its row (read with `invoice_in_force`, see [`load_order`]): its stages and
/// deliverables read.
async fn order_from_row(tx: &mut Tx, r: &Row) -> Result<Order> {
    let (stages, files) = stages_and_files(tx, r.i64("id")?).await?;
    order_from_parts(r, &stages, &files, r.opt_i64("invoice_in_force")?)
}

/// An order's stages and deliverables, as they are now (both may change under the order's lock,
/// so read after it): on PostgreSQL in one statement.
async fn stages_and_files(tx: &mut Tx, order_id: Id) -> Result<(Vec<Row>, Vec<Row>)> {
    if tx.round_trips() {
        let both = tx
            .one(
                "SELECT COALESCE((SELECT json_agg(c ORDER BY c.position) FROM stages c WHERE c.order_id = $1), '[]')::text AS stages, \
                 COALESCE((SELECT json_agg(c ORDER BY c.id) FROM deliverables c WHERE c.order_id = $1), '[]')::text AS files",
                args![order_id],
            )
            .await?;
        return Ok((Row::from_json_rows(&both.text("stages")?)?, Row::from_json_rows(&both.text("files")?)?));
    }
    let stages = tx.all("SELECT * FROM stages WHERE order_id = $1 ORDER BY position", args![order_id]).await?;
    let files = tx.all("SELECT * FROM deliverables WHERE order_id = $1 ORDER BY id", args![order_id]).await?;
    Ok((stages, files))
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
        deliverables: files
            .iter()
            .map(|f| {
                Ok(Deliverable {
                    id: f.i64("id")?,
                    filename: f.text("filename")?,
                    content_type: f.text("content_type")?,
                    size_bytes: f.i64("size_bytes")?,
                    sha256: f.text("sha256")?,
                    storage_key: f.text("storage_key")?,
                    created_at: f.ts("created_at")?,
                })
            })
            .collect::<Result<_>>()?,
        invoice_id,
    })
}

pub(crate) const ORDER_SELECT: &str =
    "SELECT o.*, p.number AS po_number FROM orders o JOIN purchase_orders p ON p.id = o.purchase_order_id";

/// An order's row with its purchase order's number and the invoice in force (at most one: a
/// unique index).
const ORDER_ROW_SELECT: &str = "SELECT o.*, p.number AS po_number, (SELECT i.id FROM invoices i \
     WHERE i.order_id = o.id AND i.status <> 'cancelled') AS invoice_in_force FROM orders o \
     JOIN purchase_orders p ON p.id = o.purchase_order_id";

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

/// Locks an order's row, read as [`load_order`] reads it, and gives its status.
///
/// `po_lines`: with its purchase order's lines (which never change: see `children_column`)
/// and its client, for an invoice to be issued from it.
pub(crate) async fn lock_order_row(tx: &mut Tx, id: Id, po_lines: bool) -> Result<(OrderStatus, Row)> {
    let lock = if tx.for_update().is_empty() { "" } else { " FOR UPDATE OF o" };
    let lines = match po_lines {
        true => {
            format!("{}{}", lines_column(tx, "purchase_order", "o.purchase_order_id"), client_column(tx, "o.client_id"))
        }
        false => String::new(),
    };
    let select = ORDER_ROW_SELECT.replacen(" FROM orders o", &format!("{lines} FROM orders o"), 1);
    let row = tx.opt(&format!("{select} WHERE o.id = $1{lock}"), args![id]).await?.ok_or_else(|| not_found("order"))?;
    Ok((OrderStatus::parse(&row.text("status")?)?, row))
}

/// Locks an order row and returns its status.
pub(crate) async fn lock_order(tx: &mut Tx, id: Id) -> Result<(OrderStatus, Row)> {
    let row = tx
        .opt(&format!("SELECT * FROM orders WHERE id = $1{}", tx.for_update()), args![id])
        .await?
        .ok_or_else(|| not_found("order"))?;
    Ok((OrderStatus::parse(&row.text("status")?)?, row))
}

impl SqlStore {
    pub(crate) async fn validate_purchase_order_tx(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let po = load_purchase_order(&mut tx, Scope::Staff, id, true).await?;
        check_purchase_order_pending(po.status)?;
        let validated = tx
            .one(
                "UPDATE purchase_orders SET status = 'validated', validated_at = $2 WHERE id = $1 RETURNING validated_at",
                args![id, now],
            )
            .await?;
        audit(&mut tx, now, actor, "purchase_order.validated", ("purchase_order", id), json!({"number": po.number}))
            .await?;
        let order_id = create_order(&mut tx, now, actor, &company, id, &po.number, po.client_id).await?;
        self.commit(tx).await?;
        // What it now is, from what this use case holds and wrote (no reading back).
        Ok(PurchaseOrder {
            status: PurchaseOrderStatus::Validated,
            validated_at: validated.opt_ts("validated_at")?,
            order_id: Some(order_id),
            order_status: Some(OrderStatus::Registered),
            ..po
        })
    }

    pub(crate) async fn cancel_purchase_order_tx(&self, actor: &Actor, id: Id, reason: &str) -> Result<PurchaseOrder> {
        let reason = check_text("reason", reason, 2000)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let po = load_purchase_order(&mut tx, Scope::Staff, id, true).await?;
        check_purchase_order_pending(po.status)?;
        tx.exec(
            "UPDATE purchase_orders SET status = 'cancelled', cancel_reason = $2 WHERE id = $1",
            args![id, &reason],
        )
        .await?;
        audit(
            &mut tx,
            now,
            actor,
            "purchase_order.cancelled",
            ("purchase_order", id),
            json!({"number": po.number, "reason": reason}),
        )
        .await?;
        notify_client(
            &mut tx,
            now,
            po.client_id,
            Notification::PurchaseOrderCancelled {
                purchase_order_id: id,
                number: po.number.clone(),
                reason: reason.clone(),
            },
        )
        .await?;
        let po = reload_purchase_order(&mut tx, id, po.lines).await?;
        self.commit(tx).await?;
        Ok(po)
    }

    async fn stage_change(&self, actor: &Actor, order_id: Id, stage_id: Id, change: StageChange) -> Result<Order> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let (status, order) = lock_order(&mut tx, order_id).await?;
        check_order_open(status)?;
        let stage = tx
            .opt("SELECT * FROM stages WHERE id = $1 AND order_id = $2", args![stage_id, order_id])
            .await?
            .ok_or_else(|| not_found("stage"))?;
        let stage = stage_from_row(&stage)?;
        if stage.status == StageStatus::Done {
            return Err(DomainError::StageAlreadyDone);
        }
        let (action, kind) = match change {
            StageChange::Plan(plan) => {
                let assignee = check_opt_text("assignee", plan.assignee, 200)?;
                let notes = check_opt_text("notes", plan.notes, 5000)?;
                let new_status = if plan.planned_date.is_some() { "planned" } else { "pending" };
                tx.exec(
                    "UPDATE stages SET planned_date = $2, assignee = $3, notes = $4, status = $5 WHERE id = $1",
                    args![stage_id, plan.planned_date, assignee, notes, new_status],
                )
                .await?;
                ("stage.planned", Notification::StagePlanned as fn(StageNews) -> Notification)
            }
            StageChange::Done => {
                tx.exec("UPDATE stages SET status = 'done', done_at = $2 WHERE id = $1", args![stage_id, now]).await?;
                ("stage.done", Notification::StageDone as fn(StageNews) -> Notification)
            }
        };
        if status == OrderStatus::Registered {
            tx.exec("UPDATE orders SET status = 'in_progress' WHERE id = $1", args![order_id]).await?;
        }
        audit(&mut tx, now, actor, action, ("order", order_id), json!({"stage_id": stage_id, "stage": stage.code}))
            .await?;
        let updated = tx.one("SELECT planned_date FROM stages WHERE id = $1", args![stage_id]).await?;
        notify_client(
            &mut tx,
            now,
            order.i64("client_id")?,
            kind(StageNews {
                order_id,
                stage_id,
                stage: stage.label.clone(),
                stage_code: stage.code.clone(),
                planned_date: updated.opt_date("planned_date")?,
            }),
        )
        .await?;
        let order = load_order(&mut tx, Scope::Staff, order_id).await?;
        self.commit(tx).await?;
        Ok(order)
    }

    pub(crate) async fn plan_stage_tx(
        &self,
        actor: &Actor,
        order_id: Id,
        stage_id: Id,
        plan: StagePlan,
    ) -> Result<Order> {
        self.stage_change(actor, order_id, stage_id, StageChange::Plan(plan)).await
    }

    pub(crate) async fn complete_stage_tx(&self, actor: &Actor, order_id: Id, stage_id: Id) -> Result<Order> {
        self.stage_change(actor, order_id, stage_id, StageChange::Done).await
    }

    pub(crate) async fn add_deliverable_tx(&self, actor: &Actor, order_id: Id, f: NewDeliverable) -> Result<Order> {
        let filename = check_text("filename", &f.filename, 255)?;
        if filename.contains(['/', '\\', '\0']) {
            return Err(DomainError::validation("filename", "a file name, not a path"));
        }
        let content_type = check_text("content_type", &f.content_type, 100)?;
        if f.size_bytes < 0 {
            return Err(DomainError::validation("size_bytes", "must not be negative"));
        }
        if f.sha256.len() != 64 || !f.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DomainError::validation("sha256", "64 hexadecimal digits"));
        }
        let storage_key = check_text("storage_key", &f.storage_key, 500)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let (status, row) = lock_order_row(&mut tx, order_id, false).await?;
        check_order_open(status)?;
        let id = tx
            .insert(
                "INSERT INTO deliverables (order_id, filename, content_type, size_bytes, sha256, storage_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                args![order_id, &filename, &content_type, f.size_bytes, f.sha256.to_lowercase(), &storage_key, now],
            )
            .await?;
        audit(
            &mut tx,
            now,
            actor,
            "deliverable.added",
            ("order", order_id),
            json!({"deliverable_id": id, "filename": filename, "sha256": f.sha256}),
        )
        .await?;
        let order = order_from_row(&mut tx, &row).await?;
        self.commit(tx).await?;
        Ok(order)
    }

    pub(crate) async fn deliver_order_tx(&self, actor: &Actor, order_id: Id) -> Result<Delivered> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        // The order locked, with what its answer shows (its deliverables counted here).
        let (status, row) = lock_order_row(&mut tx, order_id, true).await?;
        // (Delivering changes no stage: read now with the files, as the answer shows them.)
        let (stages, files) = stages_and_files(&mut tx, order_id).await?;
        check_deliverable(status, files.len())?;
        let delivered = tx
            .one(
                "UPDATE orders SET status = 'delivered', delivered_at = $2 WHERE id = $1 RETURNING delivered_at",
                args![order_id, now],
            )
            .await?;
        audit(&mut tx, now, actor, "order.delivered", ("order", order_id), json!({"files": files.len()})).await?;
        let (invoice, client) = issue_invoice_for(
            &mut tx,
            now,
            self.today(),
            actor,
            &company,
            Invoiced { order: &row, delivered_at: delivered.opt_ts("delivered_at")? },
        )
        .await?;
        notify_client_at(
            &mut tx,
            now,
            client.id,
            (&client.email, client.language),
            Notification::OrderDelivered {
                order_id,
                invoice_id: invoice.id,
                invoice_number: invoice.number.clone(),
                total_incl_vat: invoice.totals.total_incl_vat,
                due_date: invoice.due_date,
            },
        )
        .await?;
        let mut order = order_from_parts(&row, &stages, &files, Some(invoice.id))?;
        order.status = OrderStatus::Delivered;
        order.delivered_at = delivered.opt_ts("delivered_at")?;
        self.commit(tx).await?;
        Ok(Delivered { order, invoice })
    }
}

fn contact_from_row(r: &Row) -> Result<ContactNote> {
    Ok(ContactNote {
        id: r.i64("id")?,
        author: r.text("author")?,
        note: r.text("note")?,
        created_at: r.ts("created_at")?,
    })
}

impl SqlStore {
    pub(crate) async fn log_contact_tx(&self, actor: &Actor, order_id: Id, note: &str) -> Result<ContactNote> {
        let note = check_text("note", note, 5000)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        lock_order(&mut tx, order_id).await?;
        let author = match actor.user_id {
            Some(uid) => tx.one("SELECT name FROM users WHERE id = $1", args![uid]).await?.text("name")?,
            None => actor.label.clone(),
        };
        let id = tx
            .insert(
                "INSERT INTO contact_log (order_id, author, note, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                args![order_id, &author, &note, now],
            )
            .await?;
        audit(&mut tx, now, actor, "order.contact_logged", ("order", order_id), json!({"contact_id": id})).await?;
        let row = tx.one("SELECT * FROM contact_log WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        contact_from_row(&row)
    }

    pub(crate) async fn contact_log_q(&self, order_id: Id) -> Result<Vec<ContactNote>> {
        let mut tx = self.db.read().await?;
        let rows = tx.all("SELECT * FROM contact_log WHERE order_id = $1 ORDER BY id", args![order_id]).await?;
        rows.iter().map(contact_from_row).collect()
    }
}

enum StageChange {
    Plan(StagePlan),
    Done,
}

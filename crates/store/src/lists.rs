//! Lists and the dashboard, over every record: a page at a time (keyset on the id, newest first),
//! with filters and the text search; the rows of a page and their children (lines, stages,
//! payments…) in one query per table, whatever the page size.

use std::collections::HashMap;

use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::money::Line;
use immovr_core::ports::*;
use immovr_core::{Context, Result};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::accounts::client_from_row;
use crate::billing::{INVOICE_SELECT, invoice_from_parts};
use crate::db::{Row, Tx, V};
use crate::orders::{ORDER_SELECT, order_from_parts, po_from_parts};
use crate::quotes::quote_from_row;
use crate::requests::{attachment_from_row, request_from_row};
use crate::search::{Filter, Kind};
use crate::support::{line_from_row, outbox_from_row};
use crate::{SqlStore, scope_client};

/// `($1, $2, …)` for an `IN` over these ids, numbered after `offset` arguments.
pub(crate) fn id_list(ids: &[Id], offset: usize) -> (String, Vec<V>) {
    let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", offset + i + 1)).collect();
    (format!("({})", placeholders.join(", ")), ids.iter().map(|id| V::from(*id)).collect())
}

/// Rows of `table` whose `key` is one of `ids`, grouped by it (`order` sorts within a group).
pub(crate) async fn children(
    tx: &mut Tx,
    table: &str,
    key: &str,
    ids: &[Id],
    order: &str,
) -> Result<HashMap<Id, Vec<Row>>> {
    let mut out: HashMap<Id, Vec<Row>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (list, args) = id_list(ids, 0);
    let rows = tx.all(&format!("SELECT * FROM {table} WHERE {key} IN {list} ORDER BY {key}, {order}"), args).await?;
    for r in rows {
        out.entry(r.i64(key)?).or_default().push(r);
    }
    Ok(out)
}

/// The lines of these documents of one kind.
pub(crate) async fn lines_of(tx: &mut Tx, kind: &str, ids: &[Id]) -> Result<HashMap<Id, Vec<Line>>> {
    let mut out: HashMap<Id, Vec<Line>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (list, mut values) = id_list(ids, 1);
    values.insert(0, kind.into());
    let rows = tx
        .all(
            &format!(
                "SELECT doc_id, position, code, description, quantity, unit, unit_price, discount, vat_rate, total_excl_vat \
                 FROM document_lines WHERE doc_kind = $1 AND doc_id IN {list} ORDER BY doc_id, position"
            ),
            values,
        )
        .await?;
    for r in rows {
        out.entry(r.i64("doc_id")?).or_default().push(line_from_row(&r)?);
    }
    Ok(out)
}

pub(crate) fn ids(rows: &[Row]) -> Result<Vec<Id>> {
    rows.iter().map(|r| r.i64("id")).collect()
}

/// Midnight in the studio's time zone at the start of `d`, as stored timestamps are compared.
fn start_of(d: Date) -> Result<Timestamp> {
    d.to_zoned(studio_timezone()).map(|z| z.timestamp()).context("a date in the studio's time zone")
}

/// The common filters: a client (a client's own scope wins), a period on `stamp` (a timestamp
/// column) or `date_col` (a date column), the keyset and the text search.
struct Common<'a> {
    /// The list's table (`id`, `stamp` and `date_col` are columns of it, under an alias).
    table: &'a str,
    id: &'a str,
    client: &'a str,
    stamp: Option<&'a str>,
    date_col: Option<&'a str>,
    kind: Kind,
    /// SQLite: see [`period_col`].
    sqlite: bool,
}

/// The column a period filter compares. A short period (a month, a year) reads the column's
/// index and sorts its few rows; a long or open one reads newest first in id order, as most
/// rows match — on SQLite, whose planner does not know how many rows a bound range holds,
/// `+col` keeps it off the index (sorting half a million audit events took 350 ms; scanning
/// ten years for one old month without the index, 80 ms). PostgreSQL's planner chooses alone.
fn period_col(col: &str, list: &ListQuery, sqlite: bool) -> String {
    if sqlite && !short_period(list) { format!("+{col}") } else { col.to_string() }
}

/// A period of at most about a year, both ends given.
fn short_period(list: &ListQuery) -> bool {
    match (list.from, list.to) {
        (Some(from), Some(to)) => from.until(to).is_ok_and(|span| span.get_days() <= 400),
        _ => false,
    }
}

fn common(f: &mut Filter, c: Common, scope: Scope, list: &ListQuery) -> Result<()> {
    if let Some(client) = scope_client(scope).or(list.client_id) {
        let p = f.arg(client);
        f.and(format!("{} = {p}", c.client));
    }
    if let Some(col) = c.stamp.map(|col| period_col(col, list, c.sqlite)) {
        if let Some(from) = list.from {
            let p = f.arg(start_of(from)?);
            f.and(format!("{col} >= {p}"));
        }
        if let Some(to) = list.to {
            let p = f.arg(start_of(add_days(to, 1))?);
            f.and(format!("{col} < {p}"));
            up_to(f, c.table, c.id, c.stamp, "<", &p, list);
        }
    }
    if let Some(col) = c.date_col.map(|col| period_col(col, list, c.sqlite)) {
        if let Some(from) = list.from {
            let p = f.arg(from);
            f.and(format!("{col} >= {p}"));
        }
        if let Some(to) = list.to {
            let p = f.arg(to);
            f.and(format!("{col} <= {p}"));
            up_to(f, c.table, c.id, c.date_col, "<=", &p, list);
        }
    }
    if let Some(after) = list.after {
        let p = f.arg(after);
        f.and(format!("{} < {p}", c.id));
    }
    f.words(c.kind, c.id, c.client, &list.words());
    Ok(())
}

/// A list up to a date (no start, or a long period): also below the last id of the rows up to
/// that date, read from the column's index (`MAX(id + 0)`: not the primary key walked backwards,
/// which the planners would choose). Newest first, both databases otherwise walked the primary key
/// back from today, expecting the matching rows spread over the years when they are the oldest
/// ones: quotes up to 2018 of ten years, 243 ms on PostgreSQL, 1.5 ms with this bound.
fn up_to(f: &mut Filter, table: &str, id: &str, col: Option<&str>, op: &str, p: &str, list: &ListQuery) {
    let (Some(col), false) = (col, short_period(list)) else { return };
    let bare = |c: &str| c.rsplit('.').next().unwrap_or(c).to_string();
    f.and(format!("{id} <= (SELECT MAX(b.{} + 0) FROM {table} b WHERE b.{} {op} {p})", bare(id), bare(col)));
}

/// ` ORDER BY id DESC LIMIT n+1`: one more row than the page says whether another follows.
/// For a short period, `id + 0`: the same order, but not read from the primary key — PostgreSQL
/// otherwise walked it back from today to an old year's invoices, expecting them spread over
/// the years (22 ms), where the period's index and a sort of its rows take a few.
fn newest_first(f: &mut Filter, id: &str, list: &ListQuery) -> String {
    let p = f.arg(list.page_size() + 1);
    let key = if short_period(list) { format!("{id} + 0") } else { id.to_string() };
    format!(" ORDER BY {key} DESC LIMIT {p}")
}

/// One page of `select`: the filters, the order and the limit run on the list's own table
/// (`from`), whose indexes cover them, so only the ids are sorted; the joins and the columns
/// are read for that page's rows only (sorting a few thousand whole joined rows cost 20 ms).
fn paged(select: &str, from: &str, id: &str, f: &Filter, order: &str) -> String {
    format!("{select} WHERE {id} IN (SELECT {id} FROM {from}{}{order}) ORDER BY {id} DESC", f.sql())
}

const QUOTE_STATUSES: &[&str] = &["draft", "sent", "expired", "accepted", "refused", "superseded"];
const REQUEST_STATUSES: &[&str] = &["new", "quoted", "closed"];
const PO_STATUSES: &[&str] = &["pending", "validated", "cancelled"];
const ORDER_STATUSES: &[&str] = &["registered", "in_progress", "delivered", "cancelled", "open", "with_files"];
const INVOICE_STATUSES: &[&str] = &["issued", "partially_paid", "paid", "cancelled", "overdue", "unpaid"];
const OUTBOX_STATUSES: &[&str] = &["pending", "sent", "failed"];

impl SqlStore {
    pub(crate) async fn quotes_from_rows(&self, tx: &mut Tx, rows: &[Row]) -> Result<Vec<Quote>> {
        let mut lines = lines_of(tx, "quote", &ids(rows)?).await?;
        let today = self.today();
        rows.iter().map(|r| quote_from_row(r, lines.remove(&r.i64("id")?).unwrap_or_default(), today)).collect()
    }

    pub(crate) async fn quotes_page(&self, scope: Scope, list: &ListQuery) -> Result<Page<Quote>> {
        list.check(QUOTE_STATUSES)?;
        let mut f = Filter::new();
        if scope_client(scope).is_some() {
            // Drafts are the studio's work in progress.
            f.and("q.status <> 'draft'");
        }
        match list.status.as_deref() {
            Some("sent") => {
                let p = f.arg(self.today());
                f.and(format!("q.status = 'sent' AND q.valid_until >= {p}"));
            }
            Some("expired") => {
                let p = f.arg(self.today());
                f.and(format!("q.status = 'sent' AND q.valid_until < {p}"));
            }
            Some(s) => {
                let p = f.arg(s);
                f.and(format!("q.status = {p}"));
            }
            None => {}
        }
        let c = Common {
            table: "quotes",
            id: "q.id",
            client: "q.client_id",
            stamp: Some("q.created_at"),
            date_col: None,
            kind: Kind::Quote,
            sqlite: !self.db.is_shared(),
        };
        common(&mut f, c, scope, list)?;
        let order = newest_first(&mut f, "q.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&paged("SELECT q.* FROM quotes q", "quotes q", "q.id", &f, &order), f.args).await?;
        let quotes = self.quotes_from_rows(&mut tx, &rows).await?;
        Ok(Page::from_rows(quotes, list.page_size(), |q| q.id))
    }

    pub(crate) async fn requests_page(&self, scope: Scope, list: &ListQuery) -> Result<Page<QuoteRequest>> {
        list.check(REQUEST_STATUSES)?;
        let mut f = Filter::new();
        if let Some(s) = &list.status {
            let p = f.arg(s.as_str());
            f.and(format!("r.status = {p}"));
        }
        let c = Common {
            table: "quote_requests",
            id: "r.id",
            client: "r.client_id",
            stamp: Some("r.created_at"),
            date_col: None,
            kind: Kind::Request,
            sqlite: !self.db.is_shared(),
        };
        common(&mut f, c, scope, list)?;
        let order = newest_first(&mut f, "r.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx
            .all_planned(&paged("SELECT r.* FROM quote_requests r", "quote_requests r", "r.id", &f, &order), f.args)
            .await?;
        let mut files = children(&mut tx, "attachments", "request_id", &ids(&rows)?, "id").await?;
        let requests = rows
            .iter()
            .map(|r| {
                let mut request = request_from_row(r)?;
                let mine = files.remove(&request.id).unwrap_or_default();
                request.attachments = mine.iter().map(attachment_from_row).collect::<Result<_>>()?;
                Ok(request)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(requests, list.page_size(), |r| r.id))
    }

    pub(crate) async fn pos_from_rows(&self, tx: &mut Tx, rows: &[Row]) -> Result<Vec<PurchaseOrder>> {
        let mut lines = lines_of(tx, "purchase_order", &ids(rows)?).await?;
        rows.iter().map(|r| po_from_parts(r, lines.remove(&r.i64("id")?).unwrap_or_default())).collect()
    }

    pub(crate) async fn purchase_orders_page(&self, scope: Scope, list: &ListQuery) -> Result<Page<PurchaseOrder>> {
        list.check(PO_STATUSES)?;
        let mut f = Filter::new();
        if let Some(s) = &list.status {
            let p = f.arg(s.as_str());
            f.and(format!("p.status = {p}"));
        }
        let c = Common {
            table: "purchase_orders",
            id: "p.id",
            client: "p.client_id",
            stamp: Some("p.created_at"),
            date_col: None,
            kind: Kind::PurchaseOrder,
            sqlite: !self.db.is_shared(),
        };
        common(&mut f, c, scope, list)?;
        let order = newest_first(&mut f, "p.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx
            .all(
                &paged(
                    "SELECT p.*, o.id AS order_id, o.status AS order_status FROM purchase_orders p \
                     LEFT JOIN orders o ON o.purchase_order_id = p.id",
                    "purchase_orders p",
                    "p.id",
                    &f,
                    &order,
                ),
                f.args,
            )
            .await?;
        let pos = self.pos_from_rows(&mut tx, &rows).await?;
        Ok(Page::from_rows(pos, list.page_size(), |p| p.id))
    }

    pub(crate) async fn orders_from_rows(&self, tx: &mut Tx, rows: &[Row]) -> Result<Vec<Order>> {
        let ids = ids(rows)?;
        let mut stages = children(tx, "stages", "order_id", &ids, "position").await?;
        let mut files = children(tx, "deliverables", "order_id", &ids, "id").await?;
        let mut invoices: HashMap<Id, Id> = HashMap::new();
        if !ids.is_empty() {
            let (list, args) = id_list(&ids, 0);
            let sql = format!("SELECT id, order_id FROM invoices WHERE order_id IN {list} AND status <> 'cancelled'");
            for r in tx.all(&sql, args).await? {
                invoices.insert(r.i64("order_id")?, r.i64("id")?);
            }
        }
        rows.iter()
            .map(|r| {
                let id = r.i64("id")?;
                let (s, d) = (stages.remove(&id).unwrap_or_default(), files.remove(&id).unwrap_or_default());
                order_from_parts(r, &s, &d, invoices.get(&id).copied())
            })
            .collect()
    }

    pub(crate) async fn orders_page(&self, scope: Scope, list: &ListQuery) -> Result<Page<Order>> {
        list.check(ORDER_STATUSES)?;
        let mut f = Filter::new();
        match list.status.as_deref() {
            Some("open") => f.and("o.status IN ('registered', 'in_progress')"),
            Some("with_files") => f.and("EXISTS (SELECT 1 FROM deliverables d WHERE d.order_id = o.id)"),
            Some(s) => {
                let p = f.arg(s);
                f.and(format!("o.status = {p}"));
            }
            None => {}
        }
        let c = Common {
            table: "orders",
            id: "o.id",
            client: "o.client_id",
            stamp: Some("o.created_at"),
            date_col: None,
            kind: Kind::Order,
            sqlite: !self.db.is_shared(),
        };
        common(&mut f, c, scope, list)?;
        let order = newest_first(&mut f, "o.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&paged(ORDER_SELECT, "orders o", "o.id", &f, &order), f.args).await?;
        let orders = self.orders_from_rows(&mut tx, &rows).await?;
        Ok(Page::from_rows(orders, list.page_size(), |o| o.id))
    }

    pub(crate) async fn invoices_from_rows(&self, tx: &mut Tx, rows: &[Row]) -> Result<Vec<Invoice>> {
        let ids = ids(rows)?;
        let mut lines = lines_of(tx, "invoice", &ids).await?;
        let mut payments = children(tx, "payments", "invoice_id", &ids, "id").await?;
        let mut credits: HashMap<Id, Vec<Id>> = HashMap::new();
        if !ids.is_empty() {
            let (list, args) = id_list(&ids, 0);
            let sql = format!("SELECT id, invoice_id FROM credit_notes WHERE invoice_id IN {list} ORDER BY id");
            for r in tx.all(&sql, args).await? {
                credits.entry(r.i64("invoice_id")?).or_default().push(r.i64("id")?);
            }
        }
        rows.iter()
            .map(|r| {
                let id = r.i64("id")?;
                let p = payments.remove(&id).unwrap_or_default();
                invoice_from_parts(
                    r,
                    lines.remove(&id).unwrap_or_default(),
                    &p,
                    credits.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    pub(crate) async fn invoices_page(&self, scope: Scope, list: &ListQuery) -> Result<Page<Invoice>> {
        list.check(INVOICE_STATUSES)?;
        let mut f = Filter::new();
        match list.status.as_deref() {
            Some("overdue") => {
                let p = f.arg(self.today());
                f.and(format!("i.status IN ('issued', 'partially_paid') AND i.due_date < {p}"));
            }
            Some("unpaid") => f.and("i.status IN ('issued', 'partially_paid')"),
            Some(s) => {
                let p = f.arg(s);
                f.and(format!("i.status = {p}"));
            }
            None => {}
        }
        let c = Common {
            table: "invoices",
            id: "i.id",
            client: "i.client_id",
            stamp: None,
            date_col: Some("i.issue_date"),
            kind: Kind::Invoice,
            sqlite: !self.db.is_shared(),
        };
        common(&mut f, c, scope, list)?;
        let order = newest_first(&mut f, "i.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&paged(INVOICE_SELECT, "invoices i", "i.id", &f, &order), f.args).await?;
        let invoices = self.invoices_from_rows(&mut tx, &rows).await?;
        Ok(Page::from_rows(invoices, list.page_size(), |i| i.id))
    }

    pub(crate) async fn clients_page(&self, list: &ListQuery) -> Result<Page<Client>> {
        list.check(&[])?;
        let mut f = Filter::new();
        if let Some(after) = list.after {
            let p = f.arg(after);
            f.and(format!("c.id < {p}"));
        }
        f.words(Kind::Client, "c.id", "c.id", &list.words());
        let order = newest_first(&mut f, "c.id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&format!("SELECT c.* FROM clients c{}{order}", f.sql()), f.args).await?;
        let clients = rows.iter().map(client_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(clients, list.page_size(), |c| c.id))
    }

    pub(crate) async fn client_names_q(&self, ids: &[Id]) -> Result<Vec<(Id, String)>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (list, args) = id_list(&ids, 0);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all(&format!("SELECT * FROM clients WHERE id IN {list}"), args).await?;
        rows.iter().map(|r| client_from_row(r).map(|c| (c.id, c.display_name().to_string()))).collect()
    }

    pub(crate) async fn audit_page(&self, filter: &AuditFilter) -> Result<Page<AuditEvent>> {
        filter.list.check(&[])?;
        let mut f = Filter::new();
        if let Some(kind) = &filter.entity_kind {
            let p = f.arg(kind.as_str());
            f.and(format!("entity_kind = {p}"));
        }
        if let Some(id) = filter.entity_id {
            let p = f.arg(id);
            f.and(format!("entity_id = {p}"));
        }
        // In time order, `(at, id)`, as the index on `at` holds them (ids follow the order in
        // which transactions commit, not quite their time): every period, open or not, and every
        // cursor is then a range of that index, walked newest first until the page is full.
        // Below an id, newest first, an old year of ten years took PostgreSQL 16 ms to bound.
        if let Some(from) = filter.list.from {
            let p = f.arg(start_of(from)?);
            f.and(format!("at >= {p}"));
        }
        if let Some(to) = filter.list.to {
            let p = f.arg(start_of(add_days(to, 1))?);
            f.and(format!("at < {p}"));
        }
        if let Some(after) = filter.list.after {
            let p = f.arg(after);
            let at = format!("(SELECT c.at FROM audit_events c WHERE c.id = {p})");
            f.and(format!("at <= {at} AND (at < {at} OR id < {p})"));
        }
        let p = f.arg(filter.list.page_size() + 1);
        let order = format!(" ORDER BY at DESC, id DESC LIMIT {p}");
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&format!("SELECT * FROM audit_events{}{order}", f.sql()), f.args).await?;
        let events = rows
            .iter()
            .map(|r| {
                let detail = serde_json::from_str(&r.text("detail")?).context("an audit event's detail")?;
                let personal = r.opt_text("personal")?;
                let (actor, detail) = immovr_core::audit::merge(&r.text("actor")?, detail, personal.as_deref());
                Ok(AuditEvent {
                    id: r.i64("id")?,
                    at: r.ts("at")?,
                    actor,
                    action: r.text("action")?,
                    entity_kind: r.text("entity_kind")?,
                    entity_id: r.i64("entity_id")?,
                    detail,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(events, filter.list.page_size(), |e| e.id))
    }

    pub(crate) async fn outbox_page(&self, list: &ListQuery) -> Result<Page<OutboxMessage>> {
        list.check(OUTBOX_STATUSES)?;
        let mut f = Filter::new();
        if let Some(s) = &list.status {
            let p = f.arg(s.as_str());
            f.and(format!("status = {p}"));
        }
        if let Some(q) = list.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let p = f.arg(q.to_lowercase());
            f.and(format!("recipient = {p}"));
        }
        if let Some(after) = list.after {
            let p = f.arg(after);
            f.and(format!("id < {p}"));
        }
        let order = newest_first(&mut f, "id", list);
        let mut tx = self.db.read_long().await?;
        let rows = tx.all_planned(&format!("SELECT * FROM outbox{}{order}", f.sql()), f.args).await?;
        let messages = rows.iter().map(outbox_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(messages, list.page_size(), |m| m.id))
    }
}

//! The back office's dashboard: counts over every record, and the first few items of each
//! "to do" (the most urgent), read through the indexes of migration 0007.

use immovr_core::Context;
use immovr_core::Result;
use immovr_core::ports::*;
use tokio::sync::{Mutex, Semaphore};

use crate::SqlStore;
use crate::db::{Tx, args};
use crate::lists::{children, ids};
use crate::orders::ORDER_SELECT;
use crate::requests::{attachment_from_row, request_from_row};
use crate::support::outbox_from_row;

const REQUESTS: &str = "quote_requests WHERE status = 'new'";
/// Refused with changes requested, and no later version yet: as the latest version of its family
/// (PostgreSQL planned `NOT EXISTS` of a later one as an anti-join over every quote).
const CHANGES: &str = "quotes q WHERE q.status = 'refused' AND q.refusal_kind = 'changes_requested' \
                       AND q.version = (SELECT MAX(v.version) FROM quotes v WHERE v.family_id = q.family_id)";
const EXPIRING: &str = "quotes q WHERE q.status = 'sent' AND q.valid_until >= $1 AND q.valid_until <= $2";
const DUE: &str = "s.status <> 'done' AND s.planned_date IS NOT NULL AND s.planned_date <= $2 \
                   AND o.status IN ('registered', 'in_progress')";
const DELIVER_WHERE: &str = "o.status IN ('registered', 'in_progress') \
                             AND (SELECT COUNT(*) FROM stages s WHERE s.order_id = o.id AND s.status <> 'done') <= 1";
/// Counted and ranked on the (status, due_date) index alone; the few shown joined after.
const OVERDUE: &str = "invoices WHERE status IN ('issued', 'partially_paid') AND due_date < $1";

/// Where the dashboard's sections run: in `one` read transaction (SQLite), else each on a
/// pooled connection, `at_once` of them at a time.
struct Sections<'a> {
    one: Option<&'a Mutex<Tx>>,
    at_once: &'a Semaphore,
}

impl SqlStore {
    /// Counts over every record, and the first `preview` items of each (the most urgent).
    ///
    /// On SQLite one read transaction, statement after statement (no round trips). On
    /// PostgreSQL, where each statement is a round trip and a read is not a transaction anyway,
    /// the counts and the sections run three at a time, each on a pooled connection of its own:
    /// the page waits for about a third of their sum (nine of them), and leaves the rest of the
    /// pool to the writes.
    pub(crate) async fn dashboard_q(&self, preview: i64) -> Result<Dashboard> {
        let preview = preview.clamp(1, 50);
        let today = self.today();
        let week = add_days(today, 7);
        let one = match self.db.is_shared() {
            true => None,
            false => Some(Mutex::new(self.db.read_long().await?)),
        };
        let one = one.as_ref();
        // At most three of the pool's connections at once: several dashboards open together
        // must leave connections to the writes.
        let at_once = Semaphore::new(3);
        let one = Sections { one, at_once: &at_once };
        let one = &one;

        let (counts, requests, changes, expiring, to_validate, stages_due, to_deliver, overdue, failed) = tokio::try_join!(
            self.section(one, async |tx| {
                tx.one(
                    &format!(
                        "SELECT (SELECT COUNT(*) FROM {REQUESTS}) AS new_requests, \
                         (SELECT COUNT(*) FROM {CHANGES}) AS changes_requested, \
                         (SELECT COUNT(*) FROM {EXPIRING}) AS expiring, \
                         (SELECT COUNT(*) FROM purchase_orders WHERE status = 'pending') AS to_validate, \
                         (SELECT COUNT(*) FROM stages s JOIN orders o ON o.id = s.order_id WHERE {DUE}) AS stages_due, \
                         (SELECT COUNT(*) FROM orders o WHERE {DELIVER_WHERE}) AS to_deliver, \
                         (SELECT COUNT(*) FROM {OVERDUE}) AS overdue, \
                         (SELECT COUNT(*) FROM outbox WHERE status = 'failed') AS failed_emails"
                    ),
                    args![today, week],
                )
                .await
                .map_err(Into::into)
            }),
            self.section(one, async |tx| {
                let rows = tx.all(&format!("SELECT * FROM {REQUESTS} ORDER BY id LIMIT $1"), args![preview]).await?;
                let mut files = children(tx, "attachments", "request_id", &ids(&rows)?, "id").await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut request = request_from_row(r)?;
                    let mine = files.remove(&request.id).unwrap_or_default();
                    request.attachments = mine.iter().map(attachment_from_row).collect::<Result<_>>()?;
                    out.push(request);
                }
                Ok(out)
            }),
            self.section(one, async |tx| {
                let rows =
                    tx.all(&format!("SELECT q.* FROM {CHANGES} ORDER BY q.refused_at LIMIT $1"), args![preview]).await?;
                self.quotes_from_rows(tx, &rows).await
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all(
                        &format!("SELECT q.* FROM {EXPIRING} ORDER BY q.valid_until, q.id LIMIT $3"),
                        args![today, week, preview],
                    )
                    .await?;
                self.quotes_from_rows(tx, &rows).await
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all(
                        "SELECT p.*, o.id AS order_id, o.status AS order_status FROM purchase_orders p \
                         LEFT JOIN orders o ON o.purchase_order_id = p.id WHERE p.status = 'pending' ORDER BY p.id LIMIT $1",
                        args![preview],
                    )
                    .await?;
                self.pos_from_rows(tx, &rows).await
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all(
                        // Ranked on stages and orders alone, the few shown joined after: joining
                        // every due stage's purchase order before the sort took 9 ms of 10 years
                        // on PostgreSQL (1,000 due stages), 2 ms this way.
                        &format!(
                            "SELECT s.*, p.number AS po_number FROM \
                             (SELECT s.id FROM stages s JOIN orders o ON o.id = s.order_id WHERE {} \
                             ORDER BY s.planned_date, s.id LIMIT $2) AS first \
                             JOIN stages s ON s.id = first.id JOIN orders o ON o.id = s.order_id \
                             JOIN purchase_orders p ON p.id = o.purchase_order_id ORDER BY s.planned_date, s.id",
                            DUE.replace("$2", "$1")
                        ),
                        args![week, preview],
                    )
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StageDue {
                            order_id: r.i64("order_id")?,
                            purchase_order_number: r.text("po_number")?,
                            stage: crate::orders::stage_from_row(r)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all(
                        // Read as every order is (ORDER_SELECT: its purchase order's number and
                        // withdrawal right, the property, the contact person).
                        &format!("{ORDER_SELECT} WHERE {DELIVER_WHERE} ORDER BY o.id LIMIT $1"),
                        args![preview],
                    )
                    .await?;
                self.orders_from_rows(tx, &rows).await
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all(
                        &format!(
                            "SELECT i.*, p.number AS po_number FROM \
                             (SELECT id FROM {OVERDUE} ORDER BY due_date, id LIMIT $2) AS first \
                             JOIN invoices i ON i.id = first.id JOIN orders o ON o.id = i.order_id \
                             JOIN purchase_orders p ON p.id = o.purchase_order_id ORDER BY i.due_date, i.id"
                        ),
                        args![today, preview],
                    )
                    .await?;
                self.invoices_from_rows(tx, &rows).await
            }),
            self.section(one, async |tx| {
                let rows = tx
                    .all("SELECT * FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT $1", args![preview])
                    .await?;
                rows.iter().map(outbox_from_row).collect::<Result<Vec<_>>>()
            }),
        )?;
        let todo = |column: &str| counts.i64(column);
        Ok(Dashboard {
            new_requests: Todo { count: todo("new_requests")?, items: requests },
            changes_requested: Todo { count: todo("changes_requested")?, items: changes },
            expiring: Todo { count: todo("expiring")?, items: expiring },
            to_validate: Todo { count: todo("to_validate")?, items: to_validate },
            stages_due: Todo { count: todo("stages_due")?, items: stages_due },
            to_deliver: Todo { count: todo("to_deliver")?, items: to_deliver },
            overdue: Todo { count: todo("overdue")?, items: overdue },
            failed_emails: Todo { count: todo("failed_emails")?, items: failed },
        })
    }

    /// Runs one section of the dashboard: in `one` read transaction when given (SQLite, its
    /// sections one after the other), else on a pooled connection of its own.
    async fn section<T>(&self, s: &Sections<'_>, f: impl AsyncFnOnce(&mut Tx) -> Result<T>) -> Result<T> {
        match s.one {
            Some(tx) => f(&mut *tx.lock().await).await,
            None => {
                let _permit = s.at_once.acquire().await.context("the dashboard's connections")?;
                f(&mut self.db.read_long().await?).await
            }
        }
    }
}

//! Reading purchase orders and orders (`immovr_app::ports::OrderQueries`); lists page in
//! `lists.rs`.

use async_trait::async_trait;
use immovr_app::ports::OrderQueries;
use immovr_core::Result;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::ports::Scope;

use crate::db::args;
use crate::orders::{contact_from_row, load_order, load_purchase_order};
use crate::{SqlStore, not_found, scope_client};

#[async_trait]
impl OrderQueries for SqlStore {
    async fn purchase_orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<PurchaseOrder>> {
        self.purchase_orders_page(scope, list).await
    }

    async fn purchase_order(&self, scope: Scope, id: Id) -> Result<PurchaseOrder> {
        let mut tx = self.db.read().await?;
        load_purchase_order(&mut tx, scope, id, false).await
    }

    async fn purchase_order_for_quote(&self, scope: Scope, quote_id: Id) -> Result<Option<PurchaseOrder>> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT id FROM purchase_orders WHERE quote_id = $1 AND ($2 IS NULL OR client_id = $2)",
                args![quote_id, scope_client(scope)],
            )
            .await?;
        match row {
            Some(r) => Ok(Some(load_purchase_order(&mut tx, scope, r.i64("id")?, false).await?)),
            None => Ok(None),
        }
    }

    async fn orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<Order>> {
        self.orders_page(scope, list).await
    }

    async fn order(&self, scope: Scope, id: Id) -> Result<Order> {
        let mut tx = self.db.read().await?;
        load_order(&mut tx, scope, id).await
    }

    async fn order_status(&self, scope: Scope, id: Id) -> Result<OrderStatus> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT status FROM orders WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
                args![id, scope_client(scope)],
            )
            .await?
            .ok_or_else(|| not_found("order"))?;
        OrderStatus::parse(&row.text("status")?)
    }

    async fn deliverable(&self, scope: Scope, order_id: Id, deliverable_id: Id) -> Result<Deliverable> {
        let mut tx = self.db.read().await?;
        let order = load_order(&mut tx, scope, order_id).await?;
        order.deliverables.into_iter().find(|d| d.id == deliverable_id).ok_or_else(|| not_found("deliverable"))
    }

    async fn contact_log(&self, order_id: Id) -> Result<Vec<ContactNote>> {
        let mut tx = self.db.read().await?;
        let rows = tx.all("SELECT * FROM contact_log WHERE order_id = $1 ORDER BY id", args![order_id]).await?;
        rows.iter().map(contact_from_row).collect()
    }
}

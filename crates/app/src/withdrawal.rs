//! A private client's withdrawal (consumer code L221-18 and following): within its period, from
//! Mon Compte or the API, the purchase order and its order are cancelled in one transaction, what
//! it owes for the work done at its request is computed (L221-25), it gets an acknowledgement
//! (L221-21) and the studio is told.

use immovr_core::model::{Id, PurchaseOrder, StageStatus, pro_rata};
use immovr_core::notification::{Notification, Withdrawn};
use immovr_core::{Actor, DomainError, Result, Scope};
use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::idempotency::Outcome;
use crate::support::{audit, notify, notify_staff};

impl App {
    /// The client withdraws from a purchase order it may still withdraw from.
    #[tracing::instrument(skip_all, fields(purchase_order_id = id), err(level = "info"))]
    pub async fn withdraw(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder> {
        let Scope::Client(client_id) = actor.scope() else {
            return Err(DomainError::Forbidden { role: "client" });
        };
        let (now, today) = (self.now(), self.today());
        let mut tx = self.begin().await?;
        // Its order locked first, as a delivery locks it: a delivery that comes first is seen
        // (then too late to withdraw), one that comes later waits and finds it cancelled.
        let order = match self.db.purchase_order(Scope::Client(client_id), id).await?.order_id {
            Some(order) => Some(tx.lock_order(order).await?),
            None => None,
        };
        let po = tx.lock_purchase_order(Scope::Client(client_id), id).await?;
        let order_status = order.as_ref().map(|o| o.status).or(po.order_status);
        let withdrawal = po.withdrawable(order_status, today).ok_or(DomainError::WithdrawalClosed)?.clone();
        // The work done at its request (the stages done) is owed, in proportion to the price.
        let amount_due = match po.order_id {
            Some(order) if withdrawal.early_start => {
                let (stages, _) = tx.order_children(order).await?;
                let done = stages.iter().filter(|s| s.status == StageStatus::Done).count();
                pro_rata(po.totals.total_incl_vat, done, stages.len())
            }
            _ => Decimal::ZERO,
        };
        tx.mark_withdrawn(id, now, amount_due).await?;
        let detail = json!({"number": po.number, "order_id": po.order_id, "amount_due": amount_due});
        audit(tx.as_mut(), now, actor, "purchase_order.withdrawn", ("purchase_order", id), detail).await?;
        let news = Withdrawn {
            quote_id: po.quote_id,
            purchase_order_id: id,
            purchase_order_number: po.number.clone(),
            order_id: po.order_id,
            amount_due,
        };
        let client = tx.client_now(client_id).await?;
        notify(tx.as_mut(), now, &client, Notification::WithdrawalConfirmed(news.clone())).await?;
        let company = tx.company().await?;
        notify_staff(tx.as_mut(), now, &company, Notification::WithdrawalReceived(news)).await?;
        let po = tx.purchase_order_now(id, po.lines).await?;
        self.answer(tx, Outcome::Done, po).await
    }
}

//! Purchase orders (generated on acceptance), orders with their stages, contact log and final
//! files, and delivery (with its invoice, in one transaction).

use crate::idempotency::Outcome;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{
    CompanySettings, ContactNote, Deliverable, Id, Language, ON_SITE_STAGE, Order, OrderStatus, PurchaseOrder,
    PurchaseOrderStatus, Role, StageStatus,
};
use immovr_core::notification::{Notification, PlannedStages, StageNews};
use immovr_core::ports::{Delivered, NewDeliverable, StagePlan};
use immovr_core::rules::{check_deliverable, check_order_open, check_purchase_order_pending, number_series};
use immovr_core::{Actor, DomainError, Result, Scope};
use jiff::Timestamp;
use serde_json::json;

use crate::App;
use crate::ports::{Contact, FileAdded, StagePlanRow, ToDeliver, Tx};
use crate::support::{
    NumberTaken, audit, check_opt_paragraph, check_opt_text, check_paragraph, notify, notify_client, notify_gathered,
};

/// The staff member who validates is the client's contact person, until staff choose another.
fn contact_of(actor: &Actor) -> Option<Id> {
    actor.user_id.filter(|_| actor.client_id.is_none())
}

/// What happens to a stage.
enum StageChange {
    Plan(StagePlan),
    Done,
}

impl App {
    /// Registers the order of a validated purchase order, with the stage template's stages in
    /// its client's language; the client is told.
    pub(crate) async fn register_order(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        actor: &Actor,
        company: &CompanySettings,
        po: &PurchaseOrder,
    ) -> Result<Id> {
        let (order_id, contact) = tx.insert_order(po.id, po.client_id, &po.number, contact_of(actor), now).await?;
        self.order_registered(tx, now, actor, company, po, (order_id, contact)).await?;
        Ok(order_id)
    }

    /// [`App::register_order`] once its order is inserted: its stages, the audit, the client told.
    async fn order_registered(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
        actor: &Actor,
        company: &CompanySettings,
        po: &PurchaseOrder,
        (order_id, contact): (Id, Contact),
    ) -> Result<()> {
        let stages: Vec<(&str, &str)> = company
            .stage_template
            .iter()
            .map(|s| {
                let label = if contact.language == Language::En { &s.label_en } else { &s.label_fr };
                (s.code.as_str(), label.as_str())
            })
            .collect();
        if !stages.is_empty() {
            tx.insert_stages(order_id, &stages).await?;
        }
        audit(tx, now, actor, "order.registered", ("order", order_id), json!({"purchase_order": po.number})).await?;
        let registered = Notification::OrderRegistered { order_id, purchase_order_number: po.number.clone() };
        notify_client(tx, now, po.client_id, (&contact.email, contact.language), registered).await
    }

    /// Validates a purchase order (sales): the order is registered with its stages.
    #[tracing::instrument(skip_all, fields(purchase_order_id = id), err(level = "info"))]
    pub async fn validate_purchase_order(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        // Its order registered with the lock, in one round trip (refused: rolled back with it).
        let (po, registered) = tx.lock_purchase_order_registering(id, contact_of(actor), now).await?;
        check_purchase_order_pending(po.status)?;
        let (order_id, contact) =
            registered.ok_or_else(|| DomainError::internal("a pending purchase order without its order"))?;
        let validated_at = tx.mark_purchase_order_validated(id, now).await?;
        let detail = json!({"number": po.number});
        audit(tx.as_mut(), now, actor, "purchase_order.validated", ("purchase_order", id), detail).await?;
        self.order_registered(tx.as_mut(), now, actor, &company, &po, (order_id, contact)).await?;
        // What it now is, from what this use case holds and wrote (no reading back).
        let validated = PurchaseOrder {
            status: PurchaseOrderStatus::Validated,
            validated_at,
            order_id: Some(order_id),
            order_status: Some(OrderStatus::Registered),
            ..po
        };
        self.answer(tx, Outcome::Done, validated).await
    }

    /// Cancels a purchase order not validated yet, with a reason (sales); the client is told.
    #[tracing::instrument(skip_all, fields(purchase_order_id = id), err(level = "info"))]
    pub async fn cancel_purchase_order(&self, actor: &Actor, id: Id, reason: &str) -> Result<PurchaseOrder> {
        actor.require(Role::Sales)?;
        let reason = check_paragraph("reason", reason, 2000)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let po = tx.lock_purchase_order(Scope::Staff, id).await?;
        check_purchase_order_pending(po.status)?;
        tx.mark_purchase_order_cancelled(id, &reason).await?;
        let detail = json!({"number": po.number, "reason": reason});
        audit(tx.as_mut(), now, actor, "purchase_order.cancelled", ("purchase_order", id), detail).await?;
        let client = tx.client_now(po.client_id).await?;
        let cancelled = Notification::PurchaseOrderCancelled {
            purchase_order_id: id,
            number: po.number.clone(),
            reason,
            quote_id: Some(po.quote_id),
        };
        notify(tx.as_mut(), now, &client, cancelled).await?;
        let po = tx.purchase_order_now(id, po.lines).await?;
        self.answer(tx, Outcome::Done, po).await
    }

    async fn change_stage(&self, actor: &Actor, order_id: Id, stage_id: Id, change: StageChange) -> Result<Order> {
        actor.require(Role::Production)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let order = tx.lock_order(order_id).await?;
        check_order_open(order.status)?;
        // A private client's withdrawal period holds production, unless it asked otherwise.
        if let Some(w) = &order.withdrawal {
            let allowed = match &change {
                StageChange::Plan(plan) => plan.planned_date.is_none_or(|d| w.allows_work_on(d)),
                StageChange::Done => !w.holds_production(self.today()),
            };
            if !allowed {
                return Err(DomainError::WithdrawalPeriodRuns);
            }
        }
        let stage = tx.stage(order_id, stage_id).await?.ok_or_else(|| DomainError::not_found("stage"))?;
        if stage.status == StageStatus::Done {
            return Err(DomainError::StageAlreadyDone);
        }
        let mut news = StageNews {
            order_id,
            stage_id,
            stage: stage.label,
            stage_code: stage.code.clone(),
            planned_date: stage.planned_date,
            planned_time: stage.planned_time,
            place: stage.place,
        };
        let action = match change {
            StageChange::Plan(plan) => {
                let assignee = check_opt_text("assignee", plan.assignee, 200)?;
                let notes = check_opt_paragraph("notes", plan.notes, 5000)?;
                let mut place = check_opt_text("place", plan.place, 300)?;
                if plan.planned_date.is_none() && plan.planned_time.is_some() {
                    return Err(DomainError::validation("planned_time", "give the day as well"));
                }
                // The shoot happens at the property, unless staff say where.
                if place.is_none() && plan.planned_date.is_some() && stage.code == ON_SITE_STAGE {
                    place = order.property_address.clone();
                }
                let status = if plan.planned_date.is_some() { StageStatus::Planned } else { StageStatus::Pending };
                let row = StagePlanRow {
                    planned_date: plan.planned_date,
                    planned_time: plan.planned_time,
                    place: place.as_deref(),
                    assignee: assignee.as_deref(),
                    notes: notes.as_deref(),
                    status,
                };
                tx.plan_stage(stage_id, &row).await?;
                news.planned_date = plan.planned_date;
                news.planned_time = plan.planned_time;
                news.place = place;
                "stage.planned"
            }
            StageChange::Done => {
                tx.complete_stage(stage_id, now).await?;
                "stage.done"
            }
        };
        if order.status == OrderStatus::Registered {
            tx.set_order_status(order_id, OrderStatus::InProgress).await?;
        }
        let detail = json!({"stage_id": stage_id, "stage": stage.code});
        audit(tx.as_mut(), now, actor, action, ("order", order_id), detail).await?;
        let client = tx.client_now(order.client_id).await?;
        if action == "stage.planned" {
            // Stages planned one after the other: one email.
            let planned = Notification::StagePlanned(PlannedStages { order_id, stages: vec![news] });
            notify_gathered(tx.as_mut(), now, &client, &format!("stage_planned:{order_id}"), planned).await?;
        } else {
            notify(tx.as_mut(), now, &client, Notification::StageDone(news)).await?;
        }
        let order = tx.order_now(order_id).await?;
        self.answer(tx, Outcome::Done, order).await
    }

    /// Plans a stage of an open order: a date (or none: to plan), who, notes (production).
    #[tracing::instrument(skip_all, fields(order_id, stage_id), err(level = "info"))]
    pub async fn plan_stage(&self, actor: &Actor, order_id: Id, stage_id: Id, plan: StagePlan) -> Result<Order> {
        self.change_stage(actor, order_id, stage_id, StageChange::Plan(plan)).await
    }

    /// Marks a stage of an open order done (production).
    #[tracing::instrument(skip_all, fields(order_id, stage_id), err(level = "info"))]
    pub async fn complete_stage(&self, actor: &Actor, order_id: Id, stage_id: Id) -> Result<Order> {
        self.change_stage(actor, order_id, stage_id, StageChange::Done).await
    }

    /// Records a final file of an open order that this process just stored (the last step of
    /// `upload_deliverable`: a file is only ever referenced by the key immovr stored it under).
    pub(crate) async fn record_deliverable(&self, actor: &Actor, order_id: Id, file: NewDeliverable) -> Result<Order> {
        actor.require(Role::Production)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let FileAdded { order, id, stages, files } = tx.lock_order_adding_file(order_id, &file, now).await?;
        // (Refused: the file's record goes with the rollback.)
        check_order_open(order.status)?;
        let detail = json!({"deliverable_id": id, "filename": file.filename, "sha256": file.sha256});
        audit(tx.as_mut(), now, actor, "deliverable.added", ("order", order_id), detail).await?;
        self.answer(tx, Outcome::Created, order.with(stages, files)).await
    }

    /// Delivers an order whose final files are uploaded (production): in the same transaction
    /// its invoice is issued; the client is told, with the invoice attached.
    #[tracing::instrument(skip_all, fields(order_id), err(level = "info"))]
    pub async fn deliver_order(&self, actor: &Actor, order_id: Id) -> Result<Delivered> {
        actor.require(Role::Production)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        // The order locked, with its purchase order's lines and its client for the invoice, and
        // its invoice's number taken with the lock (one round trip).
        let today = self.today();
        let series = number_series(&company.invoice_prefix, today.year());
        let ToDeliver { order: mut to_invoice, mut stages, files, invoice_number } =
            tx.lock_order_to_deliver(order_id, &series).await?;
        check_deliverable(to_invoice.head.status, files.len())?;
        if to_invoice.head.withdrawal.as_ref().is_some_and(|w| w.holds_production(today)) {
            return Err(DomainError::WithdrawalPeriodRuns);
        }
        let number = NumberTaken::new(&company.invoice_prefix, today, invoice_number);
        let delivered_at = tx.mark_delivered(order_id, now).await?;
        // Delivery ends the work: the stages left are done with it, so the client's timeline
        // does not read "to plan" after the files came.
        let left = stages.iter().filter(|s| s.status != StageStatus::Done).count();
        if left > 0 {
            tx.complete_stages(order_id, now).await?;
            for s in stages.iter_mut().filter(|s| s.status != StageStatus::Done) {
                s.status = StageStatus::Done;
                s.done_at = Some(now);
            }
        }
        let detail = json!({"files": files.len(), "stages_completed": left});
        audit(tx.as_mut(), now, actor, "order.delivered", ("order", order_id), detail).await?;
        let client = to_invoice.client.clone();
        let head = to_invoice.head.clone();
        to_invoice.head.delivered_at = delivered_at;
        let invoice = self.invoice_order(tx.as_mut(), now, actor, &company, to_invoice, number).await?;
        let delivered = Notification::OrderDelivered {
            order_id,
            invoice_id: invoice.id,
            invoice_number: invoice.number.clone(),
            total_incl_vat: invoice.totals.total_incl_vat,
            due_date: invoice.due_date,
        };
        notify(tx.as_mut(), now, &client, delivered).await?;
        let mut order = head.with(stages, files);
        order.invoice_id = Some(invoice.id);
        order.status = OrderStatus::Delivered;
        order.delivered_at = delivered_at;
        self.answer(tx, Outcome::Done, Delivered { order, invoice }).await
    }

    /// Chooses the client's contact person at the studio for an order (sales): a staff member,
    /// whom the client sees on the order's page.
    #[tracing::instrument(skip_all, fields(order_id), err(level = "info"))]
    pub async fn set_order_contact(&self, actor: &Actor, order_id: Id, user_id: Id) -> Result<Order> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.lock_order(order_id).await?;
        let staff = tx.user_now(user_id).await?.filter(|u| u.is_staff());
        let Some(staff) = staff else {
            return Err(DomainError::validation("user_id", "a member of the studio's team"));
        };
        tx.set_order_contact(order_id, staff.id).await?;
        let detail = json!({"user_id": staff.id});
        audit(tx.as_mut(), now, actor, "order.contact_changed", ("order", order_id), detail).await?;
        let order = tx.order_now(order_id).await?;
        self.answer(tx, Outcome::Done, order).await
    }

    /// The studio's team as a client would see them (any staff member may choose a contact).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn studio_team(&self, actor: &Actor) -> Result<Vec<immovr_core::model::StaffContact>> {
        if actor.client_id.is_some() || actor.roles.is_empty() {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        let users = self.db.staff_users().await?;
        Ok(users
            .into_iter()
            .map(|u| immovr_core::model::StaffContact { user_id: u.id, name: u.name, email: u.email })
            .collect())
    }

    /// Notes a contact with the client on an order (production).
    #[tracing::instrument(skip_all, fields(order_id), err(level = "info"))]
    pub async fn log_contact(&self, actor: &Actor, order_id: Id, note: &str) -> Result<ContactNote> {
        actor.require(Role::Production)?;
        let note = check_paragraph("note", note, 5000)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.lock_order(order_id).await?;
        let author = match actor.user_id {
            Some(uid) => tx.user_now(uid).await?.map(|u| u.name).unwrap_or_else(|| actor.label.clone()),
            None => actor.label.clone(),
        };
        let contact = tx.insert_contact(order_id, &author, &note, now).await?;
        audit(tx.as_mut(), now, actor, "order.contact_logged", ("order", order_id), json!({"contact_id": contact.id}))
            .await?;
        self.answer(tx, Outcome::Created, contact).await
    }

    /// Purchase orders, newest first: a client's own, or all for staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purchase_orders(&self, actor: &Actor, list: &ListQuery) -> Result<Page<PurchaseOrder>> {
        self.db.purchase_orders(actor.scope(), list).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purchase_order(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder> {
        self.db.purchase_order(actor.scope(), id).await
    }

    /// The purchase order generated when this quote version was accepted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn purchase_order_for_quote(&self, actor: &Actor, quote_id: Id) -> Result<Option<PurchaseOrder>> {
        self.db.purchase_order_for_quote(actor.scope(), quote_id).await
    }

    /// Orders, newest first: a client's own, or all for staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn orders(&self, actor: &Actor, list: &ListQuery) -> Result<Page<Order>> {
        self.db.orders(actor.scope(), list).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn order(&self, actor: &Actor, id: Id) -> Result<Order> {
        self.db.order(actor.scope(), id).await
    }

    /// An order's final file, if the actor may see the order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn deliverable(&self, actor: &Actor, order_id: Id, id: Id) -> Result<Deliverable> {
        self.db.deliverable(actor.scope(), order_id, id).await
    }

    /// An order's contact log (staff).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn contact_log(&self, actor: &Actor, order_id: Id) -> Result<Vec<ContactNote>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.contact_log(order_id).await
    }
}

//! Purchase orders, orders, stages, deliverables, delivery, and each order's message thread.

use axum::extract::State;
use axum::http::StatusCode;
use immovr_core::model::{Id, Invoice, Message, Order, PurchaseOrder, ThreadKind};
use immovr_core::ports::{Delivered, NewDeliverable, NewMessage, StagePlan};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::{Accounting, Caller, Json, Path, Production, Sales, Staff};
use crate::problem::{ApiResult, Problem};

type J<T> = axum::Json<T>;

#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "orders", responses((status = 200, body = Vec<PurchaseOrder>)))]
pub async fn purchase_orders(State(state): State<AppState>, caller: Caller) -> ApiResult<J<Vec<PurchaseOrder>>> {
    Ok(axum::Json(state.store.purchase_orders(caller.actor.scope()).await?))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 404, body = Problem)))]
pub async fn purchase_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.store.purchase_order(caller.actor.scope(), id).await?))
}

/// Validate a purchase order: the order is registered, with the template's stages (sales).
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/validate", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 409, body = Problem)))]
pub async fn validate(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.store.validate_purchase_order(&caller.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub reason: String,
}

/// Cancel a pending purchase order, with a reason (sales).
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)), request_body = Cancel,
    responses((status = 200, body = PurchaseOrder), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Json(body): Json<Cancel>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.store.cancel_purchase_order(&caller.actor, id, &body.reason).await?))
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", responses((status = 200, body = Vec<Order>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<J<Vec<Order>>> {
    Ok(axum::Json(state.store.orders(caller.actor.scope()).await?))
}

/// An order with its stages (timeline), deliverables and invoice.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.store.order(caller.actor.scope(), id).await?))
}

/// Plan a stage: date, assignee, notes (production).
#[utoipa::path(put, path = "/api/v1/orders/{id}/stages/{stage_id}", tag = "orders", params(("id" = i64, Path), ("stage_id" = i64, Path)),
    request_body = StagePlan, responses((status = 200, body = Order), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn plan_stage(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path((id, stage_id)): Path<(Id, Id)>,
    Json(body): Json<StagePlan>,
) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.store.plan_stage(&caller.actor, id, stage_id, body).await?))
}

/// Mark a stage done (production).
#[utoipa::path(post, path = "/api/v1/orders/{id}/stages/{stage_id}/done", tag = "orders", params(("id" = i64, Path), ("stage_id" = i64, Path)),
    responses((status = 200, body = Order), (status = 409, body = Problem)))]
pub async fn complete_stage(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path((id, stage_id)): Path<(Id, Id)>,
) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.store.complete_stage(&caller.actor, id, stage_id).await?))
}

/// Record a final file's metadata (production). Uploading the bytes comes with the back office.
#[utoipa::path(post, path = "/api/v1/orders/{id}/deliverables", tag = "orders", params(("id" = i64, Path)), request_body = NewDeliverable,
    responses((status = 201, body = Order), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_deliverable(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path(id): Path<Id>,
    Json(body): Json<NewDeliverable>,
) -> ApiResult<(StatusCode, J<Order>)> {
    Ok((StatusCode::CREATED, axum::Json(state.store.add_deliverable(&caller.actor, id, body).await?)))
}

/// Mark the order delivered; its invoice is issued in the same transaction (production).
#[utoipa::path(post, path = "/api/v1/orders/{id}/deliver", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Delivered), (status = 409, body = Problem)))]
pub async fn deliver(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path(id): Path<Id>,
) -> ApiResult<J<Delivered>> {
    Ok(axum::Json(state.store.deliver_order(&caller.actor, id).await?))
}

/// Issue a new invoice for a delivered order whose invoice was cancelled by a credit note (accounting).
#[utoipa::path(post, path = "/api/v1/orders/{id}/invoice", tag = "orders", params(("id" = i64, Path)),
    responses((status = 201, body = Invoice), (status = 409, body = Problem)))]
pub async fn invoice(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Accounting>,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, J<Invoice>)> {
    Ok((StatusCode::CREATED, axum::Json(state.store.issue_invoice(&caller.actor, id).await?)))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/messages", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Message>), (status = 404, body = Problem)))]
pub async fn messages(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Vec<Message>>> {
    Ok(axum::Json(state.store.messages(caller.actor.scope(), ThreadKind::Order, id).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/messages", tag = "orders", params(("id" = i64, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 404, body = Problem)))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<NewMessage>,
) -> ApiResult<(StatusCode, J<Message>)> {
    Ok((StatusCode::CREATED, axum::Json(state.store.post_message(&caller.actor, ThreadKind::Order, id, body).await?)))
}

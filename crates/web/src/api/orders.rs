//! Purchase orders, orders, stages, deliverables, delivery, and each order's message thread.

use axum::extract::State;
use axum::http::StatusCode;
use immovr_core::model::{Id, Invoice, Message, Order, PurchaseOrder, ThreadKind};
use immovr_core::ports::{Delivered, NewMessage, StagePlan};
use serde::Deserialize;
use utoipa::ToSchema;

use immovr_core::listing::Page;

use crate::AppState;
use crate::extract::{Accounting, Caller, ClientCaller, Json, ListParams, Path, Production, Query, Sales, Staff};
use crate::problem::{ApiResult, Problem};

type J<T> = axum::Json<T>;

/// Purchase orders, newest first. Status: `pending`, `validated`, `cancelled`; the period is
/// the creation date; `q` searches the number, quote number and client.
#[utoipa::path(get, path = "/api/v1/purchase-orders", tag = "orders", params(ListParams),
    responses((status = 200, body = Page<PurchaseOrder>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn purchase_orders(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<PurchaseOrder>>> {
    Ok(axum::Json(state.app.purchase_orders(&caller.actor, &list.query()?).await?))
}

#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 404, body = Problem)))]
pub async fn purchase_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.app.purchase_order(&caller.actor, id).await?))
}

/// Validate a purchase order: the order is registered, with the template's stages (sales).
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/validate", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 409, body = Problem)))]
pub async fn validate(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.app.validate_purchase_order(&caller.actor, id).await?))
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
    Ok(axum::Json(state.app.cancel_purchase_order(&caller.actor, id, &body.reason).await?))
}

/// Withdraw from a purchase order (a private client, within the 14 days of its withdrawal
/// period, consumer code L221-18): it and its order are cancelled; `withdrawal.amount_due` is
/// what the work done at the client's request before it withdrew costs (`withdrawal_closed`
/// once the period has ended, the order was delivered, or for a business).
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/withdraw", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrder), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(id): Path<Id>,
) -> ApiResult<J<PurchaseOrder>> {
    Ok(axum::Json(state.app.withdraw(&caller.actor, id).await?))
}

/// Orders, newest first. Status: `registered`, `in_progress`, `delivered`, `cancelled`, `open`
/// (registered or in progress) or `with_files` (final files uploaded); the
/// period is the registration date; `q` searches the purchase order number and client.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(ListParams),
    responses((status = 200, body = Page<Order>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<Order>>> {
    Ok(axum::Json(state.app.orders(&caller.actor, &list.query()?).await?))
}

/// An order with its stages (timeline), deliverables and invoice.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.app.order(&caller.actor, id).await?))
}

/// Who the client's contact person at the studio is, for one order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderContact {
    /// A staff member's user id.
    pub user_id: Id,
}

/// Choose the client's contact person for an order (sales): a member of the studio's team,
/// shown to the client on the order. By default, the staff member who validated the
/// purchase order.
#[utoipa::path(put, path = "/api/v1/orders/{id}/contact", tag = "orders", params(("id" = i64, Path)),
    request_body = OrderContact, responses((status = 200, body = Order), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_contact(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Json(body): Json<OrderContact>,
) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.app.set_order_contact(&caller.actor, id, body.user_id).await?))
}

/// Plan a stage: date and time, place (the on-site shoot: the property's address unless given),
/// assignee, notes (production). Stages planned within a few minutes reach the client as one
/// email.
#[utoipa::path(put, path = "/api/v1/orders/{id}/stages/{stage_id}", tag = "orders", params(("id" = i64, Path), ("stage_id" = i64, Path)),
    request_body = StagePlan, responses((status = 200, body = Order), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn plan_stage(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path((id, stage_id)): Path<(Id, Id)>,
    Json(body): Json<StagePlan>,
) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.app.plan_stage(&caller.actor, id, stage_id, body).await?))
}

/// Mark a stage done (production).
#[utoipa::path(post, path = "/api/v1/orders/{id}/stages/{stage_id}/done", tag = "orders", params(("id" = i64, Path), ("stage_id" = i64, Path)),
    responses((status = 200, body = Order), (status = 409, body = Problem)))]
pub async fn complete_stage(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path((id, stage_id)): Path<(Id, Id)>,
) -> ApiResult<J<Order>> {
    Ok(axum::Json(state.app.complete_stage(&caller.actor, id, stage_id).await?))
}

/// Mark the order delivered; its invoice is issued in the same transaction (production).
#[utoipa::path(post, path = "/api/v1/orders/{id}/deliver", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Delivered), (status = 409, body = Problem)))]
pub async fn deliver(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path(id): Path<Id>,
) -> ApiResult<J<Delivered>> {
    Ok(axum::Json(state.app.deliver_order(&caller.actor, id).await?))
}

/// Issue a new invoice for a delivered order whose invoice was cancelled by a credit note (accounting).
#[utoipa::path(post, path = "/api/v1/orders/{id}/invoice", tag = "orders", params(("id" = i64, Path)),
    responses((status = 201, body = Invoice), (status = 409, body = Problem)))]
pub async fn invoice(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Accounting>,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, J<Invoice>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.issue_invoice(&caller.actor, id).await?)))
}

/// Download a delivered file (range requests supported, for large files).
#[utoipa::path(get, path = "/api/v1/orders/{id}/deliverables/{file_id}", tag = "orders",
    params(("id" = i64, Path), ("file_id" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "part of the file"), (status = 404, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(Id, Id)>,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::response::Response> {
    let d = state.app.deliverable(&caller.actor, id, file_id).await?;
    Ok(crate::download::serve_file(&state.app, &d.storage_key, &headers, &d.filename, &d.content_type).await)
}

/// Upload a final file as the raw request body (production): streamed to the file store, its
/// size and SHA-256 computed on the way, then recorded as a deliverable of the order. A failed
/// upload records nothing and can simply be sent again.
#[utoipa::path(put, path = "/api/v1/orders/{id}/files/{filename}", tag = "orders",
    params(("id" = i64, Path), ("filename" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Order), (status = 409, body = Problem), (status = 413, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Production>,
    Path((id, filename)): Path<(Id, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, J<Order>)> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty() && t.len() < 100)
        .unwrap_or("application/octet-stream");
    let body = crate::byte_stream(body.into_data_stream());
    let order =
        state.app.upload_deliverable(&caller.actor, id, &filename, content_type, body, state.max_upload_bytes).await?;
    Ok((StatusCode::CREATED, axum::Json(order)))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/messages", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Message>), (status = 404, body = Problem)))]
pub async fn messages(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Vec<Message>>> {
    let messages = state.app.read_thread(&caller.actor, ThreadKind::Order, id).await?;
    Ok(axum::Json(messages))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/messages", tag = "orders", params(("id" = i64, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 404, body = Problem)))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<NewMessage>,
) -> ApiResult<(StatusCode, J<Message>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.post_message(&caller.actor, ThreadKind::Order, id, body).await?)))
}

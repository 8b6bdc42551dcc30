//! Invoices, payments (bank transfer, cheque) and credit notes.

use axum::extract::State;
use axum::http::StatusCode;
use immovr_core::model::{CreditNote, Id, Invoice};
use immovr_core::ports::{NewCreditNote, NewPayment};

use immovr_core::listing::Page;

use crate::AppState;
use crate::extract::{Accounting, Caller, Json, ListParams, Path, Query, Staff};
use crate::problem::{ApiResult, Problem};

type J<T> = axum::Json<T>;

/// Invoices, newest first. Status: `issued`, `partially_paid`, `paid`, `cancelled`, `unpaid`
/// (issued or partially paid), or `overdue` (unpaid past the due date); the period is the issue date; `q` searches the number,
/// purchase order number and client.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", params(ListParams),
    responses((status = 200, body = Page<Invoice>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<Invoice>>> {
    Ok(axum::Json(state.app.invoices(&caller.actor, &list.query()?).await?))
}

/// An invoice with its lines, totals per VAT rate, payments and the amount still due.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Invoice>> {
    Ok(axum::Json(state.app.invoice(&caller.actor, id).await?))
}

/// Record a bank transfer or a cheque, in full or in part (accounting). Overpayment is refused.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payments", tag = "billing", params(("id" = i64, Path)), request_body = NewPayment,
    responses((status = 201, body = Invoice), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_payment(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Accounting>,
    Path(id): Path<Id>,
    Json(body): Json<NewPayment>,
) -> ApiResult<(StatusCode, J<Invoice>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.record_payment(&caller.actor, id, body).await?)))
}

/// Cancel an issued, unpaid invoice with a credit note (accounting). The invoice itself is kept.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/credit-notes", tag = "billing", params(("id" = i64, Path)), request_body = NewCreditNote,
    responses((status = 201, body = CreditNote), (status = 409, body = Problem)))]
pub async fn credit_note(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Accounting>,
    Path(id): Path<Id>,
    Json(body): Json<NewCreditNote>,
) -> ApiResult<(StatusCode, J<CreditNote>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.issue_credit_note(&caller.actor, id, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/credit-notes/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = CreditNote), (status = 404, body = Problem)))]
pub async fn get_credit_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<J<CreditNote>> {
    Ok(axum::Json(state.app.credit_note(&caller.actor, id).await?))
}

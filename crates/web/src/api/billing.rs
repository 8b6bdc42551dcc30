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

/// An invoice's transmission to the approved platform and its lifecycle statuses.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InvoiceLifecycle {
    /// Absent when the invoice is not transmitted (a private client, no platform configured).
    pub transmission: Option<immovr_app::ports::Transmission>,
    /// 200 Déposée, 213 Rejetée, 212 Encaissée, the buyer's 210 Refusée…, oldest first.
    pub statuses: Vec<immovr_app::ports::LifecycleStatus>,
}

/// An invoice's transmission to the approved platform (PA) and its lifecycle (staff).
#[utoipa::path(get, path = "/api/v1/invoices/{id}/lifecycle", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = InvoiceLifecycle), (status = 404, body = Problem)))]
pub async fn lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<J<InvoiceLifecycle>> {
    let invoice = state.app.invoice(&caller.actor, id).await?;
    let kind = immovr_core::model::DocumentKind::Invoice;
    let transmission = state.app.transmission(&caller.actor, kind, invoice.id).await?;
    let statuses = state.app.lifecycle(&caller.actor, kind, invoice.id).await?;
    Ok(axum::Json(InvoiceLifecycle { transmission, statuses }))
}

/// The flows the approved platform has not accepted (yet): queued, sent without
/// acknowledgement, rejected or failed, newest first (staff).
#[utoipa::path(get, path = "/api/v1/platform/transmissions", tag = "billing", params(ListParams),
    responses((status = 200, body = Page<immovr_app::ports::Transmission>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn unaccepted(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<immovr_app::ports::Transmission>>> {
    Ok(axum::Json(state.app.unaccepted_transmissions(&caller.actor, &list.query()?).await?))
}

/// The e-reporting reports made (sales to private persons, payments for services), newest
/// first (staff).
#[utoipa::path(get, path = "/api/v1/platform/ereports", tag = "billing", params(ListParams),
    responses((status = 200, body = Page<immovr_app::ports::EReportRow>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn ereports(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<immovr_app::ports::EReportRow>>> {
    Ok(axum::Json(state.app.ereports(&caller.actor, &list.query()?).await?))
}

//! Issued documents as PDF files: rendered once when issued, served byte-identical (ETag and
//! `Repr-Digest` carry the SHA-256 recorded at issue). The client sees its own; staff see all.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use immovr_core::model::{DocumentKind, Id};

use crate::AppState;
use crate::extract::{Caller, Path};
use crate::problem::{ApiResult, Problem};

async fn serve(
    state: &AppState,
    caller: &Caller,
    kind: DocumentKind,
    id: Id,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    Ok(crate::download::serve_document(&state.app, caller.actor.scope(), kind, id, headers).await?)
}

/// The quote as sent (devis), with its "bon pour accord" box.
#[utoipa::path(get, path = "/api/v1/quotes/{id}/pdf", tag = "documents", params(("id" = i64, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = Problem)))]
pub async fn quote(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&state, &caller, DocumentKind::Quote, id, &headers).await
}

/// The accepted copy of a quote, carrying the acceptance evidence (signer, time, SHA-256).
#[utoipa::path(get, path = "/api/v1/quotes/{id}/accepted-pdf", tag = "documents", params(("id" = i64, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = Problem)))]
pub async fn signed_quote(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&state, &caller, DocumentKind::SignedQuote, id, &headers).await
}

/// The purchase order (bon de commande), referring to the accepted quote and its version.
#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}/pdf", tag = "documents", params(("id" = i64, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = Problem)))]
pub async fn purchase_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&state, &caller, DocumentKind::PurchaseOrder, id, &headers).await
}

/// The invoice: Factur-X (PDF/A-3 with its EN 16931 XML), payment details and SEPA QR code.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "documents", params(("id" = i64, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = Problem)))]
pub async fn invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&state, &caller, DocumentKind::Invoice, id, &headers).await
}

/// The credit note (avoir), Factur-X, naming the invoice it cancels.
#[utoipa::path(get, path = "/api/v1/credit-notes/{id}/pdf", tag = "documents", params(("id" = i64, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"), (status = 404, body = Problem)))]
pub async fn credit_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&state, &caller, DocumentKind::CreditNote, id, &headers).await
}

//! Quote requests, quotes and their versions, and each quote's message thread.

use axum::extract::State;
use axum::http::StatusCode;
use immovr_core::DomainError;
use immovr_core::model::{AcceptanceChannel, Id, Message, Quote, QuoteRequest, Role, ThreadKind};
use immovr_core::ports::{AcceptQuote, Accepted, NewMessage, NewQuote, NewQuoteRequest, QuoteDraft, RefuseQuote};
use jiff::civil::Date;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use immovr_core::listing::Page;

use crate::AppState;
use crate::extract::{Caller, ClientCaller, Json, ListParams, Multipart, Path, Query, Sales, Staff};
use crate::pages::shared::{Upload, offline_acceptance, read_upload_form};
use crate::problem::{ApiResult, Problem};

type J<T> = axum::Json<T>;

/// Quote requests, newest first: a client's own, or all for staff. Status: `new`, `quoted`,
/// `closed`; the period is the date received; `q` searches the property, address and client.
#[utoipa::path(get, path = "/api/v1/quote-requests", tag = "quotes", params(ListParams),
    responses((status = 200, body = Page<QuoteRequest>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn requests(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<QuoteRequest>>> {
    Ok(axum::Json(state.app.quote_requests(&caller.actor, &list.query()?).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnBehalf {
    /// Staff only: the client the request is for.
    pub client_id: Option<Id>,
}

/// Ask for a quote: the property, the services and options wanted, a wished date, notes.
#[utoipa::path(post, path = "/api/v1/quote-requests", tag = "quotes", params(OnBehalf), request_body = NewQuoteRequest,
    responses((status = 201, body = QuoteRequest), (status = 422, body = Problem)))]
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OnBehalf>,
    Json(body): Json<NewQuoteRequest>,
) -> ApiResult<(StatusCode, J<QuoteRequest>)> {
    let client_id = match (caller.user.client_id, q.client_id) {
        (Some(own), None) => own,
        (Some(_), Some(_)) => {
            return Err(DomainError::validation("client_id", "clients ask for themselves").into());
        }
        (None, Some(id)) => {
            caller.actor.require(Role::Sales)?;
            id
        }
        (None, None) => {
            return Err(DomainError::validation("client_id", "staff must name the client").into());
        }
    };
    Ok((StatusCode::CREATED, axum::Json(state.app.create_quote_request(&caller.actor, client_id, body, vec![]).await?)))
}

/// Download a file attached to a quote request (range requests supported).
#[utoipa::path(get, path = "/api/v1/quote-requests/{id}/attachments/{file_id}", tag = "quotes",
    params(("id" = i64, Path), ("file_id" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "part of the file"), (status = 404, body = Problem)))]
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(Id, Id)>,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::response::Response> {
    let a = state.app.attachment(&caller.actor, id, file_id).await?;
    Ok(crate::download::serve_file(&state.app, &a.storage_key, &headers, &a.filename, &a.content_type).await)
}

#[utoipa::path(get, path = "/api/v1/quote-requests/{id}", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = QuoteRequest), (status = 404, body = Problem)))]
pub async fn request(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<QuoteRequest>> {
    Ok(axum::Json(state.app.quote_request(&caller.actor, id).await?))
}

/// Quotes, every version, newest first; clients never see drafts. Status: `draft`, `sent`,
/// `expired`, `accepted`, `refused`, `superseded`; the period is the creation date; `q`
/// searches the number, title and client.
#[utoipa::path(get, path = "/api/v1/quotes", tag = "quotes", params(ListParams),
    responses((status = 200, body = Page<Quote>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<Quote>>> {
    Ok(axum::Json(state.app.quotes(&caller.actor, &list.query()?).await?))
}

/// Draft a quote (sales), from a request or from scratch.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "quotes", request_body = NewQuote,
    responses((status = 201, body = Quote), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Json(body): Json<NewQuote>,
) -> ApiResult<(StatusCode, J<Quote>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.create_quote(&caller.actor, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/quotes/{id}", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = Quote), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Quote>> {
    Ok(axum::Json(state.app.quote(&caller.actor, id).await?))
}

/// Replace a draft's content (sales).
#[utoipa::path(put, path = "/api/v1/quotes/{id}", tag = "quotes", params(("id" = i64, Path)), request_body = QuoteDraft,
    responses((status = 200, body = Quote), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Json(body): Json<QuoteDraft>,
) -> ApiResult<J<Quote>> {
    Ok(axum::Json(state.app.update_quote(&caller.actor, id, body).await?))
}

/// Send a draft to the client (portal + email); a new version supersedes the earlier ones.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/send", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = Quote), (status = 409, body = Problem)))]
pub async fn send(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
) -> ApiResult<J<Quote>> {
    Ok(axum::Json(state.app.send_quote(&caller.actor, id).await?))
}

/// Accept a quote ("bon pour accord"): creates its purchase order in the same transaction.
/// Concurrent or repeated accepts produce one purchase order; the others get `quote_already_accepted`.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/accept", tag = "quotes", params(("id" = i64, Path)), request_body = AcceptQuote,
    responses((status = 201, body = Accepted), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(id): Path<Id>,
    Json(body): Json<AcceptQuote>,
) -> ApiResult<(StatusCode, J<Accepted>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.accept_quote(&caller.actor, id, body).await?)))
}

/// An acceptance received offline, as a multipart form.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the form read by `record_acceptance`
pub struct OfflineAcceptanceForm {
    /// Who signed, as the signed document gives it.
    signer_name: String,
    /// The day the client signed: not in the future, not after the quote's validity date.
    signed_on: Date,
    /// `paper` (a signed copy) or `email` (a signed email).
    channel: AcceptanceChannel,
    /// `true` when a private client asked in writing for the work to start within its 14-day
    /// withdrawal period (consumer code L221-25).
    early_start: Option<bool>,
    /// `true` when signed at the studio's premises: a private client then has no right of
    /// withdrawal (L221-18 covers contracts at a distance or off premises).
    on_premises: Option<bool>,
    /// The signed document as received: a PDF (an email printed to PDF), or a scan or photo
    /// (JPEG, PNG, WebP, HEIC).
    #[schema(value_type = String, format = Binary)]
    evidence: Vec<u8>,
}

/// Record an acceptance received offline (sales): a signed paper copy or a signed email, with
/// who signed, the day, and the signed document as evidence. The purchase order is created as
/// for an acceptance in the portal (once, whatever the retries), and the audit names the staff
/// member. A quote past its validity date can be recorded if it was signed in time.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/offline-acceptance", tag = "quotes", params(("id" = i64, Path)),
    request_body(content = OfflineAcceptanceForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Accepted), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn record_acceptance(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Multipart(multipart): Multipart,
) -> ApiResult<(StatusCode, J<Accepted>)> {
    let form = match read_upload_form(&state, multipart, Upload::Evidence).await {
        Ok(form) => form,
        Err((form, e)) => {
            form.discard(&state).await;
            return Err(e.into());
        }
    };
    let recorded = match (offline_acceptance(&form.fields, !form.files.is_empty()), form.files.first()) {
        (Ok(a), Some(evidence)) => state.app.record_offline_acceptance(&caller.actor, id, a, evidence.clone()).await,
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(DomainError::validation("evidence", "attach the signed document")),
    };
    match recorded {
        Ok(accepted) => Ok((StatusCode::CREATED, axum::Json(accepted))),
        Err(e) => {
            form.discard(&state).await;
            Err(e.into())
        }
    }
}

/// Download the signed document of an acceptance received offline (range requests supported).
#[utoipa::path(get, path = "/api/v1/quotes/{id}/offline-acceptance/evidence", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 206, description = "part of the file"), (status = 404, body = Problem)))]
pub async fn acceptance_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::response::Response> {
    let e = state.app.acceptance_evidence(&caller.actor, id).await?;
    Ok(crate::download::serve_file(&state.app, &e.storage_key, &headers, &e.filename, &e.content_type).await)
}

/// Refuse a quote: decline it, or ask for changes with a comment the team sees.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/refuse", tag = "quotes", params(("id" = i64, Path)), request_body = RefuseQuote,
    responses((status = 200, body = Quote), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn refuse(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(id): Path<Id>,
    Json(body): Json<RefuseQuote>,
) -> ApiResult<J<Quote>> {
    Ok(axum::Json(state.app.refuse_quote(&caller.actor, id, body).await?))
}

/// Draft the next version of a sent, refused or expired quote (sales).
#[utoipa::path(post, path = "/api/v1/quotes/{id}/revise", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 201, body = Quote), (status = 409, body = Problem)))]
pub async fn revise(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, J<Quote>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.revise_quote(&caller.actor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extend {
    pub valid_until: Date,
}

/// Move a quote's validity date (sales).
#[utoipa::path(post, path = "/api/v1/quotes/{id}/extend", tag = "quotes", params(("id" = i64, Path)), request_body = Extend,
    responses((status = 200, body = Quote), (status = 409, body = Problem)))]
pub async fn extend(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Json(body): Json<Extend>,
) -> ApiResult<J<Quote>> {
    Ok(axum::Json(state.app.extend_quote(&caller.actor, id, body.valid_until).await?))
}

#[derive(serde::Serialize, ToSchema)]
pub struct UnreadThread {
    pub thread_kind: ThreadKind,
    pub thread_id: Id,
    pub unread: i64,
}

/// Threads with messages the caller's side has not read yet (staff: the clients' messages;
/// a client: the team's).
#[utoipa::path(get, path = "/api/v1/messages/unread", tag = "quotes", responses((status = 200, body = Vec<UnreadThread>)))]
pub async fn unread(State(state): State<AppState>, caller: Caller) -> ApiResult<J<Vec<UnreadThread>>> {
    let threads = state.app.unread_threads(&caller.actor).await?;
    Ok(axum::Json(
        threads
            .into_iter()
            .map(|(thread_kind, thread_id, unread)| UnreadThread { thread_kind, thread_id, unread })
            .collect(),
    ))
}

/// The quote's message thread. Reading it marks the other side's messages as read.
#[utoipa::path(get, path = "/api/v1/quotes/{id}/messages", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Message>), (status = 404, body = Problem)))]
pub async fn messages(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Vec<Message>>> {
    let messages = state.app.read_thread(&caller.actor, ThreadKind::Quote, id).await?;
    Ok(axum::Json(messages))
}

#[utoipa::path(post, path = "/api/v1/quotes/{id}/messages", tag = "quotes", params(("id" = i64, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 404, body = Problem)))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(body): Json<NewMessage>,
) -> ApiResult<(StatusCode, J<Message>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.post_message(&caller.actor, ThreadKind::Quote, id, body).await?)))
}

//! Catalogue, clients, company settings, audit log and outbox.

use axum::extract::State;
use axum::http::StatusCode;
use immovr_core::Scope;
use immovr_core::model::{AuditEvent, CatalogueItem, Client, CompanySettings, ErasureReport, Id, OutboxMessage};
use immovr_core::ports::{AuditFilter, CatalogueItemPatch, NewCatalogueItem, NewClient};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use immovr_core::listing::Page;

use crate::AppState;
use crate::extract::{Admin, AnyStaff, Caller, ClientCaller, Json, ListParams, Path, Query, Sales, Staff};
use crate::problem::{ApiResult, Problem};

type J<T> = axum::Json<T>;

/// The catalogue: staff see every item, clients the active ones.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue", responses((status = 200, body = Vec<CatalogueItem>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<J<Vec<CatalogueItem>>> {
    Ok(axum::Json(state.app.catalogue(caller.actor.scope() != Scope::Staff).await?))
}

/// Add a service or option (sales).
#[utoipa::path(post, path = "/api/v1/catalogue", tag = "catalogue", request_body = NewCatalogueItem,
    responses((status = 201, body = CatalogueItem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Json(item): Json<NewCatalogueItem>,
) -> ApiResult<(StatusCode, J<CatalogueItem>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.create_catalogue_item(&caller.actor, item).await?)))
}

/// Change labels, price, VAT rate or the active flag (sales).
#[utoipa::path(patch, path = "/api/v1/catalogue/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = CatalogueItemPatch,
    responses((status = 200, body = CatalogueItem), (status = 404, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Path(id): Path<Id>,
    Json(patch): Json<CatalogueItemPatch>,
) -> ApiResult<J<CatalogueItem>> {
    Ok(axum::Json(state.app.update_catalogue_item(&caller.actor, id, patch).await?))
}

/// The client directory (staff), newest first; `q` searches names, company and email.
#[utoipa::path(get, path = "/api/v1/clients", tag = "catalogue", params(ListParams),
    responses((status = 200, body = Page<Client>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn clients(
    State(state): State<AppState>,
    AnyStaff(caller): AnyStaff,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<Client>>> {
    Ok(axum::Json(state.app.clients(&caller.actor, &list.query()?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientWithLogin {
    pub client: NewClient,
    /// Optional initial password for the client's portal login.
    #[serde(default)]
    pub password: Option<String>,
}

/// Create a client, optionally with a portal login (sales).
#[utoipa::path(post, path = "/api/v1/clients", tag = "catalogue", request_body = NewClientWithLogin,
    responses((status = 201, body = Client), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_client(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Sales>,
    Json(body): Json<NewClientWithLogin>,
) -> ApiResult<(StatusCode, J<Client>)> {
    Ok((StatusCode::CREATED, axum::Json(state.app.create_client(&caller.actor, body.client, body.password).await?)))
}

/// One client: staff see any, a client only itself.
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Client), (status = 404, body = Problem)))]
pub async fn client(State(state): State<AppState>, caller: Caller, Path(id): Path<Id>) -> ApiResult<J<Client>> {
    Ok(axum::Json(state.app.client(&caller.actor, id).await?))
}

/// Ask for one's data to be erased (the client itself, GDPR art. 17): recorded once, the studio
/// told; an admin confirms with `POST /api/v1/clients/{id}/erasure`.
#[utoipa::path(post, path = "/api/v1/clients/{id}/erasure-request", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 202, body = Client), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn request_erasure(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(id): Path<Id>,
) -> ApiResult<(StatusCode, J<Client>)> {
    Ok((StatusCode::ACCEPTED, axum::Json(state.app.request_erasure(&caller.actor, id).await?)))
}

/// Erase a client's personal data (admin), keeping what the law keeps as issued (invoices,
/// credit notes, accepted quotes and their evidence). Refused (`erasure_blocked`) while an order
/// is in progress, a purchase order waits or an invoice is not settled; `client_erased` once
/// done. The answer counts what went and what stayed.
#[utoipa::path(post, path = "/api/v1/clients/{id}/erasure", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = ErasureReport), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn erase_client(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Admin>,
    Path(id): Path<Id>,
) -> ApiResult<J<ErasureReport>> {
    Ok(axum::Json(state.app.erase_client(&caller.actor, id).await?))
}

/// The studio's identity, bank details, numbering and terms (staff).
#[utoipa::path(get, path = "/api/v1/settings/company", tag = "catalogue", responses((status = 200, body = CompanySettings)))]
pub async fn company(State(state): State<AppState>, _: AnyStaff) -> ApiResult<J<CompanySettings>> {
    Ok(axum::Json(state.app.company().await?))
}

/// Replace the company settings (admin). Documents already issued keep what they were issued with.
#[utoipa::path(put, path = "/api/v1/settings/company", tag = "catalogue", request_body = CompanySettings,
    responses((status = 200, body = CompanySettings), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_company(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Admin>,
    Json(settings): Json<CompanySettings>,
) -> ApiResult<J<CompanySettings>> {
    state.app.set_company(&caller.actor, settings).await?;
    Ok(axum::Json(state.app.company().await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `quote`, `invoice`, `order`.
    pub entity_kind: Option<String>,
    pub entity_id: Option<Id>,
}

/// Who did what and when, newest first (admin); the period is the event's date.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditQuery, ListParams),
    responses((status = 200, body = Page<AuditEvent>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Admin>,
    Query(q): Query<AuditQuery>,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<AuditEvent>>> {
    let filter = AuditFilter { entity_kind: q.entity_kind, entity_id: q.entity_id, list: list.query()? };
    Ok(axum::Json(state.app.audit_events(&caller.actor, &filter).await?))
}

/// Queued notifications, newest first (admin). Status: `pending`, `sent`, `failed`; `q` is a
/// recipient's address.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "admin", params(ListParams),
    responses((status = 200, body = Page<OutboxMessage>), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn outbox(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Admin>,
    Query(list): Query<ListParams>,
) -> ApiResult<J<Page<OutboxMessage>>> {
    Ok(axum::Json(state.app.emails(&caller.actor, &list.query()?).await?))
}

/// Send a notification that failed repeatedly once more (admin).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = OutboxMessage), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn retry_outbox(
    State(state): State<AppState>,
    Staff(caller, _): Staff<Admin>,
    Path(id): Path<Id>,
) -> ApiResult<J<OutboxMessage>> {
    Ok(axum::Json(state.app.retry_email(&caller.actor, id).await?))
}

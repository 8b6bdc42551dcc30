//! The studio's back office ("Gestion"): what waits for the team, requests, quotes and their
//! builder, purchase orders, orders and stages, invoices and payments, clients, catalogue, the
//! journal, emails, settings and users; live updates.

use crate::AppState;
use crate::pages::shared::i18n::Tr;
use crate::pages::shared::paging::*;
use crate::pages::shared::*;
use axum::Form;
use axum::extract::Multipart;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Redirect;
use immovr_core::DomainError;
use immovr_core::links;
use immovr_core::listing::ListQuery;
use immovr_core::model::*;
use immovr_core::money::LineInput;
use immovr_core::ports::AuditFilter;
use immovr_core::ports::NewCreditNote;
use immovr_core::ports::NewMessage;
use immovr_core::ports::NewPayment;
use immovr_core::ports::NewQuote;
use immovr_core::ports::QuoteDraft;
use immovr_core::ports::StagePlan;
use jiff::civil::Date;
use maud::Markup;
use maud::html;
use rust_decimal::Decimal;
use serde::Deserialize;

mod billing;
mod builder;
mod catalogue;
mod clients;
mod journal;
mod legal;
mod orders;
mod platform;
mod quotes;
mod settings;
mod users;

use builder::{BuilderData, BuilderRow, builder, builder_data_from, client_search, read_builder};
use catalogue::dec;
use quotes::staff_thread;

/// The back office's pages (uploads: see [`upload_routes`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/gestion", get(dashboard))
        .route("/gestion/evenements", get(events))
        .route("/gestion/demandes", get(requests))
        .route("/gestion/devis", get(quotes::quotes).post(builder::create_quote))
        .route("/gestion/devis/nouveau", get(builder::new_quote))
        .route("/gestion/devis/{id}", get(quotes::quote).post(quotes::update_quote))
        .route("/gestion/devis/{id}/envoyer", post(quotes::send_quote))
        .route("/gestion/devis/{id}/reviser", post(quotes::revise_quote))
        .route("/gestion/devis/{id}/prolonger", post(quotes::extend_quote))
        .route("/gestion/devis/{id}/dupliquer", post(quotes::duplicate_quote))
        .route("/gestion/devis/{id}/messages", post(quote_reply))
        .route("/gestion/bons-de-commande", get(orders::purchase_orders))
        .route("/gestion/bons-de-commande/{id}/valider", post(orders::validate_po))
        .route("/gestion/bons-de-commande/{id}/annuler", post(orders::cancel_po))
        .route("/gestion/commandes", get(orders::orders))
        .route("/gestion/commandes/{id}", get(orders::order))
        .route("/gestion/commandes/{id}/etapes/{sid}", post(orders::plan_stage))
        .route("/gestion/commandes/{id}/etapes/{sid}/terminee", post(orders::complete_stage))
        .route("/gestion/commandes/{id}/livrer", post(orders::deliver))
        .route("/gestion/commandes/{id}/contacts", post(orders::log_contact))
        .route("/gestion/commandes/{id}/contact", post(orders::set_contact))
        .route("/gestion/commandes/{id}/messages", post(order_reply))
        .route("/gestion/factures", get(billing::invoices))
        .route("/gestion/factures/{id}", get(billing::invoice))
        .route("/gestion/factures/{id}/paiements", post(billing::record_payment))
        .route("/gestion/factures/{id}/avoir", post(billing::credit_note))
        .route("/gestion/factures/{id}/transmissions/{transmission}", post(billing::retry_transmission))
        .route("/gestion/factures/{id}/refacturer", post(billing::reissue))
        .route("/gestion/plateforme", get(platform::unaccepted))
        .route("/gestion/plateforme/{id}/renvoyer", post(platform::retry))
        .route("/gestion/plateforme/e-reporting", get(platform::ereports))
        .route("/gestion/clients", get(clients::clients))
        .route("/gestion/clients/{id}", get(clients::client))
        .route("/gestion/clients/{id}/effacer", post(clients::erase))
        .route("/gestion/catalogue", get(catalogue::catalogue).post(catalogue::create_item))
        .route("/gestion/catalogue/{id}", post(catalogue::update_item))
        .route("/gestion/parametres", get(settings::settings).post(settings::save_settings))
        .route("/gestion/textes-legaux", get(legal::legal_texts))
        .route("/gestion/textes-legaux/{kind}", post(legal::publish))
        .route("/gestion/utilisateurs", get(users::users).post(users::create_user))
        .route("/gestion/utilisateurs/{id}", post(users::update_roles))
        .route("/gestion/securite", get(users::security).post(users::enable))
        .route("/gestion/securite/desactiver", post(users::disable))
        .route("/gestion/journal", get(journal::audit))
        .route("/gestion/courriels", get(journal::emails))
        .route("/gestion/courriels/{id}/renvoyer", post(journal::retry_email))
        .route("/logo", get(settings::logo))
}

/// The staff's uploads: final files, streamed, each limited as it streams (`max_upload_bytes`);
/// the logo.
pub fn upload_routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/gestion/commandes/{id}/fichiers", post(orders::upload))
        .route("/gestion/parametres/logo", post(settings::upload_logo))
        .route("/gestion/devis/{id}/accord", post(quotes::record_acceptance))
}

/// The display names of the clients a page shows.
async fn client_names(state: &AppState, ids: impl IntoIterator<Item = Id>) -> Result<Vec<(Id, String)>, DomainError> {
    let ids: Vec<Id> = ids.into_iter().collect();
    state.app.client_names(&ids).await
}

/// The clients a form may choose from: those matching `q` (or the most recent), and `selected`.
async fn client_choices(
    state: &AppState,
    ctx: &Ctx,
    q: Option<&str>,
    selected: Option<Id>,
) -> Result<Vec<(Id, String)>, DomainError> {
    let list = ListQuery { limit: 30, q: q.map(str::to_string).filter(|q| !q.trim().is_empty()), ..ListQuery::first() };
    let page = state.app.clients(&ctx.actor, &list).await?;
    let mut out: Vec<(Id, String)> = page.items.into_iter().map(|c| (c.id, c.display_name().to_string())).collect();
    if let Some(id) = selected.filter(|id| !out.iter().any(|(i, _)| i == id)) {
        out.extend(client_names(state, [id]).await?);
    }
    Ok(out)
}

fn name_of(names: &[(Id, String)], id: Id) -> String {
    names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("#{id}"))
}

/// Items listed under each "to do" of the dashboard (each counts every record).
const TODO_ITEMS: i64 = 10;

pub async fn dashboard(State(state): State<AppState>, StaffCtx(ctx): StaffCtx) -> PageResult {
    let tr = ctx.tr;
    let (d, unread) =
        tokio::try_join!(state.app.dashboard(&ctx.actor, TODO_ITEMS), state.app.unread_threads(&ctx.actor))?;
    let ids = d
        .new_requests
        .items
        .iter()
        .map(|r| r.client_id)
        .chain(d.changes_requested.items.iter().map(|q| q.client_id))
        .chain(d.to_validate.items.iter().map(|p| p.client_id))
        .chain(d.to_deliver.items.iter().map(|o| o.client_id));
    let names = client_names(&state, ids.collect::<Vec<_>>()).await?;
    let mut threads = Vec::new();
    for (k, id, n) in unread.iter().take(TODO_ITEMS as usize) {
        threads
            .push((links::backoffice::thread(*k, *id), format!("{} — {n}", thread_name(&state, &ctx, *k, *id).await?)));
    }
    let admin = ctx.actor.require(Role::Admin).is_ok();
    let body = html! {
        div.grid {
            (todo(&tr, "bo.todo.requests", d.new_requests.count, "/gestion/demandes?status=new", d.new_requests.items.iter().map(|r| (format!("/gestion/devis/nouveau?demande={}", r.id), format!("{} — {}", name_of(&names, r.client_id), r.property_address))).collect()))
            (todo(&tr, "bo.todo.changes", d.changes_requested.count, "/gestion/devis?status=refused", d.changes_requested.items.iter().map(|q| (links::backoffice::quote(q.id), format!("{} v{} — {}", q.number.as_deref().unwrap_or("—"), q.version, name_of(&names, q.client_id)))).collect()))
            (todo(&tr, "bo.todo.expiring", d.expiring.count, "/gestion/devis?status=sent", d.expiring.items.iter().map(|q| (links::backoffice::quote(q.id), format!("{} — {}", q.number.as_deref().unwrap_or("—"), tr.date(q.valid_until)))).collect()))
            (todo(&tr, "bo.todo.validate", d.to_validate.count, "/gestion/bons-de-commande?status=pending", d.to_validate.items.iter().map(|p| ("/gestion/bons-de-commande?status=pending".to_string(), format!("{} — {}", p.number, name_of(&names, p.client_id)))).collect()))
            (todo(&tr, "bo.todo.stages", d.stages_due.count, "/gestion/commandes?status=open", d.stages_due.items.iter().map(|s| (links::backoffice::order(s.order_id), format!("{} — {} ({})", s.purchase_order_number, s.stage.label, s.stage.planned_date.map(|d| tr.date(d)).unwrap_or_default()))).collect()))
            (todo(&tr, "bo.todo.deliver", d.to_deliver.count, "/gestion/commandes?status=open", d.to_deliver.items.iter().map(|o| (links::backoffice::order(o.id), format!("{} — {}", o.purchase_order_number, name_of(&names, o.client_id)))).collect()))
            (todo(&tr, "bo.todo.unread", unread.len() as i64, "", threads))
            (todo(&tr, "bo.todo.overdue", d.overdue.count, "/gestion/factures?status=overdue", d.overdue.items.iter().map(|i| (links::backoffice::invoice(i.id), format!("{} — {}", i.number, tr.money(i.amount_due)))).collect()))
            @if admin && d.failed_emails.count > 0 {
                (todo(&tr, "bo.emails.failed", d.failed_emails.count, "/gestion/courriels?status=failed", d.failed_emails.items.iter().map(|m| ("/gestion/courriels?status=failed".to_string(), format!("{} — {}", m.kind, m.recipient))).collect()))
            }
        }
    };
    Ok(page(&ctx, tr.t("bo.nav.todo"), body).into_response())
}

/// "D-2026-0004 v2" or "BC-2026-0003": what the team calls a thread.
async fn thread_name(state: &AppState, ctx: &Ctx, kind: ThreadKind, id: Id) -> Result<String, DomainError> {
    Ok(match kind {
        ThreadKind::Quote => {
            let q = state.app.quote(&ctx.actor, id).await?;
            format!("{} v{}", q.number.as_deref().unwrap_or("—"), q.version)
        }
        ThreadKind::Order => state.app.order(&ctx.actor, id).await?.purchase_order_number,
    })
}

/// A "to do": its count over every record, the first items, and the list of all of them.
fn todo(tr: &Tr, key: &str, count: i64, all: &str, items: Vec<(String, String)>) -> Markup {
    let id = key.replace('.', "-");
    html! {
        section.card aria-labelledby=(id) {
            h2 id=(id) { (tr.t(key)) " " span.badge { (count) } }
            @if items.is_empty() { p.hint { (tr.t("home.nothing")) } }
            ul { @for (href, text) in &items { li { a href=(href) { (text) } } } }
            @if count > items.len() as i64 && !all.is_empty() { p { a href=(all) { (tr.t("list.all")) " (" (count) ") »" } } }
        }
    }
}

pub async fn requests(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.quote_requests(&ctx.actor, &query).await?;
    let names = client_names(&state, list.items.iter().map(|r| r.client_id)).await?;
    let catalogue = state.app.catalogue(false).await?;
    let body = html! {
        (search_form(&tr, "/gestion/demandes", &form, &["new", "quoted", "closed"], true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("request.type")) }
                th scope="col" { (tr.t("request.address")) } th scope="col" { (tr.t("request.services")) } th scope="col" { (tr.t("request.files")) }
                th scope="col" { (tr.t("status")) } th scope="col" { span.sr { (tr.t("bo.actions")) } } } }
            tbody { @for r in &list.items { tr {
                td { (date(&tr, r.created_at)) }
                td { (name_of(&names, r.client_id)) }
                td { (r.property_type) @if let Some(s) = r.surface_m2 { " · " (tr.number(s)) " m²" } }
                td { (r.property_address)
                    @if let Some(d) = r.wished_date { p.hint { (tr.t("request.wished")) " " (tr.date(d)) } }
                    @if let Some(n) = &r.notes { p.hint { (n) } } }
                td { (services(&tr, &catalogue, &r.wanted)) }
                td { ul.files { @for a in &r.attachments { li { a href={ "/api/v1/quote-requests/" (r.id) "/attachments/" (a.id) } { (a.filename) } } } } }
                td { (badge(&tr, r.status.as_str())) }
                // A request already quoted is not offered a second quote (its status says so).
                td { @if r.status == immovr_core::model::QuoteRequestStatus::New {
                    a.button href={ "/gestion/devis/nouveau?demande=" (r.id) } { (tr.t("bo.make_quote")) }
                } }
            } } }
        } }
        (pager(&tr, "/gestion/demandes", &form, &list))
    };
    Ok(page(&ctx, tr.t("bo.nav.requests"), body).into_response())
}

async fn reply(state: &AppState, ctx: &Ctx, kind: ThreadKind, id: Id, f: CsrfForm, to: String) -> PageResult {
    if !csrf_ok(ctx, &f.csrf) {
        return Ok(error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    state.app.post_message(&ctx.actor, kind, id, NewMessage { body: f.body.unwrap_or_default() }).await?;
    Ok(Redirect::to(&format!("{to}#h-msg")).into_response())
}

pub async fn quote_reply(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    reply(&state, &ctx, ThreadKind::Quote, id, f, links::backoffice::quote(id)).await
}

pub async fn order_reply(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    reply(&state, &ctx, ThreadKind::Order, id, f, links::backoffice::order(id)).await
}

pub async fn events(State(state): State<AppState>, StaffCtx(_): StaffCtx) -> PageResult {
    Ok(crate::live::stream(&state.live, None).into_response())
}

//! The back office ("Gestion"): the studio team's side of the journey. Every action is checked
//! against the person's roles on the server; pages work without JavaScript, which adds live
//! totals in the quote builder, live updates and upload progress.

use axum::Form;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use immovr_core::DomainError;
use immovr_core::listing::ListQuery;
use immovr_core::model::*;
use immovr_core::money::LineInput;
use immovr_core::ports::{AuditFilter, NewCreditNote, NewMessage, NewPayment, NewQuote, QuoteDraft, StagePlan};
use jiff::civil::Date;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::account::{Fields, lines_table};
use super::auth::CsrfOnly;
use super::i18n::Tr;
use super::paging::{ListForm, list_query, pager, search_form};
use super::{Ctx, badge, csrf_field, csrf_ok, domain_error_page, error_page, notice, page};
use crate::AppState;

mod billing_pages;
mod order_pages;
mod quote_pages;

pub use billing_pages::*;
pub use order_pages::*;
pub use quote_pages::*;

/// A signed-in staff member.
pub struct StaffCtx(pub Ctx);

impl FromRequestParts<AppState> for StaffCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match &ctx.user {
            Some(u) if u.is_staff() => Ok(StaffCtx(ctx)),
            Some(_) => Err(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("bo.staff_only"))),
            None => {
                Err(Redirect::to(&format!("/connexion?suivant={}", super::form_urlencoded(&ctx.path))).into_response())
            }
        }
    }
}

/// Checks the CSRF token and the role; `Some` is the refusal page to answer with.
pub(super) fn refused(ctx: &Ctx, csrf: &str, role: Role) -> Option<Response> {
    if !csrf_ok(ctx, csrf) {
        return Some(error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    ctx.actor.require(role).err().map(|e| error_page(ctx, StatusCode::FORBIDDEN, &e.to_string()))
}

pub(super) fn back(to: &str, ok: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}ok={ok}")).into_response()
}

#[derive(Deserialize, Default)]
pub struct Flash {
    pub ok: Option<String>,
    /// Words to find a client by (the quote page's duplicate form).
    pub client_q: Option<String>,
}

pub(super) fn flash(tr: &Tr, f: &Flash) -> Option<Markup> {
    f.ok.as_deref().map(|_| notice("ok", tr.t("bo.saved")))
}

fn date(tr: &Tr, ts: jiff::Timestamp) -> String {
    tr.date(ts.to_zoned(immovr_core::ports::studio_timezone()).date())
}

/// The display names of the clients a page shows.
async fn client_names(state: &AppState, ids: impl IntoIterator<Item = Id>) -> Vec<(Id, String)> {
    let ids: Vec<Id> = ids.into_iter().collect();
    state.app.client_names(&ids).await.unwrap_or_default()
}

/// The clients a form may choose from: those matching `q` (or the most recent), and `selected`.
async fn client_choices(state: &AppState, ctx: &Ctx, q: Option<&str>, selected: Option<Id>) -> Vec<(Id, String)> {
    let list = ListQuery { limit: 30, q: q.map(str::to_string).filter(|q| !q.trim().is_empty()), ..ListQuery::first() };
    let mut out: Vec<(Id, String)> = match state.app.clients(&ctx.actor, &list).await {
        Ok(page) => page.items.into_iter().map(|c| (c.id, c.display_name().to_string())).collect(),
        Err(_) => Vec::new(),
    };
    if let Some(id) = selected.filter(|id| !out.iter().any(|(i, _)| i == id)) {
        out.extend(client_names(state, [id]).await);
    }
    out
}

fn name_of(names: &[(Id, String)], id: Id) -> String {
    names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("#{id}"))
}

/// Items listed under each "to do" of the dashboard (each counts every record).
const TODO_ITEMS: i64 = 10;

pub async fn dashboard(State(state): State<AppState>, StaffCtx(ctx): StaffCtx) -> Response {
    let tr = ctx.tr;
    let (d, unread) =
        match tokio::try_join!(state.app.dashboard(&ctx.actor, TODO_ITEMS), state.app.unread_threads(&ctx.actor)) {
            Ok(x) => x,
            Err(e) => return domain_error_page(&ctx, e),
        };
    let ids = d
        .new_requests
        .items
        .iter()
        .map(|r| r.client_id)
        .chain(d.changes_requested.items.iter().map(|q| q.client_id))
        .chain(d.to_validate.items.iter().map(|p| p.client_id))
        .chain(d.to_deliver.items.iter().map(|o| o.client_id));
    let names = client_names(&state, ids.collect::<Vec<_>>()).await;
    let mut threads = Vec::new();
    for (k, id, n) in unread.iter().take(TODO_ITEMS as usize) {
        threads.push((thread_link(*k, *id), format!("{} — {n}", thread_name(&state, &ctx, *k, *id).await)));
    }
    let admin = ctx.actor.require(Role::Admin).is_ok();
    let body = html! {
        div.grid {
            (todo(&tr, "bo.todo.requests", d.new_requests.count, "/gestion/demandes?status=new", d.new_requests.items.iter().map(|r| (format!("/gestion/devis/nouveau?demande={}", r.id), format!("{} — {}", name_of(&names, r.client_id), r.property_address))).collect()))
            (todo(&tr, "bo.todo.changes", d.changes_requested.count, "/gestion/devis?status=refused", d.changes_requested.items.iter().map(|q| (format!("/gestion/devis/{}", q.id), format!("{} v{} — {}", q.number.as_deref().unwrap_or("—"), q.version, name_of(&names, q.client_id)))).collect()))
            (todo(&tr, "bo.todo.expiring", d.expiring.count, "/gestion/devis?status=sent", d.expiring.items.iter().map(|q| (format!("/gestion/devis/{}", q.id), format!("{} — {}", q.number.as_deref().unwrap_or("—"), tr.date(q.valid_until)))).collect()))
            (todo(&tr, "bo.todo.validate", d.to_validate.count, "/gestion/bons-de-commande?status=pending", d.to_validate.items.iter().map(|p| ("/gestion/bons-de-commande?status=pending".to_string(), format!("{} — {}", p.number, name_of(&names, p.client_id)))).collect()))
            (todo(&tr, "bo.todo.stages", d.stages_due.count, "/gestion/commandes?status=open", d.stages_due.items.iter().map(|s| (format!("/gestion/commandes/{}", s.order_id), format!("{} — {} ({})", s.purchase_order_number, s.stage.label, s.stage.planned_date.map(|d| tr.date(d)).unwrap_or_default()))).collect()))
            (todo(&tr, "bo.todo.deliver", d.to_deliver.count, "/gestion/commandes?status=open", d.to_deliver.items.iter().map(|o| (format!("/gestion/commandes/{}", o.id), format!("{} — {}", o.purchase_order_number, name_of(&names, o.client_id)))).collect()))
            (todo(&tr, "bo.todo.unread", unread.len() as i64, "", threads))
            (todo(&tr, "bo.todo.overdue", d.overdue.count, "/gestion/factures?status=overdue", d.overdue.items.iter().map(|i| (format!("/gestion/factures/{}", i.id), format!("{} — {}", i.number, tr.money(i.amount_due)))).collect()))
            @if admin && d.failed_emails.count > 0 {
                (todo(&tr, "bo.emails.failed", d.failed_emails.count, "/gestion/courriels?status=failed", d.failed_emails.items.iter().map(|m| ("/gestion/courriels?status=failed".to_string(), format!("{} — {}", m.kind, m.recipient))).collect()))
            }
        }
    };
    page(&ctx, tr.t("bo.nav.todo"), body).into_response()
}

/// "D-2026-0004 v2" or "BC-2026-0003": what the team calls a thread.
async fn thread_name(state: &AppState, ctx: &Ctx, kind: ThreadKind, id: Id) -> String {
    let name = match kind {
        ThreadKind::Quote => state
            .app
            .quote(&ctx.actor, id)
            .await
            .ok()
            .map(|q| format!("{} v{}", q.number.as_deref().unwrap_or("—"), q.version)),
        ThreadKind::Order => state.app.order(&ctx.actor, id).await.ok().map(|o| o.purchase_order_number),
    };
    name.unwrap_or_else(|| format!("#{id}"))
}

fn thread_link(kind: ThreadKind, id: Id) -> String {
    match kind {
        ThreadKind::Quote => format!("/gestion/devis/{id}#h-msg"),
        ThreadKind::Order => format!("/gestion/commandes/{id}#h-msg"),
    }
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
) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.app.quote_requests(&ctx.actor, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, list.items.iter().map(|r| r.client_id)).await;
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
                td { (r.property_address) @if let Some(n) = &r.notes { p.hint { (n) } } }
                td { (r.wanted.join(", ")) }
                td { ul.files { @for a in &r.attachments { li { a href={ "/api/v1/quote-requests/" (r.id) "/attachments/" (a.id) } { (a.filename) } } } } }
                td { (badge(&tr, r.status.as_str())) }
                td { a.button href={ "/gestion/devis/nouveau?demande=" (r.id) } { (tr.t("bo.make_quote")) } }
            } } }
        } }
        (pager(&tr, "/gestion/demandes", &form, &list))
    };
    page(&ctx, tr.t("bo.nav.requests"), body).into_response()
}

async fn reply(state: &AppState, ctx: &Ctx, kind: ThreadKind, id: Id, f: CsrfForm, to: String) -> Response {
    if !csrf_ok(ctx, &f.csrf) {
        return error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    match state.app.post_message(&ctx.actor, kind, id, NewMessage { body: f.body.unwrap_or_default() }).await {
        Ok(_) => Redirect::to(&format!("{to}#h-msg")).into_response(),
        Err(e) => domain_error_page(ctx, e),
    }
}

pub async fn quote_reply(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    reply(&state, &ctx, ThreadKind::Quote, id, f, format!("/gestion/devis/{id}")).await
}

pub async fn order_reply(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    reply(&state, &ctx, ThreadKind::Order, id, f, format!("/gestion/commandes/{id}")).await
}
#[derive(Deserialize)]
pub struct AuditQuery {
    objet: Option<String>,
    id: Option<Id>,
}

pub async fn audit(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(q): Query<AuditQuery>,
    Query(form): Query<ListForm>,
) -> Response {
    let tr = ctx.tr;
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return error_page(&ctx, StatusCode::FORBIDDEN, &e.to_string());
    }
    let list = match list_query(&ctx, &form) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let kind = q.objet.clone().filter(|s| !s.is_empty());
    // The page's own filters, kept from page to page.
    let extra: Vec<(&'static str, String)> =
        kind.iter().map(|k| ("objet", k.clone())).chain(q.id.map(|id| ("id", id.to_string()))).collect();
    let events =
        match state.app.audit_events(&ctx.actor, &AuditFilter { entity_kind: kind, entity_id: q.id, list }).await {
            Ok(e) => e,
            Err(e) => return domain_error_page(&ctx, e),
        };
    let body = html! {
        form.filters method="get" action="/gestion/journal" {
            label for="a-kind" { (tr.t("bo.entity")) }
            select #a-kind name="objet" {
                option value="" { "—" }
                @for k in ["quote", "purchase_order", "order", "invoice", "client", "quote_request", "message", "user"] {
                    option value=(k) selected[q.objet.as_deref() == Some(k)] { (k) }
                }
            }
            label for="a-id" { "#" } input #a-id type="text" inputmode="numeric" name="id" value=[q.id];
            label { (tr.t("list.from")) " " input type="date" name="from" value=(form.from.as_deref().unwrap_or("")); }
            label { (tr.t("list.to")) " " input type="date" name="to" value=(form.to.as_deref().unwrap_or("")); }
            button type="submit" { (tr.t("bo.filter")) }
        }
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("bo.who")) } th scope="col" { (tr.t("bo.what")) } th scope="col" { (tr.t("bo.entity")) } th scope="col" { (tr.t("bo.detail")) } } }
            tbody { @for e in &events.items { tr {
                td { time datetime=(e.at) { (e.at.strftime("%Y-%m-%d %H:%M:%S")) } }
                td { (e.actor) }
                td { code { (e.action) } }
                td { a href={ "/gestion/journal?objet=" (e.entity_kind) "&id=" (e.entity_id) } { (e.entity_kind) " #" (e.entity_id) } }
                td { code.hash { (e.detail.to_string()) } }
            } } }
        } }
        (super::paging::pager_with(&tr, "/gestion/journal", &extra, &form, &events))
    };
    page(&ctx, tr.t("bo.nav.audit"), body).into_response()
}

pub async fn events(State(state): State<AppState>, StaffCtx(_): StaffCtx) -> Response {
    crate::live::stream(&state.live, None).into_response()
}

/// Notifications: what was sent, what waits, what failed (with a button to send it again).
pub async fn emails(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(fl): Query<Flash>,
    Query(form): Query<ListForm>,
) -> Response {
    let tr = ctx.tr;
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return error_page(&ctx, StatusCode::FORBIDDEN, &e.to_string());
    }
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let rows = match state.app.emails(&ctx.actor, &query).await {
        Ok(r) => r,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        p.hint { (tr.t("bo.emails.help")) }
        (search_form(&tr, "/gestion/courriels", &form, &["pending", "sent", "failed"], false))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("bo.emails.kind")) } th scope="col" { (tr.t("bo.emails.to")) }
                th scope="col" { (tr.t("bo.emails.status")) } th scope="col" { (tr.t("bo.emails.attempts")) } th scope="col" { (tr.t("bo.emails.error")) } th scope="col" { span.sr { (tr.t("bo.emails.retry")) } } } }
            tbody { @for m in &rows.items { tr {
                td { time datetime=(m.created_at) { (m.created_at.strftime("%Y-%m-%d %H:%M")) } }
                td { code { (m.kind) } }
                td { (m.recipient) }
                td { span class={ "badge s-" (m.status) } { (tr.t(&format!("mail.{}", m.status))) } }
                td.num { (m.attempts) }
                td { @if let Some(e) = &m.last_error { code.hash { (e) } } }
                td { @if m.status == "failed" {
                    form method="post" action={ "/gestion/courriels/" (m.id) "/renvoyer" } {
                        (csrf_field(&ctx))
                        button type="submit" { (tr.t("bo.emails.retry")) }
                    }
                } }
            } } }
        } }
        (pager(&tr, "/gestion/courriels", &form, &rows))
    };
    page(&ctx, tr.t("bo.nav.emails"), body).into_response()
}

pub async fn retry_email(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Admin) {
        return r;
    }
    match state.app.retry_email(&ctx.actor, id).await {
        Ok(_) => back("/gestion/courriels", "retried"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

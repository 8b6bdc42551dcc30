//! The back office ("Gestion"): the studio team's side of the journey. Every action is checked
//! against the person's roles on the server; pages work without JavaScript, which adds live
//! totals in the quote builder, live updates and upload progress.

use axum::Form;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use immovr_core::listing::ListQuery;
use immovr_core::model::*;
use immovr_core::money::LineInput;
use immovr_core::ports::{AuditFilter, NewCreditNote, NewMessage, NewPayment, NewQuote, QuoteDraft, StagePlan};
use immovr_core::{DomainError, Scope};
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
    state.store.client_names(&ids).await.unwrap_or_default()
}

/// The clients a form may choose from: those matching `q` (or the most recent), and `selected`.
async fn client_choices(state: &AppState, q: Option<&str>, selected: Option<Id>) -> Vec<(Id, String)> {
    let list = ListQuery { limit: 30, q: q.map(str::to_string).filter(|q| !q.trim().is_empty()), ..ListQuery::first() };
    let mut out: Vec<(Id, String)> = match state.store.clients(&list).await {
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
        match tokio::try_join!(state.store.dashboard(TODO_ITEMS), state.store.unread_threads(Scope::Staff)) {
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
        threads.push((thread_link(*k, *id), format!("{} — {n}", thread_name(&state, *k, *id).await)));
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
async fn thread_name(state: &AppState, kind: ThreadKind, id: Id) -> String {
    let name = match kind {
        ThreadKind::Quote => state
            .store
            .quote(Scope::Staff, id)
            .await
            .ok()
            .map(|q| format!("{} v{}", q.number.as_deref().unwrap_or("—"), q.version)),
        ThreadKind::Order => state.store.order(Scope::Staff, id).await.ok().map(|o| o.purchase_order_number),
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
    let list = match state.store.quote_requests(Scope::Staff, &query).await {
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

pub async fn quotes(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(form): Query<ListForm>) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.quotes(Scope::Staff, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, list.items.iter().map(|q| q.client_id)).await;
    let statuses = ["draft", "sent", "expired", "accepted", "refused", "superseded"];
    let body = html! {
        p { a.button href="/gestion/devis/nouveau" { (tr.t("bo.new_quote")) } }
        (search_form(&tr, "/gestion/devis", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("quote.number")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("bo.title")) }
                th scope="col" { (tr.t("quote.valid_until")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for q in &list.items { tr {
                td { a href={ "/gestion/devis/" (q.id) } { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } }
                td { (name_of(&names, q.client_id)) }
                td { (q.title) }
                td { (tr.date(q.valid_until)) }
                td.num { (tr.money(q.totals.total_incl_vat)) }
                td { (badge(&tr, q.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/devis", &form, &list))
    };
    page(&ctx, tr.t("nav.quotes"), body).into_response()
}

/// The quote builder's form: client, title, validity, notes and line rows.
fn builder(
    ctx: &Ctx,
    action: &str,
    names: &[(Id, String)],
    catalogue: &[CatalogueItem],
    rates: &[Decimal],
    q: &BuilderData,
    err: Option<&DomainError>,
) -> Markup {
    let tr = ctx.tr;
    let mut rows = q.lines.clone();
    rows.extend((0..3).map(|_| LineInput {
        code: None,
        description: String::new(),
        quantity: Decimal::ONE,
        unit: "forfait".into(),
        unit_price: Decimal::ZERO,
        discount: Decimal::ZERO,
        vat_rate: rates.first().copied().unwrap_or(Decimal::from(20)),
    }));
    html! {
        @if let Some(e) = err { (notice("error", &e.to_string())) }
        form.card.builder method="post" action=(action) {
            (csrf_field(ctx))
            @if let Some(r) = q.request_id { input type="hidden" name="request_id" value=(r); }
            label for="b-client" { (tr.t("bo.client")) }
            select #b-client name="client_id" required disabled[q.client_locked] {
                @for (id, name) in names { option value=(id) selected[Some(*id) == q.client_id] { (name) } }
            }
            @if q.client_locked { @if let Some(c) = q.client_id { input type="hidden" name="client_id" value=(c); } }
            label for="b-title" { (tr.t("bo.title")) }
            input #b-title type="text" name="title" value=(q.title) required;
            label for="b-valid" { (tr.t("quote.valid_until")) }
            input #b-valid type="date" name="valid_until" value=[q.valid_until.as_deref()];
            label for="b-notes" { (tr.t("request.notes")) }
            textarea #b-notes name="notes" rows="2" { (q.notes) }
            datalist #catalogue {
                @for item in catalogue.iter().filter(|i| i.active) {
                    option value=(item.label(tr.0)) data-code=(item.code) data-unit=(item.unit) data-price=(item.unit_price) data-vat=(item.vat_rate) {}
                }
            }
            div.table-wrap tabindex="0" { table.lines-edit {
                caption { (tr.t("quote.lines")) " " span.hint { (tr.t("bo.lines_help")) } }
                thead { tr {
                    th scope="col" { (tr.t("quote.description")) } th scope="col" { (tr.t("quote.qty")) } th scope="col" { (tr.t("quote.unit")) }
                    th scope="col" { (tr.t("quote.unit_price")) } th scope="col" { (tr.t("quote.discount")) } th scope="col" { (tr.t("quote.vat")) }
                } }
                tbody {
                    @for (i, l) in rows.iter().enumerate() {
                        tr.line {
                            td {
                                input type="hidden" name="code" value=(l.code.clone().unwrap_or_default());
                                input type="text" name="description" list="catalogue" value=(l.description) aria-label={ (tr.t("quote.description")) " " (i + 1) };
                            }
                            td { input.n type="text" inputmode="decimal" name="quantity" value=(l.quantity) aria-label={ (tr.t("quote.qty")) " " (i + 1) }; }
                            td { input.u type="text" name="unit" value=(l.unit) aria-label={ (tr.t("quote.unit")) " " (i + 1) }; }
                            td { input.n type="text" inputmode="decimal" name="unit_price" value=(l.unit_price) aria-label={ (tr.t("quote.unit_price")) " " (i + 1) }; }
                            td { input.n type="text" inputmode="decimal" name="discount" value=(l.discount) aria-label={ (tr.t("quote.discount")) " " (i + 1) }; }
                            td {
                                select name="vat_rate" aria-label={ (tr.t("quote.vat")) " " (i + 1) } {
                                    @for r in rates { option value=(r) selected[*r == l.vat_rate] { (tr.number(*r)) " %" } }
                                }
                            }
                        }
                    }
                }
            } }
            p.live-totals aria-live="polite" data-lang=(tr.lang()) {}
            button type="submit" { (tr.t("bo.save_draft")) }
        }
    }
}

#[derive(Default, Clone)]
struct BuilderData {
    client_id: Option<Id>,
    client_locked: bool,
    request_id: Option<Id>,
    title: String,
    notes: String,
    valid_until: Option<String>,
    lines: Vec<LineInput>,
}

/// Reads the builder's rows; empty rows are skipped, bad numbers name their row.
fn read_builder(f: &Fields) -> Result<(Option<Id>, Option<Id>, QuoteDraft), DomainError> {
    let parse = |field: &str, row: usize, v: &str| -> Result<Decimal, DomainError> {
        let v = v.trim().replace(',', ".").replace(' ', "");
        if v.is_empty() {
            return Ok(Decimal::ZERO);
        }
        v.parse().map_err(|_| DomainError::validation(format!("lines[{row}].{field}"), "not a number"))
    };
    let (codes, descs, qtys, units, prices, discounts, rates) = (
        f.all("code"),
        f.all("description"),
        f.all("quantity"),
        f.all("unit"),
        f.all("unit_price"),
        f.all("discount"),
        f.all("vat_rate"),
    );
    let mut lines = Vec::new();
    for (i, d) in descs.iter().enumerate() {
        if d.trim().is_empty() {
            continue;
        }
        let row = lines.len();
        lines.push(LineInput {
            code: codes.get(i).filter(|c| !c.is_empty()).cloned(),
            description: d.trim().to_string(),
            quantity: parse("quantity", row, qtys.get(i).map(String::as_str).unwrap_or("1"))?,
            unit: units.get(i).cloned().unwrap_or_default(),
            unit_price: parse("unit_price", row, prices.get(i).map(String::as_str).unwrap_or(""))?,
            discount: parse("discount", row, discounts.get(i).map(String::as_str).unwrap_or(""))?,
            vat_rate: parse("vat_rate", row, rates.get(i).map(String::as_str).unwrap_or("20"))?,
        });
    }
    let valid_until = match f.get("valid_until").trim() {
        "" => None,
        v => Some(v.parse::<Date>().map_err(|_| DomainError::validation("valid_until", "a date"))?),
    };
    let notes = Some(f.get("notes")).filter(|n| !n.trim().is_empty());
    let client_id = f.get("client_id").parse().ok();
    let request_id = f.get("request_id").parse().ok();
    Ok((client_id, request_id, QuoteDraft { title: f.get("title"), notes, valid_until, lines }))
}

#[derive(Deserialize)]
pub struct NewQuoteQuery {
    demande: Option<Id>,
    client: Option<Id>,
    /// Words to find the client by.
    client_q: Option<String>,
}

/// Above a form that names a client: finds clients by name (reloads the page with `client_q`),
/// so a studio with thousands of clients is not handed a list of all of them.
fn client_search(tr: &Tr, action: &str, q: Option<&str>, keep: &[(&str, String)]) -> Markup {
    html! {
        form.filters method="get" action=(action) role="search" {
            @for (k, v) in keep { input type="hidden" name=(k) value=(v); }
            label { (tr.t("bo.find_client")) " " input type="search" name="client_q" value=(q.unwrap_or("")) maxlength="200"; }
            button type="submit" { (tr.t("list.search_button")) }
        }
    }
}

pub async fn new_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(q): Query<NewQuoteQuery>,
) -> Response {
    let tr = ctx.tr;
    let catalogue = state.store.catalogue(false).await.unwrap_or_default();
    let company = match state.store.company().await {
        Ok(c) => c,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let mut data = BuilderData { client_id: q.client, ..Default::default() };
    if let Some(rid) = q.demande {
        match state.store.quote_request(Scope::Staff, rid).await {
            Ok(r) => {
                data.client_id = Some(r.client_id);
                data.client_locked = true;
                data.request_id = Some(r.id);
                data.title = format!("{} — {}", r.property_type, r.property_address);
                data.lines = r
                    .wanted
                    .iter()
                    .filter_map(|code| catalogue.iter().find(|c| &c.code == code))
                    .map(|c| LineInput {
                        code: Some(c.code.clone()),
                        description: c.label(tr.0).to_string(),
                        quantity: Decimal::ONE,
                        unit: c.unit.clone(),
                        unit_price: c.unit_price,
                        discount: Decimal::ZERO,
                        vat_rate: c.vat_rate,
                    })
                    .collect();
            }
            Err(e) => return domain_error_page(&ctx, e),
        }
    }
    let names = client_choices(&state, q.client_q.as_deref(), data.client_id).await;
    let body = html! {
        @if !data.client_locked { (client_search(&tr, "/gestion/devis/nouveau", q.client_q.as_deref(), &[])) }
        (builder(&ctx, "/gestion/devis", &names, &catalogue, &company.vat_rates, &data, None))
    };
    page(&ctx, tr.t("bo.new_quote"), body).into_response()
}

pub async fn create_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return r;
    }
    let result = match read_builder(&f) {
        Ok((Some(client_id), request_id, d)) => {
            state
                .store
                .create_quote(
                    &ctx.actor,
                    NewQuote {
                        client_id,
                        request_id,
                        title: d.title,
                        notes: d.notes,
                        valid_until: d.valid_until,
                        lines: d.lines,
                    },
                )
                .await
        }
        Ok((None, ..)) => Err(DomainError::validation("client_id", "choose a client")),
        Err(e) => Err(e),
    };
    match result {
        Ok(q) => back(&format!("/gestion/devis/{}", q.id), "created"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let data = builder_data_from(&f);
            let names = client_choices(&state, None, data.client_id).await;
            let catalogue = state.store.catalogue(false).await.unwrap_or_default();
            let rates = state.store.company().await.map(|c| c.vat_rates).unwrap_or_default();
            let status = crate::problem::status_of(&e);
            (
                status,
                page(
                    &ctx,
                    ctx.tr.t("bo.new_quote"),
                    builder(&ctx, "/gestion/devis", &names, &catalogue, &rates, &data, Some(&e)),
                ),
            )
                .into_response()
        }
    }
}

/// What was typed, to show the form again after an error.
fn builder_data_from(f: &Fields) -> BuilderData {
    let (codes, descs, qtys, units, prices, discounts, rates) = (
        f.all("code"),
        f.all("description"),
        f.all("quantity"),
        f.all("unit"),
        f.all("unit_price"),
        f.all("discount"),
        f.all("vat_rate"),
    );
    let num = |v: Option<&String>| v.and_then(|s| s.trim().replace(',', ".").parse().ok()).unwrap_or(Decimal::ZERO);
    let lines = descs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.trim().is_empty())
        .map(|(i, d)| LineInput {
            code: codes.get(i).filter(|c| !c.is_empty()).cloned(),
            description: d.clone(),
            quantity: num(qtys.get(i)),
            unit: units.get(i).cloned().unwrap_or_default(),
            unit_price: num(prices.get(i)),
            discount: num(discounts.get(i)),
            vat_rate: num(rates.get(i)),
        })
        .collect();
    BuilderData {
        client_id: f.get("client_id").parse().ok(),
        client_locked: false,
        request_id: f.get("request_id").parse().ok(),
        title: f.get("title"),
        notes: f.get("notes"),
        valid_until: Some(f.get("valid_until")).filter(|v| !v.is_empty()),
        lines,
    }
}

pub async fn quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> Response {
    let client_q = fl.client_q.clone();
    quote_page_for(&state, &ctx, id, flash(&ctx.tr, &fl), None, client_q.as_deref()).await
}

async fn quote_page(state: &AppState, ctx: &Ctx, id: Id, flash: Option<Markup>, err: Option<DomainError>) -> Response {
    quote_page_for(state, ctx, id, flash, err, None).await
}

async fn quote_page_for(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    err: Option<DomainError>,
    client_q: Option<&str>,
) -> Response {
    let tr = ctx.tr;
    let q = match state.store.quote(Scope::Staff, id).await {
        Ok(q) => q,
        Err(e) => return domain_error_page(ctx, e),
    };
    // The quote's client, and the clients it may be duplicated for.
    let names = client_choices(state, client_q, Some(q.client_id)).await;
    let versions: Vec<Quote> = state.store.quote_versions(Scope::Staff, q.family_id).await.unwrap_or_default();
    let messages = state.store.messages(Scope::Staff, ThreadKind::Quote, id).await.unwrap_or_default();
    let _ = state.store.mark_thread_read(Scope::Staff, ThreadKind::Quote, id).await;
    let body = html! {
        @if let Some(f) = flash { (f) }
        p.lead { (badge(&tr, q.status.as_str())) " " strong { (name_of(&names, q.client_id)) } " — " (q.title) }
        @if q.status == QuoteStatus::Draft {
            @let catalogue = state.store.catalogue(false).await.unwrap_or_default();
            @let rates = state.store.company().await.map(|c| c.vat_rates).unwrap_or_default();
            @let data = BuilderData { client_id: Some(q.client_id), client_locked: true, request_id: None, title: q.title.clone(),
                notes: q.notes.clone().unwrap_or_default(), valid_until: Some(q.valid_until.to_string()), lines: q.lines.iter().map(|l| l.to_input()).collect() };
            (builder(ctx, &format!("/gestion/devis/{}", q.id), &names, &catalogue, &rates, &data, err.as_ref()))
            h2 { (tr.t("bo.preview")) }
            (lines_table(&tr, &q.lines, &q.totals))
            form method="post" action={ "/gestion/devis/" (q.id) "/envoyer" } {
                (csrf_field(ctx))
                button.accept type="submit" { (tr.t("bo.send")) }
            }
        } @else {
            @if let Some(e) = &err { (notice("error", &e.to_string())) }
            dl.facts {
                dt { (tr.t("quote.number")) } dd { (q.number.as_deref().unwrap_or("—")) " v" (q.version) }
                dt { (tr.t("quote.valid_until")) } dd { (tr.date(q.valid_until)) }
            }
            @let po = if q.acceptance.is_some() { state.store.purchase_order_for_quote(Scope::Staff, q.id).await.ok().flatten().map(|p| p.id) } else { None };
            (super::quote_pdf_links(&tr, &q, po))
            (lines_table(&tr, &q.lines, &q.totals))
            @if let Some(r) = &q.refusal { (notice("warn", &format!("{} — {}", tr.t(&format!("bo.refusal.{}", r.kind.as_str())), r.comment.clone().unwrap_or_default()))) }
            @if let Some(a) = &q.acceptance { p { (tr.t("quote.accepted.by")) " " strong { (a.signer_name) } " — " code.hash { (a.content_sha256) } } }
            div.actions {
                @if matches!(q.status, QuoteStatus::Sent | QuoteStatus::Refused | QuoteStatus::Expired) {
                    form.card method="post" action={ "/gestion/devis/" (q.id) "/reviser" } {
                        (csrf_field(ctx))
                        p { (tr.t("bo.revise.help")) }
                        button type="submit" { (tr.t("bo.revise")) }
                    }
                }
                (client_search(&tr, &format!("/gestion/devis/{}", q.id), client_q, &[]))
                form.card method="post" action={ "/gestion/devis/" (q.id) "/dupliquer" } {
                    (csrf_field(ctx))
                    p { (tr.t("bo.duplicate.help")) }
                    label for="dup-client" { (tr.t("bo.client")) }
                    select #dup-client name="client_id" {
                        @for (cid, name) in &names { option value=(cid) selected[*cid == q.client_id] { (name) } }
                    }
                    button type="submit" { (tr.t("bo.duplicate")) }
                }
                @if matches!(q.status, QuoteStatus::Sent | QuoteStatus::Expired) {
                    form.card method="post" action={ "/gestion/devis/" (q.id) "/prolonger" } {
                        (csrf_field(ctx))
                        label for="x-date" { (tr.t("bo.extend")) }
                        input #x-date type="date" name="valid_until" required;
                        button type="submit" { (tr.t("bo.extend")) }
                    }
                }
            }
        }
        @if versions.len() > 1 {
            section.card { h2 { (tr.t("quote.history")) }
                ol.versions { @for v in &versions { li { a href={ "/gestion/devis/" (v.id) } { "v" (v.version) } " " (badge(&tr, v.status.as_str())) " — " (tr.money(v.totals.total_incl_vat)) } } } }
        }
        (staff_thread(ctx, &messages, &format!("/gestion/devis/{}/messages", q.id)))
    };
    let title = format!("{} {} v{}", tr.t("quote.number"), q.number.as_deref().unwrap_or("—"), q.version);
    page(ctx, &title, body).into_response()
}

fn staff_thread(ctx: &Ctx, messages: &[Message], action: &str) -> Markup {
    let tr = ctx.tr;
    html! {
        section.card aria-labelledby="h-msg" {
            h2 #h-msg { (tr.t("bo.thread")) }
            @if messages.is_empty() { p { (tr.t("messages.none")) } }
            ol.thread { @for m in messages { li class=(if m.from_staff { "staff" } else { "me" }) {
                p.meta { strong { (m.author_name) } " · " (date(&tr, m.created_at)) } p { (m.body) } } } }
            form method="post" action=(action) {
                (csrf_field(ctx))
                label for="msg-body" { (tr.t("bo.reply")) }
                textarea #msg-body name="body" rows="3" required {}
                button type="submit" { (tr.t("messages.send")) }
            }
        }
    }
}

pub async fn update_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return r;
    }
    let result = match read_builder(&f) {
        Ok((_, _, draft)) => state.store.update_quote(&ctx.actor, id, draft).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => back(&format!("/gestion/devis/{id}"), "saved"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

pub async fn send_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    match state.store.send_quote(&ctx.actor, id).await {
        Ok(_) => back(&format!("/gestion/devis/{id}"), "sent"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await,
    }
}

pub async fn revise_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    match state.store.revise_quote(&ctx.actor, id).await {
        Ok(q) => back(&format!("/gestion/devis/{}", q.id), "revised"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await,
    }
}

#[derive(Deserialize)]
pub struct DuplicateForm {
    csrf: String,
    client_id: Id,
}

/// A new draft (a new quote, not a version) with the same title, notes and lines.
pub async fn duplicate_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<DuplicateForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    let q = match state.store.quote(Scope::Staff, id).await {
        Ok(q) => q,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let copy = NewQuote {
        client_id: f.client_id,
        request_id: None,
        title: q.title.clone(),
        notes: q.notes.clone(),
        valid_until: None,
        lines: q.lines.iter().map(|l| l.to_input()).collect(),
    };
    match state.store.create_quote(&ctx.actor, copy).await {
        Ok(new) => back(&format!("/gestion/devis/{}", new.id), "duplicated"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await,
    }
}

pub async fn extend_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    let result = match f.valid_until.as_deref().unwrap_or("").parse::<Date>() {
        Ok(d) => state.store.extend_quote(&ctx.actor, id, d).await,
        Err(_) => Err(DomainError::validation("valid_until", "a date")),
    };
    match result {
        Ok(_) => back(&format!("/gestion/devis/{id}"), "extended"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await,
    }
}

async fn reply(state: &AppState, ctx: &Ctx, kind: ThreadKind, id: Id, f: CsrfForm, to: String) -> Response {
    if !csrf_ok(ctx, &f.csrf) {
        return error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    match state.store.post_message(&ctx.actor, kind, id, NewMessage { body: f.body.unwrap_or_default() }).await {
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

pub async fn purchase_orders(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(fl): Query<Flash>,
    Query(form): Query<ListForm>,
) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.purchase_orders(Scope::Staff, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, list.items.iter().map(|p| p.client_id)).await;
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        (search_form(&tr, "/gestion/bons-de-commande", &form, &["pending", "validated", "cancelled"], true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("quote.number")) }
                th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } th scope="col" { span.sr { (tr.t("bo.actions")) } } } }
            tbody { @for p in &list.items { tr {
                td { a.pdf href={ "/api/v1/purchase-orders/" (p.id) "/pdf" } download type="application/pdf" { (p.number) } }
                td { (name_of(&names, p.client_id)) }
                td { a href={ "/gestion/devis/" (p.quote_id) } { (p.quote_number) " v" (p.quote_version) } }
                td.num { (tr.money(p.totals.total_incl_vat)) }
                td { (badge(&tr, p.status.as_str())) @if let Some(r) = &p.cancel_reason { p.hint { (r) } } }
                td {
                    @if p.status == PurchaseOrderStatus::Pending {
                        form.inline method="post" action={ "/gestion/bons-de-commande/" (p.id) "/valider" } {
                            (csrf_field(&ctx)) button.accept type="submit" { (tr.t("bo.validate")) " " span.sr { (p.number) } }
                        }
                        form.inline method="post" action={ "/gestion/bons-de-commande/" (p.id) "/annuler" } {
                            (csrf_field(&ctx))
                            label for={ "reason-" (p.id) } { (tr.t("bo.cancel_reason")) }
                            input id={ "reason-" (p.id) } type="text" name="reason" required;
                            button.refuse type="submit" { (tr.t("bo.cancel")) }
                        }
                    }
                    @if let Some(o) = p.order_id { a href={ "/gestion/commandes/" (o) } { (tr.t("view")) } }
                }
            } } }
        } }
        (pager(&tr, "/gestion/bons-de-commande", &form, &list))
    };
    page(&ctx, tr.t("bo.nav.pos"), body).into_response()
}

pub async fn validate_po(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    match state.store.validate_purchase_order(&ctx.actor, id).await {
        Ok(po) => match po.order_id {
            Some(o) => back(&format!("/gestion/commandes/{o}"), "validated"),
            None => back("/gestion/bons-de-commande", "validated"),
        },
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn cancel_po(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return r;
    }
    match state.store.cancel_purchase_order(&ctx.actor, id, f.reason.as_deref().unwrap_or("")).await {
        Ok(_) => back("/gestion/bons-de-commande", "cancelled"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn orders(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(form): Query<ListForm>) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.orders(Scope::Staff, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, list.items.iter().map(|o| o.client_id)).await;
    let statuses = ["open", "registered", "in_progress", "delivered", "cancelled"];
    let body = html! {
        (search_form(&tr, "/gestion/commandes", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("order.timeline")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for o in &list.items { tr {
                td { a href={ "/gestion/commandes/" (o.id) } { (o.purchase_order_number) } }
                td { (name_of(&names, o.client_id)) }
                td { (o.stages.iter().filter(|s| s.status == StageStatus::Done).count()) " / " (o.stages.len()) }
                td { (badge(&tr, o.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/commandes", &form, &list))
    };
    page(&ctx, tr.t("nav.orders"), body).into_response()
}

pub async fn order(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> Response {
    let tr = ctx.tr;
    let o = match state.store.order(Scope::Staff, id).await {
        Ok(o) => o,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, [o.client_id]).await;
    let messages = state.store.messages(Scope::Staff, ThreadKind::Order, id).await.unwrap_or_default();
    let _ = state.store.mark_thread_read(Scope::Staff, ThreadKind::Order, id).await;
    let contacts = state.store.contact_log(id).await.unwrap_or_default();
    let open = matches!(o.status, OrderStatus::Registered | OrderStatus::InProgress);
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        p.lead { (badge(&tr, o.status.as_str())) " " strong { (name_of(&names, o.client_id)) } " — " (o.purchase_order_number) }
        (super::pdf_links(&tr, &super::account::order_pdfs(&o)))
        section.card aria-labelledby="h-stages" {
            h2 #h-stages { (tr.t("order.timeline")) }
            ol.timeline { @for s in &o.stages {
                li class={ "stage st-" (s.status.as_str()) } {
                    span.label { (s.label) } " " (super::stage_badge(&tr, s.status))
                    @if let Some(a) = &s.assignee { " — " (a) }
                    @if open && s.status != StageStatus::Done {
                        form.stage method="post" action={ "/gestion/commandes/" (o.id) "/etapes/" (s.id) } {
                            (csrf_field(&ctx))
                            div { label for={ "d-" (s.id) } { (tr.t("bo.planned_date")) }
                                input id={ "d-" (s.id) } type="date" name="planned_date" value=[s.planned_date]; }
                            div { label for={ "a-" (s.id) } { (tr.t("bo.assignee")) }
                                input id={ "a-" (s.id) } type="text" name="assignee" value=[s.assignee.as_deref()]; }
                            div { label for={ "n-" (s.id) } { (tr.t("request.notes")) }
                                input id={ "n-" (s.id) } type="text" name="notes" value=[s.notes.as_deref()]; }
                            div { button type="submit" { (tr.t("bo.plan")) " " span.sr { (s.label) } } }
                        }
                        form.inline method="post" action={ "/gestion/commandes/" (o.id) "/etapes/" (s.id) "/terminee" } {
                            (csrf_field(&ctx)) button.accept type="submit" { (tr.t("bo.done")) " " span.sr { (s.label) } }
                        }
                    } @else if let Some(d) = s.planned_date { " — " (tr.date(d)) }
                }
            } }
        }
        section.card aria-labelledby="h-files" {
            h2 #h-files { (tr.t("bo.files")) }
            ul.files { @for f in &o.deliverables { li { a href={ "/api/v1/orders/" (o.id) "/deliverables/" (f.id) } { (f.filename) } " — " (f.size_bytes) " o — " code.hash { (f.sha256) } } } }
            @if open {
                form method="post" action={ "/gestion/commandes/" (o.id) "/fichiers" } enctype="multipart/form-data" data-upload {
                    (csrf_field(&ctx))
                    label for="up-files" { (tr.t("bo.upload.label")) }
                    input #up-files type="file" name="files" multiple required;
                    progress.upload hidden max="100" value="0" aria-label=(tr.t("request.files.progress")) {}
                    button type="submit" { (tr.t("bo.upload")) }
                }
                form method="post" action={ "/gestion/commandes/" (o.id) "/livrer" } {
                    (csrf_field(&ctx))
                    p.hint { (tr.t("bo.deliver.help")) }
                    button.accept type="submit" disabled[o.deliverables.is_empty()] { (tr.t("bo.deliver")) }
                }
            }
            @if let Some(i) = o.invoice_id { p { a.button href={ "/gestion/factures/" (i) } { (tr.t("invoice.number")) } } }
        }
        section.card aria-labelledby="h-contacts" {
            h2 #h-contacts { (tr.t("bo.contacts")) }
            ul { @for n in &contacts { li { (date(&tr, n.created_at)) " — " strong { (n.author) } " : " (n.note) } } }
            form method="post" action={ "/gestion/commandes/" (o.id) "/contacts" } {
                (csrf_field(&ctx))
                label for="contact-note" { (tr.t("bo.contact_note")) }
                input #contact-note type="text" name="note" required;
                button type="submit" { (tr.t("bo.add")) }
            }
        }
        (staff_thread(&ctx, &messages, &format!("/gestion/commandes/{}/messages", o.id)))
    };
    page(&ctx, &format!("{} {}", tr.t("order.po"), o.purchase_order_number), body).into_response()
}

#[derive(Deserialize)]
pub struct StageForm {
    csrf: String,
    #[serde(default)]
    planned_date: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    notes: String,
}

pub async fn plan_stage(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path((id, sid)): Path<(Id, Id)>,
    Form(f): Form<StageForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return r;
    }
    let planned_date = match f.planned_date.trim() {
        "" => None,
        d => match d.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => return error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "planned_date: a date"),
        },
    };
    let plan = StagePlan { planned_date, assignee: Some(f.assignee), notes: Some(f.notes) };
    match state.store.plan_stage(&ctx.actor, id, sid, plan).await {
        Ok(_) => back(&format!("/gestion/commandes/{id}"), "planned"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn complete_stage(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path((id, sid)): Path<(Id, Id)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return r;
    }
    match state.store.complete_stage(&ctx.actor, id, sid).await {
        Ok(_) => back(&format!("/gestion/commandes/{id}"), "done"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

/// Final files from the browser: streamed to the file store one by one, each recorded with its
/// size and SHA-256. A failure keeps the files already recorded; the form can be sent again.
pub async fn upload(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    mut multipart: Multipart,
) -> Response {
    let mut csrf_checked = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return error_page(&ctx, StatusCode::BAD_REQUEST, &e.to_string()),
        };
        if field.name() == Some("csrf") {
            let token = field.text().await.unwrap_or_default();
            if let Some(r) = refused(&ctx, &token, Role::Production) {
                return r;
            }
            csrf_checked = true;
            continue;
        }
        if !csrf_checked {
            return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
        }
        // A file input left empty still sends a part, with an empty file name.
        let Some(name) = field.file_name().filter(|n| !n.is_empty()).map(str::to_string) else { continue };
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        match crate::api::orders::save_deliverable(&state, &ctx.actor, id, &name, &content_type, field).await {
            Ok(_) => {}
            Err(crate::problem::ApiError::Domain(e)) => return domain_error_page(&ctx, e),
            Err(crate::problem::ApiError::Http { status, detail, .. }) => return error_page(&ctx, status, &detail),
        }
    }
    back(&format!("/gestion/commandes/{id}"), "uploaded")
}

pub async fn deliver(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return r;
    }
    match state.store.deliver_order(&ctx.actor, id).await {
        Ok(d) => back(&format!("/gestion/factures/{}", d.invoice.id), "delivered"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn invoices(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.invoices(Scope::Staff, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let names = client_names(&state, list.items.iter().map(|i| i.client_id)).await;
    let statuses = ["unpaid", "overdue", "issued", "partially_paid", "paid", "cancelled"];
    let body = html! {
        (search_form(&tr, "/gestion/factures", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("invoice.number")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("invoice.issued")) }
                th scope="col" { (tr.t("invoice.due")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" class="num" { (tr.t("invoice.amount_due")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for i in &list.items { tr {
                td { a href={ "/gestion/factures/" (i.id) } { (i.number) } }
                td { (name_of(&names, i.client_id)) }
                td { (tr.date(i.issue_date)) } td { (tr.date(i.due_date)) }
                td.num { (tr.money(i.totals.total_incl_vat)) } td.num { (tr.money(i.amount_due)) }
                td { (badge(&tr, i.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/factures", &form, &list))
    };
    page(&ctx, tr.t("nav.invoices"), body).into_response()
}

pub async fn invoice(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> Response {
    invoice_page(&state, &ctx, id, flash(&ctx.tr, &fl), None).await
}

async fn invoice_page(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    err: Option<DomainError>,
) -> Response {
    let tr = ctx.tr;
    let i = match state.store.invoice(Scope::Staff, id).await {
        Ok(i) => i,
        Err(e) => return domain_error_page(ctx, e),
    };
    let names = client_names(state, [i.client_id]).await;
    let today = immovr_core::ports::today(state.clock.as_ref());
    let open = matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid);
    let body = html! {
        @if let Some(f) = flash { (f) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        p.lead { (badge(&tr, i.status.as_str())) " " strong { (name_of(&names, i.client_id)) } }
        dl.facts {
            dt { (tr.t("invoice.issued")) } dd { (tr.date(i.issue_date)) }
            dt { (tr.t("invoice.due")) } dd { (tr.date(i.due_date)) }
            dt { (tr.t("invoice.reference")) } dd { code { (i.payment_reference) } }
            dt { (tr.t("invoice.paid")) } dd { (tr.money(i.amount_paid)) }
            dt { (tr.t("invoice.amount_due")) } dd { strong { (tr.money(i.amount_due)) } }
        }
        (super::pdf_links(&tr, &super::account::invoice_pdfs(&i)))
        (lines_table(&tr, &i.lines, &i.totals))
        @if !i.payments.is_empty() {
            section.card { h2 { (tr.t("invoice.payments")) }
                ul { @for p in &i.payments { li { (tr.date(p.date)) " — " (tr.money(p.amount)) " — "
                    @if p.method == PaymentMethod::Transfer { (tr.t("invoice.transfer")) " " (p.reference.clone().unwrap_or_default()) }
                    @else { (tr.t("invoice.cheque")) " n° " (p.cheque_number.clone().unwrap_or_default()) " (" (p.bank.clone().unwrap_or_default()) ")" } } } } }
        }
        @if open {
            div.actions {
                form.card method="post" action={ "/gestion/factures/" (i.id) "/paiements" } {
                    h2 { (tr.t("invoice.transfer")) }
                    (csrf_field(ctx))
                    input type="hidden" name="method" value="transfer";
                    label for="t-amount" { (tr.t("amount")) } input #t-amount type="text" inputmode="decimal" name="amount" value=(i.amount_due) required;
                    label for="t-date" { (tr.t("date")) } input #t-date type="date" name="date" value=(today) required;
                    label for="t-ref" { (tr.t("bo.bank_reference")) } input #t-ref type="text" name="reference" value=(i.payment_reference) required;
                    button type="submit" { (tr.t("bo.record_transfer")) }
                }
                form.card method="post" action={ "/gestion/factures/" (i.id) "/paiements" } {
                    h2 { (tr.t("invoice.cheque")) }
                    (csrf_field(ctx))
                    input type="hidden" name="method" value="cheque";
                    label for="c-amount" { (tr.t("amount")) } input #c-amount type="text" inputmode="decimal" name="amount" value=(i.amount_due) required;
                    label for="c-number" { (tr.t("bo.cheque_number")) } input #c-number type="text" name="cheque_number" required;
                    label for="c-bank" { (tr.t("bo.bank")) } input #c-bank type="text" name="bank" required;
                    label for="c-date" { (tr.t("bo.received")) } input #c-date type="date" name="date" value=(today) required;
                    label for="c-deposit" { (tr.t("bo.deposit")) } input #c-deposit type="date" name="deposit_date";
                    button type="submit" { (tr.t("bo.record_cheque")) }
                }
            }
        }
        @if i.status == InvoiceStatus::Issued {
            form.card method="post" action={ "/gestion/factures/" (i.id) "/avoir" } {
                h2 { (tr.t("bo.credit_note")) }
                (csrf_field(ctx))
                label for="cn-reason" { (tr.t("bo.cancel_reason")) } input #cn-reason type="text" name="reason" required;
                button.refuse type="submit" { (tr.t("bo.credit_note")) }
            }
        }
    };
    page(ctx, &format!("{} {}", tr.t("invoice.number"), i.number), body).into_response()
}

pub async fn record_payment(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Accounting) {
        return r;
    }
    let amount = f.get("amount").trim().replace(',', ".").replace(' ', "").parse::<Decimal>();
    let date = f.get("date").parse::<Date>();
    let payment = match (amount, date, f.get("method").as_str()) {
        (Ok(amount), Ok(date), "transfer") => Ok(NewPayment::Transfer { amount, date, reference: f.get("reference") }),
        (Ok(amount), Ok(received_date), "cheque") => Ok(NewPayment::Cheque {
            amount,
            cheque_number: f.get("cheque_number"),
            bank: f.get("bank"),
            received_date,
            deposit_date: f.get("deposit_date").parse().ok(),
        }),
        (Err(_), ..) => Err(DomainError::validation("amount", "an amount, e.g. 1250.00")),
        (_, Err(_), _) => Err(DomainError::validation("date", "a date")),
        _ => Err(DomainError::validation("method", "transfer or cheque")),
    };
    match payment {
        Ok(p) => match state.store.record_payment(&ctx.actor, id, p).await {
            Ok(_) => back(&format!("/gestion/factures/{id}"), "paid"),
            Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await,
        },
        Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await,
    }
}

pub async fn credit_note(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Accounting) {
        return r;
    }
    match state.store.issue_credit_note(&ctx.actor, id, NewCreditNote { reason: f.reason.unwrap_or_default() }).await {
        Ok(_) => back(&format!("/gestion/factures/{id}"), "credited"),
        Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await,
    }
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
    let events = match state.store.audit_events(AuditFilter { entity_kind: kind, entity_id: q.id, list }).await {
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
    state.live.stream(None).into_response()
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
    let rows = match state.store.outbox(&query).await {
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
    match state.store.retry_outbox(&ctx.actor, id).await {
        Ok(_) => back("/gestion/courriels", "retried"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

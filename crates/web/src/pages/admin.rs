//! Back office, part two: the client directory (everything about a client in one place), the
//! catalogue, the company settings, staff users and their roles, and the order contact log.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use immovr_core::DomainError;
use immovr_core::listing::ListQuery;
use immovr_core::model::*;
use immovr_core::ports::{CatalogueItemPatch, NewCatalogueItem};
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::account::Fields;
use super::backoffice::{Flash, StaffCtx, back, flash, refused};
use super::paging::{ListForm, list_query, pager, search_form, see_all};
use super::{Ctx, badge, csrf_field, domain_error_page, error_page, notice, page};
use crate::AppState;

pub async fn clients(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(form): Query<ListForm>) -> Response {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.app.clients(&ctx.actor, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let body = html! {
        (search_form(&tr, "/gestion/clients", &form, &[], false))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("field.name")) } th scope="col" { (tr.t("login.email")) }
                th scope="col" { (tr.t("field.siren")) } th scope="col" { (tr.t("field.language")) } } }
            tbody { @for c in &list.items { tr {
                td { a href={ "/gestion/clients/" (c.id) } { (c.display_name()) } }
                td { (c.name) } td { (c.email) } td { (c.siren.as_deref().unwrap_or("—")) } td { (c.language.as_str()) }
            } } }
        } }
        (pager(&tr, "/gestion/clients", &form, &list))
    };
    page(&ctx, tr.t("bo.nav.clients"), body).into_response()
}

/// Records of each kind on a client's page (the full lists are a link away).
const CLIENT_ITEMS: i64 = 20;

pub async fn client(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Path(id): Path<Id>) -> Response {
    let tr = ctx.tr;
    // The client's most recent records of each kind; the full lists are a link away.
    let (s, a) = (&state.app, &ctx.actor);
    let theirs = ListQuery { limit: CLIENT_ITEMS, client_id: Some(id), ..ListQuery::first() };
    let all = async {
        Ok::<_, DomainError>((
            s.client(a, id).await?,
            s.quote_requests(a, &theirs).await?,
            s.quotes(a, &theirs).await?,
            s.orders(a, &theirs).await?,
            s.invoices(a, &theirs).await?,
        ))
    };
    let (c, requests, quotes, orders, invoices) = match all.await {
        Ok(x) => x,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let addr = c
        .billing_address
        .as_ref()
        .map(|a| format!("{}, {} {} ({})", a.line1, a.postcode, a.city, a.country))
        .unwrap_or_default();
    let body = html! {
        dl.facts {
            dt { (tr.t("field.name")) } dd { (c.name) }
            dt { (tr.t("login.email")) } dd { a href={ "mailto:" (c.email) } { (c.email) } }
            dt { (tr.t("field.phone")) } dd { (c.phone.as_deref().unwrap_or("—")) }
            @if c.kind == ClientKind::Company {
                dt { (tr.t("field.company")) } dd { (c.company_name.as_deref().unwrap_or("—")) }
                dt { (tr.t("field.siren")) } dd { (c.siren.as_deref().unwrap_or("—")) }
                dt { (tr.t("field.vat")) } dd { (c.vat_number.as_deref().unwrap_or("—")) }
            }
            dt { (tr.t("field.address")) } dd { (addr) }
            dt { (tr.t("field.language")) } dd { (c.language.as_str()) }
        }
        p { a.button href={ "/gestion/devis/nouveau?client=" (c.id) } { (tr.t("bo.new_quote")) } }
        section.card { h2 { (tr.t("bo.nav.requests")) }
            ul { @for r in &requests.items { li { (r.property_type) " — " (r.property_address) " " (badge(&tr, r.status.as_str())) } } }
            (see_all(&tr, &requests.next_cursor, &format!("/gestion/demandes?client={id}"))) }
        section.card { h2 { (tr.t("nav.quotes")) }
            ul { @for q in &quotes.items { li { a href={ "/gestion/devis/" (q.id) } { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } " — " (q.title) " " (badge(&tr, q.status.as_str())) } } }
            (see_all(&tr, &quotes.next_cursor, &format!("/gestion/devis?client={id}"))) }
        section.card { h2 { (tr.t("nav.orders")) }
            ul { @for o in &orders.items { li { a href={ "/gestion/commandes/" (o.id) } { (o.purchase_order_number) } " " (badge(&tr, o.status.as_str())) } } }
            (see_all(&tr, &orders.next_cursor, &format!("/gestion/commandes?client={id}"))) }
        section.card { h2 { (tr.t("nav.invoices")) }
            ul { @for i in &invoices.items { li { a href={ "/gestion/factures/" (i.id) } { (i.number) } " — " (tr.money(i.totals.total_incl_vat)) " " (badge(&tr, i.status.as_str())) } } }
            (see_all(&tr, &invoices.next_cursor, &format!("/gestion/factures?client={id}"))) }
    };
    page(&ctx, c.display_name(), body).into_response()
}

fn catalogue_page(
    ctx: &Ctx,
    items: &[CatalogueItem],
    rates: &[Decimal],
    fl: Option<Markup>,
    err: Option<&DomainError>,
) -> Markup {
    let tr = ctx.tr;
    let rate_select = |name: &str, id: &str, selected: Decimal| {
        html! {
            select id=(id) name=(name) { @for r in rates { option value=(r) selected[*r == selected] { (tr.number(*r)) " %" } } }
        }
    };
    html! {
        @if let Some(f) = fl { (f) }
        @if let Some(e) = err { (notice("error", &e.to_string())) }
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { "Code" } th scope="col" { (tr.t("bo.label_fr")) } th scope="col" { (tr.t("bo.label_en")) } th scope="col" { (tr.t("quote.unit")) }
                th scope="col" { (tr.t("quote.unit_price")) } th scope="col" { (tr.t("quote.vat")) } th scope="col" { (tr.t("bo.active")) } th scope="col" { span.sr { (tr.t("bo.actions")) } } } }
            tbody { @for i in items { tr {
                td { code { (i.code) } " " span.hint { (i.kind.as_str()) } }
                td { input form={ "cat-" (i.id) } type="text" name="label_fr" value=(i.label_fr) aria-label={ (tr.t("bo.label_fr")) " " (i.code) }; }
                td { input form={ "cat-" (i.id) } type="text" name="label_en" value=(i.label_en) aria-label={ (tr.t("bo.label_en")) " " (i.code) }; }
                td { input form={ "cat-" (i.id) } type="text" name="unit" value=(i.unit) aria-label={ (tr.t("quote.unit")) " " (i.code) }; }
                td { input form={ "cat-" (i.id) } type="text" inputmode="decimal" name="unit_price" value=(i.unit_price) aria-label={ (tr.t("quote.unit_price")) " " (i.code) }; }
                td { select form={ "cat-" (i.id) } name="vat_rate" aria-label={ (tr.t("quote.vat")) " " (i.code) } {
                    @for r in rates { option value=(r) selected[*r == i.vat_rate] { (tr.number(*r)) " %" } } } }
                td { input form={ "cat-" (i.id) } type="checkbox" name="active" value="on" checked[i.active] aria-label={ (tr.t("bo.active")) " " (i.code) }; }
                td { form id={ "cat-" (i.id) } method="post" action={ "/gestion/catalogue/" (i.id) } { (csrf_field(ctx)) button type="submit" { (tr.t("reset.save")) " " span.sr { (i.code) } } } }
            } } }
        } }
        form.card method="post" action="/gestion/catalogue" {
            h2 { (tr.t("bo.catalogue_new")) }
            (csrf_field(ctx))
            label for="n-code" { "Code" } input #n-code type="text" name="code" required;
            label for="n-kind" { (tr.t("bo.kind")) }
            select #n-kind name="kind" { option value="service" { (tr.t("bo.service")) } option value="option" { (tr.t("bo.option")) } }
            label for="n-fr" { (tr.t("bo.label_fr")) } input #n-fr type="text" name="label_fr" required;
            label for="n-en" { (tr.t("bo.label_en")) } input #n-en type="text" name="label_en" required;
            label for="n-unit" { (tr.t("quote.unit")) } input #n-unit type="text" name="unit" value="forfait" required;
            label for="n-price" { (tr.t("quote.unit_price")) } input #n-price type="text" inputmode="decimal" name="unit_price" required;
            label for="n-vat" { (tr.t("quote.vat")) } (rate_select("vat_rate", "n-vat", rates.first().copied().unwrap_or(Decimal::from(20))))
            button type="submit" { (tr.t("bo.add")) }
        }
    }
}

pub async fn catalogue(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> Response {
    let items = state.app.catalogue(false).await.unwrap_or_default();
    let rates = state.app.company().await.map(|c| c.vat_rates).unwrap_or_default();
    let body = catalogue_page(&ctx, &items, &rates, flash(&ctx.tr, &fl), None);
    page(&ctx, ctx.tr.t("bo.nav.catalogue"), body).into_response()
}

fn dec(field: &str, v: &str) -> Result<Decimal, DomainError> {
    v.trim().replace(',', ".").replace(' ', "").parse().map_err(|_| DomainError::validation(field, "not a number"))
}

async fn catalogue_error(state: &AppState, ctx: &Ctx, e: DomainError) -> Response {
    if let DomainError::Internal(_) = e {
        return domain_error_page(ctx, e);
    }
    let items = state.app.catalogue(false).await.unwrap_or_default();
    let rates = state.app.company().await.map(|c| c.vat_rates).unwrap_or_default();
    let status = crate::problem::status_of(&e);
    (status, page(ctx, ctx.tr.t("bo.nav.catalogue"), catalogue_page(ctx, &items, &rates, None, Some(&e))))
        .into_response()
}

pub async fn create_item(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return r;
    }
    let item = (|| {
        Ok::<_, DomainError>(NewCatalogueItem {
            code: f.get("code").trim().to_string(),
            kind: if f.get("kind") == "option" { CatalogueKind::Option } else { CatalogueKind::Service },
            label_fr: f.get("label_fr"),
            label_en: f.get("label_en"),
            unit: f.get("unit"),
            unit_price: dec("unit_price", &f.get("unit_price"))?,
            vat_rate: dec("vat_rate", &f.get("vat_rate"))?,
            active: true,
        })
    })();
    match item {
        Ok(item) => match state.app.create_catalogue_item(&ctx.actor, item).await {
            Ok(_) => back("/gestion/catalogue", "created"),
            Err(e) => catalogue_error(&state, &ctx, e).await,
        },
        Err(e) => catalogue_error(&state, &ctx, e).await,
    }
}

pub async fn update_item(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return r;
    }
    let patch = (|| {
        Ok::<_, DomainError>(CatalogueItemPatch {
            label_fr: Some(f.get("label_fr")),
            label_en: Some(f.get("label_en")),
            unit: Some(f.get("unit")),
            unit_price: Some(dec("unit_price", &f.get("unit_price"))?),
            vat_rate: Some(dec("vat_rate", &f.get("vat_rate"))?),
            active: Some(f.get("active") == "on"),
        })
    })();
    match patch {
        Ok(p) => match state.app.update_catalogue_item(&ctx.actor, id, p).await {
            Ok(_) => back("/gestion/catalogue", "saved"),
            Err(e) => catalogue_error(&state, &ctx, e).await,
        },
        Err(e) => catalogue_error(&state, &ctx, e).await,
    }
}

fn settings_form(ctx: &Ctx, c: &CompanySettings, fl: Option<Markup>, err: Option<&DomainError>) -> Markup {
    let tr = ctx.tr;
    let field = |name: &str, label: &str, value: &str| {
        html! {
            label for={ "s-" (name) } { (label) }
            input id={ "s-" (name) } type="text" name=(name) value=(value);
        }
    };
    let rates: Vec<String> = c.vat_rates.iter().map(|r| r.normalize().to_string()).collect();
    let stages: Vec<String> =
        c.stage_template.iter().map(|s| format!("{} | {} | {}", s.code, s.label_fr, s.label_en)).collect();
    html! {
        @if let Some(f) = fl { (f) }
        @if let Some(e) = err { (notice("error", &e.to_string())) }
        @if c.demo { (notice("warn", tr.t("bo.demo_settings"))) }
        form.card method="post" action="/gestion/parametres/logo" enctype="multipart/form-data" {
            (csrf_field(ctx))
            @if c.logo_key.is_some() { p { img.logo src="/logo" alt=(c.trade_name) height="60"; } }
            label for="s-logo" { (tr.t("bo.logo")) }
            input #s-logo type="file" name="logo" accept="image/png,image/jpeg,image/webp" required;
            button type="submit" { (tr.t("bo.logo.save")) }
        }
        form.card method="post" action="/gestion/parametres" {
            (csrf_field(ctx))
            fieldset { legend { (tr.t("bo.identity")) }
                (field("trade_name", tr.t("bo.trade_name"), &c.trade_name))
                (field("legal_name", tr.t("bo.legal_name"), &c.legal_name))
                (field("legal_form", tr.t("bo.legal_form"), &c.legal_form))
                (field("share_capital", tr.t("bo.capital"), &c.share_capital))
                (field("siren", tr.t("field.siren"), &c.siren))
                (field("siret", tr.t("field.siret"), &c.siret))
                (field("rcs", "RCS", &c.rcs))
                (field("vat_number", tr.t("field.vat"), &c.vat_number))
                (field("email", tr.t("login.email"), &c.email))
                (field("phone", tr.t("field.phone"), &c.phone))
                (field("line1", tr.t("field.line1"), &c.address.line1))
                (field("postcode", tr.t("field.postcode"), &c.address.postcode))
                (field("city", tr.t("field.city"), &c.address.city))
            }
            fieldset { legend { (tr.t("bo.payment")) }
                (field("iban", "IBAN", &c.iban))
                (field("bic", "BIC", &c.bic))
                (field("account_holder", tr.t("invoice.holder"), &c.account_holder))
                (field("cheque_payee", tr.t("invoice.cheque_to"), &c.cheque_payee))
                (field("cheque_line1", tr.t("invoice.cheque_address"), &c.cheque_address.line1))
                (field("cheque_postcode", tr.t("field.postcode"), &c.cheque_address.postcode))
                (field("cheque_city", tr.t("field.city"), &c.cheque_address.city))
                (field("payment_terms_days", tr.t("bo.payment_terms"), &c.payment_terms_days.to_string()))
                label for="s-late" { (tr.t("bo.late_wording")) }
                textarea #s-late name="late_payment_wording" rows="3" { (c.late_payment_wording) }
            }
            fieldset { legend { (tr.t("bo.numbering")) }
                (field("quote_prefix", tr.t("quote.number"), &c.quote_prefix))
                (field("purchase_order_prefix", tr.t("order.po"), &c.purchase_order_prefix))
                (field("invoice_prefix", tr.t("invoice.number"), &c.invoice_prefix))
                (field("credit_note_prefix", tr.t("bo.credit_note_short"), &c.credit_note_prefix))
                (field("vat_rates", tr.t("bo.vat_rates"), &rates.join(", ")))
                (field("default_vat_rate", tr.t("bo.default_vat"), &c.default_vat_rate.normalize().to_string()))
                (field("quote_validity_days", tr.t("bo.validity_days"), &c.quote_validity_days.to_string()))
                label.check { input type="checkbox" name="auto_validate" value="on" checked[c.auto_validate_purchase_orders]; " " (tr.t("bo.auto_validate")) }
                label for="s-stages" { (tr.t("bo.stage_template")) }
                textarea #s-stages name="stage_template" rows="7" { (stages.join("\n")) }
            }
            button type="submit" { (tr.t("reset.save")) }
        }
    }
}

pub async fn settings(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> Response {
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return error_page(&ctx, StatusCode::FORBIDDEN, &e.to_string());
    }
    match state.app.company().await {
        Ok(c) => {
            page(&ctx, ctx.tr.t("bo.nav.settings"), settings_form(&ctx, &c, flash(&ctx.tr, &fl), None)).into_response()
        }
        Err(e) => domain_error_page(&ctx, e),
    }
}

fn read_settings(mut c: CompanySettings, f: &Fields) -> Result<CompanySettings, DomainError> {
    let int =
        |name: &str| f.get(name).trim().parse::<i64>().map_err(|_| DomainError::validation(name, "a whole number"));
    c.trade_name = f.get("trade_name");
    c.legal_name = f.get("legal_name");
    c.legal_form = f.get("legal_form");
    c.share_capital = f.get("share_capital");
    c.siren = f.get("siren");
    c.siret = f.get("siret");
    c.rcs = f.get("rcs");
    c.vat_number = f.get("vat_number");
    c.email = f.get("email");
    c.phone = f.get("phone");
    c.address.line1 = f.get("line1");
    c.address.postcode = f.get("postcode");
    c.address.city = f.get("city");
    c.iban = f.get("iban");
    c.bic = f.get("bic");
    c.account_holder = f.get("account_holder");
    c.cheque_payee = f.get("cheque_payee");
    c.cheque_address.line1 = f.get("cheque_line1");
    c.cheque_address.postcode = f.get("cheque_postcode");
    c.cheque_address.city = f.get("cheque_city");
    c.payment_terms_days = int("payment_terms_days")?;
    c.late_payment_wording = f.get("late_payment_wording");
    c.quote_prefix = f.get("quote_prefix");
    c.purchase_order_prefix = f.get("purchase_order_prefix");
    c.invoice_prefix = f.get("invoice_prefix");
    c.credit_note_prefix = f.get("credit_note_prefix");
    c.vat_rates = f
        .get("vat_rates")
        .split([',', ';'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| dec("vat_rates", s))
        .collect::<Result<_, _>>()?;
    c.default_vat_rate = dec("default_vat_rate", &f.get("default_vat_rate"))?;
    c.quote_validity_days = int("quote_validity_days")?;
    c.auto_validate_purchase_orders = f.get("auto_validate") == "on";
    c.stage_template = f
        .get("stage_template")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [code, fr, en] if !code.is_empty() && !fr.is_empty() => {
                    Ok(StageTemplate { code: code.to_string(), label_fr: fr.to_string(), label_en: en.to_string() })
                }
                _ => Err(DomainError::validation("stage_template", "one stage a line: code | libellé | label")),
            }
        })
        .collect::<Result<_, _>>()?;
    c.demo = false;
    Ok(c)
}

pub async fn save_settings(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return r;
    }
    let current = match state.app.company().await {
        Ok(c) => c,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let result = match read_settings(current.clone(), &f) {
        Ok(c) => state.app.set_company(&ctx.actor, c).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => back("/gestion/parametres", "saved"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            (status, page(&ctx, ctx.tr.t("bo.nav.settings"), settings_form(&ctx, &current, None, Some(&e))))
                .into_response()
        }
    }
}

fn users_page(
    ctx: &Ctx,
    users: &[User],
    fl: Option<Markup>,
    err: Option<&DomainError>,
    created: Option<&str>,
) -> Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(f) = fl { (f) }
        @if let Some(e) = err { (notice("error", &e.to_string())) }
        @if let Some(p) = created { (notice("ok", &format!("{} {p}", tr.t("bo.user_created")))) }
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("field.name")) } th scope="col" { (tr.t("login.email")) } th scope="col" { (tr.t("bo.roles")) } } }
            tbody { @for u in users { tr {
                td { (u.name) } td { (u.email) }
                td {
                    form.inline method="post" action={ "/gestion/utilisateurs/" (u.id) } {
                        (csrf_field(ctx))
                        @for r in Role::ALL {
                            label.check { input type="checkbox" name="role" value=(r.as_str()) checked[u.roles.contains(r)]; " " (tr.t(&format!("bo.role.{}", r.as_str()))) }
                        }
                        button type="submit" { (tr.t("reset.save")) " " span.sr { (u.email) } }
                    }
                }
            } } }
        } }
        form.card method="post" action="/gestion/utilisateurs" {
            h2 { (tr.t("bo.user_new")) }
            (csrf_field(ctx))
            label for="u-name" { (tr.t("field.name")) } input #u-name type="text" name="name" required;
            label for="u-email" { (tr.t("login.email")) } input #u-email type="email" name="email" required;
            fieldset { legend { (tr.t("bo.roles")) }
                @for r in Role::ALL { label.check { input type="checkbox" name="role" value=(r.as_str()); " " (tr.t(&format!("bo.role.{}", r.as_str()))) } } }
            button type="submit" { (tr.t("bo.add")) }
        }
    }
}

pub async fn users(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> Response {
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return error_page(&ctx, StatusCode::FORBIDDEN, &e.to_string());
    }
    let list = state.app.staff_users(&ctx.actor).await.unwrap_or_default();
    page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, flash(&ctx.tr, &fl), None, None)).into_response()
}

fn roles_of(f: &Fields) -> Vec<Role> {
    f.all("role").iter().filter_map(|r| Role::ALL.iter().copied().find(|k| k.as_str() == r)).collect()
}

pub async fn create_user(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return r;
    }
    // A first password is generated and shown once; the person changes it with a reset link.
    let result = state.app.add_staff_member(&ctx.actor, f.get("email"), f.get("name"), roles_of(&f), None).await;
    let list = state.app.staff_users(&ctx.actor).await.unwrap_or_default();
    match result {
        Ok((u, password)) => page(
            &ctx,
            ctx.tr.t("bo.nav.users"),
            users_page(&ctx, &list, None, None, Some(&format!("{} : {}", u.email, password.unwrap_or_default()))),
        )
        .into_response(),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => (
            crate::problem::status_of(&e),
            page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, None, Some(&e), None)),
        )
            .into_response(),
    }
}

pub async fn update_roles(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return r;
    }
    match state.app.set_roles(&ctx.actor, id, roles_of(&f)).await {
        Ok(_) => back("/gestion/utilisateurs", "saved"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let list = state.app.staff_users(&ctx.actor).await.unwrap_or_default();
            (
                crate::problem::status_of(&e),
                page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, None, Some(&e), None)),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct ContactForm {
    csrf: String,
    note: String,
}

pub async fn log_contact(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<ContactForm>,
) -> Response {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return r;
    }
    match state.app.log_contact(&ctx.actor, id, &f.note).await {
        Ok(_) => back(&format!("/gestion/commandes/{id}"), "logged"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

/// The company logo: an image checked by its content, kept in the file store.
pub async fn upload_logo(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let mut checked = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("csrf") {
            let token = field.text().await.unwrap_or_default();
            if let Some(r) = refused(&ctx, &token, Role::Admin) {
                return r;
            }
            checked = true;
            continue;
        }
        if !checked || field.name() != Some("logo") {
            continue;
        }
        return match state.app.set_logo(&ctx.actor, crate::byte_stream(field)).await {
            Ok(()) => back("/gestion/parametres", "logo"),
            Err(e @ DomainError::Validation { .. }) if e.to_string().contains("image") => {
                error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("bo.logo"))
            }
            Err(e @ DomainError::Validation { .. }) => {
                error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
            }
            Err(e) => domain_error_page(&ctx, e),
        };
    }
    error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"))
}

/// The logo, public: it is printed on every document.
pub async fn logo(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    match state.app.company().await {
        Ok(CompanySettings { logo_key: Some(key), logo_content_type, .. }) => {
            let content_type = logo_content_type.unwrap_or_else(|| "image/png".into());
            let mut r = crate::download::serve_file(&state.app, &key, &headers, "logo", &content_type).await;
            r.headers_mut().remove(axum::http::header::CONTENT_DISPOSITION);
            r
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

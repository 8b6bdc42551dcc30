//! Clients: the list, searched; a client with its latest records of each kind, and the erasure
//! of its personal data (admin).

use super::*;
use immovr_core::links;

pub async fn clients(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.clients(&ctx.actor, &query).await?;
    let body = html! {
        (search_form(&tr, "/gestion/clients", &form, &[], false))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("field.name")) } th scope="col" { (tr.t("login.email")) }
                th scope="col" { (tr.t("field.siren")) } th scope="col" { (tr.t("field.language")) } } }
            tbody { @for c in &list.items { tr {
                td { a href=(links::backoffice::client(c.id)) { (c.display_name()) } }
                td { (c.name) } td { (c.email) } td { (c.siren.as_deref().unwrap_or("—")) } td { (c.language.as_str()) }
            } } }
        } }
        (pager(&tr, "/gestion/clients", &form, &list))
    };
    Ok(page(&ctx, tr.t("bo.nav.clients"), body).into_response())
}

/// Records of each kind on a client's page (the full lists are a link away).
const CLIENT_ITEMS: i64 = 20;

pub async fn client(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let said = flash.ok.as_deref().filter(|k| *k == "erased").map(|_| notice("ok", ctx.tr.t("erasure.done")));
    client_page(&state, &ctx, id, said, StatusCode::OK).await
}

/// The client's page, with a notice (an erasure done, or refused) on top.
async fn client_page(state: &AppState, ctx: &Ctx, id: Id, said: Option<Markup>, status: StatusCode) -> PageResult {
    let tr = ctx.tr;
    // The client's most recent records of each kind; the full lists are a link away.
    let (s, a) = (&state.app, &ctx.actor);
    let admin = a.require(Role::Admin).is_ok();
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
    let (c, requests, quotes, orders, invoices) = all.await?;
    let addr = c
        .billing_address
        .as_ref()
        .map(|a| format!("{}, {} {} ({})", a.line1, a.postcode, a.city, a.country))
        .unwrap_or_default();
    let body = html! {
        @if let Some(said) = said { (said) }
        @if let Some(at) = c.erased_at { (notice("info", &format!("{} {}", tr.t("erasure.erased_on"), date(&tr, at)))) }
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
        @if c.erased_at.is_none() { p { a.button href={ "/gestion/devis/nouveau?client=" (c.id) } { (tr.t("bo.new_quote")) } } }
        section.card { h2 { (tr.t("bo.nav.requests")) }
            ul { @for r in &requests.items { li { (r.property_type) " — " (r.property_address) " " (badge(&tr, r.status.as_str())) } } }
            (see_all(&tr, &requests.next_cursor, &format!("/gestion/demandes?client={id}"))) }
        section.card { h2 { (tr.t("nav.quotes")) }
            ul { @for q in &quotes.items { li { a href=(links::backoffice::quote(q.id)) { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } " — " (q.title) " " (badge(&tr, q.status.as_str())) } } }
            (see_all(&tr, &quotes.next_cursor, &format!("/gestion/devis?client={id}"))) }
        section.card { h2 { (tr.t("nav.orders")) }
            ul { @for o in &orders.items { li { a href=(links::backoffice::order(o.id)) { (o.purchase_order_number) } " " (badge(&tr, o.status.as_str())) } } }
            (see_all(&tr, &orders.next_cursor, &format!("/gestion/commandes?client={id}"))) }
        section.card { h2 { (tr.t("nav.invoices")) }
            ul { @for i in &invoices.items { li { a href=(links::backoffice::invoice(i.id)) { (i.number) } " — " (tr.money(i.totals.total_incl_vat)) " " (invoice_badge(&tr, i.status.as_str())) } } }
            (see_all(&tr, &invoices.next_cursor, &format!("/gestion/factures?client={id}"))) }
        (erasure_section(ctx, &c, admin))
    };
    Ok((status, page(ctx, c.display_name(), body)).into_response())
}

/// The erasure of the client's personal data: what it does, the client's request if any, and
/// the admin's button.
fn erasure_section(ctx: &Ctx, c: &Client, admin: bool) -> Markup {
    let tr = ctx.tr;
    html! {
        section.card aria-labelledby="h-erasure" {
            h2 #h-erasure { (tr.t("erasure.title")) }
            @if c.erased_at.is_some() {
                p { (tr.t("erasure.kept")) }
            } @else {
                @if let Some(at) = c.erasure_requested_at {
                    (notice("info", &format!("{} {}", tr.t("erasure.requested_on"), date(&tr, at))))
                }
                p { (tr.t("erasure.what")) }
                p { (tr.t("erasure.kept")) }
                @if admin {
                    form method="post" action={ "/gestion/clients/" (c.id) "/effacer" } {
                        (csrf_field(ctx))
                        label.check { input type="checkbox" name="confirm" value="on" required; " " (tr.t("erasure.confirm")) }
                        button.danger type="submit" { (tr.t("erasure.button")) }
                    }
                } @else {
                    p { (tr.t("erasure.admin_only")) }
                }
            }
        }
    }
}

/// Erases the client's personal data (admin), once the box is ticked.
pub async fn erase(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Admin) {
        return Ok(r);
    }
    if let Err(e) = confirmed(&f) {
        let said = notice("error", &error_text(ctx.tr, &e));
        return client_page(&state, &ctx, id, Some(said), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match state.app.erase_client(&ctx.actor, id).await {
        Ok(_) => Ok(back(&links::backoffice::client(id), "erased")),
        Err(e @ DomainError::Internal(_)) => Ok(domain_error_page(&ctx, e)),
        Err(e) => {
            let said = notice("error", &error_text(ctx.tr, &e));
            client_page(&state, &ctx, id, Some(said), crate::problem::status_of(&e)).await
        }
    }
}

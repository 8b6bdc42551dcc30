//! The catalogue of services and options: prices, VAT rates, what is offered.

use super::*;
use immovr_core::ports::{CatalogueItemPatch, NewCatalogueItem};

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
        (FormErrors::new(tr, err).summary())
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

pub async fn catalogue(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> PageResult {
    let items = state.app.catalogue(false).await?;
    let rates = state.app.company().await?.vat_rates;
    let body = catalogue_page(&ctx, &items, &rates, flash(&ctx.tr, &fl), None);
    Ok(page(&ctx, ctx.tr.t("bo.nav.catalogue"), body).into_response())
}

pub fn dec(field: &str, v: &str) -> Result<Decimal, DomainError> {
    immovr_core::money::read_decimal(v, true).ok_or_else(|| DomainError::validation(field, "not a number"))
}

async fn catalogue_error(state: &AppState, ctx: &Ctx, e: DomainError) -> PageResult {
    if let DomainError::Internal(_) = e {
        return Ok(domain_error_page(ctx, e));
    }
    let items = state.app.catalogue(false).await?;
    let rates = state.app.company().await?.vat_rates;
    let status = crate::problem::status_of(&e);
    Ok((status, page(ctx, ctx.tr.t("bo.nav.catalogue"), catalogue_page(ctx, &items, &rates, None, Some(&e))))
        .into_response())
}

pub async fn create_item(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return Ok(r);
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
    Ok(match item {
        Ok(item) => match state.app.create_catalogue_item(&ctx.actor, item).await {
            Ok(_) => back("/gestion/catalogue", "created"),
            Err(e) => catalogue_error(&state, &ctx, e).await?,
        },
        Err(e) => catalogue_error(&state, &ctx, e).await?,
    })
}

pub async fn update_item(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return Ok(r);
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
    Ok(match patch {
        Ok(p) => match state.app.update_catalogue_item(&ctx.actor, id, p).await {
            Ok(_) => back("/gestion/catalogue", "saved"),
            Err(e) => catalogue_error(&state, &ctx, e).await?,
        },
        Err(e) => catalogue_error(&state, &ctx, e).await?,
    })
}

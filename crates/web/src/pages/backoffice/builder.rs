//! The quote builder: a client (searched by name), lines from the catalogue or typed, quantities,
//! discounts and VAT; a draft from a request or from scratch.

use super::*;
use immovr_core::links;

/// The quote builder's form: client, title, validity, notes and line rows.
pub fn builder(
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
pub struct BuilderData {
    pub client_id: Option<Id>,
    pub client_locked: bool,
    pub request_id: Option<Id>,
    pub title: String,
    pub notes: String,
    pub valid_until: Option<String>,
    pub lines: Vec<LineInput>,
}

/// Reads the builder's rows; empty rows are skipped, bad numbers name their row.
pub fn read_builder(f: &Fields) -> Result<(Option<Id>, Option<Id>, QuoteDraft), DomainError> {
    let parse = |field: &str, row: usize, v: &str| -> Result<Decimal, DomainError> {
        if v.trim().is_empty() {
            return Ok(Decimal::ZERO);
        }
        immovr_core::money::read_decimal(v, true)
            .ok_or_else(|| DomainError::validation(format!("lines[{row}].{field}"), "not a number"))
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
pub fn client_search(tr: &Tr, action: &str, q: Option<&str>, keep: &[(&str, String)]) -> Markup {
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
) -> PageResult {
    let tr = ctx.tr;
    let catalogue = state.app.catalogue(false).await?;
    let company = state.app.company().await?;
    let mut data = BuilderData { client_id: q.client, ..Default::default() };
    if let Some(rid) = q.demande {
        let r = state.app.quote_request(&ctx.actor, rid).await?;
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
    let names = client_choices(&state, &ctx, q.client_q.as_deref(), data.client_id).await?;
    let body = html! {
        @if !data.client_locked { (client_search(&tr, "/gestion/devis/nouveau", q.client_q.as_deref(), &[])) }
        (builder(&ctx, "/gestion/devis", &names, &catalogue, &company.vat_rates, &data, None))
    };
    Ok(page(&ctx, tr.t("bo.new_quote"), body).into_response())
}

pub async fn create_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return Ok(r);
    }
    let result = match read_builder(&f) {
        Ok((Some(client_id), request_id, d)) => {
            state
                .app
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
    Ok(match result {
        Ok(q) => back(&links::backoffice::quote(q.id), "created"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let data = builder_data_from(&f);
            let names = client_choices(&state, &ctx, None, data.client_id).await?;
            let catalogue = state.app.catalogue(false).await?;
            let rates = state.app.company().await?.vat_rates;
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
    })
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
    let num = |v: Option<&String>| v.and_then(|s| immovr_core::money::read_decimal(s, true)).unwrap_or(Decimal::ZERO);
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

//! The quote builder: a client (searched by name), lines from the catalogue or typed, quantities,
//! discounts and VAT; a draft from a request or from scratch.

use super::*;
use immovr_core::Checks;
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
    let blank = LineInput {
        code: None,
        description: String::new(),
        quantity: Decimal::ONE,
        unit: "forfait".into(),
        unit_price: Decimal::ZERO,
        discount: Decimal::ZERO,
        vat_rate: rates.first().copied().unwrap_or(Decimal::from(20)),
    };
    rows.extend((0..3).map(|_| BuilderRow::from(&blank)));
    let errs = FormErrors::new(tr, err);
    let client_error = errs.at("client_id", "b-client", tr.t("bo.client"));
    let title_error = errs.at("title", "b-title", tr.t("bo.title"));
    let valid_error = errs.at("valid_until", "b-valid", tr.t("quote.valid_until"));
    let notes_error = errs.at("notes", "b-notes", tr.t("request.notes"));
    let lines_error = errs.at("lines", "b-lines", tr.t("quote.lines"));
    // Each cell of a refused line: its id, its label ("Qté, ligne 2"), why.
    let cell = |i: usize, field: &str, key: &str| {
        let id = format!("l{i}-{field}");
        let label = format!("{} — {} {}", tr.t(key), tr.t("bo.line"), i + 1);
        let error = errs.at(&format!("lines[{i}].{field}"), &id, &label);
        (id, label, error)
    };
    let form = html! {
            (csrf_field(ctx))
            @if let Some(r) = q.request_id { input type="hidden" name="request_id" value=(r); }
            label for="b-client" { (tr.t("bo.client")) }
            select #b-client name="client_id" required disabled[q.client_locked]
                aria-invalid=[client_error.as_ref().map(|_| "true")] aria-describedby=[described_by("b-client", None, &client_error)] {
                @for (id, name) in names { option value=(id) selected[Some(*id) == q.client_id] { (name) } }
            }
            (field_message("b-client", &client_error))
            @if q.client_locked { @if let Some(c) = q.client_id { input type="hidden" name="client_id" value=(c); } }
            label for="b-title" { (tr.t("bo.title")) }
            input #b-title type="text" name="title" value=(q.title) required
                aria-invalid=[title_error.as_ref().map(|_| "true")] aria-describedby=[described_by("b-title", None, &title_error)];
            (field_message("b-title", &title_error))
            label for="b-valid" { (tr.t("quote.valid_until")) }
            input #b-valid type="date" name="valid_until" value=[q.valid_until.as_deref()]
                aria-invalid=[valid_error.as_ref().map(|_| "true")] aria-describedby=[described_by("b-valid", None, &valid_error)];
            (field_message("b-valid", &valid_error))
            label for="b-notes" { (tr.t("request.notes")) }
            textarea #b-notes name="notes" rows="2" aria-invalid=[notes_error.as_ref().map(|_| "true")]
                aria-describedby=[described_by("b-notes", None, &notes_error)] { (q.notes) }
            (field_message("b-notes", &notes_error))
            datalist #catalogue {
                @for item in catalogue.iter().filter(|i| i.active) {
                    option value=(item.label(tr.0)) data-code=(item.code) data-unit=(item.unit) data-price=(item.unit_price) data-vat=(item.vat_rate) {}
                }
            }
            (field_message("b-lines", &lines_error))
            div.table-wrap #b-lines tabindex="0" { table.lines-edit {
                caption { (tr.t("quote.lines")) " " span.hint { (tr.t("bo.lines_help")) } }
                thead { tr {
                    th scope="col" { (tr.t("quote.description")) } th scope="col" { (tr.t("quote.qty")) } th scope="col" { (tr.t("quote.unit")) }
                    th scope="col" { (tr.t("quote.unit_price")) } th scope="col" { (tr.t("quote.discount")) } th scope="col" { (tr.t("quote.vat")) }
                } }
                tbody {
                    @for (i, l) in rows.iter().enumerate() {
                        @let (d_id, d_label, d_err) = cell(i, "description", "quote.description");
                        @let (q_id, q_label, q_err) = cell(i, "quantity", "quote.qty");
                        @let (u_id, u_label, u_err) = cell(i, "unit", "quote.unit");
                        @let (p_id, p_label, p_err) = cell(i, "unit_price", "quote.unit_price");
                        @let (r_id, r_label, r_err) = cell(i, "discount", "quote.discount");
                        @let (v_id, v_label, v_err) = cell(i, "vat_rate", "quote.vat");
                        tr.line {
                            td {
                                input type="hidden" name="code" value=(l.code);
                                input #(d_id) type="text" name="description" list="catalogue" value=(l.description) aria-label=(d_label)
                                    aria-invalid=[d_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&d_id, None, &d_err)];
                                (field_message(&d_id, &d_err))
                            }
                            td { input.n #(q_id) type="text" inputmode="decimal" name="quantity" value=(l.quantity) aria-label=(q_label)
                                    aria-invalid=[q_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&q_id, None, &q_err)];
                                (field_message(&q_id, &q_err)) }
                            td { input.u #(u_id) type="text" name="unit" value=(l.unit) aria-label=(u_label)
                                    aria-invalid=[u_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&u_id, None, &u_err)];
                                (field_message(&u_id, &u_err)) }
                            td { input.n #(p_id) type="text" inputmode="decimal" name="unit_price" value=(l.unit_price) aria-label=(p_label)
                                    aria-invalid=[p_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&p_id, None, &p_err)];
                                (field_message(&p_id, &p_err)) }
                            td { input.n #(r_id) type="text" inputmode="decimal" name="discount" value=(l.discount) aria-label=(r_label)
                                    aria-invalid=[r_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&r_id, None, &r_err)];
                                (field_message(&r_id, &r_err)) }
                            td {
                                select #(v_id) name="vat_rate" aria-label=(v_label)
                                    aria-invalid=[v_err.as_ref().map(|_| "true")] aria-describedby=[described_by(&v_id, None, &v_err)] {
                                    @for r in rates { option value=(r) selected[l.vat_rate.parse::<Decimal>().ok() == Some(*r)] { (tr.number(*r)) " %" } }
                                }
                                (field_message(&v_id, &v_err))
                            }
                        }
                    }
                }
            } }
            p.live-totals aria-live="polite" data-lang=(tr.lang()) {}
            div.buttons {
                button type="submit" { (tr.t("bo.save_draft")) }
                " "
                button.accept type="submit" name="then" value="send" { (tr.t("bo.save_and_send")) }
            }
    };
    html! {
        (errs.summary())
        form.card.builder method="post" action=(action) novalidate { (form) }
    }
}

/// What the client asked, beside the builder: the property, the services wanted, the wished
/// date, the notes and the plans and photos.
pub fn request_aside(tr: &Tr, r: &QuoteRequest, catalogue: &[CatalogueItem]) -> Markup {
    html! {
        aside.card.request aria-labelledby="h-request" {
            h2 #h-request { (tr.t("bo.request.asked")) }
            dl.facts {
                dt { (tr.t("request.type")) } dd { (r.property_type) }
                dt { (tr.t("request.address")) } dd { (r.property_address) }
                @if let Some(s) = r.surface_m2 { dt { (tr.t("request.surface")) } dd { (tr.number(s)) } }
                @if let Some(n) = r.rooms { dt { (tr.t("request.rooms")) } dd { (n) } }
                dt { (tr.t("request.services")) } dd { (services(tr, catalogue, &r.wanted)) }
                @if let Some(d) = r.wished_date { dt { (tr.t("request.date")) } dd { (tr.date(d)) } }
                @if let Some(n) = &r.notes { dt { (tr.t("request.notes")) } dd { (n) } }
            }
            @if !r.attachments.is_empty() {
                h3 { (tr.t("request.files")) }
                ul.files { @for a in &r.attachments {
                    li { a href={ "/api/v1/quote-requests/" (r.id) "/attachments/" (a.id) } { (a.filename) } " (" (human_size(a.size_bytes)) ")" }
                } }
            }
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
    pub lines: Vec<BuilderRow>,
}

/// A line of the builder as typed (a number that could not be read is shown as it was).
#[derive(Default, Clone)]
pub struct BuilderRow {
    pub code: String,
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub discount: String,
    pub vat_rate: String,
}

impl From<&LineInput> for BuilderRow {
    fn from(l: &LineInput) -> Self {
        BuilderRow {
            code: l.code.clone().unwrap_or_default(),
            description: l.description.clone(),
            quantity: l.quantity.normalize().to_string(),
            unit: l.unit.clone(),
            unit_price: l.unit_price.to_string(),
            discount: l.discount.to_string(),
            vat_rate: l.vat_rate.to_string(),
        }
    }
}

/// Reads the builder's rows (empty rows are skipped), with the refusals of what could not be
/// read (a bad number names its row; it reads as zero in the draft, which is then refused).
pub fn read_builder(f: &Fields) -> (Option<Id>, Option<Id>, QuoteDraft, Checks) {
    let mut checks = Checks::new();
    let mut parse = |field: &str, row: usize, v: &str| -> Decimal {
        if v.trim().is_empty() {
            return Decimal::ZERO;
        }
        immovr_core::money::read_decimal(v, true).unwrap_or_else(|| {
            checks.refuse(format!("lines[{row}].{field}"), "not a number");
            Decimal::ZERO
        })
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
            quantity: parse("quantity", row, qtys.get(i).map(String::as_str).unwrap_or("1")),
            unit: units.get(i).cloned().unwrap_or_default(),
            unit_price: parse("unit_price", row, prices.get(i).map(String::as_str).unwrap_or("")),
            discount: parse("discount", row, discounts.get(i).map(String::as_str).unwrap_or("")),
            vat_rate: parse("vat_rate", row, rates.get(i).map(String::as_str).unwrap_or("20")),
        });
    }
    let valid_until = match f.get("valid_until").trim() {
        "" => None,
        v => v.parse::<Date>().map_err(|_| checks.refuse("valid_until", "a date")).ok(),
    };
    let notes = Some(f.get("notes")).filter(|n| !n.trim().is_empty());
    let client_id = f.get("client_id").parse().ok();
    let request_id = f.get("request_id").parse().ok();
    (client_id, request_id, QuoteDraft { title: f.get("title"), notes, valid_until, lines }, checks)
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
    let mut aside = None;
    if let Some(rid) = q.demande {
        let r = state.app.quote_request(&ctx.actor, rid).await?;
        aside = Some(request_aside(&tr, &r, &catalogue));
        data.client_id = Some(r.client_id);
        data.client_locked = true;
        data.request_id = Some(r.id);
        data.title = format!("{} — {}", r.property_type, r.property_address);
        data.lines = r
            .wanted
            .iter()
            .filter_map(|code| catalogue.iter().find(|c| &c.code == code))
            .map(|c| {
                BuilderRow::from(&LineInput {
                    code: Some(c.code.clone()),
                    description: c.label(tr.0).to_string(),
                    quantity: Decimal::ONE,
                    unit: c.unit.clone(),
                    unit_price: c.unit_price,
                    discount: Decimal::ZERO,
                    vat_rate: c.vat_rate,
                })
            })
            .collect();
    }
    let names = client_choices(&state, &ctx, q.client_q.as_deref(), data.client_id).await?;
    let body = html! {
        @if !data.client_locked { (client_search(&tr, "/gestion/devis/nouveau", q.client_q.as_deref(), &[])) }
        div.with-aside {
            div { (builder(&ctx, "/gestion/devis", &names, &catalogue, &company.vat_rates, &data, None)) }
            @if let Some(a) = &aside { (a) }
        }
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
    let (client_id, request_id, d, mut checks) = read_builder(&f);
    if client_id.is_none() {
        checks.refuse("client_id", "choose a client");
    }
    let result = match (client_id, checks.is_empty()) {
        (Some(client_id), true) => {
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
        _ => Err(state.app.check_draft_form(checks, &d).await.err().unwrap_or(DomainError::QuoteEmpty)),
    };
    Ok(match result {
        // "Enregistrer et envoyer": the draft saved, then sent (its own use case).
        Ok(q) if f.get("then") == "send" => match state.app.send_quote(&ctx.actor, q.id).await {
            Ok(_) => back(&links::backoffice::quote(q.id), "sent"),
            Err(e) => {
                let page = super::quotes::quote_page_for(&state, &ctx, q.id, None, Some(e), None, None).await?;
                (StatusCode::CONFLICT, page).into_response()
            }
        },
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
pub fn builder_data_from(f: &Fields) -> BuilderData {
    let (codes, descs, qtys, units, prices, discounts, rates) = (
        f.all("code"),
        f.all("description"),
        f.all("quantity"),
        f.all("unit"),
        f.all("unit_price"),
        f.all("discount"),
        f.all("vat_rate"),
    );
    let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let lines = descs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.trim().is_empty())
        .map(|(i, d)| BuilderRow {
            code: at(&codes, i),
            description: d.clone(),
            quantity: at(&qtys, i),
            unit: at(&units, i),
            unit_price: at(&prices, i),
            discount: at(&discounts, i),
            vat_rate: at(&rates, i),
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

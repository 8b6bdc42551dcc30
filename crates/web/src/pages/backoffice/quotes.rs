//! Quotes in the back office: the list, a quote with its versions and thread, sending, revising,
//! extending, duplicating.

use super::*;
use immovr_core::links;

pub async fn quotes(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.quotes(&ctx.actor, &query).await?;
    let names = client_names(&state, list.items.iter().map(|q| q.client_id)).await?;
    let statuses = ["draft", "sent", "expired", "accepted", "refused", "superseded"];
    let body = html! {
        p { a.button href="/gestion/devis/nouveau" { (tr.t("bo.new_quote")) } }
        (search_form(&tr, "/gestion/devis", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("quote.number")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("bo.title")) }
                th scope="col" { (tr.t("quote.valid_until")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for q in &list.items { tr {
                td { a href=(links::backoffice::quote(q.id)) { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } }
                td { (name_of(&names, q.client_id)) }
                td { (q.title) }
                td { (tr.date(q.valid_until)) }
                td.num { (tr.money(q.totals.total_incl_vat)) }
                td { (badge(&tr, q.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/devis", &form, &list))
    };
    Ok(page(&ctx, tr.t("nav.quotes"), body).into_response())
}

pub async fn quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> PageResult {
    let client_q = fl.client_q.clone();
    quote_page_for(&state, &ctx, id, flash(&ctx.tr, &fl), None, client_q.as_deref(), None).await
}

async fn quote_page(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    err: Option<DomainError>,
) -> PageResult {
    quote_page_for(state, ctx, id, flash, err, None, None).await
}

pub(super) async fn quote_page_for(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    err: Option<DomainError>,
    client_q: Option<&str>,
    typed: Option<&Fields>,
) -> PageResult {
    let tr = ctx.tr;
    let q = state.app.quote(&ctx.actor, id).await?;
    // The quote's client, and the clients it may be duplicated for.
    let names = client_choices(state, ctx, client_q, Some(q.client_id)).await?;
    let versions: Vec<Quote> = state.app.quote_versions(&ctx.actor, q.family_id).await?;
    let messages = state.app.read_thread(&ctx.actor, ThreadKind::Quote, id).await?;
    let errs = FormErrors::new(tr, err.as_ref());
    // Rendered first: its fields claim their errors for the summary above it.
    let offline_form = matches!(q.status, QuoteStatus::Sent | QuoteStatus::Expired)
        .then(|| offline_acceptance_form(ctx, &q, &name_of(&names, q.client_id), state.app.today(), typed, &errs));
    let body = html! {
        @if let Some(f) = flash { (f) }
        p.lead { (badge(&tr, q.status.as_str())) " " strong { (name_of(&names, q.client_id)) } " — " (q.title) }
        @if q.status == QuoteStatus::Draft {
            // A revision: what the client asked of the version before, above the builder.
            @if let Some(r) = versions.iter().find(|v| v.version == q.version - 1).and_then(|v| v.refusal.as_ref()) {
                (notice("warn", &format!("{} ({} {}) — « {} »", tr.t(&format!("bo.refusal.{}", r.kind.as_str())),
                    tr.t("quote.version"), q.version - 1, r.comment.clone().unwrap_or_default())))
            }
            @let catalogue = state.app.catalogue(false).await?;
            @let rates = state.app.company().await?.vat_rates;
            @let asked = match q.request_id { Some(r) => Some(state.app.quote_request(&ctx.actor, r).await?), None => None };
            @let data = match typed {
                // The draft as typed, after a refusal.
                Some(f) => BuilderData { client_id: Some(q.client_id), client_locked: true, ..builder_data_from(f) },
                None => BuilderData { client_id: Some(q.client_id), client_locked: true, request_id: None, title: q.title.clone(),
                    notes: q.notes.clone().unwrap_or_default(), valid_until: Some(q.valid_until.to_string()),
                    lines: q.lines.iter().map(|l| BuilderRow::from(&l.to_input())).collect() },
            };
            div.with-aside {
                div { (builder(ctx, &links::backoffice::quote(q.id), &names, &catalogue, &rates, &data, err.as_ref())) }
                @if let Some(r) = &asked { (super::builder::request_aside(&tr, r, &catalogue)) }
            }
            h2 { (tr.t("bo.preview")) }
            (lines_table(&tr, &q.lines, &q.totals))
        } @else {
            (errs.summary())
            dl.facts {
                dt { (tr.t("quote.number")) } dd { (q.number.as_deref().unwrap_or("—")) " v" (q.version) }
                dt { (tr.t("quote.valid_until")) } dd { (tr.date(q.valid_until)) }
            }
            @let po = if q.acceptance.is_some() { state.app.purchase_order_for_quote(&ctx.actor, q.id).await?.map(|p| p.id) } else { None };
            (pdf_links(&tr, &quote_docs(&q, po), None))
            (lines_table(&tr, &q.lines, &q.totals))
            @if let Some(r) = &q.refusal { (notice("warn", &format!("{} — {}", tr.t(&format!("bo.refusal.{}", r.kind.as_str())), r.comment.clone().unwrap_or_default()))) }
            @if let Some(a) = &q.acceptance { (acceptance_facts(ctx, &q, a)) }
            div.actions {
                @if let Some(form) = &offline_form { (form) }
                @if matches!(q.status, QuoteStatus::Sent | QuoteStatus::Refused | QuoteStatus::Expired) {
                    form.card method="post" action={ (links::backoffice::quote(q.id)) "/reviser" } {
                        (csrf_field(ctx))
                        p { (tr.t("bo.revise.help")) }
                        button type="submit" { (tr.t("bo.revise")) }
                    }
                }
                (client_search(&tr, &links::backoffice::quote(q.id), client_q, &[]))
                form.card method="post" action={ (links::backoffice::quote(q.id)) "/dupliquer" } {
                    (csrf_field(ctx))
                    p { (tr.t("bo.duplicate.help")) }
                    label for="dup-client" { (tr.t("bo.client")) }
                    select #dup-client name="client_id" {
                        @for (cid, name) in &names { option value=(cid) selected[*cid == q.client_id] { (name) } }
                    }
                    button type="submit" { (tr.t("bo.duplicate")) }
                }
                @if matches!(q.status, QuoteStatus::Sent | QuoteStatus::Expired) {
                    form.card method="post" action={ (links::backoffice::quote(q.id)) "/prolonger" } {
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
                ol.versions { @for v in &versions { li { a href=(links::backoffice::quote(v.id)) { "v" (v.version) } " " (badge(&tr, v.status.as_str())) " — " (tr.money(v.totals.total_incl_vat)) } } } }
        }
        (staff_thread(ctx, &messages, &format!("{}/messages", links::backoffice::quote(q.id))))
    };
    let title = format!("{} {} v{}", tr.t("quote.number"), q.number.as_deref().unwrap_or("—"), q.version);
    // A refused action shows the page again, with the refusal's status.
    let status = err.as_ref().map_or(StatusCode::OK, crate::problem::status_of);
    Ok((status, page(ctx, &title, body)).into_response())
}

/// The acceptance's evidence: who, when, how; an offline one with its signed document.
fn acceptance_facts(ctx: &Ctx, q: &Quote, a: &Acceptance) -> Markup {
    let tr = ctx.tr;
    html! {
        section.card aria-labelledby="h-acc" {
            h2 #h-acc { (tr.t("bo.acceptance")) }
            dl.facts {
                dt { (tr.t("quote.accepted.by")) } dd { strong { (a.signer_name) } }
                @if let Some(d) = a.signed_on { dt { (tr.t("bo.offline.signed_on")) } dd { (tr.date(d)) } }
                dt { (tr.t("bo.offline.channel")) } dd { (tr.t(&format!("bo.offline.{}", a.channel.as_str()))) }
                dt { (tr.t(if a.recorded_by.is_some() { "bo.offline.recorded" } else { "bo.accepted_at" })) }
                dd { @if let Some(who) = &a.recorded_by { (who) ", " } (date_time(&tr, a.accepted_at)) }
                @if let Some(sent_at) = a.link_sent_at { dt { (tr.t("quote.via_link")) } dd { (date_time(&tr, sent_at)) } }
                @if let Some(e) = &a.evidence {
                    dt { (tr.t("bo.offline.evidence")) }
                    dd { a href={ "/api/v1/quotes/" (q.id) "/offline-acceptance/evidence" } { (e.filename) } " — " (human_size(e.size_bytes)) " — " code.hash { (e.sha256) } }
                }
                @if let Some(v) = a.terms_version {
                    dt { (tr.t("legal.cgv")) } dd { a href={ "/cgv/v/" (v) } { (tr.t("legal.version")) " " (v) } }
                }
                dt { (tr.t("bo.content_hash")) } dd { code.hash { (a.content_sha256) } }
            }
        }
    }
}

/// Staff record an acceptance received on paper or by signed email, with the signed document.
fn offline_acceptance_form(
    ctx: &Ctx,
    q: &Quote,
    client_name: &str,
    today: Date,
    typed: Option<&Fields>,
    errs: &FormErrors,
) -> Markup {
    let tr = ctx.tr;
    let get = |name: &str, default: String| typed.map(|f| f.get(name)).unwrap_or(default);
    let today = today.to_string();
    let channel = get("channel", "paper".into());
    let signer_error = errs.at("signer_name", "off-signer", tr.t("bo.offline.signer"));
    let date_error = errs.at("signed_on", "off-date", tr.t("bo.offline.signed_on"));
    let channel_error = errs.at("channel", "off-channel", tr.t("bo.offline.channel"));
    let file_error = errs.at("evidence", "off-file", tr.t("bo.offline.evidence"));
    html! {
        form.card method="post" action={ (links::backoffice::quote(q.id)) "/accord" } enctype="multipart/form-data" data-upload novalidate {
            (csrf_field(ctx))
            h2 { (tr.t("bo.offline.title")) }
            p { (tr.t("bo.offline.help")) }
            label for="off-signer" { (tr.t("bo.offline.signer")) }
            input #off-signer type="text" name="signer_name" required maxlength="200" value=(get("signer_name", client_name.to_string()))
                aria-invalid=[signer_error.as_ref().map(|_| "true")] aria-describedby=[described_by("off-signer", None, &signer_error)];
            (field_message("off-signer", &signer_error))
            label for="off-date" { (tr.t("bo.offline.signed_on")) }
            input #off-date type="date" name="signed_on" required max=(today) value=(get("signed_on", today.clone()))
                aria-invalid=[date_error.as_ref().map(|_| "true")] aria-describedby=[described_by("off-date", None, &date_error)];
            (field_message("off-date", &date_error))
            fieldset.inline #off-channel tabindex="-1" aria-describedby=[described_by("off-channel", None, &channel_error)] {
                legend { (tr.t("bo.offline.channel")) }
                @for c in ["paper", "email"] {
                    label { input type="radio" name="channel" value=(c) checked[channel == c]; " " (tr.t(&format!("bo.offline.{c}"))) }
                }
                (field_message("off-channel", &channel_error))
            }
            fieldset {
                legend { (tr.t("withdrawal.title")) }
                p.hint { (tr.t("withdrawal.bo.offline")) }
                label.check { input type="checkbox" name="early_start" value="on" checked[get("early_start", String::new()) == "on"];
                    " " (tr.t("withdrawal.bo.offline_early")) }
                label.check { input type="checkbox" name="on_premises" value="on" checked[get("on_premises", String::new()) == "on"];
                    " " (tr.t("withdrawal.bo.on_premises")) }
            }
            label for="off-file" { (tr.t("bo.offline.evidence")) }
            input #off-file type="file" name="evidence" required accept=(ACCEPTED_FILES) data-max-files="1"
                aria-describedby=[described_by("off-file", Some("off-file-help"), &file_error)] aria-invalid=[file_error.as_ref().map(|_| "true")];
            p.hint #off-file-help { (tr.t("bo.offline.evidence_help")) }
            (field_message("off-file", &file_error))
            button.accept type="submit" { (tr.t("bo.offline.submit")) }
        }
    }
}

pub fn staff_thread(ctx: &Ctx, messages: &[Message], action: &str) -> Markup {
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
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Sales) {
        return Ok(r);
    }
    let (_, _, draft, checks) = read_builder(&f);
    let result = match checks.is_empty() {
        true => state.app.update_quote(&ctx.actor, id, draft).await.map(|_| ()),
        false => state.app.check_draft_form(checks, &draft).await,
    };
    Ok(match result {
        Ok(()) if f.get("then") == "send" => match state.app.send_quote(&ctx.actor, id).await {
            Ok(_) => back(&links::backoffice::quote(id), "sent"),
            Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
        },
        Ok(()) => back(&links::backoffice::quote(id), "saved"),
        Err(e @ (DomainError::Validation { .. } | DomainError::Invalid { .. })) => {
            let status = crate::problem::status_of(&e);
            let mut r = quote_page_for(&state, &ctx, id, None, Some(e), None, Some(&f)).await?;
            *r.status_mut() = status;
            r
        }
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
    })
}

/// An acceptance received offline, with its signed document (multipart): the purchase order
/// is created as for an acceptance in the portal; a refusal shows the form again as typed.
pub async fn record_acceptance(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    multipart: Multipart,
) -> PageResult {
    let (upload, result) = match read_upload_form(&state, multipart, Upload::Evidence).await {
        Ok(upload) => {
            if let Some(r) = refused(&ctx, &upload.fields.get("csrf"), Role::Sales) {
                upload.discard(&state).await;
                return Ok(r);
            }
            let result = match (offline_acceptance(&upload.fields, !upload.files.is_empty()), upload.files.first()) {
                (Ok(a), Some(evidence)) => {
                    state.app.record_offline_acceptance(&ctx.actor, id, a, evidence.clone()).await.map(|_| ())
                }
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(DomainError::validation("evidence", "attach the signed document")),
            };
            (upload, result)
        }
        Err((upload, e)) => (upload, Err(e)),
    };
    match result {
        Ok(()) => Ok(back(&links::backoffice::quote(id), "accepted")),
        Err(e) => {
            upload.discard(&state).await;
            quote_page_for(&state, &ctx, id, None, Some(e), None, Some(&upload.fields)).await
        }
    }
}

pub async fn send_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    Ok(match state.app.send_quote(&ctx.actor, id).await {
        Ok(_) => back(&links::backoffice::quote(id), "sent"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
    })
}

pub async fn revise_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    Ok(match state.app.revise_quote(&ctx.actor, id).await {
        Ok(q) => back(&links::backoffice::quote(q.id), "revised"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
    })
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
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    let q = state.app.quote(&ctx.actor, id).await?;
    let copy = NewQuote {
        client_id: f.client_id,
        request_id: None,
        title: q.title.clone(),
        notes: q.notes.clone(),
        valid_until: None,
        lines: q.lines.iter().map(|l| l.to_input()).collect(),
    };
    Ok(match state.app.create_quote(&ctx.actor, copy).await {
        Ok(new) => back(&links::backoffice::quote(new.id), "duplicated"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
    })
}

pub async fn extend_quote(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    let result = match f.valid_until.as_deref().unwrap_or("").parse::<Date>() {
        Ok(d) => state.app.extend_quote(&ctx.actor, id, d).await,
        Err(_) => Err(DomainError::validation("valid_until", "a date")),
    };
    Ok(match result {
        Ok(_) => back(&links::backoffice::quote(id), "extended"),
        Err(e) => quote_page(&state, &ctx, id, None, Some(e)).await?,
    })
}

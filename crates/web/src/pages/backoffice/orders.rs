//! Purchase orders (validate, cancel), orders with their stages (plan, done), contacts with the
//! client, final files (upload) and delivery.

use super::*;
use immovr_core::links;

pub async fn purchase_orders(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(fl): Query<Flash>,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.purchase_orders(&ctx.actor, &query).await?;
    let names = client_names(&state, list.items.iter().map(|p| p.client_id)).await?;
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        (search_form(&tr, "/gestion/bons-de-commande", &form, &["pending", "validated", "cancelled"], true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("quote.number")) }
                th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } th scope="col" { span.sr { (tr.t("bo.actions")) } } } }
            tbody { @for p in &list.items { tr {
                td { a.pdf href={ "/api/v1/purchase-orders/" (p.id) "/pdf" } download type="application/pdf" { (p.number) } }
                td { (name_of(&names, p.client_id)) }
                td { a href=(links::backoffice::quote(p.quote_id)) { (p.quote_number) " v" (p.quote_version) } }
                td.num { (tr.money(p.totals.total_incl_vat)) }
                td { (badge(&tr, p.status.as_str())) @if let Some(r) = &p.cancel_reason { p.hint { (r) } } }
                td {
                    @if p.status == PurchaseOrderStatus::Pending {
                        form.inline method="post" action={ (links::backoffice::purchase_order(p.id)) "/valider" } {
                            (csrf_field(&ctx)) button.accept type="submit" { (tr.t("bo.validate")) " " span.sr { (p.number) } }
                        }
                        form.inline method="post" action={ (links::backoffice::purchase_order(p.id)) "/annuler" } {
                            (csrf_field(&ctx))
                            label for={ "reason-" (p.id) } { (tr.t("bo.cancel_reason")) }
                            input id={ "reason-" (p.id) } type="text" name="reason" required;
                            (confirm_box(&tr, &format!("confirm-{}", p.id), &None))
                            button.refuse type="submit" { (tr.t("bo.cancel")) }
                        }
                    }
                    @if let Some(o) = p.order_id { a href=(links::backoffice::order(o)) { (tr.t("view")) } }
                }
            } } }
        } }
        (pager(&tr, "/gestion/bons-de-commande", &form, &list))
    };
    Ok(page(&ctx, tr.t("bo.nav.pos"), body).into_response())
}

pub async fn validate_po(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    Ok(match state.app.validate_purchase_order(&ctx.actor, id).await {
        Ok(po) => match po.order_id {
            Some(o) => back(&links::backoffice::order(o), "validated"),
            None => back("/gestion/bons-de-commande", "validated"),
        },
        Err(e) => domain_error_page(&ctx, e),
    })
}

pub async fn cancel_po(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    if let Err(e) = confirmed(&f) {
        return Ok(error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &error_text(ctx.tr, &e)));
    }
    state.app.cancel_purchase_order(&ctx.actor, id, f.reason.as_deref().unwrap_or("")).await?;
    Ok(back("/gestion/bons-de-commande", "cancelled"))
}

pub async fn orders(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.orders(&ctx.actor, &query).await?;
    let names = client_names(&state, list.items.iter().map(|o| o.client_id)).await?;
    let statuses = ["open", "registered", "in_progress", "delivered", "cancelled"];
    let body = html! {
        (search_form(&tr, "/gestion/commandes", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("order.timeline")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for o in &list.items { tr {
                td { a href=(links::backoffice::order(o.id)) { (o.purchase_order_number) } }
                td { (name_of(&names, o.client_id)) }
                td { (o.stages.iter().filter(|s| s.status == StageStatus::Done).count()) " / " (o.stages.len()) }
                td { (badge(&tr, o.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/commandes", &form, &list))
    };
    Ok(page(&ctx, tr.t("nav.orders"), body).into_response())
}

pub async fn order(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> PageResult {
    let tr = ctx.tr;
    let o = state.app.order(&ctx.actor, id).await?;
    let names = client_names(&state, [o.client_id]).await?;
    let messages = state.app.read_thread(&ctx.actor, ThreadKind::Order, id).await?;
    let contacts = state.app.contact_log(&ctx.actor, id).await?;
    let team = state.app.studio_team(&ctx.actor).await?;
    let open = matches!(o.status, OrderStatus::Registered | OrderStatus::InProgress);
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        p.lead { (badge(&tr, o.status.as_str())) " " strong { (name_of(&names, o.client_id)) } " — " (o.purchase_order_number) }
        @if let Some(w) = &o.withdrawal {
            @match w.withdrawn_at {
                Some(at) => { (notice("warn", &format!("{} {}{}", tr.t("withdrawal.bo.withdrawn"), date(&tr, at),
                    w.amount_due.filter(|d| !d.is_zero()).map(|d| format!(" — {} {}", tr.t("withdrawal.due"), tr.money(d))).unwrap_or_default()))) }
                None => { (notice("info", &format!("{} {} — {}", tr.t("withdrawal.bo.until"), tr.date(w.ends_on),
                    tr.t(if w.early_start { "withdrawal.bo.early" } else { "withdrawal.bo.waits" })))) }
            }
        }
        (pdf_links(&tr, &order_docs(&o), None))
        section.card aria-labelledby="h-stages" {
            h2 #h-stages { (tr.t("order.timeline")) }
            ol.timeline { @for s in &o.stages {
                li class={ "stage st-" (s.status.as_str()) } {
                    span.label { (s.label) } " " (stage_badge(&tr, s.status))
                    @if let Some(a) = &s.assignee { " — " (a) }
                    @if open && s.status != StageStatus::Done {
                        form.stage method="post" action={ (links::backoffice::order(o.id)) "/etapes/" (s.id) } {
                            (csrf_field(&ctx))
                            div { label for={ "d-" (s.id) } { (tr.t("bo.planned_date")) }
                                input id={ "d-" (s.id) } type="date" name="planned_date" value=[s.planned_date]; }
                            div { label for={ "t-" (s.id) } { (tr.t("bo.planned_time")) }
                                input id={ "t-" (s.id) } type="time" name="planned_time" value=[s.planned_time.map(|t| t.strftime("%H:%M").to_string())]; }
                            @if s.code == ON_SITE_STAGE || s.place.is_some() {
                                div.wide { label for={ "p-" (s.id) } { (tr.t("bo.place")) }
                                    input id={ "p-" (s.id) } type="text" name="place" autocomplete="off"
                                        value=[s.place.as_deref().or(o.property_address.as_deref())]; }
                            }
                            div { label for={ "a-" (s.id) } { (tr.t("bo.assignee")) }
                                input id={ "a-" (s.id) } type="text" name="assignee" value=[s.assignee.as_deref()]; }
                            div { label for={ "n-" (s.id) } { (tr.t("request.notes")) }
                                input id={ "n-" (s.id) } type="text" name="notes" value=[s.notes.as_deref()]; }
                            div { button type="submit" { (tr.t("bo.plan")) " " span.sr { (s.label) } } }
                        }
                        form.inline method="post" action={ (links::backoffice::order(o.id)) "/etapes/" (s.id) "/terminee" } {
                            (csrf_field(&ctx)) button.accept type="submit" { (tr.t("bo.done")) " " span.sr { (s.label) } }
                        }
                    } @else if let Some(d) = s.planned_date { " — " (tr.date(d)) @if let Some(t) = s.planned_time { " " (t.strftime("%H:%M")) } }
                }
            } }
        }
        section.card aria-labelledby="h-files" {
            h2 #h-files { (tr.t("bo.files")) }
            ul.files { @for f in &o.deliverables { li { a href={ "/api/v1/orders/" (o.id) "/deliverables/" (f.id) } { (f.filename) } " — " (f.size_bytes) " o — " code.hash { (f.sha256) } } } }
            @if open {
                form method="post" action={ (links::backoffice::order(o.id)) "/fichiers" } enctype="multipart/form-data" data-upload {
                    (csrf_field(&ctx))
                    label for="up-files" { (tr.t("bo.upload.label")) }
                    input #up-files type="file" name="files" multiple required;
                    progress.upload hidden max="100" value="0" aria-label=(tr.t("request.files.progress")) {}
                    button type="submit" { (tr.t("bo.upload")) }
                }
                form method="post" action={ (links::backoffice::order(o.id)) "/livrer" } {
                    (csrf_field(&ctx))
                    p.hint { (tr.t("bo.deliver.help")) }
                    @if o.deliverables.is_empty() {
                        p.hint #deliver-why { (tr.t("bo.deliver.why_disabled")) }
                        button.accept type="submit" disabled aria-describedby="deliver-why" { (tr.t("bo.deliver")) }
                    } @else {
                        (confirm_box(&tr, "deliver-confirm", &None))
                        button.accept type="submit" { (tr.t("bo.deliver")) }
                    }
                }
            }
            @if let Some(i) = o.invoice_id { p { a.button href=(links::backoffice::invoice(i)) { (tr.t("invoice.number")) } } }
        }
        section.card aria-labelledby="h-contact" {
            h2 #h-contact { (tr.t("bo.contact")) }
            @match &o.contact {
                Some(c) => p { strong { (c.name) } " — " (c.email) },
                None => p { (tr.t("bo.contact.none")) },
            }
            form.inline method="post" action={ (links::backoffice::order(o.id)) "/contact" } {
                (csrf_field(&ctx))
                label for="contact-user" { (tr.t("bo.contact")) }
                select #contact-user name="user_id" aria-describedby="contact-help" {
                    @for m in &team {
                        option value=(m.user_id) selected[o.contact.as_ref().is_some_and(|c| c.user_id == m.user_id)] { (m.name) " (" (m.email) ")" }
                    }
                }
                button type="submit" { (tr.t("bo.contact.save")) }
                p.hint #contact-help { (tr.t("bo.contact.help")) }
            }
        }
        section.card aria-labelledby="h-contacts" {
            h2 #h-contacts { (tr.t("bo.contacts")) }
            ul { @for n in &contacts { li { (date(&tr, n.created_at)) " — " strong { (n.author) } " : " (n.note) } } }
            form method="post" action={ (links::backoffice::order(o.id)) "/contacts" } {
                (csrf_field(&ctx))
                label for="contact-note" { (tr.t("bo.contact_note")) }
                input #contact-note type="text" name="note" required;
                button type="submit" { (tr.t("bo.add")) }
            }
        }
        (staff_thread(&ctx, &messages, &format!("{}/messages", links::backoffice::order(o.id))))
    };
    Ok(page(&ctx, &format!("{} {}", tr.t("order.po"), o.purchase_order_number), body).into_response())
}

#[derive(Deserialize)]
pub struct StageForm {
    csrf: String,
    #[serde(default)]
    planned_date: String,
    #[serde(default)]
    planned_time: String,
    #[serde(default)]
    place: String,
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
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return Ok(r);
    }
    let planned_date = match f.planned_date.trim() {
        "" => None,
        d => match d.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => return Ok(error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "planned_date: a date")),
        },
    };
    let planned_time = match f.planned_time.trim() {
        "" => None,
        t => match t.parse::<jiff::civil::Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                return Ok(error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("bo.planned_time.invalid")));
            }
        },
    };
    let plan = StagePlan {
        planned_date,
        planned_time,
        place: Some(f.place),
        assignee: Some(f.assignee),
        notes: Some(f.notes),
    };
    state.app.plan_stage(&ctx.actor, id, sid, plan).await?;
    Ok(back(&links::backoffice::order(id), "planned"))
}

#[derive(Deserialize)]
pub struct ContactPersonForm {
    csrf: String,
    user_id: Id,
}

pub async fn set_contact(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<ContactPersonForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Sales) {
        return Ok(r);
    }
    state.app.set_order_contact(&ctx.actor, id, f.user_id).await?;
    Ok(back(&links::backoffice::order(id), "contact"))
}

pub async fn complete_stage(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path((id, sid)): Path<(Id, Id)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return Ok(r);
    }
    state.app.complete_stage(&ctx.actor, id, sid).await?;
    Ok(back(&links::backoffice::order(id), "done"))
}

/// Final files from the browser: streamed to the file store one by one, each recorded with its
/// size and SHA-256. A failure keeps the files already recorded; the form can be sent again.
pub async fn upload(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    mut multipart: Multipart,
) -> PageResult {
    let mut csrf_checked = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Ok(error_page(&ctx, StatusCode::BAD_REQUEST, &e.to_string())),
        };
        if field.name() == Some("csrf") {
            let token = field.text().await.unwrap_or_default();
            if let Some(r) = refused(&ctx, &token, Role::Production) {
                return Ok(r);
            }
            csrf_checked = true;
            continue;
        }
        if !csrf_checked {
            return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
        }
        // A file input left empty still sends a part, with an empty file name.
        let Some(name) = field.file_name().filter(|n| !n.is_empty()).map(str::to_string) else { continue };
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let body = crate::byte_stream(field);
        state.app.upload_deliverable(&ctx.actor, id, &name, &content_type, body, state.max_upload_bytes).await?;
    }
    Ok(back(&links::backoffice::order(id), "uploaded"))
}

pub async fn deliver(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return Ok(r);
    }
    if let Err(e) = confirmed(&f) {
        return Ok(error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &error_text(ctx.tr, &e)));
    }
    let d = state.app.deliver_order(&ctx.actor, id).await?;
    Ok(back(&links::backoffice::invoice(d.invoice.id), "delivered"))
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
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Production) {
        return Ok(r);
    }
    state.app.log_contact(&ctx.actor, id, &f.note).await?;
    Ok(back(&links::backoffice::order(id), "logged"))
}

//! The journal (who did what, when) and the emails sent or waiting, one failed sent again.

use super::*;

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
) -> PageResult {
    let tr = ctx.tr;
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)));
    }
    let list = match list_query(&ctx, &form) {
        Ok(l) => l,
        Err(r) => return Ok(r),
    };
    let kind = q.objet.clone().filter(|s| !s.is_empty());
    // The page's own filters, kept from page to page.
    let extra: Vec<(&'static str, String)> =
        kind.iter().map(|k| ("objet", k.clone())).chain(q.id.map(|id| ("id", id.to_string()))).collect();
    let events = state.app.audit_events(&ctx.actor, &AuditFilter { entity_kind: kind, entity_id: q.id, list }).await?;
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
                td { time datetime=(e.at) { (e.at.to_zoned(immovr_core::ports::studio_timezone()).strftime("%Y-%m-%d %H:%M:%S")) } }
                td { (e.actor) }
                td { code { (e.action) } }
                td { a href={ "/gestion/journal?objet=" (e.entity_kind) "&id=" (e.entity_id) } { (e.entity_kind) " #" (e.entity_id) } }
                td { code.hash { (e.detail.to_string()) } }
            } } }
        } }
        (pager_with(&tr, "/gestion/journal", &extra, &form, &events))
    };
    Ok(page(&ctx, tr.t("bo.nav.audit"), body).into_response())
}

/// Notifications: what was sent, what waits, what failed (with a button to send it again).
pub async fn emails(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(fl): Query<Flash>,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)));
    }
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let rows = state.app.emails(&ctx.actor, &query).await?;
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        p.hint { (tr.t("bo.emails.help")) }
        (search_form(&tr, "/gestion/courriels", &form, &["pending", "sent", "failed"], false))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("bo.emails.kind")) } th scope="col" { (tr.t("bo.emails.to")) }
                th scope="col" { (tr.t("bo.emails.status")) } th scope="col" { (tr.t("bo.emails.attempts")) } th scope="col" { (tr.t("bo.emails.error")) } th scope="col" { span.sr { (tr.t("bo.emails.retry")) } } } }
            tbody { @for m in &rows.items { tr {
                td { time datetime=(m.created_at) { (date_time(&tr, m.created_at)) } }
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
    Ok(page(&ctx, tr.t("bo.nav.emails"), body).into_response())
}

pub async fn retry_email(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Admin) {
        return Ok(r);
    }
    state.app.retry_email(&ctx.actor, id).await?;
    Ok(back("/gestion/courriels", "retried"))
}

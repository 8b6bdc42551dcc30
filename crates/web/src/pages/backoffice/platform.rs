//! The approved platform (PA) in the back office: the flows it has not accepted (yet) — to
//! follow up or correct — and the e-reporting reports made, each a paged list.

use super::*;
use immovr_core::links;

/// Where a flow's subject is shown: its invoice, or the e-reports.
fn subject_link(t: &immovr_app::ports::Transmission) -> String {
    match t.invoice_id {
        Some(invoice) => links::backoffice::invoice(invoice),
        None => "/gestion/plateforme/e-reporting".into(),
    }
}

pub async fn unaccepted(
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
    let Some(platform) = state.app.platform_name() else {
        let body = html! { p.notice.info { (tr.t("pa.off")) } };
        return Ok(page(&ctx, tr.t("pa.list.title"), body).into_response());
    };
    let rows = state.app.unaccepted_transmissions(&ctx.actor, &query).await?;
    let body = html! {
        @if let Some(f) = flash(&tr, &fl) { (f) }
        p.hint { (tr.t("pa.platform")) " " code { (platform) } }
        p.hint { (tr.t("pa.list.help")) }
        p { a href="/gestion/plateforme/e-reporting" { (tr.t("er.title")) } }
        @if rows.items.is_empty() { p { (tr.t("pa.list.none")) } } @else {
            div.table-wrap tabindex="0" { table {
                thead { tr { th scope="col" { (tr.t("pa.list.what")) } th scope="col" { (tr.t("invoice.number")) }
                    th scope="col" { (tr.t("status")) } th scope="col" { (tr.t("date")) }
                    th scope="col" { span.sr { (tr.t("pa.retry")) } } } }
                tbody { @for t in &rows.items { tr {
                    td { (tr.t(&format!("pa.kind.{}", t.document_kind))) }
                    td { a href=(subject_link(t)) { (t.tracking_id) } }
                    td { (tr.t(&format!("pa.status.{}", t.status)))
                        @if let Some(reason) = &t.reason { " : " (reason) }
                        @if let Some(e) = t.last_error.as_ref().filter(|_| t.status == "failed") { " — " code { (e) } } }
                    td { time datetime=(t.updated_at) { (date_time(&tr, t.updated_at)) } }
                    td { @if t.status == "failed" {
                        form method="post" action={ "/gestion/plateforme/" (t.id) "/renvoyer" } {
                            (csrf_field(&ctx))
                            button type="submit" { (tr.t("pa.retry")) }
                        }
                    } }
                } } }
            } }
        }
        (pager(&tr, "/gestion/plateforme", &form, &rows))
    };
    Ok(page(&ctx, tr.t("pa.list.title"), body).into_response())
}

pub async fn ereports(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let rows = state.app.ereports(&ctx.actor, &query).await?;
    let body = html! {
        p.hint { (tr.t("er.help")) }
        @if !state.app.ereporting_on() { p.notice.info { (tr.t("er.off")) } }
        @if rows.items.is_empty() { p { (tr.t("er.none")) } } @else {
            div.table-wrap tabindex="0" { table {
                thead { tr { th scope="col" { (tr.t("er.period")) } th scope="col" { (tr.t("pa.list.what")) }
                    th scope="col" class="num" { (tr.t("er.days")) } th scope="col" class="num" { (tr.t("er.total")) } } }
                tbody { @for r in &rows.items { tr {
                    td { (tr.date(r.period_start)) " – " (tr.date(r.period_end)) }
                    td { (tr.t(&format!("er.kind.{}", r.report))) }
                    td.num { @if r.days == 0 { (tr.t("er.nothing")) } @else { (r.days) } }
                    td.num { (tr.money(r.total)) }
                } } }
            } }
        }
        (pager(&tr, "/gestion/plateforme/e-reporting", &form, &rows))
    };
    Ok(page(&ctx, tr.t("er.title"), body).into_response())
}

/// Sends a flow parked after repeated failures again (accounting): an invoice's, a payment
/// status's or a report's.
pub async fn retry(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Accounting) {
        return Ok(r);
    }
    // A refusal or a missing flow answers as every page's errors do (logged when internal).
    state.app.retry_transmission(&ctx.actor, id).await?;
    Ok(back("/gestion/plateforme", "retried"))
}

//! The client's orders: their stages as planned, the final files to download, the deliveries.

use super::*;
use immovr_core::links;

pub async fn orders(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> PageResult {
    let _scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let pos = state.app.purchase_orders(&c.ctx.actor, &query).await?;
    let body = html! {
        (search_form(&tr, "/compte/commandes", &form, &[], true))
        div.table-wrap tabindex="0" { table.stack {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("quote.number")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } } }
            tbody {
                @for p in &pos.items {
                    tr {
                        td data-label=(tr.t("order.po")) { @if let Some(o) = p.order_id { a href=(links::portal::order(o)) { (p.number) } } @else { a href=(links::portal::quote(p.quote_id)) { (p.number) } } }
                        td data-label=(tr.t("quote.number")) { (p.quote_number) " v" (p.quote_version) }
                        td.num data-label=(tr.t("quote.total_ttc")) { (tr.money(p.totals.total_incl_vat)) }
                        td data-label=(tr.t("status")) { @if let Some(s) = p.order_status { (client_badge(&tr, s.as_str())) } @else { (client_badge(&tr, p.status.as_str())) } }
                    }
                }
            }
        } }
        (pager(&tr, "/compte/commandes", &form, &pos))
    };
    Ok(page(&c.ctx, tr.t("orders.title"), body).into_response())
}

pub async fn order(State(state): State<AppState>, c: ClientCtx, Path(id): Path<Id>) -> PageResult {
    let _scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let o = state.app.order(&c.ctx.actor, id).await?;
    let po = state.app.purchase_order(&c.ctx.actor, o.purchase_order_id).await?;
    let messages = state.app.read_thread(&c.ctx.actor, ThreadKind::Order, id).await?;
    let current = o.stages.iter().find(|s| s.status != StageStatus::Done).map(|s| s.id);
    let body = html! {
        p.lead { (client_badge(&tr, o.status.as_str())) " " (tr.t("order.po")) " " strong { (po.number) } " " (tr.t("order.from_quote")) " "
            a href=(links::portal::quote(po.quote_id)) { (po.quote_number) " v" (po.quote_version) } }
        p.hint.live-hint { (tr.t("order.live")) }
        section.card.contact aria-labelledby="h-contact" {
            h2 #h-contact { (tr.t("order.contact")) }
            @match &o.contact {
                Some(c) => p { strong { (c.name) } " — " a href={ "mailto:" (c.email) } { (c.email) } },
                None => p { (tr.t("order.contact.studio")) },
            }
            p.hint { (tr.t("order.contact.help")) }
        }
        section.card aria-labelledby="h-stages" {
            h2 #h-stages { (tr.t("order.timeline")) }
            ol.timeline {
                @for s in &o.stages {
                    li class={ "stage st-" (s.status.as_str()) } aria-current=[(Some(s.id) == current).then_some("step")] {
                        span.label { (s.label) }
                        " " (stage_badge(&tr, s.status))
                        @if let (StageStatus::Done, Some(at)) = (s.status, s.done_at) {
                            @let d = at.to_zoned(immovr_core::ports::studio_timezone()).date();
                            " — " (tr.t("order.done_on")) " " time datetime=(d) { (tr.date(d)) }
                        } @else if let Some(d) = s.planned_date {
                            " — " (tr.t("order.planned_for")) " " time datetime=(d) { (tr.date(d)) }
                            @if let Some(t) = s.planned_time { " " (tr.t("order.at")) " " (t.strftime("%H:%M")) }
                            @if let Some(place) = &s.place { p.hint { (tr.t("order.place")) " : " (place) } }
                        }
                        @if let Some(n) = &s.notes { p.hint { (n) } }
                    }
                }
            }
        }
        @if !o.deliverables.is_empty() {
            section.card aria-labelledby="h-files" {
                h2 #h-files { (tr.t("deliveries.title")) }
                (files_table(&tr, o.id, &o.deliverables))
            }
        }
        @if let Some(inv) = o.invoice_id { p { a.button href=(links::portal::invoice(inv)) { (tr.t("invoice.number")) } } }
        (pdf_links(&tr, &order_docs(&o), Some(&links::portal::order(o.id))))
        (lines_table(&tr, &po.lines, &po.totals))
        (messages_block(&c.ctx, &messages, &format!("{}/messages", links::portal::order(id))))
    };
    Ok(page(&c.ctx, &format!("{} {}", tr.t("order.po"), po.number), body).into_response())
}

fn files_table(tr: &Tr, order_id: Id, files: &[Deliverable]) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.stack {
                thead { tr { th scope="col" { (tr.t("deliveries.file")) } th scope="col" class="num" { (tr.t("deliveries.size")) } th scope="col" { (tr.t("deliveries.checksum")) } } }
                tbody {
                    @for f in files {
                        tr {
                            td data-label=(tr.t("deliveries.file")) { a href={ (links::portal::order(order_id)) "/fichiers/" (f.id) } download { (f.filename) } }
                            td.num data-label=(tr.t("deliveries.size")) { (human_size(f.size_bytes)) }
                            td data-label=(tr.t("deliveries.checksum")) { code.hash { (f.sha256) } }
                        }
                    }
                }
            }
        }
    }
}

pub async fn deliveries(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> PageResult {
    let tr = c.ctx.tr;
    let form = ListForm { status: Some("with_files".into()), ..form };
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let orders = state.app.orders(&c.ctx.actor, &query).await?;
    let body = html! {
        @if orders.items.is_empty() && form.cursor.is_none() { p { (tr.t("deliveries.none")) } }
        @for o in &orders.items {
            section.card {
                h2 { a href=(links::portal::order(o.id)) { (o.purchase_order_number) } " " (client_badge(&tr, o.status.as_str())) }
                (files_table(&tr, o.id, &o.deliverables))
            }
        }
        @if !orders.items.is_empty() || form.cursor.is_some() { (pager(&tr, "/compte/livraisons", &ListForm { status: None, ..form.clone() }, &orders)) }
    };
    Ok(page(&c.ctx, tr.t("deliveries.title"), body).into_response())
}

pub async fn attachment(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, file)): Path<(Id, Id)>,
    headers: HeaderMap,
) -> PageResult {
    let a = state.app.attachment(&c.ctx.actor, id, file).await?;
    Ok(crate::download::serve_file(&state.app, &a.storage_key, &headers, &a.filename, &a.content_type).await)
}

pub async fn download(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, file)): Path<(Id, Id)>,
    headers: HeaderMap,
) -> PageResult {
    let d = state.app.deliverable(&c.ctx.actor, id, file).await?;
    Ok(crate::download::serve_file(&state.app, &d.storage_key, &headers, &d.filename, &d.content_type).await)
}

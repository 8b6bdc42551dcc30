//! Invoices in the back office: the list, an invoice with its payments, recording a transfer or a
//! cheque, cancelling with a credit note.

use super::*;
use immovr_core::links;

pub async fn invoices(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = ctx.tr;
    let query = match list_query(&ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.invoices(&ctx.actor, &query).await?;
    let names = client_names(&state, list.items.iter().map(|i| i.client_id)).await?;
    let statuses = ["unpaid", "overdue", "issued", "partially_paid", "paid", "cancelled"];
    let body = html! {
        (search_form(&tr, "/gestion/factures", &form, &statuses, true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("invoice.number")) } th scope="col" { (tr.t("bo.client")) } th scope="col" { (tr.t("invoice.issued")) }
                th scope="col" { (tr.t("invoice.due")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" class="num" { (tr.t("invoice.amount_due")) } th scope="col" { (tr.t("status")) } } }
            tbody { @for i in &list.items { tr {
                td { a href=(links::backoffice::invoice(i.id)) { (i.number) } }
                td { (name_of(&names, i.client_id)) }
                td { (tr.date(i.issue_date)) } td { (tr.date(i.due_date)) }
                td.num { (tr.money(i.totals.total_incl_vat)) } td.num { (tr.money(i.amount_due)) }
                td { (invoice_badge(&tr, i.status.as_str())) }
            } } }
        } }
        (pager(&tr, "/gestion/factures", &form, &list))
    };
    Ok(page(&ctx, tr.t("nav.invoices"), body).into_response())
}

pub async fn invoice(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Query(fl): Query<Flash>,
) -> PageResult {
    invoice_page(&state, &ctx, id, flash(&ctx.tr, &fl), None).await
}

async fn invoice_page(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    err: Option<DomainError>,
) -> PageResult {
    let tr = ctx.tr;
    let i = state.app.invoice(&ctx.actor, id).await?;
    let names = client_names(state, [i.client_id]).await?;
    let today = immovr_core::ports::today(state.app.clock().as_ref());
    let open = matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid);
    let body = html! {
        @if let Some(f) = flash { (f) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        p.lead { (invoice_badge(&tr, i.status.as_str())) " " strong { (name_of(&names, i.client_id)) } }
        dl.facts {
            (invoice_origin(&tr, &i))
            dt { (tr.t("invoice.issued")) } dd { (tr.date(i.issue_date)) }
            dt { (tr.t("order.po")) } dd { (i.purchase_order_number) }
            dt { (tr.t("invoice.due")) } dd { (tr.date(i.due_date)) }
            dt { (tr.t("invoice.reference")) } dd { code { (i.payment_reference) } }
            dt { (tr.t("invoice.paid")) } dd { (tr.money(i.amount_paid)) }
            dt { (tr.t("invoice.amount_due")) } dd { strong { (tr.money(i.amount_due)) } }
        }
        (pdf_links(&tr, &invoice_pdfs(&i)))
        (lines_table(&tr, &i.lines, &i.totals))
        @if !i.payments.is_empty() {
            section.card { h2 { (tr.t("invoice.payments")) }
                ul { @for p in &i.payments { li { (tr.date(p.date)) " — " (tr.money(p.amount)) " — "
                    @if p.method == PaymentMethod::Transfer { (tr.t("invoice.transfer")) " " (p.reference.clone().unwrap_or_default()) }
                    @else { (tr.t("invoice.cheque")) " n° " (p.cheque_number.clone().unwrap_or_default()) " (" (p.bank.clone().unwrap_or_default()) ")" } } } } }
        }
        @if open {
            div.actions {
                form.card method="post" action={ (links::backoffice::invoice(i.id)) "/paiements" } {
                    h2 { (tr.t("invoice.transfer")) }
                    (csrf_field(ctx))
                    input type="hidden" name="method" value="transfer";
                    label for="t-amount" { (tr.t("amount")) } input #t-amount type="text" inputmode="decimal" name="amount" value=(i.amount_due) required;
                    label for="t-date" { (tr.t("date")) } input #t-date type="date" name="date" value=(today) required;
                    label for="t-ref" { (tr.t("bo.bank_reference")) } input #t-ref type="text" name="reference" value=(i.payment_reference) required;
                    button type="submit" { (tr.t("bo.record_transfer")) }
                }
                form.card method="post" action={ (links::backoffice::invoice(i.id)) "/paiements" } {
                    h2 { (tr.t("invoice.cheque")) }
                    (csrf_field(ctx))
                    input type="hidden" name="method" value="cheque";
                    label for="c-amount" { (tr.t("amount")) } input #c-amount type="text" inputmode="decimal" name="amount" value=(i.amount_due) required;
                    label for="c-number" { (tr.t("bo.cheque_number")) } input #c-number type="text" name="cheque_number" required;
                    label for="c-bank" { (tr.t("bo.bank")) } input #c-bank type="text" name="bank" required;
                    label for="c-date" { (tr.t("bo.received")) } input #c-date type="date" name="date" value=(today) required;
                    label for="c-deposit" { (tr.t("bo.deposit")) } input #c-deposit type="date" name="deposit_date";
                    button type="submit" { (tr.t("bo.record_cheque")) }
                }
            }
        }
        @if i.status == InvoiceStatus::Issued {
            form.card method="post" action={ (links::backoffice::invoice(i.id)) "/avoir" } {
                h2 { (tr.t("bo.credit_note")) }
                (csrf_field(ctx))
                label for="cn-reason" { (tr.t("bo.cancel_reason")) } input #cn-reason type="text" name="reason" required;
                button.refuse type="submit" { (tr.t("bo.credit_note")) }
            }
        }
    };
    // A refused action shows the page again, with the refusal's status.
    let status = err.as_ref().map_or(StatusCode::OK, crate::problem::status_of);
    Ok((status, page(ctx, &format!("{} {}", tr.t("invoice.number"), i.number), body)).into_response())
}

pub async fn record_payment(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Accounting) {
        return Ok(r);
    }
    let amount = immovr_core::money::read_decimal(&f.get("amount"), true).ok_or(());
    let date = f.get("date").parse::<Date>();
    let payment = match (amount, date, f.get("method").as_str()) {
        (Ok(amount), Ok(date), "transfer") => Ok(NewPayment::Transfer { amount, date, reference: f.get("reference") }),
        (Ok(amount), Ok(received_date), "cheque") => Ok(NewPayment::Cheque {
            amount,
            cheque_number: f.get("cheque_number"),
            bank: f.get("bank"),
            received_date,
            deposit_date: f.get("deposit_date").parse().ok(),
        }),
        (Err(_), ..) => Err(DomainError::validation("amount", "an amount, e.g. 1250.00")),
        (_, Err(_), _) => Err(DomainError::validation("date", "a date")),
        _ => Err(DomainError::validation("method", "transfer or cheque")),
    };
    Ok(match payment {
        Ok(p) => match state.app.record_payment(&ctx.actor, id, p).await {
            Ok(_) => back(&links::backoffice::invoice(id), "paid"),
            Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await?,
        },
        Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await?,
    })
}

pub async fn credit_note(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Accounting) {
        return Ok(r);
    }
    Ok(
        match state.app.issue_credit_note(&ctx.actor, id, NewCreditNote { reason: f.reason.unwrap_or_default() }).await
        {
            Ok(_) => back(&links::backoffice::invoice(id), "credited"),
            Err(e) => invoice_page(&state, &ctx, id, None, Some(e)).await?,
        },
    )
}

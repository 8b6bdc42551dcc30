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
    invoice_page(&state, &ctx, id, flash(&ctx.tr, &fl), (None, None)).await
}

async fn invoice_page(
    state: &AppState,
    ctx: &Ctx,
    id: Id,
    flash: Option<Markup>,
    (err, typed): (Option<DomainError>, Option<&Fields>),
) -> PageResult {
    let tr = ctx.tr;
    let i = state.app.invoice(&ctx.actor, id).await?;
    let names = client_names(state, [i.client_id]).await?;
    let transmissions = transmission_card(state, ctx, &i).await?;
    let today = immovr_core::ports::today(state.app.clock().as_ref());
    let open = matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid);
    let errs = FormErrors::new(tr, err.as_ref());
    // The form that was sent keeps what was typed and names its refused fields.
    let sent = typed.map(|f| f.get("method")).unwrap_or_default();
    let input = |form: &str, name: &str, (id, label): (&str, &str), kind: &str, default: String, required: bool| {
        let mine = sent == form;
        let error = if mine { errs.at(name, id, label) } else { None };
        let value = typed.filter(|_| mine).map(|f| f.get(name)).unwrap_or(default);
        html! {
            label for=(id) { (label) }
            input id=(id) type=(kind) inputmode=[(name == "amount").then_some("decimal")] name=(name) value=(value) required[required]
                aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described_by(id, None, &error)];
            (field_message(id, &error))
        }
    };
    let forms = open.then(|| html! {
        div.actions {
            form.card method="post" action={ (links::backoffice::invoice(i.id)) "/paiements" } novalidate {
                h2 { (tr.t("invoice.transfer")) }
                (csrf_field(ctx))
                input type="hidden" name="method" value="transfer";
                (input("transfer", "amount", ("t-amount", tr.t("amount")), "text", i.amount_due.to_string(), true))
                (input("transfer", "date", ("t-date", tr.t("date")), "date", today.to_string(), true))
                (input("transfer", "reference", ("t-ref", tr.t("bo.bank_reference")), "text", i.payment_reference.clone(), true))
                button type="submit" { (tr.t("bo.record_transfer")) }
            }
            form.card method="post" action={ (links::backoffice::invoice(i.id)) "/paiements" } novalidate {
                h2 { (tr.t("invoice.cheque")) }
                (csrf_field(ctx))
                input type="hidden" name="method" value="cheque";
                (input("cheque", "amount", ("c-amount", tr.t("amount")), "text", i.amount_due.to_string(), true))
                (input("cheque", "cheque_number", ("c-number", tr.t("bo.cheque_number")), "text", String::new(), true))
                (input("cheque", "bank", ("c-bank", tr.t("bo.bank")), "text", String::new(), true))
                (input("cheque", "date", ("c-date", tr.t("bo.received")), "date", today.to_string(), true))
                (input("cheque", "deposit_date", ("c-deposit", tr.t("bo.deposit")), "date", String::new(), false))
                button type="submit" { (tr.t("bo.record_cheque")) }
            }
        }
    });
    let reason_error = errs.at("reason", "cn-reason", tr.t("bo.cancel_reason"));
    let confirm_error = errs.at("confirm", "cn-confirm", tr.t("bo.confirm.irreversible"));
    let body = html! {
        @if let Some(f) = flash { (f) }
        (errs.summary())
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
        (pdf_links(&tr, &invoice_docs(&i), None))
        (transmissions)
        (lines_table(&tr, &i.lines, &i.totals))
        @if !i.payments.is_empty() {
            section.card { h2 { (tr.t("invoice.payments")) }
                ul { @for p in &i.payments { li { (tr.date(p.date)) " — " (tr.money(p.amount)) " — "
                    @if p.method == PaymentMethod::Transfer { (tr.t("invoice.transfer")) " " (p.reference.clone().unwrap_or_default()) }
                    @else { (tr.t("invoice.cheque")) " n° " (p.cheque_number.clone().unwrap_or_default()) " (" (p.bank.clone().unwrap_or_default()) ")" } } } } }
        }
        @if let Some(forms) = &forms { (forms) }
        @if i.status == InvoiceStatus::Issued {
            form.card method="post" action={ (links::backoffice::invoice(i.id)) "/avoir" } {
                h2 { (tr.t("bo.credit_note")) }
                (csrf_field(ctx))
                label for="cn-reason" { (tr.t("bo.cancel_reason")) }
                input #cn-reason type="text" name="reason" required value=[typed.filter(|_| sent.is_empty()).map(|f| f.get("reason"))]
                    aria-invalid=[reason_error.as_ref().map(|_| "true")] aria-describedby=[described_by("cn-reason", None, &reason_error)];
                (field_message("cn-reason", &reason_error))
                (confirm_box(&tr, "cn-confirm", &confirm_error))
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
    let mut checks = immovr_core::Checks::new();
    let amount = immovr_core::money::read_decimal(&f.get("amount"), true);
    if amount.is_none() {
        checks.refuse("amount", "an amount, e.g. 1250.00");
    }
    let date = f.get("date").parse::<Date>().ok();
    if date.is_none() {
        checks.refuse("date", "a date");
    }
    let deposit = f.get("deposit_date");
    let deposit_date = deposit.trim().parse::<Date>().ok();
    if !deposit.trim().is_empty() && deposit_date.is_none() {
        checks.refuse("deposit_date", "a date");
    }
    let text = |checks: &mut immovr_core::Checks, name: &str| {
        checks.check(immovr_core::text::line(name, &f.get(name), 100));
    };
    match f.get("method").as_str() {
        "transfer" => text(&mut checks, "reference"),
        "cheque" => {
            text(&mut checks, "cheque_number");
            text(&mut checks, "bank");
        }
        _ => checks.refuse("method", "transfer or cheque"),
    }
    let payment = match (checks.done(), amount, date, f.get("method").as_str()) {
        (Err(e), ..) => Err(e),
        (Ok(()), Some(amount), Some(date), "transfer") => {
            Ok(NewPayment::Transfer { amount, date, reference: f.get("reference") })
        }
        (Ok(()), Some(amount), Some(received_date), _) => Ok(NewPayment::Cheque {
            amount,
            cheque_number: f.get("cheque_number"),
            bank: f.get("bank"),
            received_date,
            deposit_date,
        }),
        _ => Err(DomainError::validation("method", "transfer or cheque")),
    };
    let result = match payment {
        Ok(p) => state.app.record_payment(&ctx.actor, id, p).await.map(|_| ()),
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(()) => back(&links::backoffice::invoice(id), "paid"),
        Err(e) => invoice_page(&state, &ctx, id, None, (Some(e), Some(&f))).await?,
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
    let reason = f.reason.clone().unwrap_or_default();
    let issued = match confirmed(&f) {
        Ok(()) => {
            state.app.issue_credit_note(&ctx.actor, id, NewCreditNote { reason: reason.clone() }).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    Ok(match issued {
        Ok(()) => back(&links::backoffice::invoice(id), "credited"),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let typed = Fields(vec![("reason".into(), reason)]);
            let mut r = invoice_page(&state, &ctx, id, None, (Some(e), Some(&typed))).await?;
            *r.status_mut() = status;
            r
        }
    })
}

/// Where the invoice and its credit notes stand with the studio's approved platform (PA): off
/// when none is configured; else each document's transmission, a failed one with its retry.
async fn transmission_card(state: &AppState, ctx: &Ctx, i: &Invoice) -> Result<Markup, DomainError> {
    let tr = ctx.tr;
    let Some(platform) = state.app.platform_name() else {
        return Ok(html! { p.notice.info.transmission { (tr.t("pa.off")) } });
    };
    // A company without a SIREN cannot be invoiced through the platform: staff are told.
    let client = state.app.client(&ctx.actor, i.client_id).await?;
    let without_siren =
        client.kind == ClientKind::Company && client.siren.as_deref().is_none_or(|s| s.trim().is_empty());
    let mut rows = Vec::new();
    let documents = std::iter::once((DocumentKind::Invoice, i.id))
        .chain(i.credit_note_ids.iter().map(|c| (DocumentKind::CreditNote, *c)));
    for (kind, doc) in documents {
        // (A lifecycle only for a document that went to the platform.)
        let t = match state.app.transmission(&ctx.actor, kind, doc).await? {
            Some(t) => Some((t, state.app.lifecycle(&ctx.actor, kind, doc).await?)),
            None => None,
        };
        rows.push(t);
    }
    let rejected = rows.first().and_then(Option::as_ref).is_some_and(|(t, _)| t.status == "rejected");
    Ok(html! {
        section.card.transmission aria-labelledby="h-pa" {
            h2 #h-pa { (tr.t("pa.title")) }
            p.hint { (tr.t("pa.platform")) " " code { (platform) } }
            @if rows.iter().all(Option::is_none) {
                p { (tr.t(if without_siren { "pa.no_siren" } else { "pa.none" })) }
                @if without_siren { p { a href=(links::backoffice::client(i.client_id)) { (tr.t("pa.fix_siren")) } } }
            }
            ul { @for (t, lifecycle) in rows.iter().flatten() { li {
                strong { (t.tracking_id) } " — " (tr.t(&format!("pa.status.{}", t.status))) " (" (date(&tr, t.updated_at)) ")"
                @if let Some(reason) = &t.reason { " : " (reason) }
                @if t.status == "failed" {
                    @if let Some(e) = &t.last_error { " — " code { (e) } }
                    form method="post" action={ (links::backoffice::invoice(i.id)) "/transmissions/" (t.id) } {
                        (csrf_field(ctx))
                        button type="submit" { (tr.t("pa.retry")) }
                    }
                }
                @if !lifecycle.is_empty() {
                    ol.lifecycle aria-label=(tr.t("lc.title")) { @for s in lifecycle { li {
                        (lifecycle_label(&tr, s.code)) " — " (date(&tr, s.at)) " (" (tr.t(&format!("lc.source.{}", s.source))) ")"
                        @if let Some(amount) = s.amount { " : " (tr.money(amount)) }
                        @if let Some(reason) = &s.reason { " : " (reason) }
                    } } }
                }
            } } }
            // A rejected invoice is corrected through a credit note, then issued again: the new
            // invoice is transmitted in turn.
            @if rejected {
                @if i.status == InvoiceStatus::Cancelled {
                    form method="post" action={ (links::backoffice::invoice(i.id)) "/refacturer" } {
                        (csrf_field(ctx))
                        button type="submit" { (tr.t("pa.reissue")) }
                    }
                } @else {
                    p.notice.warn { (tr.t("pa.rejected_fix")) }
                }
            }
        }
    })
}

/// A lifecycle status's name.
fn lifecycle_label(tr: &Tr, code: i64) -> String {
    match code {
        200 | 210 | 212 | 213 => tr.t(&format!("lc.{code}")).to_string(),
        other => format!("{} {other}", tr.t("lc.other")),
    }
}

/// Issues the corrected invoice of an order whose invoice was rejected by the platform and
/// cancelled by a credit note (accounting); transmitted like any invoice.
pub async fn reissue(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Accounting) {
        return Ok(r);
    }
    let rejected = state.app.invoice(&ctx.actor, id).await?;
    Ok(match state.app.issue_invoice(&ctx.actor, rejected.order_id).await {
        Ok(new) => back(&links::backoffice::invoice(new.id), "reissued"),
        Err(e) => invoice_page(&state, &ctx, id, None, (Some(e), None)).await?,
    })
}

/// Sends a transmission parked after repeated failures again (accounting).
pub async fn retry_transmission(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path((id, transmission)): Path<(Id, Id)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Accounting) {
        return Ok(r);
    }
    Ok(match state.app.retry_transmission(&ctx.actor, transmission).await {
        Ok(()) => back(&links::backoffice::invoice(id), "retried"),
        Err(e) => invoice_page(&state, &ctx, id, None, (Some(e), None)).await?,
    })
}

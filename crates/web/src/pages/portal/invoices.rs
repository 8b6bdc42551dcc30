//! The client's invoices: what is due, how to pay (transfer or cheque), the payments recorded.

use super::*;
use immovr_core::links;

pub async fn invoices(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> PageResult {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.invoices(&c.ctx.actor, &query).await?;
    let body = html! {
        (search_form(&tr, "/compte/factures", &form, &["unpaid", "overdue", "paid", "cancelled"], true))
        {
            div.table-wrap tabindex="0" { table.stack {
                thead { tr { th scope="col" { (tr.t("invoice.number")) } th scope="col" { (tr.t("invoice.issued")) } th scope="col" { (tr.t("invoice.due")) }
                    th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" class="num" { (tr.t("invoice.amount_due")) } th scope="col" { (tr.t("status")) } } }
                tbody {
                    @for i in &list.items {
                        tr {
                            td data-label=(tr.t("invoice.number")) { a href=(links::portal::invoice(i.id)) { (i.number) } }
                            td data-label=(tr.t("invoice.issued")) { (tr.date(i.issue_date)) }
                            td data-label=(tr.t("invoice.due")) { (tr.date(i.due_date)) }
                            td.num data-label=(tr.t("quote.total_ttc")) { (tr.money(i.totals.total_incl_vat)) }
                            td.num data-label=(tr.t("invoice.amount_due")) { (tr.money(i.amount_due)) }
                            td data-label=(tr.t("status")) { (invoice_badge(&tr, i.status.as_str())) }
                        }
                    }
                }
            } }
            (pager(&tr, "/compte/factures", &form, &list))
        }
    };
    Ok(page(&c.ctx, tr.t("invoices.title"), body).into_response())
}

pub async fn invoice(State(state): State<AppState>, c: ClientCtx, Path(id): Path<Id>) -> PageResult {
    let tr = c.ctx.tr;
    let (i, company) = tokio::try_join!(state.app.invoice(&c.ctx.actor, id), state.app.company())?;
    // Deposited on the approved platform: the client's copy of record is the platform's.
    let deposited = state.app.invoice_deposited(&c.ctx.actor, i.id).await?;
    let addr = |a: &Address| {
        format!(
            "{}{}, {} {}",
            a.line1,
            a.line2.as_ref().map(|l| format!(", {l}")).unwrap_or_default(),
            a.postcode,
            a.city
        )
    };
    let open = matches!(i.status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid);
    let body = html! {
        p.lead { (invoice_badge(&tr, i.status.as_str())) }
        dl.facts {
            (invoice_origin(&tr, &i))
            dt { (tr.t("invoice.issued")) } dd { (tr.date(i.issue_date)) }
            dt { (tr.t("invoice.due")) } dd { (tr.date(i.due_date)) }
            dt { (tr.t("order.po")) } dd { (i.purchase_order_number) }
            dt { (tr.t("invoice.paid")) } dd { (tr.money(i.amount_paid)) }
            dt { (tr.t("invoice.amount_due")) } dd { strong { (tr.money(i.amount_due)) } }
        }
        (pdf_links(&tr, &invoice_docs(&i), Some(&links::portal::invoice(i.id))))
        @if let Some(at) = deposited { p.notice.info { (tr.t("pa.deposited_client")) " " (date(&tr, at)) "." } }
        @if open {
            section.card.pay aria-labelledby="h-pay" {
                h2 #h-pay { (tr.t("invoice.how")) }
                div.grid {
                    div {
                        h3 { (tr.t("invoice.transfer")) }
                        dl {
                            dt { (tr.t("invoice.holder")) } dd { (company.account_holder) }
                            dt { "IBAN" } dd { code { (company.iban) } }
                            dt { "BIC" } dd { code { (company.bic) } }
                            dt { (tr.t("amount")) } dd { (tr.money(i.amount_due)) }
                            dt { (tr.t("invoice.reference")) } dd { strong { code { (i.payment_reference) } } }
                        }
                    }
                    div {
                        h3 { (tr.t("invoice.cheque")) }
                        dl {
                            dt { (tr.t("invoice.cheque_to")) } dd { (company.cheque_payee) }
                            dt { (tr.t("invoice.cheque_address")) } dd { (company.cheque_payee) ", " (addr(&company.cheque_address)) }
                            dt { (tr.t("invoice.reference")) } dd { code { (i.payment_reference) } }
                        }
                    }
                }
            }
        }
        (lines_table(&tr, &i.lines, &i.totals))
        @if !i.payments.is_empty() {
            section.card aria-labelledby="h-payments" {
                h2 #h-payments { (tr.t("invoice.payments")) }
                ul { @for p in &i.payments { li { (tr.date(p.date)) " — " (tr.money(p.amount)) " (" (if p.method == PaymentMethod::Transfer { tr.t("invoice.transfer") } else { tr.t("invoice.cheque") }) ")" } } }
            }
        }
    };
    Ok(page(&c.ctx, &format!("{} {}", tr.t("invoice.number"), i.number), body).into_response())
}

//! Views of a document's content the portal and the back office share: its lines and totals, a
//! quote's label.

use crate::pages::shared::i18n::Tr;
use crate::pages::shared::*;
use immovr_core::model::*;
use immovr_core::money::Line;
use immovr_core::money::Totals;
use maud::Markup;
use maud::html;

pub fn quote_label(tr: &Tr, q: &Quote) -> String {
    format!("{} {} ({} {})", tr.t("quote.number"), q.number.as_deref().unwrap_or("—"), tr.t("quote.version"), q.version)
}

/// What an invoice comes from, as its page's facts: the subject, the accepted quote, the
/// property where the service was performed.
pub fn invoice_origin(tr: &Tr, i: &Invoice) -> Markup {
    let o = &i.origin;
    html! {
        @if let Some(s) = &o.subject { dt { (tr.t("invoice.subject")) } dd { (s) } }
        @if let (Some(n), Some(v)) = (&o.quote_number, o.quote_version) { dt { (tr.t("invoice.quote")) } dd { (n) " v" (v) } }
        @if let Some(a) = &o.property_address { dt { (tr.t("invoice.property")) } dd { (a) } }
    }
}

pub fn lines_table(tr: &Tr, lines: &[Line], totals: &Totals) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.lines.stack {
                caption { (tr.t("quote.lines")) }
                thead { tr {
                    th scope="col" { (tr.t("quote.description")) } th scope="col" class="num" { (tr.t("quote.qty")) }
                    th scope="col" { (tr.t("quote.unit")) } th scope="col" class="num" { (tr.t("quote.unit_price")) }
                    th scope="col" class="num" { (tr.t("quote.discount")) } th scope="col" class="num" { (tr.t("quote.vat")) }
                    th scope="col" class="num" { (tr.t("quote.total_ht")) }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td data-label=(tr.t("quote.description")) { (l.description) }
                            td.num data-label=(tr.t("quote.qty")) { (tr.number(l.quantity)) }
                            td data-label=(tr.t("quote.unit")) { (l.unit) }
                            td.num data-label=(tr.t("quote.unit_price")) { (tr.money(l.unit_price)) }
                            td.num data-label=(tr.t("quote.discount")) { @if l.discount.is_zero() { "—" } @else { "−" (tr.money(l.discount)) } }
                            td.num data-label=(tr.t("quote.vat")) { (tr.number(l.vat_rate)) " %" }
                            td.num data-label=(tr.t("quote.total_ht")) { (tr.money(l.total_excl_vat)) }
                        }
                    }
                }
            }
        }
        table.totals {
            tbody {
                @for r in &totals.per_rate {
                    tr { th scope="row" { (tr.t("quote.base")) " " (tr.number(r.rate)) " %" } td.num { (tr.money(r.base_excl_vat)) } }
                    tr { th scope="row" { (tr.t("quote.vat")) " " (tr.number(r.rate)) " %" } td.num { (tr.money(r.vat)) } }
                }
                tr { th scope="row" { (tr.t("quote.total_ht")) } td.num { (tr.money(totals.total_excl_vat)) } }
                tr { th scope="row" { (tr.t("quote.total_vat")) } td.num { (tr.money(totals.total_vat)) } }
                tr.grand { th scope="row" { (tr.t("quote.total_ttc")) } td.num { (tr.money(totals.total_incl_vat)) } }
            }
        }
    }
}

pub fn messages_block(ctx: &Ctx, messages: &[Message], action: &str) -> Markup {
    let tr = ctx.tr;
    html! {
        section.card aria-labelledby="h-msg" {
            h2 #h-msg { (tr.t("messages.title")) }
            @if messages.is_empty() { p { (tr.t("messages.none")) } }
            ol.thread {
                @for m in messages {
                    li class=(if m.from_staff { "staff" } else { "me" }) {
                        p.meta { strong { (if m.from_staff { tr.t("messages.team") } else { &m.author_name }) } " · "
                            time datetime=(m.created_at) { (tr.date(m.created_at.to_zoned(immovr_core::ports::studio_timezone()).date())) } }
                        p { (m.body) }
                    }
                }
            }
            form method="post" action=(action) {
                (csrf_field(ctx))
                label for="msg-body" { (tr.t("messages.write")) }
                textarea #msg-body name="body" rows="3" required maxlength="10000" {}
                button type="submit" { (tr.t("messages.send")) }
            }
        }
    }
}

/// A PDF document a page offers: its text key, and the issued document.
pub struct Doc {
    pub key: &'static str,
    pub kind: DocumentKind,
    pub id: Id,
}

impl Doc {
    fn new(key: &'static str, kind: DocumentKind, id: Id) -> Doc {
        Doc { key, kind, id }
    }
}

/// A quote version's documents: as sent, and once accepted, the signed copy and the purchase
/// order.
pub fn quote_docs(q: &Quote, purchase_order: Option<Id>) -> Vec<Doc> {
    let mut docs = Vec::new();
    if q.sent_at.is_some() {
        docs.push(Doc::new("doc.quote", DocumentKind::Quote, q.id));
    }
    if q.acceptance.is_some() {
        docs.push(Doc::new("doc.signed_quote", DocumentKind::SignedQuote, q.id));
    }
    if let Some(po) = purchase_order {
        docs.push(Doc::new("doc.purchase_order", DocumentKind::PurchaseOrder, po));
    }
    docs
}

/// An order's documents: its purchase order and, once delivered, its invoice.
pub fn order_docs(o: &Order) -> Vec<Doc> {
    let mut docs = vec![Doc::new("doc.purchase_order", DocumentKind::PurchaseOrder, o.purchase_order_id)];
    if let Some(inv) = o.invoice_id {
        docs.push(Doc::new("doc.invoice", DocumentKind::Invoice, inv));
    }
    docs
}

/// An invoice's documents: the invoice and any credit note cancelling it.
pub fn invoice_docs(i: &Invoice) -> Vec<Doc> {
    let mut docs = vec![Doc::new("doc.invoice", DocumentKind::Invoice, i.id)];
    docs.extend(i.credit_note_ids.iter().map(|c| Doc::new("doc.credit_note", DocumentKind::CreditNote, *c)));
    docs
}

/// Where a document downloads: under the portal's page `page` (a session opened by an email's
/// link reaches it: see `ClientCtx`), or from the API (the back office).
pub fn pdf_href(doc: &Doc, page: Option<&str>) -> String {
    match page {
        Some(page) => format!("{page}/pdf/{}/{}", doc.kind.as_str(), doc.id),
        None => match doc.kind {
            DocumentKind::Quote => format!("/api/v1/quotes/{}/pdf", doc.id),
            DocumentKind::SignedQuote => format!("/api/v1/quotes/{}/accepted-pdf", doc.id),
            DocumentKind::PurchaseOrder => format!("/api/v1/purchase-orders/{}/pdf", doc.id),
            DocumentKind::Invoice => format!("/api/v1/invoices/{}/pdf", doc.id),
            DocumentKind::CreditNote => format!("/api/v1/credit-notes/{}/pdf", doc.id),
        },
    }
}

/// Links to a record's PDF documents (see [`pdf_href`] for `page`).
pub fn pdf_links(tr: &Tr, docs: &[Doc], page: Option<&str>) -> Markup {
    html! {
        @if !docs.is_empty() {
            ul.docs aria-label=(tr.t("doc.title")) {
                @for doc in docs {
                    li { a.pdf href=(pdf_href(doc, page)) download type="application/pdf" { (tr.t(doc.key)) " " span.hint { "(PDF)" } } }
                }
            }
        }
    }
}

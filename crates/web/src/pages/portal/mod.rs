//! The client's space ("Mon Compte"): what waits for the client, its requests, quotes (accept with
//! a "bon pour accord", refuse or ask for changes), orders and their stages, deliveries, invoices
//! with payment instructions, messages, profile and data export; live updates.

use crate::AppState;
use crate::pages::shared::i18n::Tr;
use crate::pages::shared::paging::*;
use crate::pages::shared::*;
use axum::Form;
use axum::extract::Multipart;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Redirect;
use immovr_core::DomainError;
use immovr_core::Scope;
use immovr_core::links;
use immovr_core::listing::ListQuery;
use immovr_core::model::*;
use immovr_core::ports::AcceptQuote;
use immovr_core::ports::NewMessage;
use immovr_core::ports::ProfileUpdate;
use immovr_core::ports::RefuseQuote;
use maud::Markup;
use maud::html;
use serde::Deserialize;

mod invoices;
mod orders;
mod profile;
mod quotes;
mod requests;

pub use requests::create_request;

/// The client's pages (a new request's POST carries files: see [`super::upload_router`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/compte", get(home))
        .route("/compte/evenements", get(events))
        .route("/compte/demandes", get(requests::requests))
        .route("/compte/demandes/nouvelle", get(requests::new_request))
        .route("/compte/demandes/{id}/pieces/{file}", get(orders::attachment))
        .route("/compte/devis", get(quotes::quotes))
        .route("/compte/devis/{id}", get(quotes::quote))
        .route("/compte/devis/{id}/comparer", get(quotes::compare))
        .route("/compte/devis/{id}/pdf/{kind}/{doc}", get(quote_pdf))
        .route("/compte/devis/{id}/accord-signe", get(acceptance_evidence))
        .route("/compte/commandes/{id}/pdf/{kind}/{doc}", get(order_pdf))
        .route("/compte/factures/{id}/pdf/{kind}/{doc}", get(invoice_pdf))
        .route("/compte/devis/{id}/accepter", post(quotes::accept))
        .route("/compte/devis/{id}/refuser", post(quotes::refuse))
        .route("/compte/devis/{id}/retractation", post(quotes::withdraw))
        .route("/compte/devis/{id}/messages", post(quotes::quote_message))
        .route("/compte/commandes", get(orders::orders))
        .route("/compte/commandes/{id}", get(orders::order))
        .route("/compte/commandes/{id}/messages", post(quotes::order_message))
        .route("/compte/commandes/{id}/fichiers/{file}", get(orders::download))
        .route("/compte/livraisons", get(orders::deliveries))
        .route("/compte/factures", get(invoices::invoices))
        .route("/compte/factures/{id}", get(invoices::invoice))
        .route("/compte/profil", get(profile::profile).post(profile::save_profile))
        .route("/compte/profil/mot-de-passe", post(profile::change_password))
        .route("/compte/effacement", post(profile::request_erasure))
        .route("/compte/donnees", get(profile::export))
}

/// Items of each "to do" on the home page (the full lists are a link away).
const HOME_ITEMS: i64 = 10;

pub async fn home(State(state): State<AppState>, c: ClientCtx) -> PageResult {
    let _scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    // The first few of each, over every record; the full list is a link away.
    let few = |status: &str| ListQuery { limit: HOME_ITEMS, status: Some(status.into()), ..ListQuery::first() };
    let (sent, open, unpaid) = (few("sent"), few("open"), few("unpaid"));
    let (waiting, running, to_pay, unread) = tokio::try_join!(
        state.app.quotes(&c.ctx.actor, &sent),
        state.app.orders(&c.ctx.actor, &open),
        state.app.invoices(&c.ctx.actor, &unpaid),
        state.app.unread_threads(&c.ctx.actor),
    )?;
    let body = html! {
        div.grid {
            section.card aria-labelledby="h-q" {
                h2 #h-q { (tr.t("home.to_answer")) }
                @if waiting.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for q in &waiting.items { li { a href=(links::portal::quote(q.id)) { (quote_label(&tr, q)) } " — " (tr.money(q.totals.total_incl_vat)) } } }
                (see_all(&tr, &waiting.next_cursor, "/compte/devis?status=sent"))
            }
            section.card aria-labelledby="h-o" {
                h2 #h-o { (tr.t("home.in_progress")) }
                @if running.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for o in &running.items { li { a href=(links::portal::order(o.id)) { (o.purchase_order_number) } " " (client_badge(&tr, o.status.as_str())) } } }
                (see_all(&tr, &running.next_cursor, "/compte/commandes"))
            }
            section.card aria-labelledby="h-m" {
                h2 #h-m { (tr.t("home.unread")) }
                @if unread.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for (k, id, n) in &unread { li {
                    @let href = links::portal::thread(*k, *id);
                    a href=(href) { (tr.t(if *k == ThreadKind::Quote { "quote.number" } else { "order.po" })) " #" (id) } " — " (n)
                } } }
            }
            section.card aria-labelledby="h-i" {
                h2 #h-i { (tr.t("home.to_pay")) }
                @if to_pay.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for i in &to_pay.items { li { a href=(links::portal::invoice(i.id)) { (i.number) } " — " (tr.money(i.amount_due)) } } }
                (see_all(&tr, &to_pay.next_cursor, "/compte/factures?status=unpaid"))
            }
        }
    };
    Ok(page(&c.ctx, tr.t("home.title"), body).into_response())
}

pub async fn events(State(state): State<AppState>, c: ClientCtx) -> PageResult {
    Ok(crate::live::stream(&state.live, Some(c.client_id)).into_response())
}

/// One of the PDF documents a page offers, and only those: the page's own scope (a session
/// opened by an email's link reaches the pages under its document) covers its documents.
async fn serve_pdf(
    state: &AppState,
    c: &ClientCtx,
    docs: Vec<Doc>,
    (kind, id): (String, Id),
    headers: &HeaderMap,
) -> PageResult {
    let Some(doc) = docs.iter().find(|d| d.kind.as_str() == kind && d.id == id) else {
        return Ok(error_page(&c.ctx, StatusCode::NOT_FOUND, c.ctx.tr.t("error.code.not_found")));
    };
    let scope = Scope::Client(c.client_id);
    Ok(match crate::download::serve_document(&state.app, scope, doc.kind, doc.id, headers).await {
        Ok(r) => r,
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

/// A quote's documents, from its page.
pub async fn quote_pdf(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, kind, doc)): Path<(Id, String, Id)>,
    headers: HeaderMap,
) -> PageResult {
    let q = state.app.quote(&c.ctx.actor, id).await?;
    let po = match q.status {
        QuoteStatus::Accepted => state.app.purchase_order_for_quote(&c.ctx.actor, id).await?.map(|p| p.id),
        _ => None,
    };
    serve_pdf(&state, &c, quote_docs(&q, po), (kind, doc), &headers).await
}

/// An order's documents, from its page.
pub async fn order_pdf(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, kind, doc)): Path<(Id, String, Id)>,
    headers: HeaderMap,
) -> PageResult {
    let o = state.app.order(&c.ctx.actor, id).await?;
    serve_pdf(&state, &c, order_docs(&o), (kind, doc), &headers).await
}

/// An invoice's documents, from its page.
pub async fn invoice_pdf(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, kind, doc)): Path<(Id, String, Id)>,
    headers: HeaderMap,
) -> PageResult {
    let i = state.app.invoice(&c.ctx.actor, id).await?;
    serve_pdf(&state, &c, invoice_docs(&i), (kind, doc), &headers).await
}

/// The signed document of an acceptance received offline, from its quote's page.
pub async fn acceptance_evidence(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    headers: HeaderMap,
) -> PageResult {
    let e = state.app.acceptance_evidence(&c.ctx.actor, id).await?;
    Ok(crate::download::serve_file(&state.app, &e.storage_key, &headers, &e.filename, &e.content_type).await)
}

//! The client's space: requests, quotes (accept with a "bon pour accord", refuse), orders and
//! their stages, deliveries, invoices with payment instructions, messages, profile, data export.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use immovr_core::auth::{hash_password, verify_password};
use immovr_core::listing::{ListQuery, every};
use immovr_core::model::*;
use immovr_core::money::{Line, Totals};
use immovr_core::ports::{AcceptQuote, NewAttachment, NewMessage, NewQuoteRequest, ProfileUpdate, RefuseQuote};
use immovr_core::{DomainError, Scope};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Tr;
use super::paging::{ListForm, list_query, pager, search_form, see_all};
use super::{ClientCtx, Ctx, badge, csrf_field, csrf_ok, domain_error_page, error_page, field_error, notice, page};
use crate::AppState;
use crate::api::hashing;

/// A submitted form as name/value pairs (checkbox groups repeat a name).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

/// A multipart form: its text fields and the files already written to the file store.
pub struct UploadForm {
    pub fields: Fields,
    pub files: Vec<NewAttachment>,
}

impl UploadForm {
    /// Removes the stored files (the form was refused).
    pub async fn discard(self, state: &AppState) {
        for f in self.files {
            state.files.delete(&f.storage_key).await;
        }
    }
}

/// Reads a multipart form, streaming each file (plans, photos) to the file store. Files are
/// checked by size and by content (PDF, JPEG, PNG, WebP, HEIC), never by their name.
pub async fn read_upload_form(
    state: &AppState,
    mut multipart: Multipart,
) -> Result<UploadForm, (UploadForm, DomainError)> {
    let mut form = UploadForm { fields: Fields(Vec::new()), files: Vec::new() };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err((form, DomainError::validation("attachments", format!("upload interrupted: {e}")))),
        };
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(str::to_string) {
            Some(original) if !original.is_empty() => {
                if form.files.len() >= super::MAX_FILES {
                    return Err((
                        form,
                        DomainError::validation("attachments", format!("at most {} files", super::MAX_FILES)),
                    ));
                }
                let filename = crate::files::clean_filename(&original);
                let key = format!("requests/{}/{}", crate::api::new_token("").get(..16).unwrap_or("x"), filename);
                match state.files.save(&key, field, super::MAX_ATTACHMENT_BYTES).await {
                    Ok(saved) => match crate::files::sniff(&saved.head) {
                        Some(content_type) => form.files.push(NewAttachment {
                            filename,
                            content_type: content_type.into(),
                            size_bytes: saved.size as i64,
                            sha256: saved.sha256,
                            storage_key: key,
                        }),
                        None => {
                            state.files.delete(&key).await;
                            let msg = format!("{filename}: only PDF, JPEG, PNG, WebP or HEIC files");
                            return Err((form, DomainError::validation("attachments", msg)));
                        }
                    },
                    Err(crate::files::FileError::TooLarge(limit)) => {
                        let msg = format!("{filename}: larger than {} MB", limit / 1_000_000);
                        return Err((form, DomainError::validation("attachments", msg)));
                    }
                    Err(e) => return Err((form, DomainError::validation("attachments", e.to_string()))),
                }
            }
            Some(_) => {} // an empty file input
            None => match field.text().await {
                Ok(text) => form.fields.0.push((name, text)),
                Err(e) => return Err((form, DomainError::validation(name, e.to_string()))),
            },
        }
    }
    Ok(form)
}

#[derive(Default)]
pub struct RequestForm {
    pub property_type: String,
    pub property_address: String,
    pub surface: String,
    pub rooms: String,
    pub wanted: Vec<String>,
    pub wished_date: String,
    pub notes: String,
}

impl RequestForm {
    pub fn from_fields(f: &Fields) -> Self {
        RequestForm {
            property_type: f.get("property_type"),
            property_address: f.get("property_address"),
            surface: f.get("surface"),
            rooms: f.get("rooms"),
            wanted: f.all("wanted"),
            wished_date: f.get("wished_date"),
            notes: f.get("notes"),
        }
    }

    pub fn to_input(&self) -> Result<NewQuoteRequest, DomainError> {
        let parse_opt = |field: &str, v: &str| -> Result<Option<String>, DomainError> {
            let v = v.trim();
            if v.is_empty() { Ok(None) } else { Ok(Some(v.replace(',', "."))) }.and_then(|o: Option<String>| {
                if o.as_deref().is_some_and(|s| s.len() > 40) {
                    Err(DomainError::validation(field, "too long"))
                } else {
                    Ok(o)
                }
            })
        };
        let surface_m2 = parse_opt("surface_m2", &self.surface)?
            .map(|s| s.parse().map_err(|_| DomainError::validation("surface_m2", "a number of square metres")))
            .transpose()?;
        let rooms = parse_opt("rooms", &self.rooms)?
            .map(|s| s.parse().map_err(|_| DomainError::validation("rooms", "a whole number")))
            .transpose()?;
        let wished_date = parse_opt("wished_date", &self.wished_date)?
            .map(|s| s.parse().map_err(|_| DomainError::validation("wished_date", "a date (YYYY-MM-DD)")))
            .transpose()?;
        Ok(NewQuoteRequest {
            property_type: self.property_type.clone(),
            property_address: self.property_address.clone(),
            surface_m2,
            rooms,
            wanted: self.wanted.clone(),
            wished_date,
            notes: Some(self.notes.clone()),
        })
    }
}

pub fn text_input(
    name: &str,
    label: &str,
    value: &str,
    autocomplete: &str,
    required: bool,
    error: Option<String>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        label for=(id) { (label) }
        input id=(id) type=(if autocomplete == "email" { "email" } else if autocomplete == "tel" { "tel" } else { "text" })
            name=(name) value=(value) autocomplete=(autocomplete) required[required]
            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| format!("{id}-err"))];
        @if let Some(e) = error { p.field-error id={ (id) "-err" } { (e) } }
    }
}

pub fn request_fields(tr: &Tr, catalogue: &[CatalogueItem], f: &RequestForm, err: &Option<DomainError>) -> Markup {
    let fe = |field: &str| field_error(err, field);
    html! {
        fieldset {
            legend { (tr.t("request.property")) }
            (text_input("property_type", tr.t("request.type"), &f.property_type, "off", true, fe("property_type")))
            (text_input("property_address", tr.t("request.address"), &f.property_address, "street-address", true, fe("property_address")))
            (text_input("surface", tr.t("request.surface"), &f.surface, "off", false, fe("surface_m2")))
            (text_input("rooms", tr.t("request.rooms"), &f.rooms, "off", false, fe("rooms")))
        }
        fieldset {
            legend { (tr.t("request.services")) }
            @if let Some(e) = fe("wanted") { p.field-error { (e) } }
            ul.checks {
                @for item in catalogue {
                    li {
                        label {
                            input type="checkbox" name="wanted" value=(item.code) checked[f.wanted.contains(&item.code)];
                            " " (item.label(tr.0)) " — " (tr.money(item.unit_price)) " HT / " (item.unit)
                        }
                    }
                }
            }
            label for="f-wished_date" { (tr.t("request.date")) " " span.hint { (tr.t("optional")) } }
            input #f-wished_date type="date" name="wished_date" value=(f.wished_date);
            @if let Some(e) = fe("wished_date") { p.field-error { (e) } }
            label for="f-notes" { (tr.t("request.notes")) " " span.hint { (tr.t("optional")) } }
            textarea #f-notes name="notes" rows="4" { (f.notes) }
            label for="f-files" { (tr.t("request.files")) " " span.hint { (tr.t("optional")) } }
            p.hint #f-files-help { (tr.t("request.files.help")) }
            input #f-files type="file" name="attachments" multiple accept=".pdf,.jpg,.jpeg,.png,.webp,.heic,application/pdf,image/*"
                aria-describedby="f-files-help" aria-invalid=[fe("attachments").map(|_| "true")];
            @if let Some(e) = fe("attachments") { p.field-error { (e) } }
            progress.upload hidden max="100" value="0" aria-label=(tr.t("request.files.progress")) {}
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Flash {
    pub ok: Option<String>,
}

/// Items of each "to do" on the home page (the full lists are a link away).
const HOME_ITEMS: i64 = 10;

pub async fn home(State(state): State<AppState>, c: ClientCtx) -> Response {
    let scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    // The first few of each, over every record; the full list is a link away.
    let few = |status: &str| ListQuery { limit: HOME_ITEMS, status: Some(status.into()), ..ListQuery::first() };
    let (sent, open, unpaid) = (few("sent"), few("open"), few("unpaid"));
    let (waiting, running, to_pay, unread) = match tokio::try_join!(
        state.store.quotes(scope, &sent),
        state.store.orders(scope, &open),
        state.store.invoices(scope, &unpaid),
        state.store.unread_threads(scope),
    ) {
        Ok(x) => x,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        div.grid {
            section.card aria-labelledby="h-q" {
                h2 #h-q { (tr.t("home.to_answer")) }
                @if waiting.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for q in &waiting.items { li { a href={ "/compte/devis/" (q.id) } { (quote_label(&tr, q)) } " — " (tr.money(q.totals.total_incl_vat)) } } }
                (see_all(&tr, &waiting.next_cursor, "/compte/devis?status=sent"))
            }
            section.card aria-labelledby="h-o" {
                h2 #h-o { (tr.t("home.in_progress")) }
                @if running.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for o in &running.items { li { a href={ "/compte/commandes/" (o.id) } { (o.purchase_order_number) } " " (badge(&tr, o.status.as_str())) } } }
                (see_all(&tr, &running.next_cursor, "/compte/commandes"))
            }
            section.card aria-labelledby="h-m" {
                h2 #h-m { (tr.t("home.unread")) }
                @if unread.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for (k, id, n) in &unread { li {
                    @let href = if *k == ThreadKind::Quote { format!("/compte/devis/{id}#h-msg") } else { format!("/compte/commandes/{id}#h-msg") };
                    a href=(href) { (tr.t(if *k == ThreadKind::Quote { "quote.number" } else { "order.po" })) " #" (id) } " — " (n)
                } } }
            }
            section.card aria-labelledby="h-i" {
                h2 #h-i { (tr.t("home.to_pay")) }
                @if to_pay.items.is_empty() { p { (tr.t("home.nothing")) } }
                ul { @for i in &to_pay.items { li { a href={ "/compte/factures/" (i.id) } { (i.number) } " — " (tr.money(i.amount_due)) } } }
                (see_all(&tr, &to_pay.next_cursor, "/compte/factures?status=unpaid"))
            }
        }
    };
    page(&c.ctx, tr.t("home.title"), body).into_response()
}

fn quote_label(tr: &Tr, q: &Quote) -> String {
    format!("{} {} ({} {})", tr.t("quote.number"), q.number.as_deref().unwrap_or("—"), tr.t("quote.version"), q.version)
}

pub async fn requests(
    State(state): State<AppState>,
    c: ClientCtx,
    Query(flash): Query<Flash>,
    Query(form): Query<ListForm>,
) -> Response {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.quote_requests(Scope::Client(c.client_id), &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        @if flash.ok.is_some() { (notice("ok", tr.t("request.sent"))) }
        p { a.button href="/compte/demandes/nouvelle" { (tr.t("nav.request")) } }
        (search_form(&tr, "/compte/demandes", &form, &["new", "quoted", "closed"], true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("request.type")) } th scope="col" { (tr.t("request.address")) } th scope="col" { (tr.t("request.files")) } th scope="col" { (tr.t("status")) } } }
            tbody {
                @for r in &list.items {
                    tr {
                        td { (tr.date(r.created_at.to_zoned(immovr_core::ports::studio_timezone()).date())) }
                        td { (r.property_type) }
                        td { (r.property_address) }
                        td { ul.files { @for a in &r.attachments { li { a href={ "/compte/demandes/" (r.id) "/pieces/" (a.id) } { (a.filename) } " (" (human_size(a.size_bytes)) ")" } } } }
                        td { (badge(&tr, r.status.as_str())) }
                    }
                }
            }
        } }
        (pager(&tr, "/compte/demandes", &form, &list))
    };
    page(&c.ctx, tr.t("request.list"), body).into_response()
}

async fn request_page(state: &AppState, ctx: &Ctx, f: &RequestForm, err: Option<DomainError>) -> Markup {
    let tr = ctx.tr;
    let catalogue = state.store.catalogue(true).await.unwrap_or_default();
    html! {
        p { (tr.t("signup.intro")) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        form.card method="post" action="/compte/demandes" enctype="multipart/form-data" data-upload novalidate {
            (csrf_field(ctx))
            (request_fields(&tr, &catalogue, f, &err))
            button type="submit" { (tr.t("signup.submit")) }
        }
    }
}

pub async fn new_request(State(state): State<AppState>, c: ClientCtx) -> Response {
    let body = request_page(&state, &c.ctx, &RequestForm::default(), None).await;
    page(&c.ctx, c.ctx.tr.t("signup.title"), body).into_response()
}

pub async fn create_request(State(state): State<AppState>, c: ClientCtx, multipart: Multipart) -> Response {
    let (upload, result) = match read_upload_form(&state, multipart).await {
        Ok(upload) if !csrf_ok(&c.ctx, &upload.fields.get("csrf")) => {
            upload.discard(&state).await;
            return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
        }
        Ok(upload) => {
            let form = RequestForm::from_fields(&upload.fields);
            let result = match form.to_input() {
                Ok(input) => state
                    .store
                    .create_quote_request(&c.ctx.actor, c.client_id, input, upload.files.clone())
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            };
            (upload, result)
        }
        Err((upload, e)) => (upload, Err(e)),
    };
    let form = RequestForm::from_fields(&upload.fields);
    if result.is_err() {
        upload.discard(&state).await;
    }
    match result {
        Ok(()) => Redirect::to("/compte/demandes?ok=1").into_response(),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let body = request_page(&state, &c.ctx, &form, Some(e)).await;
            (status, page(&c.ctx, c.ctx.tr.t("signup.title"), body)).into_response()
        }
    }
}

pub async fn quotes(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> Response {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.quotes(Scope::Client(c.client_id), &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        @if list.items.is_empty() && !form.is_filtered() && form.cursor.is_none() {
            p { (tr.t("home.nothing")) " " a href="/compte/demandes/nouvelle" { (tr.t("nav.request")) } }
        }
        @else {
            (search_form(&tr, "/compte/devis", &form, &["sent", "expired", "accepted", "refused", "superseded"], true))
            div.table-wrap tabindex="0" { table {
                thead { tr {
                    th scope="col" { (tr.t("quote.number")) } th scope="col" { "Objet" } th scope="col" { (tr.t("quote.valid_until")) }
                    th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) }
                } }
                tbody {
                    @for q in &list.items {
                        tr {
                            td { a href={ "/compte/devis/" (q.id) } { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } }
                            td { (q.title) }
                            td { (tr.date(q.valid_until)) }
                            td.num { (tr.money(q.totals.total_incl_vat)) }
                            td { (badge(&tr, q.status.as_str())) }
                        }
                    }
                }
            } }
            (pager(&tr, "/compte/devis", &form, &list))
        }
    };
    page(&c.ctx, tr.t("quotes.title"), body).into_response()
}

pub fn lines_table(tr: &Tr, lines: &[Line], totals: &Totals) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table.lines {
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
                            td { (l.description) }
                            td.num { (tr.number(l.quantity)) }
                            td { (l.unit) }
                            td.num { (tr.money(l.unit_price)) }
                            td.num { @if l.discount.is_zero() { "—" } @else { "−" (tr.money(l.discount)) } }
                            td.num { (tr.number(l.vat_rate)) " %" }
                            td.num { (tr.money(l.total_excl_vat)) }
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

fn messages_block(ctx: &Ctx, messages: &[Message], action: &str) -> Markup {
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

async fn quote_page(
    state: &AppState,
    c: &ClientCtx,
    id: Id,
    flash: Option<Markup>,
    error: Option<DomainError>,
    status: StatusCode,
) -> Response {
    let scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let q = match state.store.quote(scope, id).await {
        Ok(q) => q,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let versions: Vec<Quote> = state.store.quote_versions(scope, q.family_id).await.unwrap_or_default();
    let current = versions.iter().max_by_key(|v| v.version).map(|v| v.id);
    let messages = state.store.messages(scope, ThreadKind::Quote, id).await.unwrap_or_default();
    let _ = state.store.mark_thread_read(scope, ThreadKind::Quote, id).await;
    let purchase_order = if q.status == QuoteStatus::Accepted {
        state.store.purchase_order_for_quote(scope, q.id).await.ok().flatten()
    } else {
        None
    };
    let today = immovr_core::ports::today(state.clock.as_ref());
    let days_left = (q.valid_until - today).get_days();
    let fe = |f: &str| field_error(&error, f);
    let body = html! {
        @if let Some(f) = flash { (f) }
        @if let Some(e) = &error { (notice("error", &e.to_string())) }
        p.lead { (badge(&tr, q.status.as_str())) " " strong { (q.title) } }
        dl.facts {
            dt { (tr.t("quote.number")) } dd { (q.number.as_deref().unwrap_or("—")) " · " (tr.t("quote.version")) " " (q.version) }
            dt { (tr.t("quote.valid_until")) } dd {
                time datetime=(q.valid_until) { (tr.date(q.valid_until)) }
                @if q.status == QuoteStatus::Sent { " " span.countdown data-until=(q.valid_until) { "(" (days_left) " " (tr.t("quote.days_left")) ")" } }
            }
        }
        @if let Some(notes) = &q.notes { p { (notes) } }
        (super::quote_pdf_links(&tr, &q, purchase_order.as_ref().map(|p| p.id)))
        (lines_table(&tr, &q.lines, &q.totals))
        @match q.status {
            QuoteStatus::Sent => {
                div.actions {
                    section.card aria-labelledby="h-accept" {
                        h2 #h-accept { (tr.t("quote.accept.title")) }
                        form method="post" action={ "/compte/devis/" (q.id) "/accepter" } {
                            (csrf_field(&c.ctx))
                            label for="signer" { (tr.t("quote.accept.signer")) }
                            input #signer type="text" name="signer_name" autocomplete="name" required
                                aria-invalid=[matches!(error, Some(DomainError::AcceptanceIncomplete)).then_some("true")];
                            label.check { input type="checkbox" name="consent" value="on" required; " " (tr.t("quote.accept.consent")) }
                            label.check { input type="checkbox" name="terms" value="on" required; " " (tr.t("quote.accept.terms")) }
                            button.accept type="submit" { (tr.t("quote.accept")) " — " (tr.money(q.totals.total_incl_vat)) }
                        }
                    }
                    section.card aria-labelledby="h-refuse" {
                        h2 #h-refuse { (tr.t("quote.refuse.title")) }
                        form method="post" action={ "/compte/devis/" (q.id) "/refuser" } {
                            (csrf_field(&c.ctx))
                            fieldset {
                                legend.sr { (tr.t("quote.refuse")) }
                                label.check { input type="radio" name="kind" value="changes_requested" checked; " " (tr.t("quote.refuse.changes")) }
                                label.check { input type="radio" name="kind" value="decline"; " " (tr.t("quote.refuse.decline")) }
                            }
                            label for="comment" { (tr.t("quote.refuse.comment")) }
                            textarea #comment name="comment" rows="3" aria-invalid=[fe("comment").map(|_| "true")] {}
                            @if let Some(m) = fe("comment") { p.field-error { (m) } }
                            button.refuse type="submit" { (tr.t("quote.refuse")) }
                        }
                    }
                }
            }
            QuoteStatus::Expired => { (notice("warn", tr.t("quote.expired.why"))) }
            QuoteStatus::Superseded => {
                (notice("warn", tr.t("quote.superseded.why")))
                @if let Some(cur) = current { p { a href={ "/compte/devis/" (cur) } { (tr.t("quote.newer")) } } }
            }
            QuoteStatus::Refused => {
                (notice("info", tr.t("quote.refused.why")))
                @if let Some(r) = &q.refusal { @if let Some(cm) = &r.comment { blockquote { (cm) } } }
            }
            QuoteStatus::Accepted => {
                @if let Some(a) = &q.acceptance {
                    section.card {
                        p { (tr.t("quote.accepted.by")) " " strong { (a.signer_name) } ", " time datetime=(a.accepted_at) { (a.accepted_at.strftime("%Y-%m-%d %H:%M UTC")) } }
                        p.hash { (tr.t("quote.hash")) " : " code { (a.content_sha256) } }
                        @if let Some(po) = &purchase_order {
                            p { (tr.t("order.po")) " " strong { (po.number) }
                                @if let Some(o) = po.order_id { " — " a href={ "/compte/commandes/" (o) } { (tr.t("view")) } } }
                        }
                    }
                }
            }
            QuoteStatus::Draft => {}
        }
        @if versions.len() > 1 {
            section.card aria-labelledby="h-versions" {
                h2 #h-versions { (tr.t("quote.history")) }
                ol.versions {
                    @for v in &versions {
                        li {
                            @if v.id == q.id { strong { "v" (v.version) } } @else { a href={ "/compte/devis/" (v.id) } { "v" (v.version) } }
                            " " (badge(&tr, v.status.as_str())) " — " (tr.money(v.totals.total_incl_vat))
                            @if let Some(r) = &v.refusal { @if let Some(cm) = &r.comment { " — « " (cm) " »" } }
                        }
                    }
                }
            }
        }
        (messages_block(&c.ctx, &messages, &format!("/compte/devis/{}/messages", q.id)))
    };
    let title = quote_label(&tr, &q);
    (status, page(&c.ctx, &title, body)).into_response()
}

pub async fn quote(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Query(flash): Query<Flash>,
) -> Response {
    let tr = c.ctx.tr;
    let flash = match flash.ok.as_deref() {
        Some("accepted") => Some(notice("ok", tr.t("quote.accepted"))),
        Some("refused") => Some(notice("ok", tr.t("quote.refused"))),
        _ => None,
    };
    quote_page(&state, &c, id, flash, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    csrf: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    terms: Option<String>,
}

pub async fn accept(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<AcceptForm>,
) -> Response {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
    }
    let input =
        AcceptQuote { signer_name: f.signer_name, consent: f.consent.is_some(), terms_accepted: f.terms.is_some() };
    match state.store.accept_quote(&c.ctx.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("/compte/devis/{id}?ok=accepted")).into_response(),
        Err(e @ (DomainError::NotFound { .. } | DomainError::Internal(_))) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            quote_page(&state, &c, id, None, Some(e), status).await
        }
    }
}

#[derive(Deserialize)]
pub struct RefuseForm {
    csrf: String,
    kind: RefusalKind,
    #[serde(default)]
    comment: String,
}

pub async fn refuse(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<RefuseForm>,
) -> Response {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
    }
    match state.store.refuse_quote(&c.ctx.actor, id, RefuseQuote { kind: f.kind, comment: Some(f.comment) }).await {
        Ok(_) => Redirect::to(&format!("/compte/devis/{id}?ok=refused")).into_response(),
        Err(e @ (DomainError::NotFound { .. } | DomainError::Internal(_))) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            quote_page(&state, &c, id, None, Some(e), status).await
        }
    }
}

#[derive(Deserialize)]
pub struct MessageForm {
    csrf: String,
    body: String,
}

async fn post_message(
    state: &AppState,
    c: &ClientCtx,
    kind: ThreadKind,
    id: Id,
    f: MessageForm,
    back: String,
) -> Response {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
    }
    match state.store.post_message(&c.ctx.actor, kind, id, NewMessage { body: f.body }).await {
        Ok(_) => Redirect::to(&format!("{back}#h-msg")).into_response(),
        Err(e) => domain_error_page(&c.ctx, e),
    }
}

pub async fn quote_message(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<MessageForm>,
) -> Response {
    post_message(&state, &c, ThreadKind::Quote, id, f, format!("/compte/devis/{id}")).await
}

pub async fn order_message(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<MessageForm>,
) -> Response {
    post_message(&state, &c, ThreadKind::Order, id, f, format!("/compte/commandes/{id}")).await
}

pub async fn orders(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> Response {
    let scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let pos = match state.store.purchase_orders(scope, &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        (search_form(&tr, "/compte/commandes", &form, &[], true))
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("order.po")) } th scope="col" { (tr.t("quote.number")) } th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) } } }
            tbody {
                @for p in &pos.items {
                    tr {
                        td { @if let Some(o) = p.order_id { a href={ "/compte/commandes/" (o) } { (p.number) } } @else { a href={ "/compte/devis/" (p.quote_id) } { (p.number) } } }
                        td { (p.quote_number) " v" (p.quote_version) }
                        td.num { (tr.money(p.totals.total_incl_vat)) }
                        td { @if let Some(s) = p.order_status { (badge(&tr, s.as_str())) } @else { (badge(&tr, p.status.as_str())) } }
                    }
                }
            }
        } }
        (pager(&tr, "/compte/commandes", &form, &pos))
    };
    page(&c.ctx, tr.t("orders.title"), body).into_response()
}

pub async fn order(State(state): State<AppState>, c: ClientCtx, Path(id): Path<Id>) -> Response {
    let scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let o = match state.store.order(scope, id).await {
        Ok(o) => o,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let po = match state.store.purchase_order(scope, o.purchase_order_id).await {
        Ok(p) => p,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let messages = state.store.messages(scope, ThreadKind::Order, id).await.unwrap_or_default();
    let _ = state.store.mark_thread_read(scope, ThreadKind::Order, id).await;
    let current = o.stages.iter().find(|s| s.status != StageStatus::Done).map(|s| s.id);
    let body = html! {
        p.lead { (badge(&tr, o.status.as_str())) " " (tr.t("order.po")) " " strong { (po.number) } " " (tr.t("order.from_quote")) " "
            a href={ "/compte/devis/" (po.quote_id) } { (po.quote_number) " v" (po.quote_version) } }
        p.hint.live-hint { (tr.t("order.live")) }
        section.card aria-labelledby="h-stages" {
            h2 #h-stages { (tr.t("order.timeline")) }
            ol.timeline {
                @for s in &o.stages {
                    li class={ "stage st-" (s.status.as_str()) } aria-current=[(Some(s.id) == current).then_some("step")] {
                        span.label { (s.label) }
                        " " (super::stage_badge(&tr, s.status))
                        @if let Some(d) = s.planned_date { " — " (tr.t("order.planned_for")) " " time datetime=(d) { (tr.date(d)) } }
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
        @if let Some(inv) = o.invoice_id { p { a.button href={ "/compte/factures/" (inv) } { (tr.t("invoice.number")) } } }
        (super::pdf_links(&tr, &order_pdfs(&o)))
        (lines_table(&tr, &po.lines, &po.totals))
        (messages_block(&c.ctx, &messages, &format!("/compte/commandes/{id}/messages")))
    };
    page(&c.ctx, &format!("{} {}", tr.t("order.po"), po.number), body).into_response()
}

/// An order's documents: its purchase order and, once delivered, its invoice.
pub(crate) fn order_pdfs(o: &Order) -> Vec<(&'static str, String)> {
    let mut links = vec![("doc.purchase_order", format!("/api/v1/purchase-orders/{}/pdf", o.purchase_order_id))];
    if let Some(inv) = o.invoice_id {
        links.push(("doc.invoice", format!("/api/v1/invoices/{inv}/pdf")));
    }
    links
}

/// An invoice's documents: the invoice and any credit note cancelling it.
pub(crate) fn invoice_pdfs(i: &Invoice) -> Vec<(&'static str, String)> {
    let mut links = vec![("doc.invoice", format!("/api/v1/invoices/{}/pdf", i.id))];
    links.extend(i.credit_note_ids.iter().map(|c| ("doc.credit_note", format!("/api/v1/credit-notes/{c}/pdf"))));
    links
}

fn human_size(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} Go", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} Mo", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} ko", b / 1e3)
    } else {
        format!("{bytes} o")
    }
}

fn files_table(tr: &Tr, order_id: Id, files: &[Deliverable]) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table {
                thead { tr { th scope="col" { "Fichier" } th scope="col" class="num" { (tr.t("deliveries.size")) } th scope="col" { (tr.t("deliveries.checksum")) } } }
                tbody {
                    @for f in files {
                        tr {
                            td { a href={ "/compte/commandes/" (order_id) "/fichiers/" (f.id) } download { (f.filename) } }
                            td.num { (human_size(f.size_bytes)) }
                            td { code.hash { (f.sha256) } }
                        }
                    }
                }
            }
        }
    }
}

pub async fn deliveries(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> Response {
    let tr = c.ctx.tr;
    let form = ListForm { status: Some("with_files".into()), ..form };
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let orders = match state.store.orders(Scope::Client(c.client_id), &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        @if orders.items.is_empty() && form.cursor.is_none() { p { (tr.t("deliveries.none")) } }
        @for o in &orders.items {
            section.card {
                h2 { a href={ "/compte/commandes/" (o.id) } { (o.purchase_order_number) } " " (badge(&tr, o.status.as_str())) }
                (files_table(&tr, o.id, &o.deliverables))
            }
        }
        @if !orders.items.is_empty() || form.cursor.is_some() { (pager(&tr, "/compte/livraisons", &ListForm { status: None, ..form.clone() }, &orders)) }
    };
    page(&c.ctx, tr.t("deliveries.title"), body).into_response()
}

pub async fn attachment(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, file)): Path<(Id, Id)>,
    headers: HeaderMap,
) -> Response {
    match state.store.attachment(Scope::Client(c.client_id), id, file).await {
        Ok(a) => state.files.serve(&a.storage_key, &headers, &a.filename, &a.content_type).await,
        Err(e) => domain_error_page(&c.ctx, e),
    }
}

pub async fn download(
    State(state): State<AppState>,
    c: ClientCtx,
    Path((id, file)): Path<(Id, Id)>,
    headers: HeaderMap,
) -> Response {
    match state.store.deliverable(Scope::Client(c.client_id), id, file).await {
        Ok(d) => state.files.serve(&d.storage_key, &headers, &d.filename, &d.content_type).await,
        Err(e) => domain_error_page(&c.ctx, e),
    }
}

pub async fn invoices(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> Response {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let list = match state.store.invoices(Scope::Client(c.client_id), &query).await {
        Ok(l) => l,
        Err(e) => return domain_error_page(&c.ctx, e),
    };
    let body = html! {
        (search_form(&tr, "/compte/factures", &form, &["unpaid", "overdue", "paid", "cancelled"], true))
        {
            div.table-wrap tabindex="0" { table {
                thead { tr { th scope="col" { (tr.t("invoice.number")) } th scope="col" { (tr.t("invoice.issued")) } th scope="col" { (tr.t("invoice.due")) }
                    th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" class="num" { (tr.t("invoice.amount_due")) } th scope="col" { (tr.t("status")) } } }
                tbody {
                    @for i in &list.items {
                        tr {
                            td { a href={ "/compte/factures/" (i.id) } { (i.number) } }
                            td { (tr.date(i.issue_date)) }
                            td { (tr.date(i.due_date)) }
                            td.num { (tr.money(i.totals.total_incl_vat)) }
                            td.num { (tr.money(i.amount_due)) }
                            td { (badge(&tr, i.status.as_str())) }
                        }
                    }
                }
            } }
            (pager(&tr, "/compte/factures", &form, &list))
        }
    };
    page(&c.ctx, tr.t("invoices.title"), body).into_response()
}

pub async fn invoice(State(state): State<AppState>, c: ClientCtx, Path(id): Path<Id>) -> Response {
    let tr = c.ctx.tr;
    let (i, company) =
        match tokio::try_join!(state.store.invoice(Scope::Client(c.client_id), id), state.store.company()) {
            Ok(x) => x,
            Err(e) => return domain_error_page(&c.ctx, e),
        };
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
        p.lead { (badge(&tr, i.status.as_str())) }
        dl.facts {
            dt { (tr.t("invoice.issued")) } dd { (tr.date(i.issue_date)) }
            dt { (tr.t("invoice.due")) } dd { (tr.date(i.due_date)) }
            dt { (tr.t("order.po")) } dd { (i.purchase_order_number) }
            dt { (tr.t("invoice.paid")) } dd { (tr.money(i.amount_paid)) }
            dt { (tr.t("invoice.amount_due")) } dd { strong { (tr.money(i.amount_due)) } }
        }
        (super::pdf_links(&tr, &invoice_pdfs(&i)))
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
    page(&c.ctx, &format!("{} {}", tr.t("invoice.number"), i.number), body).into_response()
}

fn profile_form(ctx: &Ctx, client: &Client, saved: bool, err: Option<DomainError>) -> Markup {
    let tr = ctx.tr;
    let fe = |f: &str| field_error(&err, f);
    let a = client.billing_address.clone();
    html! {
        @if saved { (notice("ok", tr.t("profile.saved"))) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        form.card method="post" action="/compte/profil" {
            (csrf_field(ctx))
            (text_input("name", tr.t("field.name"), &client.name, "name", true, fe("name")))
            p { (tr.t("login.email")) " : " strong { (client.email) } }
            (text_input("phone", tr.t("field.phone"), client.phone.as_deref().unwrap_or(""), "tel", false, fe("phone")))
            @if client.kind == ClientKind::Company {
                (text_input("company_name", tr.t("field.company"), client.company_name.as_deref().unwrap_or(""), "organization", true, fe("company_name")))
                (text_input("siren", tr.t("field.siren"), client.siren.as_deref().unwrap_or(""), "off", false, fe("siren")))
                (text_input("siret", tr.t("field.siret"), client.siret.as_deref().unwrap_or(""), "off", false, fe("siret")))
                (text_input("vat_number", tr.t("field.vat"), client.vat_number.as_deref().unwrap_or(""), "off", false, fe("vat_number")))
            }
            fieldset {
                legend { (tr.t("field.address")) }
                (text_input("line1", tr.t("field.line1"), a.as_ref().map(|a| a.line1.as_str()).unwrap_or(""), "street-address", true, fe("billing_address.line1")))
                (text_input("postcode", tr.t("field.postcode"), a.as_ref().map(|a| a.postcode.as_str()).unwrap_or(""), "postal-code", true, fe("billing_address.postcode")))
                (text_input("city", tr.t("field.city"), a.as_ref().map(|a| a.city.as_str()).unwrap_or(""), "address-level2", true, fe("billing_address.city")))
            }
            label for="f-language" { (tr.t("field.language")) }
            select #f-language name="language" {
                option value="fr" selected[client.language == Language::Fr] { "Français" }
                option value="en" selected[client.language == Language::En] { "English" }
            }
            label.check { input type="checkbox" name="notify_email" value="on" checked[client.notify_email]; " " (tr.t("field.notify")) }
            button type="submit" { (tr.t("reset.save")) }
        }
        form.card method="post" action="/compte/profil/mot-de-passe" {
            h2 { (tr.t("profile.password")) }
            (csrf_field(ctx))
            label for="current" { (tr.t("profile.current")) }
            input #current type="password" name="current" autocomplete="current-password" required;
            label for="new" { (tr.t("reset.new")) }
            input #new type="password" name="new" minlength="10" autocomplete="new-password" required;
            button type="submit" { (tr.t("reset.save")) }
        }
        section.card aria-labelledby="h-data" {
            h2 #h-data { (tr.t("profile.data")) }
            p { (tr.t("profile.gdpr")) }
            p { a.button href="/compte/donnees" download { (tr.t("profile.export")) } }
        }
    }
}

pub async fn profile(State(state): State<AppState>, c: ClientCtx, Query(flash): Query<Flash>) -> Response {
    match state.store.client(Scope::Client(c.client_id), c.client_id).await {
        Ok(client) => {
            page(&c.ctx, c.ctx.tr.t("profile.title"), profile_form(&c.ctx, &client, flash.ok.is_some(), None))
                .into_response()
        }
        Err(e) => domain_error_page(&c.ctx, e),
    }
}

pub async fn save_profile(
    State(state): State<AppState>,
    c: ClientCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    if !csrf_ok(&c.ctx, &f.get("csrf")) {
        return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
    }
    let opt = |k: &str| Some(f.get(k)).filter(|v| !v.trim().is_empty());
    let update = ProfileUpdate {
        name: f.get("name"),
        phone: opt("phone"),
        company_name: opt("company_name"),
        siren: opt("siren"),
        siret: opt("siret"),
        vat_number: opt("vat_number"),
        billing_address: Some(Address {
            line1: f.get("line1"),
            line2: None,
            postcode: f.get("postcode"),
            city: f.get("city"),
            country: "FR".into(),
        }),
        language: Language::from_tag(&f.get("language")).unwrap_or(Language::Fr),
        notify_email: f.get("notify_email") == "on",
    };
    match state.store.update_profile(&c.ctx.actor, c.client_id, update).await {
        Ok(_) => {
            // The chosen language applies at once (the cookie would otherwise keep the old one).
            let mut r = Redirect::to("/compte/profil?ok=1").into_response();
            let lang = Language::from_tag(&f.get("language")).unwrap_or(Language::Fr);
            let cookie = format!("{}={}; Path=/; SameSite=Lax; Max-Age=31536000", super::LANG_COOKIE, lang.as_str());
            r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
            r
        }
        Err(e @ DomainError::Internal(_)) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            match state.store.client(Scope::Client(c.client_id), c.client_id).await {
                Ok(client) => {
                    (status, page(&c.ctx, c.ctx.tr.t("profile.title"), profile_form(&c.ctx, &client, false, Some(e))))
                        .into_response()
                }
                Err(e) => domain_error_page(&c.ctx, e),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub async fn change_password(State(state): State<AppState>, c: ClientCtx, Form(f): Form<PasswordForm>) -> Response {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf"));
    }
    let Some(user) = c.ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    let hash = state.store.user_credentials(&user.email).await.ok().flatten().map(|(_, h)| h).unwrap_or_default();
    let (current, new) = (f.current, f.new);
    let checked =
        hashing(move || if verify_password(&current, &hash) { hash_password(&new).map(Some) } else { Ok(None) }).await;
    match checked {
        Ok(Ok(Some(new_hash))) => match state.store.set_password(&c.ctx.actor, user.id, new_hash).await {
            // Every session is closed by the change: sign in again with the new password.
            Ok(()) => Redirect::to("/connexion?ok=reset").into_response(),
            Err(e) => domain_error_page(&c.ctx, e),
        },
        Ok(Ok(None)) => error_page(&c.ctx, StatusCode::UNAUTHORIZED, c.ctx.tr.t("login.failed")),
        Ok(Err(e)) => error_page(&c.ctx, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
        Err(_) => error_page(&c.ctx, StatusCode::INTERNAL_SERVER_ERROR, c.ctx.tr.t("error.title")),
    }
}

/// Everything the studio holds about this client, as one JSON document (GDPR art. 15 and 20).
pub async fn export(State(state): State<AppState>, c: ClientCtx) -> Response {
    let scope = Scope::Client(c.client_id);
    let s = &state.store;
    let all = async {
        let client = s.client(scope, c.client_id).await?;
        let all = ListQuery::first;
        let requests = every(all(), async |q| s.quote_requests(scope, &q).await).await?;
        let quotes = every(all(), async |q| s.quotes(scope, &q).await).await?;
        let purchase_orders = every(all(), async |q| s.purchase_orders(scope, &q).await).await?;
        let orders = every(all(), async |q| s.orders(scope, &q).await).await?;
        let invoices = every(all(), async |q| s.invoices(scope, &q).await).await?;
        let mut messages = Vec::new();
        for q in &quotes {
            messages.extend(s.messages(scope, ThreadKind::Quote, q.id).await?);
        }
        for o in &orders {
            messages.extend(s.messages(scope, ThreadKind::Order, o.id).await?);
        }
        Ok::<_, DomainError>(serde_json::json!({
            "exported_at": state.clock.now(),
            "client": client,
            "quote_requests": requests,
            "quotes": quotes,
            "purchase_orders": purchase_orders,
            "orders": orders,
            "invoices": invoices,
            "messages": messages,
        }))
    }
    .await;
    match all {
        Ok(doc) => {
            let mut r = axum::Json(doc).into_response();
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"immovr-mes-donnees.json\""),
            );
            r
        }
        Err(e) => domain_error_page(&c.ctx, e),
    }
}

pub async fn events(State(state): State<AppState>, c: ClientCtx) -> Response {
    state.live.stream(Some(c.client_id)).into_response()
}

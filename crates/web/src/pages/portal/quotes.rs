//! The client's quotes: the list, a quote with its versions, the answer (accept with a "bon pour
//! accord", or refuse / ask for changes), and the message threads of quotes and orders.

use super::*;
use immovr_core::links;

pub async fn quotes(State(state): State<AppState>, c: ClientCtx, Query(form): Query<ListForm>) -> PageResult {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.quotes(&c.ctx.actor, &query).await?;
    let body = html! {
        @if list.items.is_empty() && !form.is_filtered() && form.cursor.is_none() {
            p { (tr.t("home.nothing")) " " a href="/compte/demandes/nouvelle" { (tr.t("nav.request")) } }
        }
        @else {
            (search_form(&tr, "/compte/devis", &form, &["sent", "expired", "accepted", "refused", "superseded"], true))
            div.table-wrap tabindex="0" { table.stack {
                thead { tr {
                    th scope="col" { (tr.t("quote.number")) } th scope="col" { (tr.t("quote.subject")) } th scope="col" { (tr.t("quote.valid_until")) }
                    th scope="col" class="num" { (tr.t("quote.total_ttc")) } th scope="col" { (tr.t("status")) }
                } }
                tbody {
                    @for q in &list.items {
                        tr {
                            td data-label=(tr.t("quote.number")) { a href=(links::portal::quote(q.id)) { (q.number.as_deref().unwrap_or("—")) " v" (q.version) } }
                            td data-label=(tr.t("quote.subject")) { (q.title) }
                            td data-label=(tr.t("quote.valid_until")) { (tr.date(q.valid_until)) }
                            td.num data-label=(tr.t("quote.total_ttc")) { (tr.money(q.totals.total_incl_vat)) }
                            td data-label=(tr.t("status")) { (quote_badge(&tr, q)) }
                        }
                    }
                }
            } }
            (pager(&tr, "/compte/devis", &form, &list))
        }
    };
    Ok(page(&c.ctx, tr.t("quotes.title"), body).into_response())
}

async fn quote_page(
    state: &AppState,
    c: &ClientCtx,
    id: Id,
    flash: Option<Markup>,
    (error, typed): (Option<DomainError>, &Typed),
    status: StatusCode,
) -> PageResult {
    let _scope = Scope::Client(c.client_id);
    let tr = c.ctx.tr;
    let q = state.app.quote(&c.ctx.actor, id).await?;
    let versions: Vec<Quote> = state.app.quote_versions(&c.ctx.actor, q.family_id).await?;
    let current = versions.iter().max_by_key(|v| v.version).map(|v| v.id);
    let messages = state.app.read_thread(&c.ctx.actor, ThreadKind::Quote, id).await?;
    let purchase_order = if q.status == QuoteStatus::Accepted {
        state.app.purchase_order_for_quote(&c.ctx.actor, q.id).await?
    } else {
        None
    };
    // The signature step's terms and withdrawal notice (a private client may withdraw within
    // 14 days, consumer code L221-18): read only when the quote can be accepted.
    let (terms_version, consumer) = match q.status {
        QuoteStatus::Sent => (
            state.app.legal_text(immovr_core::model::LegalKind::Terms).await?.version,
            state.app.client(&c.ctx.actor, c.client_id).await?.kind == ClientKind::Person,
        ),
        _ => (0, false),
    };
    let today = immovr_core::ports::today(state.app.clock().as_ref());
    let days_left = (q.valid_until - today).get_days();
    let errs = FormErrors::new(tr, error.as_ref());
    let signer_error = errs.at("signer_name", "signer", tr.t("quote.accept.signer"));
    let consent_error = errs.at("consent", "consent", tr.t("quote.accept.consent"));
    let terms_error = errs.at("terms", "terms", tr.t("quote.accept.terms"));
    let comment_error = errs.at("comment", "comment", tr.t("quote.refuse.comment"));
    let changes = typed.kind != Some(RefusalKind::Decline);
    let body = html! {
        @if let Some(f) = flash { (f) }
        (errs.summary())
        p.lead { (quote_badge(&tr, &q)) " " strong { (q.title) } }
        dl.facts {
            dt { (tr.t("quote.number")) } dd { (q.number.as_deref().unwrap_or("—")) " · " (tr.t("quote.version")) " " (q.version) }
            dt { (tr.t("quote.valid_until")) } dd {
                time datetime=(q.valid_until) { (tr.date(q.valid_until)) }
                @if q.status == QuoteStatus::Sent { " " span.countdown data-until=(q.valid_until) { "(" (days_left) " " (tr.t("quote.days_left")) ")" } }
            }
        }
        @if let Some(notes) = &q.notes { p { (notes) } }
        (pdf_links(&tr, &quote_docs(&q, purchase_order.as_ref().map(|p| p.id)), Some(&links::portal::quote(q.id))))
        (lines_table(&tr, &q.lines, &q.totals))
        @match q.status {
            QuoteStatus::Sent => {
                div.actions {
                    section.card aria-labelledby="h-accept" {
                        h2 #h-accept { (tr.t("quote.accept.title")) }
                        form method="post" action={ (links::portal::quote(q.id)) "/accepter" } {
                            (csrf_field(&c.ctx))
                            label for="signer" { (tr.t("quote.accept.signer")) }
                            input #signer type="text" name="signer_name" autocomplete="name" required value=(typed.signer_name)
                                aria-invalid=[signer_error.as_ref().map(|_| "true")] aria-describedby=[described_by("signer", None, &signer_error)];
                            (field_message("signer", &signer_error))
                            label.check { input #consent type="checkbox" name="consent" value="on" required checked[typed.consent]
                                aria-invalid=[consent_error.as_ref().map(|_| "true")] aria-describedby=[described_by("consent", None, &consent_error)];
                                " " (tr.t("quote.accept.consent")) }
                            (field_message("consent", &consent_error))
                            label.check { input #terms type="checkbox" name="terms" value="on" required checked[typed.terms]
                                aria-invalid=[terms_error.as_ref().map(|_| "true")] aria-describedby=[described_by("terms", None, &terms_error)];
                                " " (tr.t("quote.accept.terms")) }
                            p.hint { a href={ "/cgv/v/" (terms_version) } { (tr.t("legal.cgv")) } " — "
                                @if terms_version == 0 { (tr.t("legal.model")) } @else { (tr.t("legal.version")) " " (terms_version) } }
                            (field_message("terms", &terms_error))
                            @if consumer {
                                fieldset {
                                    legend { (tr.t("withdrawal.title")) }
                                    p.hint { (tr.t("withdrawal.before")) " " a href="/retractation" { (tr.t("withdrawal.form")) } }
                                    label.check { input type="checkbox" name="early_start" value="on" checked[typed.early_start];
                                        " " (tr.t("withdrawal.early_start")) }
                                }
                            }
                            button.accept type="submit" { (tr.t("quote.accept")) " — " (tr.money(q.totals.total_incl_vat)) }
                        }
                    }
                    section.card aria-labelledby="h-refuse" {
                        h2 #h-refuse { (tr.t("quote.refuse.title")) }
                        form method="post" action={ (links::portal::quote(q.id)) "/refuser" } {
                            (csrf_field(&c.ctx))
                            fieldset {
                                legend.sr { (tr.t("quote.refuse")) }
                                label.check { input type="radio" name="kind" value="changes_requested" checked[changes]; " " (tr.t("quote.refuse.changes")) }
                                label.check { input type="radio" name="kind" value="decline" checked[!changes]; " " (tr.t("quote.refuse.decline")) }
                            }
                            label for="comment" { (tr.t("quote.refuse.comment")) }
                            textarea #comment name="comment" rows="3" aria-invalid=[comment_error.as_ref().map(|_| "true")]
                                aria-describedby=[described_by("comment", None, &comment_error)] { (typed.comment) }
                            (field_message("comment", &comment_error))
                            button.refuse type="submit" { (tr.t("quote.refuse")) }
                        }
                    }
                }
            }
            QuoteStatus::Expired => { (notice("warn", tr.t("quote.expired.why"))) }
            QuoteStatus::Superseded => {
                (notice("warn", tr.t("quote.superseded.why")))
                @if let Some(cur) = current { p { a href=(links::portal::quote(cur)) { (tr.t("quote.newer")) } } }
            }
            QuoteStatus::Refused => {
                (notice("info", tr.t(if q.changes_requested() { "quote.changes.why" } else { "quote.refused.why" })))
                @if let Some(r) = &q.refusal { @if let Some(cm) = &r.comment { blockquote { (cm) } } }
            }
            QuoteStatus::Accepted => {
                @if let Some(a) = &q.acceptance {
                    section.card {
                        @match a.signed_on {
                            Some(d) => p { (tr.t("quote.accepted.by")) " " strong { (a.signer_name) } ", "
                                (tr.t(&format!("quote.accepted.{}", a.channel.as_str()))) " " time datetime=(d) { (tr.date(d)) } }
                            None => p { (tr.t("quote.accepted.by")) " " strong { (a.signer_name) } ", "
                                time datetime=(a.accepted_at) { (date_time(&tr, a.accepted_at)) } }
                        }
                        @if let Some(sent_at) = a.link_sent_at {
                            p { (tr.t("quote.via_link")) " " (date_time(&tr, sent_at)) }
                        }
                        @if let Some(e) = &a.evidence {
                            p { (tr.t("bo.offline.evidence")) " : " a href={ (links::portal::quote(q.id)) "/accord-signe" } { (e.filename) } }
                        }
                        @if let Some(v) = a.terms_version {
                            p { (tr.t("legal.accepted_version")) " " a href={ "/cgv/v/" (v) } { (v) } }
                        }
                        p.hash { (tr.t("quote.hash")) " : " code { (a.content_sha256) } }
                        @if let Some(po) = &purchase_order {
                            p { (tr.t("order.po")) " " strong { (po.number) }
                                @if let Some(o) = po.order_id { " — " a href=(links::portal::order(o)) { (tr.t("view")) } } }
                        }
                    }
                    @if let Some(po) = &purchase_order { @if let Some(w) = &po.withdrawal {
                        (withdrawal_block(&c.ctx, q.id, po, w, today))
                    } }
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
                            @if v.id == q.id { strong { "v" (v.version) } } @else { a href=(links::portal::quote(v.id)) { "v" (v.version) } }
                            " " (quote_badge(&tr, v)) " — " (tr.money(v.totals.total_incl_vat))
                            @if v.version > 1 { " — " a href={ (links::portal::quote(v.id)) "/comparer" } { (tr.t("quote.compare")) " v" (v.version - 1) } }
                            @if let Some(r) = &v.refusal { @if let Some(cm) = &r.comment { " — « " (cm) " »" } }
                        }
                    }
                }
            }
        }
        (messages_block(&c.ctx, &messages, &format!("{}/messages", links::portal::quote(q.id))))
    };
    let title = quote_label(&tr, &q);
    Ok((status, page(&c.ctx, &title, body)).into_response())
}

pub async fn quote(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Query(flash): Query<Flash>,
) -> PageResult {
    let tr = c.ctx.tr;
    let flash = match flash.ok.as_deref() {
        Some("accepted") => Some(notice("ok", tr.t("quote.accepted"))),
        Some("refused") => Some(notice("ok", tr.t("quote.refused"))),
        Some("withdrawn") => Some(notice("ok", tr.t("withdrawal.recorded"))),
        _ => None,
    };
    quote_page(&state, &c, id, flash, (None, &Typed::default()), StatusCode::OK).await
}

/// A private client's withdrawal right on its accepted quote: until when, what it asked, and the
/// form to withdraw while it may.
fn withdrawal_block(ctx: &Ctx, quote_id: Id, po: &PurchaseOrder, w: &Withdrawal, today: jiff::civil::Date) -> Markup {
    let tr = ctx.tr;
    let withdrawable = po.withdrawable(po.order_status, today).is_some();
    html! {
        section.card aria-labelledby="h-withdrawal" {
            h2 #h-withdrawal { (tr.t("withdrawal.title")) }
            @if let Some(at) = w.withdrawn_at {
                p { (tr.t("withdrawal.done")) " " (date(&tr, at)) "." }
                @if let Some(due) = w.amount_due.filter(|d| !d.is_zero()) { p { (tr.t("withdrawal.due")) " " strong { (tr.money(due)) } } }
            } @else {
                p { (tr.t("withdrawal.until")) " " strong { time datetime=(w.ends_on) { (tr.date(w.ends_on)) } } "."
                    @if w.early_start { " " (tr.t("withdrawal.started_early")) } }
                @if withdrawable {
                    form method="post" action={ (links::portal::quote(quote_id)) "/retractation" } {
                        (csrf_field(ctx))
                        label.check { input type="checkbox" name="confirm" value="on" required; " " (tr.t("withdrawal.confirm")) }
                        button.refuse type="submit" { (tr.t("withdrawal.button")) }
                    }
                }
            }
            p.hint { a href="/retractation" { (tr.t("withdrawal.form")) } }
        }
    }
}

/// The client withdraws from the purchase order of its accepted quote.
pub async fn withdraw(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    let refused = |e: DomainError| notice("error", &error_text(c.ctx.tr, &e));
    if let Err(e) = confirmed(&f) {
        let said = refused(e);
        return quote_page(&state, &c, id, Some(said), (None, &Typed::default()), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let po = state.app.purchase_order_for_quote(&c.ctx.actor, id).await?;
    let Some(po) = po else { return Ok(domain_error_page(&c.ctx, DomainError::not_found("purchase order"))) };
    match state.app.withdraw(&c.ctx.actor, po.id).await {
        Ok(_) => Ok(back(&links::portal::quote(id), "withdrawn")),
        Err(e @ DomainError::Internal(_)) => Ok(domain_error_page(&c.ctx, e)),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            quote_page(&state, &c, id, Some(refused(e)), (None, &Typed::default()), status).await
        }
    }
}

/// What the client typed in the answer forms, shown again after a refusal.
#[derive(Default)]
pub struct Typed {
    signer_name: String,
    consent: bool,
    terms: bool,
    early_start: bool,
    kind: Option<RefusalKind>,
    comment: String,
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
    #[serde(default)]
    early_start: Option<String>,
}

pub async fn accept(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<AcceptForm>,
) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    let typed = Typed {
        signer_name: f.signer_name,
        consent: f.consent.is_some(),
        terms: f.terms.is_some(),
        early_start: f.early_start.is_some(),
        ..Typed::default()
    };
    let input = AcceptQuote {
        signer_name: typed.signer_name.clone(),
        consent: typed.consent,
        terms_accepted: typed.terms,
        early_start: typed.early_start,
    };
    Ok(match state.app.accept_quote(&c.ctx.actor, id, input).await {
        Ok(_) => Redirect::to(&format!("{}?ok=accepted", links::portal::quote(id))).into_response(),
        Err(e @ (DomainError::NotFound { .. } | DomainError::Internal(_))) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            // The signature step names each missing part by its field.
            let e = match e {
                DomainError::AcceptanceIncomplete => {
                    let mut checks = immovr_core::Checks::new();
                    if typed.signer_name.trim().is_empty() {
                        checks.refuse("signer_name", "give your full name");
                    }
                    if !typed.consent {
                        checks.refuse("consent", "tick to approve the quote");
                    }
                    if !typed.terms {
                        checks.refuse("terms", "accept the terms and conditions");
                    }
                    checks.done().err().unwrap_or(DomainError::AcceptanceIncomplete)
                }
                e => e,
            };
            quote_page(&state, &c, id, None, (Some(e), &typed), status).await?
        }
    })
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
) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    let typed = Typed { kind: Some(f.kind), comment: f.comment.clone(), ..Typed::default() };
    Ok(match state.app.refuse_quote(&c.ctx.actor, id, RefuseQuote { kind: f.kind, comment: Some(f.comment) }).await {
        Ok(_) => Redirect::to(&format!("{}?ok=refused", links::portal::quote(id))).into_response(),
        Err(e @ (DomainError::NotFound { .. } | DomainError::Internal(_))) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            quote_page(&state, &c, id, None, (Some(e), &typed), status).await?
        }
    })
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
) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    state.app.post_message(&c.ctx.actor, kind, id, NewMessage { body: f.body }).await?;
    Ok(Redirect::to(&format!("{back}#h-msg")).into_response())
}

pub async fn quote_message(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<MessageForm>,
) -> PageResult {
    post_message(&state, &c, ThreadKind::Quote, id, f, links::portal::quote(id)).await
}

pub async fn order_message(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Form(f): Form<MessageForm>,
) -> PageResult {
    post_message(&state, &c, ThreadKind::Order, id, f, links::portal::order(id)).await
}

#[derive(Deserialize)]
pub struct CompareQuery {
    /// The version to compare with (by default, the one before).
    avec: Option<i64>,
}

/// Two versions of a quote side by side, with what changed from one to the other.
pub async fn compare(
    State(state): State<AppState>,
    c: ClientCtx,
    Path(id): Path<Id>,
    Query(query): Query<CompareQuery>,
) -> PageResult {
    let tr = c.ctx.tr;
    let q = state.app.quote(&c.ctx.actor, id).await?;
    let versions: Vec<Quote> = state.app.quote_versions(&c.ctx.actor, q.family_id).await?;
    let other = query.avec.unwrap_or(q.version - 1);
    let Some(before) = versions.iter().find(|v| v.version == other && v.version != q.version) else {
        return Ok(error_page(&c.ctx, StatusCode::NOT_FOUND, tr.t("error.not_found")));
    };
    let (before, after) = if before.version < q.version { (before, &q) } else { (&q, before) };
    let changes = immovr_core::notification::QuoteChanges::between(before, after);
    let line = |l: &immovr_core::notification::LineSummary| {
        format!("{} ({} {}), {} HT", l.description, tr.number(l.quantity), l.unit, tr.money(l.total_excl_vat))
    };
    let body = html! {
        section.card aria-labelledby="h-changes" {
            h2 #h-changes { (tr.t("quote.compare.changes")) " v" (before.version) " → v" (after.version) }
            ul.changes {
                @for l in &changes.added { li { strong { (tr.t("quote.compare.added")) } " " (line(l)) } }
                @for l in &changes.removed { li { strong { (tr.t("quote.compare.removed")) } " " (line(l)) } }
                @for (b, a) in &changes.changed { li { strong { (tr.t("quote.compare.changed")) } " " (line(b)) " → " (line(a)) } }
                li { strong { (tr.t("quote.total_ttc")) } " " (tr.money(changes.total_before)) " → " (tr.money(changes.total_after)) }
            }
        }
        div.side-by-side {
            @for v in [before, after] {
                section aria-labelledby={ "h-v" (v.version) } {
                    h2 id={ "h-v" (v.version) } { a href=(links::portal::quote(v.id)) { (tr.t("legal.version")) " " (v.version) } " " (quote_badge(&tr, v)) }
                    (lines_table(&tr, &v.lines, &v.totals))
                }
            }
        }
    };
    let title = format!("{} {}", tr.t("quote.compare.title"), q.number.as_deref().unwrap_or(""));
    Ok(page(&c.ctx, &title, body).into_response())
}

//! The client's quote requests: the list, one request, a new one with its attachments.

use super::*;
use immovr_core::links;

pub async fn requests(
    State(state): State<AppState>,
    c: ClientCtx,
    Query(flash): Query<Flash>,
    Query(form): Query<ListForm>,
) -> PageResult {
    let tr = c.ctx.tr;
    let query = match list_query(&c.ctx, &form) {
        Ok(q) => q,
        Err(r) => return Ok(r),
    };
    let list = state.app.quote_requests(&c.ctx.actor, &query).await?;
    let body = html! {
        @if flash.ok.is_some() { (notice("ok", tr.t("request.sent"))) }
        p { a.button href="/compte/demandes/nouvelle" { (tr.t("nav.request")) } }
        (search_form(&tr, "/compte/demandes", &form, &["new", "quoted", "closed"], true))
        div.table-wrap tabindex="0" { table.stack {
            thead { tr { th scope="col" { (tr.t("date")) } th scope="col" { (tr.t("request.type")) } th scope="col" { (tr.t("request.address")) } th scope="col" { (tr.t("request.files")) } th scope="col" { (tr.t("status")) } } }
            tbody {
                @for r in &list.items {
                    tr {
                        td data-label=(tr.t("date")) { (tr.date(r.created_at.to_zoned(immovr_core::ports::studio_timezone()).date())) }
                        td data-label=(tr.t("request.type")) { (r.property_type) }
                        td data-label=(tr.t("request.address")) { (r.property_address) }
                        td data-label=(tr.t("request.files")) { ul.files { @for a in &r.attachments { li { a href={ (links::portal::request(r.id)) "/pieces/" (a.id) } { (a.filename) } " (" (human_size(a.size_bytes)) ")" } } } }
                        td data-label=(tr.t("status")) { (client_badge(&tr, r.status.as_str())) }
                    }
                }
            }
        } }
        (pager(&tr, "/compte/demandes", &form, &list))
    };
    Ok(page(&c.ctx, tr.t("request.list"), body).into_response())
}

async fn request_page(
    state: &AppState,
    ctx: &Ctx,
    f: &RequestForm,
    err: Option<DomainError>,
) -> Result<Markup, DomainError> {
    let tr = ctx.tr;
    let catalogue = state.app.catalogue(true).await?;
    let errs = FormErrors::new(tr, err.as_ref());
    let fields = request_fields(&tr, &catalogue, f, &errs);
    Ok(html! {
        p { (tr.t("signup.intro")) }
        (errs.summary())
        form.card method="post" action="/compte/demandes" enctype="multipart/form-data" data-upload novalidate {
            (csrf_field(ctx))
            (fields)
            button type="submit" { (tr.t("signup.submit")) }
        }
    })
}

pub async fn new_request(State(state): State<AppState>, c: ClientCtx) -> PageResult {
    let body = request_page(&state, &c.ctx, &RequestForm::default(), None).await?;
    Ok(page(&c.ctx, c.ctx.tr.t("signup.title"), body).into_response())
}

pub async fn create_request(State(state): State<AppState>, c: ClientCtx, multipart: Multipart) -> PageResult {
    let (upload, result) = match read_upload_form(&state, multipart, Upload::Attachments).await {
        Ok(upload) if !csrf_ok(&c.ctx, &upload.fields.get("csrf")) => {
            upload.discard(&state).await;
            return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
        }
        Ok(upload) => {
            let form = RequestForm::from_fields(&upload.fields);
            let result = match form.to_input() {
                (input, checks) if checks.is_empty() => state
                    .app
                    .create_quote_request(&c.ctx.actor, c.client_id, input, upload.files.clone())
                    .await
                    .map(|_| ()),
                (input, checks) => state.app.check_request_form(checks, input),
            };
            (upload, result)
        }
        Err((upload, _)) if !csrf_ok(&c.ctx, &upload.fields.get("csrf")) => {
            upload.discard(&state).await;
            return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
        }
        Err((upload, e)) => {
            // Every other refusal with the file's.
            let (input, mut checks) = RequestForm::from_fields(&upload.fields).to_input();
            checks.add(e.clone());
            let all = state.app.check_request_form(checks, input).err().unwrap_or(e);
            (upload, Err(all))
        }
    };
    let mut form = RequestForm::from_fields(&upload.fields);
    match &result {
        Err(DomainError::Internal(_)) => upload.discard(&state).await,
        // Refused: the good files are kept for the next try, as is everything typed.
        Err(_) => form.kept = upload.keep(&state).await,
        Ok(()) => {}
    }
    Ok(match result {
        Ok(()) => Redirect::to("/compte/demandes?ok=1").into_response(),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let body = request_page(&state, &c.ctx, &form, Some(e)).await?;
            (status, page(&c.ctx, c.ctx.tr.t("signup.title"), body)).into_response()
        }
    })
}

//! The studio's legal texts, published by an admin: each publication a new version.

use super::*;
use immovr_core::model::LegalKind;

const KINDS: [LegalKind; 3] = [LegalKind::Terms, LegalKind::Notice, LegalKind::Privacy];

async fn legal_form(
    state: &AppState,
    ctx: &Ctx,
    fl: Option<Markup>,
    err: Option<(LegalKind, DomainError, String)>,
) -> PageResult {
    let tr = ctx.tr;
    let mut forms = Vec::new();
    let errs = FormErrors::new(tr, err.as_ref().map(|(_, e, _)| e));
    for kind in KINDS {
        let current = state.app.legal_text(kind).await?;
        let id = format!("legal-{}", kind.as_str());
        let label = tr.t(&format!("legal.{}", kind.as_str()));
        let mine = err.as_ref().filter(|(k, ..)| *k == kind);
        let error = if mine.is_some() { errs.at("body", &id, label) } else { None };
        let text = mine.map(|(.., typed)| typed.clone()).unwrap_or(current.body.clone());
        forms.push(html! {
            form.card method="post" action={ "/gestion/textes-legaux/" (kind.as_str()) } {
                (csrf_field(ctx))
                h2 { label for=(id) { (label) } }
                p.hint {
                    @if current.version == 0 { (tr.t("legal.model")) }
                    @else { (tr.t("legal.version")) " " (current.version) " — " (tr.t("legal.published")) " "
                        (date(&tr, current.published_at)) " (" (current.published_by) ")" }
                    " · " a href=(crate::pages::public::legal_path(kind)) { (tr.t("view")) }
                }
                textarea id=(id) name="body" rows="14" required aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[described_by(&id, None, &error)] { (text) }
                (field_message(&id, &error))
                button type="submit" { (tr.t("bo.legal.publish")) }
            }
        });
    }
    let body = html! {
        @if let Some(f) = fl { (f) }
        (errs.summary())
        p { (tr.t("bo.legal.help")) }
        @for f in &forms { (f) }
    };
    Ok(page(ctx, tr.t("bo.nav.legal"), body).into_response())
}

pub async fn legal_texts(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Query(fl): Query<Flash>,
) -> PageResult {
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)));
    }
    let published = fl.ok.as_deref().map(|_| notice("ok", ctx.tr.t("bo.legal.published")));
    legal_form(&state, &ctx, published, None).await
}

pub async fn publish(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(kind): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if let Some(r) = refused(&ctx, &f.csrf, Role::Admin) {
        return Ok(r);
    }
    let Ok(kind) = LegalKind::parse(&kind) else {
        return Ok(error_page(&ctx, StatusCode::NOT_FOUND, ctx.tr.t("error.not_found")));
    };
    let body = f.body.unwrap_or_default();
    Ok(match state.app.publish_legal_text(&ctx.actor, kind, &body).await {
        Ok(_) => back("/gestion/textes-legaux", "published"),
        Err(e @ (DomainError::Validation { .. } | DomainError::Invalid { .. })) => {
            let mut r = legal_form(&state, &ctx, None, Some((kind, e, body))).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
        Err(e) => domain_error_page(&ctx, e),
    })
}

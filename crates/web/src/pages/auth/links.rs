//! Single-use links by email: signing in without a password, resetting a forgotten one.

use super::*;
use immovr_app::access::LinkOpened;

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    csrf: String,
}

fn email_form(ctx: &Ctx, action: &str, help: &str, button: &str, msg: Option<maud::Markup>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(m) = msg { (m) }
        p { (help) }
        form.card method="post" action=(action) {
            (csrf_field(ctx))
            label for="email" { (tr.t("login.email")) }
            input #email type="email" name="email" autocomplete="email" required;
            button type="submit" { (button) }
        }
        p { a href="/connexion" { (tr.t("login.submit")) } }
    }
}

pub async fn magic_page(ctx: Ctx) -> PageResult {
    let tr = ctx.tr;
    Ok(page(&ctx, tr.t("magic.title"), email_form(&ctx, "/lien-magique", tr.t("magic.help"), tr.t("magic.send"), None))
        .into_response())
}

async fn send_link(state: &AppState, ctx: &Ctx, ip: &str, f: &EmailForm, purpose: LinkPurpose) -> Result<(), Response> {
    if !csrf_ok(ctx, &f.csrf) {
        return Err(error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if !state.limits.allow_login(ip, &f.email) {
        return Err(error_page(ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited")));
    }
    state.app.request_link_in_background(f.email.clone(), purpose);
    Ok(())
}

pub async fn magic_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ip: ClientIp,
    Form(f): Form<EmailForm>,
) -> PageResult {
    if let Err(r) = send_link(&state, &ctx, &ip.0, &f, LinkPurpose::MagicLink).await {
        return Ok(r);
    }
    let tr = ctx.tr;
    let msg = notice("ok", tr.t("magic.sent"));
    Ok(page(
        &ctx,
        tr.t("magic.title"),
        email_form(&ctx, "/lien-magique", tr.t("magic.help"), tr.t("magic.send"), Some(msg)),
    )
    .into_response())
}

pub async fn magic_use(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    // An emailed link replaces the password, never the second factor.
    Ok(match state.app.sign_in_with_link(&token).await {
        Ok(Some(signed_in)) => signed_in_response(&state, &ctx, signed_in, "/compte"),
        Ok(None) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("magic.invalid")),
        Err(e) => domain_error_page(&ctx, e),
    })
}

/// An email's link to a document (see `immovr_app::access`): the document's page, in a session
/// limited to it unless its account is signed in here already.
pub async fn open_document(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let mut response = match state.app.open_link(&token, ctx.user.as_ref()).await {
        Ok(Some(LinkOpened::Session(session, scope))) => {
            match crate::session::cookie(&session, state.app.session_hours(), state.secure_cookies) {
                Ok(cookie) => with_cookie(Redirect::to(&scope.path).into_response(), cookie),
                Err(e) => domain_error_page(&ctx, e),
            }
        }
        Ok(Some(LinkOpened::SignedIn { path })) => Redirect::to(&path).into_response(),
        Ok(Some(LinkOpened::SignIn { path })) => {
            Redirect::to(&format!("/connexion?suivant={}", form_urlencoded(&path))).into_response()
        }
        Ok(Some(LinkOpened::OtherAccount)) => error_page(&ctx, StatusCode::CONFLICT, ctx.tr.t("link.other_account")),
        Ok(None) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("link.invalid")),
        Err(e) => domain_error_page(&ctx, e),
    };
    // The address holds a credential: kept out of caches.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn forgot_page(ctx: Ctx) -> PageResult {
    let tr = ctx.tr;
    Ok(page(
        &ctx,
        tr.t("reset.title"),
        email_form(&ctx, "/mot-de-passe-oublie", tr.t("reset.help"), tr.t("magic.send"), None),
    )
    .into_response())
}

pub async fn forgot_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ip: ClientIp,
    Form(f): Form<EmailForm>,
) -> PageResult {
    if let Err(r) = send_link(&state, &ctx, &ip.0, &f, LinkPurpose::PasswordReset).await {
        return Ok(r);
    }
    let tr = ctx.tr;
    let msg = notice("ok", tr.t("magic.sent"));
    Ok(page(
        &ctx,
        tr.t("reset.title"),
        email_form(&ctx, "/mot-de-passe-oublie", tr.t("reset.help"), tr.t("magic.send"), Some(msg)),
    )
    .into_response())
}

fn reset_form(ctx: &Ctx, token: &str, error: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(e) = error { (notice("error", e)) }
        form.card method="post" action={ "/reinitialiser/" (token) } {
            (csrf_field(ctx))
            label for="password" { (tr.t("reset.new")) }
            input #password type="password" name="password" minlength="10" autocomplete="new-password" required;
            button type="submit" { (tr.t("reset.save")) }
        }
    }
}

pub async fn reset_page(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    Ok(page(&ctx, ctx.tr.t("reset.title"), reset_form(&ctx, &token, None)).into_response())
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
    csrf: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    // The link is used only once the new password is acceptable.
    Ok(match state.app.reset_password(&token, f.password).await {
        Ok(true) => Redirect::to("/connexion?ok=reset").into_response(),
        Ok(false) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("magic.invalid")),
        Err(e @ DomainError::Validation { .. }) => {
            let msg = error_text(ctx.tr, &e);
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&ctx, ctx.tr.t("reset.title"), reset_form(&ctx, &token, Some(&msg))),
            )
                .into_response()
        }
        Err(e) => domain_error_page(&ctx, e),
    })
}

//! Signing in and out, and the language: the password form (then the second factor's code when
//! the account has one), where each user lands, the language switch.

use crate::AppState;
use crate::extract::ClientIp;
use crate::extract::SESSION_COOKIE;
use crate::pages::shared::i18n::Tr;
use crate::pages::shared::*;
use axum::Form;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Redirect;
use axum::response::Response;
use immovr_app::auth::SignIn;
use immovr_app::ports::LinkPurpose;
use immovr_core::DomainError;
use immovr_core::model::Address;
use immovr_core::model::ClientKind;
use immovr_core::model::Language;
use immovr_core::ports::NewClient;
use maud::html;
use serde::Deserialize;

mod code;
mod links;
mod signup;

pub use signup::signup;

/// The sign-in pages (the sign-up form's POST carries files: see [`super::upload_router`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/connexion", get(login_page).post(login))
        .route("/connexion/code", get(code::code_page).post(code::check_code))
        .route("/deconnexion", post(logout))
        .route("/inscription", get(signup::signup_page))
        .route("/inscription/envoyee", get(signup::sent_page))
        .route("/inscription/confirmer/{token}", get(signup::confirm))
        .route("/lien-magique", get(links::magic_page).post(links::magic_request))
        .route("/lien-magique/{token}", get(links::magic_use))
        .route("/acces/{token}", get(links::open_document))
        .route("/deconnexion/partout", post(logout_everywhere))
        .route("/mot-de-passe-oublie", get(links::forgot_page).post(links::forgot_request))
        .route("/reinitialiser/{token}", get(links::reset_page).post(links::reset))
        .route("/langue/{lang}", get(switch_language))
}

#[derive(Deserialize, Default)]
pub struct Next {
    pub suivant: Option<String>,
    pub ok: Option<String>,
}

/// Only local paths into the client area are followed after login.
/// A path on this site: one leading slash, and nothing a browser would read as another host
/// (`//host`, `/\host`, tabs or newlines that it strips).
fn is_local_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(|c| c.is_control())
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if (p.starts_with("/compte") || p.starts_with("/gestion")) && is_local_path(p) && !p.contains("//") => {
            p.to_string()
        }
        _ => "/compte".into(),
    }
}

/// Staff land in the back office, clients in their space.
fn landing(user: &immovr_core::model::User, next: &str) -> String {
    match (user.is_staff(), next.starts_with("/gestion")) {
        (true, true) | (false, false) => next.to_string(),
        (true, false) => "/gestion".into(),
        (false, true) => "/compte".into(),
    }
}

fn login_form(ctx: &Ctx, next: &str, email: &str, error: Option<&str>, ok: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(ok) = ok { (notice("ok", ok)) }
        @if let Some(e) = error { (notice("error", e)) }
        form.card method="post" action="/connexion" {
            (csrf_field(ctx))
            input type="hidden" name="suivant" value=(next);
            label for="email" { (tr.t("login.email")) }
            input #email type="email" name="email" value=(email) autocomplete="email" required;
            label for="password" { (tr.t("login.password")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { (tr.t("login.submit")) }
        }
        ul.links {
            li { a href="/lien-magique" { (tr.t("login.magic")) } }
            li { a href="/mot-de-passe-oublie" { (tr.t("login.forgot")) } }
            li { a href="/inscription" { (tr.t("login.signup")) } }
        }
    }
}

pub async fn login_page(ctx: Ctx, Query(q): Query<Next>) -> PageResult {
    if ctx.user.as_ref().is_some_and(|u| u.client_id.is_some()) {
        return Ok(Redirect::to(&safe_next(q.suivant.as_deref())).into_response());
    }
    let ok = q.ok.as_deref().map(|_| ctx.tr.t("reset.done"));
    Ok(page(&ctx, ctx.tr.t("login.title"), login_form(&ctx, &safe_next(q.suivant.as_deref()), "", None, ok))
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    suivant: Option<String>,
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, ip: ClientIp, Form(f): Form<LoginForm>) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    let next = safe_next(f.suivant.as_deref());
    if !state.limits.allow_login(&ip.0, &f.email) {
        let body = login_form(&ctx, &next, &f.email, Some(ctx.tr.t("login.limited")), None);
        return Ok((StatusCode::TOO_MANY_REQUESTS, page(&ctx, ctx.tr.t("login.title"), body)).into_response());
    }
    Ok(match state.app.sign_in(&f.email, f.password).await {
        Ok(signed_in) => signed_in_response(&state, &ctx, signed_in, &next),
        Err(DomainError::BadCredentials) => {
            let body = login_form(&ctx, &next, &f.email, Some(ctx.tr.t("login.failed")), None);
            (StatusCode::UNAUTHORIZED, page(&ctx, ctx.tr.t("login.title"), body)).into_response()
        }
        Err(e) => domain_error_page(&ctx, e),
    })
}

/// Where a signed-in user goes: the page asked for, with the session's cookie; or the second
/// factor's code page.
pub fn signed_in_response(state: &AppState, ctx: &Ctx, signed_in: SignIn, next: &str) -> Response {
    match signed_in {
        SignIn::Session(session) => {
            let to = landing(&session.user, next);
            match crate::session::cookie(&session, state.app.session_hours(), state.secure_cookies) {
                Ok(cookie) => with_cookie(Redirect::to(&to).into_response(), cookie),
                Err(e) => domain_error_page(ctx, e),
            }
        }
        SignIn::CodeNeeded { token, user } => {
            let to = landing(&user, next);
            Redirect::to(&format!("/connexion/code?jeton={token}&suivant={}", form_urlencoded(&to))).into_response()
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.app.close_session(c.value()).await?;
    }
    Ok(with_cookie(Redirect::to("/connexion").into_response(), crate::session::CLEARED))
}

/// Ends every session of the signed-in user and voids the links already emailed to them.
pub async fn logout_everywhere(State(state): State<AppState>, ctx: Ctx, Form(f): Form<CsrfForm>) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if ctx.user.is_none() {
        return Ok(Redirect::to("/connexion").into_response());
    }
    state.app.sign_out_everywhere(&ctx.actor).await?;
    Ok(with_cookie(Redirect::to("/connexion").into_response(), crate::session::CLEARED))
}

/// The form that signs out everywhere (the client's profile, the staff's security page).
pub fn everywhere_form(ctx: &Ctx) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        form.card method="post" action="/deconnexion/partout" {
            h2 { (tr.t("profile.everywhere")) }
            (csrf_field(ctx))
            p { (tr.t("profile.everywhere_help")) }
            button.refuse type="submit" { (tr.t("profile.everywhere")) }
        }
    }
}

#[derive(Deserialize)]
pub struct Back {
    retour: Option<String>,
}

pub async fn switch_language(Path(lang): Path<String>, Query(q): Query<Back>) -> PageResult {
    let lang = Language::from_tag(&lang).unwrap_or(Language::Fr);
    let back = q.retour.filter(|r| is_local_path(r)).unwrap_or_else(|| "/compte".into());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.as_str());
    Ok(with_cookie(Redirect::to(&back).into_response(), HeaderValue::from_str(&cookie).expect("ascii")))
}

//! Optional second factor for staff: a TOTP code (RFC 6238, any authenticator app) asked after
//! the password. Codes are checked against the server's clock, one step of skew allowed.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use immovr_app::auth::SignIn;
use immovr_core::DomainError;
use maud::html;
use serde::Deserialize;

use super::backoffice::{Flash, StaffCtx, back, flash};
use super::{Ctx, csrf_field, csrf_ok, domain_error_page, error_page, notice, page};
use crate::AppState;
use crate::extract::ClientIp;

#[derive(Deserialize)]
pub struct CodeQuery {
    jeton: String,
    suivant: Option<String>,
}

fn code_form(ctx: &Ctx, token: &str, next: &str, error: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(e) = error { (notice("error", e)) }
        p { (tr.t("totp.help")) }
        form.card method="post" action="/connexion/code" {
            (csrf_field(ctx))
            input type="hidden" name="jeton" value=(token);
            input type="hidden" name="suivant" value=(next);
            label for="code" { (tr.t("totp.code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required;
            button type="submit" { (tr.t("login.submit")) }
        }
    }
}

pub async fn code_page(ctx: Ctx, Query(q): Query<CodeQuery>) -> Response {
    let next = q.suivant.unwrap_or_else(|| "/gestion".into());
    page(&ctx, ctx.tr.t("totp.title"), code_form(&ctx, &q.jeton, &next, None)).into_response()
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    jeton: String,
    code: String,
    #[serde(default)]
    suivant: String,
}

pub async fn check_code(State(state): State<AppState>, ctx: Ctx, ip: ClientIp, Form(f): Form<CodeForm>) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let next = if f.suivant.starts_with("/gestion") && !f.suivant.contains("//") {
        f.suivant.clone()
    } else {
        "/gestion".into()
    };
    // Codes have their own count per token's account, apart from password attempts.
    if !state.limits.allow_login(&ip.0, &format!("totp:{}", f.jeton)) {
        return error_page(&ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited"));
    }
    match state.app.second_factor(&f.jeton, &f.code).await {
        Ok(Some(Ok(session))) => super::auth::signed_in_response(&state, &ctx, SignIn::Session(session), &next),
        // Wrong code: a fresh wait, the form again.
        Ok(Some(Err(SignIn::CodeNeeded { token, .. }))) => {
            let body = code_form(&ctx, &token, &next, Some(ctx.tr.t("totp.wrong")));
            (StatusCode::UNAUTHORIZED, page(&ctx, ctx.tr.t("totp.title"), body)).into_response()
        }
        Ok(Some(Err(signed_in))) => super::auth::signed_in_response(&state, &ctx, signed_in, &next),
        Ok(None) => (StatusCode::GONE, page(&ctx, ctx.tr.t("totp.title"), html! { (notice("error", ctx.tr.t("totp.expired"))) p { a href="/connexion" { (ctx.tr.t("login.submit")) } } })).into_response(),
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn security(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> Response {
    let tr = ctx.tr;
    let Some(user) = ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    let enabled = match state.app.has_second_factor(&user).await {
        Ok(on) => on,
        Err(e) => return domain_error_page(&ctx, e),
    };
    let body = if enabled {
        html! {
            @if let Some(f) = flash(&tr, &fl) { (f) }
            (notice("ok", tr.t("totp.on")))
            form.card method="post" action="/gestion/securite/desactiver" {
                (csrf_field(&ctx))
                label for="code" { (tr.t("totp.code")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button.refuse type="submit" { (tr.t("totp.disable")) }
            }
        }
    } else {
        let (secret, uri) = immovr_app::auth::new_totp_secret("ImmoVr", &user.email);
        html! {
            @if let Some(f) = flash(&tr, &fl) { (f) }
            p { (tr.t("totp.setup")) }
            dl.facts { dt { (tr.t("totp.key")) } dd { code.hash #totp-secret { (secret) } } dt { "URI" } dd { code.hash { (uri) } } }
            form.card method="post" action="/gestion/securite" {
                (csrf_field(&ctx))
                input type="hidden" name="secret" value=(secret);
                label for="code" { (tr.t("totp.code")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button type="submit" { (tr.t("totp.enable")) }
            }
        }
    };
    let mut r = page(&ctx, tr.t("bo.nav.security"), body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
pub struct EnableForm {
    csrf: String,
    #[serde(default)]
    secret: String,
    code: String,
}

pub async fn enable(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Form(f): Form<EnableForm>) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let Some(user) = ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    match state.app.enable_second_factor(&ctx.actor, &user, &f.secret, &f.code).await {
        Ok(()) => back("/gestion/securite", "on"),
        Err(DomainError::Validation { .. }) => {
            error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"))
        }
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn disable(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Form(f): Form<EnableForm>) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let Some(user) = ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    match state.app.disable_second_factor(&ctx.actor, &user, &f.code).await {
        Ok(()) => back("/gestion/securite", "off"),
        Err(DomainError::Validation { .. }) => {
            error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"))
        }
        Err(e) => domain_error_page(&ctx, e),
    }
}

//! Optional second factor for staff: a TOTP code (RFC 6238, any authenticator app) asked after
//! the password. Codes are checked against the server's clock, one step of skew allowed.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use immovr_core::auth::token_sha256;
use immovr_core::model::User;
use jiff::ToSpan;
use maud::html;
use serde::Deserialize;
use totp_rs::{Builder, Secret};

use super::backoffice::{Flash, StaffCtx, back, flash};
use super::{Ctx, csrf_field, csrf_ok, domain_error_page, error_page, notice, page};
use crate::AppState;
use crate::api::{new_token, start_session};
use crate::extract::ClientIp;

/// True when `code` is the current code (± one step) of the base32 `secret` at `now`.
pub fn code_ok(secret: &str, code: &str, now: jiff::Timestamp) -> bool {
    let Ok(secret) = Secret::try_from_base32(secret) else { return false };
    let Ok(totp) = Builder::new().with_secret(secret).build() else { return false };
    let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    totp.check(&code, now.as_second().max(0) as u64).is_some()
}

/// Starts the wait for a code; the answer sends the browser to the code page.
pub async fn ask_code(state: &AppState, user: &User, next: &str) -> Result<Response, immovr_core::DomainError> {
    let token = new_token("");
    let expires = state.clock.now().checked_add(5.minutes()).map_err(immovr_core::DomainError::internal)?;
    state.store.begin_second_factor(user.id, &token_sha256(&token), expires).await?;
    Ok(Redirect::to(&format!("/connexion/code?jeton={token}&suivant={}", super::form_urlencoded(next))).into_response())
}

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
    let now = state.clock.now();
    let Ok(Some(user)) = state.store.take_second_factor(&token_sha256(&f.jeton), now).await else {
        return (StatusCode::GONE, page(&ctx, ctx.tr.t("totp.title"), html! { (notice("error", ctx.tr.t("totp.expired"))) p { a href="/connexion" { (ctx.tr.t("login.submit")) } } })).into_response();
    };
    // Codes have their own count per account, apart from password attempts.
    if !state.limits.allow_login(&ip.0, &format!("totp:{}", user.email)) {
        return error_page(&ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited"));
    }
    let secret = state.store.totp_secret(user.id).await.ok().flatten().unwrap_or_default();
    let next = if f.suivant.starts_with("/gestion") && !f.suivant.contains("//") {
        f.suivant.clone()
    } else {
        "/gestion".into()
    };
    if code_ok(&secret, &f.code, now) {
        return match start_session(&state, &user).await {
            Ok((_, _, cookie)) => {
                let mut r = Redirect::to(&next).into_response();
                r.headers_mut().append(header::SET_COOKIE, cookie);
                r
            }
            Err(_) => error_page(&ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title")),
        };
    }
    // Wrong code: a fresh wait, the form again.
    let token = new_token("");
    let expires = now.checked_add(5.minutes()).expect("in range");
    if let Err(e) = state.store.begin_second_factor(user.id, &token_sha256(&token), expires).await {
        return domain_error_page(&ctx, e);
    }
    let body = code_form(&ctx, &token, &next, Some(ctx.tr.t("totp.wrong")));
    (StatusCode::UNAUTHORIZED, page(&ctx, ctx.tr.t("totp.title"), body)).into_response()
}

pub async fn security(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> Response {
    let tr = ctx.tr;
    let Some(user) = ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    let enabled = state.store.totp_secret(user.id).await.ok().flatten().is_some();
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
        let bytes: [u8; 20] = rand::random();
        let secret = Secret::from(bytes).to_base32();
        let label = format!("ImmoVr:{}", user.email);
        let uri = format!(
            "otpauth://totp/{}?secret={secret}&issuer=ImmoVr&algorithm=SHA1&digits=6&period=30",
            super::form_urlencoded(&label)
        );
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
    if !code_ok(&f.secret, &f.code, state.clock.now()) {
        return error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"));
    }
    match state.store.set_totp(&ctx.actor, user.id, Some(f.secret)).await {
        Ok(()) => back("/gestion/securite", "on"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

pub async fn disable(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Form(f): Form<EnableForm>) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let Some(user) = ctx.user.clone() else { return Redirect::to("/connexion").into_response() };
    let secret = state.store.totp_secret(user.id).await.ok().flatten().unwrap_or_default();
    if !code_ok(&secret, &f.code, state.clock.now()) {
        return error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"));
    }
    match state.store.set_totp(&ctx.actor, user.id, None).await {
        Ok(()) => back("/gestion/securite", "off"),
        Err(e) => domain_error_page(&ctx, e),
    }
}

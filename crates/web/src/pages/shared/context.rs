//! What every page knows about its request: the language, the CSRF token of its forms, who is
//! signed in (`Ctx`), and the two areas' gates: a signed-in client (`ClientCtx`) or a staff member
//! (`StaffCtx`).

use crate::AppState;
use crate::extract::SESSION_COOKIE;
use crate::extract::client_ip;
use crate::pages::shared::*;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::response::Redirect;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use i18n::Tr;
use immovr_core::Actor;
use immovr_core::model::Language;
use immovr_core::model::User;
use immovr_core::model::*;
use maud::Markup;
use maud::html;

pub const CSRF_COOKIE: &str = "immovr_csrf";

pub const LANG_COOKIE: &str = "immovr_lang";

#[derive(Clone)]
pub struct NewCsrf(pub String);

/// Marker inserted when cookies must be `Secure`.
#[derive(Clone)]
pub struct SecureCookies;

/// What every page needs: the language, the CSRF token for its forms, the signed-in user.
pub struct Ctx {
    pub tr: Tr,
    pub csrf: String,
    pub user: Option<User>,
    pub path: String,
    pub actor: Actor,
    /// The session was opened by an email's link: it reaches this document's pages only.
    pub link: Option<LinkScope>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let csrf = match parts.extensions.get::<NewCsrf>() {
            Some(NewCsrf(t)) => t.clone(),
            None => jar.get(CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default(),
        };
        let (user, link) = match jar.get(SESSION_COOKIE) {
            Some(c) => match state.app.authenticate_page(c.value()).await {
                // A session opened by an email's link reaches its document's pages only: elsewhere,
                // nobody is signed in.
                Ok(Some((_, Some(link)))) if !immovr_core::links::within(&link.path, parts.uri.path()) => (None, None),
                Ok(Some((user, link))) => (Some(user), link),
                Ok(None) => (None, None),
                Err(e) => {
                    tracing::error!(error = %e, "reading a session");
                    return Err(
                        (StatusCode::SERVICE_UNAVAILABLE, "Service momentanément indisponible.").into_response()
                    );
                }
            },
            None => (None, None),
        };
        let lang = jar
            .get(LANG_COOKIE)
            .and_then(|c| Language::from_tag(c.value()))
            .or(user.as_ref().map(|u| u.language))
            .or_else(|| {
                parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Language::from_tag)
            })
            .unwrap_or(Language::Fr);
        let mut actor = user.as_ref().map(Actor::for_user).unwrap_or_else(Actor::anonymous);
        actor.ip = client_ip(parts, state.trust_proxy_headers);
        actor.user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(500).collect());
        actor.via_link = link.as_ref().map(|l| l.sent_at);
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        Ok(Ctx { tr: Tr(lang), csrf, user, path, actor, link })
    }
}

/// A signed-in client; others are sent to the login page (or told this area is for clients).
pub struct ClientCtx {
    pub ctx: Ctx,
    pub client_id: i64,
}

impl FromRequestParts<AppState> for ClientCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.user.as_ref().and_then(|u| u.client_id) {
            Some(client_id) => Ok(ClientCtx { ctx, client_id }),
            None if ctx.user.is_some() => Err(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.staff"))),
            None => {
                let next: String = form_urlencoded(&ctx.path);
                Err(Redirect::to(&format!("/connexion?suivant={next}")).into_response())
            }
        }
    }
}

/// A signed-in staff member.
pub struct StaffCtx(pub Ctx);

impl FromRequestParts<AppState> for StaffCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match &ctx.user {
            Some(u) if u.is_staff() => Ok(StaffCtx(ctx)),
            Some(_) => Err(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("bo.staff_only"))),
            None => Err(Redirect::to(&format!("/connexion?suivant={}", form_urlencoded(&ctx.path))).into_response()),
        }
    }
}

pub fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks the form's CSRF token against the cookie (constant time).
pub fn csrf_ok(ctx: &Ctx, submitted: &str) -> bool {
    let expected = ctx.csrf.as_bytes();
    !expected.is_empty()
        && expected.len() == submitted.len()
        && expected.iter().zip(submitted.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// Checks the CSRF token and the role; `Some` is the refusal page to answer with.
pub fn refused(ctx: &Ctx, csrf: &str, role: Role) -> Option<Response> {
    if !csrf_ok(ctx, csrf) {
        return Some(error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    ctx.actor.require(role).err().map(|e| error_page(ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)))
}

pub fn back(to: &str, ok: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}ok={ok}")).into_response()
}

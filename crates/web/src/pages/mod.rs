//! Server-rendered pages (maud) that work without JavaScript (`static/app.js` adds live updates
//! and upload progress), by area: `auth` (signing in, sign-up, links by email), `portal` (the
//! client's space, "Mon Compte"), `backoffice` (the studio's, "Gestion"), and what they share
//! (`shared`: the request's context, the layout, errors as pages, forms, paging, texts). Forms
//! carry a CSRF token (double-submit cookie); the session is the same HttpOnly cookie as the API's.
//! Handlers call the application (`immovr-app`), never the API's modules.

mod auth;
mod backoffice;
mod portal;
pub(crate) mod public;
pub(crate) mod shared;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use shared::{CSRF_COOKIE, NewCsrf};
pub use shared::{SecureCookies, render_errors};

use crate::AppState;

/// Every page but those whose forms carry files.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::routes())
        .merge(auth::routes())
        .merge(portal::routes())
        .merge(backoffice::routes())
        .route(
            "/static/app.css",
            get(|| async { static_file("text/css; charset=utf-8", include_str!("../../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../../static/app.js")) }),
        )
}

/// The forms that carry plans and photos (multipart, up to the attachments' limits).
pub fn upload_router() -> Router<AppState> {
    use axum::routing::post;
    let limit = (immovr_app::uploads::MAX_ATTACHMENT_BYTES as usize) * immovr_app::uploads::MAX_ATTACHMENTS
        + crate::MAX_BODY_BYTES;
    Router::new()
        .route("/inscription", post(auth::signup))
        .route("/compte/demandes", post(portal::create_request))
        .layer(DefaultBodyLimit::max(limit))
}

/// The staff's uploads (final files: limited as they stream).
pub fn staff_upload_router() -> Router<AppState> {
    backoffice::upload_routes().layer(DefaultBodyLimit::disable())
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}

/// Security headers for every page, and a CSRF cookie for visitors who have none.
/// Forms are posted from the studio's own pages only: a state change another site sends (its
/// `Sec-Fetch-Site` or `Origin` says so) is refused before any handler, whatever its CSRF token.
pub async fn same_origin(req: Request, next: Next) -> Response {
    if crate::extract::cross_origin_write(req.method(), req.headers()) {
        return (axum::http::StatusCode::FORBIDDEN, "cross-origin form refused").into_response();
    }
    next.run(req).await
}

pub async fn page_headers(jar: CookieJar, mut req: Request, next: Next) -> Response {
    let new_csrf = if jar.get(CSRF_COOKIE).is_none() {
        let token = immovr_app::tokens::new_token("");
        req.extensions_mut().insert(NewCsrf(token.clone()));
        Some(token)
    } else {
        None
    };
    let secure = req.extensions().get::<SecureCookies>().is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(token) = new_csrf {
        let cookie =
            format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" });
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}

//! The session's cookie, for the API's login and the pages' sign-in alike.

use axum::http::HeaderValue;
use immovr_app::auth::NewSession;
use immovr_core::{Context, Result};

use crate::extract::SESSION_COOKIE;

/// The `Set-Cookie` value that carries a session: HTTP only, same site, `Secure` over HTTPS.
pub fn cookie(session: &NewSession, hours: i64, secure: bool) -> Result<HeaderValue> {
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.token,
        hours * 3600,
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).context("the session cookie")
}

/// The `Set-Cookie` value that ends it.
pub const CLEARED: HeaderValue = HeaderValue::from_static("immovr_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");

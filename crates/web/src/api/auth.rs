//! Login (email + password → session), logout, client sign-up, the current user.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use immovr_core::model::{Client, User};
use immovr_core::ports::NewClient;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::{Caller, ClientIp, Json, credential};
use crate::problem::{ApiError, ApiResult, Problem};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
    /// The 6-digit code, for accounts with two-factor authentication.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    /// Bearer token for the API; also set as the `immovr_session` cookie.
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    pub client: NewClient,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    /// The client record, for a client account.
    pub client: Option<Client>,
}

fn session_response(state: &AppState, session: immovr_app::auth::NewSession) -> ApiResult<Response> {
    let cookie = crate::session::cookie(&session, state.app.session_hours(), state.secure_cookies)?;
    let body = Session { token: session.token, expires_at: session.expires_at, user: session.user };
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Log in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = Login,
    responses((status = 200, body = Session), (status = 401, body = Problem)))]
pub async fn login(State(state): State<AppState>, ip: ClientIp, Json(body): Json<Login>) -> ApiResult<Response> {
    if !state.limits.allow_login(&ip.0, &body.email) {
        return Err(ApiError::http(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many attempts: wait a minute"));
    }
    let session = state.app.sign_in_with_code(&body.email, body.password, body.code.as_deref()).await?;
    session_response(&state, session)
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some((token, _)) = credential(&headers) {
        state.app.close_session(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, crate::session::CLEARED);
    Ok(response)
}

/// Create a client account (with its login) and open a session.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", security(()), request_body = Signup,
    responses((status = 201, body = Session), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn signup(State(state): State<AppState>, ip: ClientIp, Json(body): Json<Signup>) -> ApiResult<Response> {
    if !state.limits.allow_signup(&ip.0) {
        return Err(ApiError::http(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many sign-ups: try again later",
        ));
    }
    let session = state.app.sign_up(body.client, body.password).await?;
    let mut response = session_response(&state, session)?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// The current user (and client record, for a client).
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Me>> {
    let client = match caller.user.client_id {
        Some(id) => Some(state.app.client(&caller.actor, id).await?),
        None => None,
    };
    Ok(axum::Json(Me { user: caller.user, client }))
}

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

/// A sign-up's answer: the confirmation link was emailed (whatever the address).
#[derive(Serialize, ToSchema)]
pub struct SignupSent {
    /// Always `confirmation_sent`.
    pub status: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupConfirm {
    /// The token at the end of the emailed link.
    pub token: String,
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

/// End every session of the caller's account, on every device, and void the links already
/// emailed to it (API tokens stay: revoke those one by one).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth",
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout_all(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    state.app.sign_out_everywhere(&caller.actor).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, crate::session::CLEARED);
    Ok(response)
}

/// Sign up as a client. Nothing is created yet: a link to confirm the address is emailed, and
/// opening it (the page, or `POST /api/v1/auth/signup/confirm` with its token) creates the
/// account. The answer is the same whether or not the address has an account (its owner is
/// emailed a sign-in link instead), so it tells nobody who has one.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", security(()), request_body = Signup,
    responses((status = 202, body = SignupSent), (status = 422, body = Problem)))]
pub async fn signup(State(state): State<AppState>, ip: ClientIp, Json(body): Json<Signup>) -> ApiResult<Response> {
    if !state.limits.allow_signup(&ip.0) {
        return Err(ApiError::http(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many sign-ups: try again later",
        ));
    }
    state.app.sign_up(body.client, body.password, None).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(SignupSent { status: "confirmation_sent".into() })).into_response())
}

/// Confirm a sign-up with the token of its emailed link (`/inscription/confirmer/{token}`): the
/// account is created and signed in.
#[utoipa::path(post, path = "/api/v1/auth/signup/confirm", tag = "auth", security(()), request_body = SignupConfirm,
    responses((status = 201, body = Session), (status = 401, body = Problem), (status = 410, body = Problem),
        (status = 422, body = Problem)))]
pub async fn confirm_signup(State(state): State<AppState>, Json(body): Json<SignupConfirm>) -> ApiResult<Response> {
    match state.app.confirm_sign_up(&body.token).await?.map(|c| c.sign_in) {
        Some(immovr_app::auth::SignIn::Session(session)) => {
            let mut response = session_response(&state, session)?;
            *response.status_mut() = StatusCode::CREATED;
            Ok(response)
        }
        // An address that had an account with a second factor: its code is asked at login.
        Some(immovr_app::auth::SignIn::CodeNeeded { .. }) => Err(ApiError::http(
            StatusCode::UNAUTHORIZED,
            "second_factor_required",
            "this account signs in with its second factor: log in with the password and the code",
        )),
        None => Err(ApiError::http(StatusCode::GONE, "link_expired", "this link is unknown, used or expired")),
    }
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

//! Login (email + password → session), logout, client sign-up, the current user.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use immovr_core::auth::{dummy_hash, hash_password, token_sha256, verify_password};
use immovr_core::model::{Client, User};
use immovr_core::ports::NewClient;
use immovr_core::{Actor, Context, DomainError};
use jiff::{Timestamp, ToSpan};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::{Caller, ClientIp, Json, SESSION_COOKIE, SESSION_TOKEN_PREFIX, credential};
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

/// A random token: prefix + 32 random bytes, base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.context("a blocking task").map_err(ApiError::Domain)
}

/// Password hashing and checking: argon2id holds a 19 MiB block for tens of milliseconds, so
/// at most one per core runs at a time (a burst of sign-ups waits its turn instead of holding
/// eight blocks at once); off the async threads.
pub async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    static PERMITS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = PERMITS.acquire().await.context("waiting to hash a password")?;
    blocking(f).await
}

/// Opens a session for `user`: the token and the `Set-Cookie` value that carries it.
pub async fn start_session(state: &AppState, user: &User) -> Result<(String, Timestamp, HeaderValue), ApiError> {
    let token = new_token(SESSION_TOKEN_PREFIX);
    let expires_at = state.clock.now().checked_add(state.session_hours.hours()).context("a session's end")?;
    state.store.create_session(user.id, &token_sha256(&token), expires_at).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        state.session_hours * 3600,
        if state.secure_cookies { "; Secure" } else { "" }
    );
    Ok((token, expires_at, HeaderValue::from_str(&cookie).context("the session cookie")?))
}

async fn open_session(state: &AppState, user: User) -> ApiResult<Response> {
    let (token, expires_at, cookie) = start_session(state, &user).await?;
    let mut response = axum::Json(Session { token, expires_at, user }).into_response();
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
    let found = state.store.user_credentials(&body.email).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| dummy_hash().to_string());
    let password = body.password;
    // Verify even for unknown emails so the answer time does not reveal which accounts exist.
    let ok = hashing(move || verify_password(&password, &hash)).await?;
    match found {
        Some((user, _)) if ok => {
            if let Some(secret) = state.store.totp_secret(user.id).await? {
                let code = body.code.unwrap_or_default();
                if !crate::pages::totp_code_ok(&secret, &code, state.clock.now()) {
                    return Err(ApiError::http(
                        StatusCode::UNAUTHORIZED,
                        "second_factor_required",
                        "this account needs its 6-digit code in `code`",
                    ));
                }
            }
            open_session(&state, user).await
        }
        _ => Err(DomainError::BadCredentials.into()),
    }
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some((token, _)) = credential(&headers) {
        state.store.delete_session(&token_sha256(&token)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("immovr_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

/// Create a client account (with its login) and open a session.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", security(()), request_body = Signup,
    responses((status = 201, body = Session), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn signup(State(state): State<AppState>, Json(body): Json<Signup>) -> ApiResult<Response> {
    let password = body.password;
    let hash = hashing(move || hash_password(&password)).await??;
    let mut actor = Actor::system();
    actor.label = format!("signup {}", body.client.email.trim());
    let client = state.store.register_client(&actor, body.client, Some(hash)).await?;
    let (user, _) = state
        .store
        .user_credentials(&client.email)
        .await?
        .ok_or_else(|| DomainError::internal("client login missing after sign-up"))?;
    let mut response = open_session(&state, user).await?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// The current user (and client record, for a client).
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<Me>> {
    let client = match caller.user.client_id {
        Some(id) => Some(state.store.client(caller.actor.scope(), id).await?),
        None => None,
    };
    Ok(axum::Json(Me { user: caller.user, client }))
}

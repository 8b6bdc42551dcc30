//! `Idempotency-Key` on POST requests: the first request with a key runs and its answer is kept;
//! a retry with the same key and the same request (method, path, query, body) gets that answer
//! again, with no second effect. A duplicate while the first runs gets 409
//! `idempotency_in_progress` with `Retry-After`; the same key on a different request gets 422
//! `idempotency_key_reused`. Server errors are not kept, so the retry runs again. The run is its
//! own task (a client hanging up does not cut it short) and the answer of an effect commits with
//! it (see `immovr_app::idempotency`), so a crash leaves either both or neither.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use immovr_app::idempotency::{Claim, answered_with_effect, with_key};
use immovr_core::DomainError;
use immovr_core::auth::token_sha256;
use immovr_core::ports::IdempotencyStart;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::extract::credential;
use crate::problem::ApiError;
use crate::{AppState, MAX_BODY_BYTES};

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Login and sign-up answers carry a session token: never stored, so never replayed.
    if req.method() != Method::POST || req.uri().path().starts_with("/api/v1/auth/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return ApiError::http(
            StatusCode::BAD_REQUEST,
            "bad_idempotency_key",
            "Idempotency-Key must be 1 to 255 characters",
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    // Keys are per caller; anonymous requests (login, sign-up) are keyed per key alone.
    let owner = credential(&parts.headers).map(|(t, _)| token_sha256(&t)).unwrap_or_else(|| "anonymous".into());
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
                .into_response();
        }
    };
    let fingerprint = fingerprint(parts.method.as_str(), parts.uri.path(), parts.uri.query(), &bytes);
    // From the claim on, the run is its own task: a client that hangs up does not cut it short
    // (between the claim and the answer), and its answer is kept for the retry.
    let request = Request::from_parts(parts, Body::from(bytes));
    match tokio::spawn(run(state, owner, key, fingerprint, request, next)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a keyed request's run failed");
            ApiError::from(DomainError::internal("the request's run failed")).into_response()
        }
    }
}

async fn run(
    state: AppState,
    owner: String,
    key: String,
    fingerprint: String,
    request: Request,
    next: Next,
) -> Response {
    let attempt = match state.app.idempotency_start(&owner, &key, &fingerprint).await {
        Ok(IdempotencyStart::Started { attempt }) => attempt,
        Ok(IdempotencyStart::Replay { status, body }) => return replay(status, body),
        Ok(IdempotencyStart::InProgress { until }) => return in_progress(state.app.clock().now(), until),
        Err(e @ DomainError::IdempotencyKeyReused) => {
            return ApiError::http(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let claim = Claim { owner, key, attempt };
    let (response, answered) = with_key(claim.clone(), async move {
        let response = next.run(request).await;
        (response, answered_with_effect())
    })
    .await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let kept = if retry_runs_again(parts.status) {
        state.app.idempotency_abandon(&claim).await
    } else if let Some(status) = answered {
        // The answer stored with the effect is this one (same status, same JSON).
        debug_assert_eq!(
            status,
            parts.status.as_u16(),
            "{}: the use case's outcome is not the route's status",
            claim.key
        );
        Ok(())
    } else {
        state.app.idempotency_complete(&claim, parts.status.as_u16(), &String::from_utf8_lossy(&bytes)).await
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, "could not record idempotency key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// What identifies a request: method, path, query and body.
pub fn fingerprint(method: &str, path: &str, query: Option<&str>, body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(method)
        .chain_update([0])
        .chain_update(path)
        .chain_update([0])
        .chain_update(query.unwrap_or(""))
        .chain_update([0])
        .chain_update(body)
        .finalize();
    hex::encode(digest)
}

/// Answers not kept: a retry runs again. Server errors, and answers about the caller rather than
/// the request (not signed in, rate-limited, the key itself taken over meanwhile).
fn retry_runs_again(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS
}

fn in_progress(now: Timestamp, until: Timestamp) -> Response {
    let e = DomainError::IdempotencyInProgress;
    let mut response = ApiError::http(StatusCode::CONFLICT, e.code(), e.to_string()).into_response();
    let seconds = until.duration_since(now).as_secs().clamp(1, 60);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

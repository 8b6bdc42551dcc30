//! `Idempotency-Key` on POST requests: the first request with a key runs and its answer is kept;
//! a retry with the same key and the same request gets that answer again, with no second effect.
//! A concurrent duplicate gets 409 `idempotency_in_progress`; the same key on a different request
//! gets 422 `idempotency_key_reused`. Server errors are not kept, so the client may retry.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use immovr_core::DomainError;
use immovr_core::auth::token_sha256;
use immovr_core::ports::IdempotencyStart;
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
    let fingerprint =
        hex::encode(Sha256::new().chain_update(parts.uri.path()).chain_update([0]).chain_update(&bytes).finalize());
    match state.app.idempotency_start(&owner, &key, &fingerprint).await {
        Ok(IdempotencyStart::Started) => {}
        Ok(IdempotencyStart::Replay { status, body }) => return replay(status, body),
        Err(e @ (DomainError::IdempotencyInProgress | DomainError::IdempotencyKeyReused)) => {
            let status = if e == DomainError::IdempotencyInProgress {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return ApiError::http(status, e.code(), e.to_string()).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let kept = if parts.status.is_server_error() {
        state.app.idempotency_abandon(&owner, &key).await
    } else {
        state.app.idempotency_complete(&owner, &key, parts.status.as_u16(), &String::from_utf8_lossy(&bytes)).await
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, "could not record idempotency key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

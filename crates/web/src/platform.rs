//! The approved platform's webhook: it posts a flow's new state (`{"flowInfo": Flow}`, AFNOR XP
//! Z12-013) to `/api/v1/platform/webhook/<secret>`, the secret the studio gave it. Unknown
//! secrets get a 404, like any unknown address.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::problem::ApiError;

pub async fn webhook(State(state): State<AppState>, Path(secret): Path<String>, body: Bytes) -> Response {
    let known = state.platform_webhook_secret.as_deref().is_some_and(|expected| {
        expected.len() == secret.len()
            && expected.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    });
    if !known {
        return ApiError::http(StatusCode::NOT_FOUND, "not_found", "no such resource").into_response();
    }
    match state.app.platform_callback(&body).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

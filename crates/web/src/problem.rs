//! Errors as RFC 9457 `application/problem+json`, carrying the domain's stable `code`.
//! Internal errors are logged once, with the request path, and never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use immovr_core::{DomainError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// The problem document every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `/api/v1/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code (e.g. `quote_expired`).
    pub code: String,
    /// The offending input field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub enum ApiError {
    Domain(DomainError),
    /// An HTTP-level problem (malformed JSON, wrong media type, unknown route, …).
    Http {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
}

impl ApiError {
    pub fn http(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Http { status, code, detail: detail.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(e) => e.code(),
            ApiError::Http { code, .. } => code,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Domain(e)
    }
}

pub fn status_of(e: &DomainError) -> StatusCode {
    match e.kind() {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail, field) = match &self {
            ApiError::Domain(DomainError::Internal(msg)) => {
                tracing::error!(error = %msg, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side; it has been logged.".to_string(),
                    None,
                )
            }
            ApiError::Domain(e) => {
                let field = match e {
                    DomainError::Validation { field, .. } => Some(field.clone()),
                    _ => None,
                };
                (status_of(e), e.code(), e.to_string(), field)
            }
            ApiError::Http { status, code, detail } => (*status, *code, detail.clone(), None),
        };
        let problem = Problem {
            type_: format!("/api/v1/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            field,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

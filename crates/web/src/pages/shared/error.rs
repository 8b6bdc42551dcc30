//! Errors as pages: in the page's language, with the status the domain error calls for; internal
//! errors logged with their cause and never shown.

use crate::pages::shared::*;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use immovr_core::DomainError;
use maud::html;

pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let body = html! {
        p.notice.error role="alert" { (message) }
        p { a href="/compte" { (ctx.tr.t("error.back")) } }
    };
    (status, page(ctx, ctx.tr.t("error.title"), body)).into_response()
}

/// A domain error as a page: not found stays not found, internals are logged and hidden.
pub fn domain_error_page(ctx: &Ctx, e: DomainError) -> Response {
    let status = crate::problem::status_of(&e);
    match e {
        DomainError::NotFound { .. } => error_page(ctx, StatusCode::NOT_FOUND, ctx.tr.t("error.not_found")),
        DomainError::Internal(msg) => {
            tracing::error!(error = %msg, "internal error");
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title"))
        }
        other => error_page(ctx, status, &other.to_string()),
    }
}

/// Field-level error text for a form, if the domain error names that field.
pub fn field_error(err: &Option<DomainError>, field: &str) -> Option<String> {
    match err {
        Some(DomainError::Validation { field: f, message }) if f == field || f.starts_with(&format!("{field}.")) => {
            Some(message.clone())
        }
        _ => None,
    }
}

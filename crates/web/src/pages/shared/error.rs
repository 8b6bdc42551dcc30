//! Errors as pages: in the page's language, with the status the domain error calls for; internal
//! errors logged with their cause and never shown.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use immovr_core::DomainError;
use maud::html;

use crate::AppState;
use crate::pages::shared::*;

/// A page that cannot be shown because a use case failed: handlers give up with `?`, and
/// [`render_errors`], which knows the request, renders the error page in its language.
#[derive(Debug)]
pub struct PageError(pub DomainError);

/// What a page handler gives: its page, or why it cannot be shown.
pub type PageResult = Result<Response, PageError>;

impl From<DomainError> for PageError {
    fn from(e: DomainError) -> Self {
        PageError(e)
    }
}

/// The failure a handler gave up with, for [`render_errors`].
#[derive(Clone)]
struct Failed(DomainError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = crate::problem::status_of(&self.0).into_response();
        response.extensions_mut().insert(Failed(self.0));
        response
    }
}

/// Renders what a page handler gave up with as an error page, in the request's language, with
/// the navigation of whoever is signed in; an internal error is logged with its cause.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // What the error page needs of the request, kept aside (a page that succeeds never uses it).
    let mut kept = Request::builder().method(req.method().clone()).uri(req.uri().clone()).body(()).unwrap_or_default();
    *kept.headers_mut() = req.headers().clone();
    if let Some(ci) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        kept.extensions_mut().insert(*ci);
    }
    if let Some(csrf) = req.extensions().get::<NewCsrf>() {
        kept.extensions_mut().insert(csrf.clone());
    }
    let response = next.run(req).await;
    let Some(Failed(e)) = response.extensions().get::<Failed>().cloned() else { return response };
    let (mut parts, ()) = kept.into_parts();
    match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => domain_error_page(&ctx, e),
        Err(response) => response,
    }
}

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
            let cause = std::error::Error::source(&msg).map(|s| s.to_string()).unwrap_or_default();
            tracing::error!(error = %msg, cause, "internal error");
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

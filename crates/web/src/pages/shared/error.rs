//! Errors as pages: in the page's language, with the status the domain error calls for; internal
//! errors logged with their cause and never shown.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use immovr_core::DomainError;
use maud::{Markup, html};

use super::i18n::Tr;
use super::messages::refusal;

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
        other => error_page(ctx, status, &error_text(ctx.tr, &other)),
    }
}

/// A domain error in the page's language: the text of its stable code, or why the input was
/// refused (without the form, the fields cannot be pointed at: their names are not shown).
pub fn error_text(tr: Tr, e: &DomainError) -> String {
    match e {
        DomainError::Validation { .. } | DomainError::Invalid { .. } => {
            let refused: Vec<String> = e.field_errors().iter().map(|fe| refusal(tr.0, &fe.message)).collect();
            let (colon, semicolon) = match tr.0 {
                immovr_core::model::Language::Fr => (" : ", " ; "),
                immovr_core::model::Language::En => (": ", "; "),
            };
            format!("{}{colon}{}", tr.t("error.invalid"), refused.join(semicolon))
        }
        DomainError::Forbidden { role } => format!("{} {role}", tr.t("error.code.forbidden")),
        DomainError::FileTooLarge { limit } => format!("{} {}", tr.t("error.code.file_too_large"), limit / 1_000_000),
        other => tr.t(&format!("error.code.{}", other.code())).to_string(),
    }
}

/// A form's errors, in the page's language: each field that is refused says why next to it
/// (and is marked `aria-invalid`, described by its message), and a summary above the form lists
/// every refusal, each linked to its field, and takes the focus (`app.js`). Fields are rendered
/// first, claiming their errors with [`FormErrors::at`]; the summary then knows their labels.
pub struct FormErrors {
    tr: Tr,
    fields: Vec<immovr_core::FieldError>,
    general: Option<String>,
    claimed: std::cell::RefCell<Vec<Claim>>,
}

struct Claim {
    field: String,
    input_id: String,
    label: String,
    message: String,
}

impl FormErrors {
    pub fn new(tr: Tr, err: Option<&DomainError>) -> FormErrors {
        let (fields, general) = match err {
            None => (Vec::new(), None),
            Some(e @ (DomainError::Validation { .. } | DomainError::Invalid { .. })) => (e.field_errors(), None),
            Some(e) => (Vec::new(), Some(error_text(tr, e))),
        };
        FormErrors { tr, fields, general, claimed: Default::default() }
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }

    /// Why `field` (or one of its parts: `billing_address` for `billing_address.postcode`) is
    /// refused, for the input `input_id` labelled `label`; the summary links to it.
    pub fn at(&self, field: &str, input_id: &str, label: &str) -> Option<String> {
        let fe = self.fields.iter().find(|fe| {
            fe.field == field
                || fe.field.strip_prefix(field).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })?;
        let message = refusal(self.tr.0, &fe.message);
        let mut claimed = self.claimed.borrow_mut();
        if !claimed.iter().any(|c| c.input_id == input_id) {
            claimed.push(Claim {
                field: fe.field.clone(),
                input_id: input_id.to_string(),
                label: label.to_string(),
                message: message.clone(),
            });
        }
        Some(message)
    }

    /// The summary: every refusal, linked to its field; to render after the fields.
    pub fn summary(&self) -> Markup {
        if !self.any() {
            return html! {};
        }
        let claimed = self.claimed.borrow();
        // French puts a space before a colon.
        let colon = match self.tr.0 {
            immovr_core::model::Language::Fr => " : ",
            immovr_core::model::Language::En => ": ",
        };
        let unclaimed: Vec<_> = self.fields.iter().filter(|fe| !claimed.iter().any(|c| c.field == fe.field)).collect();
        html! {
            div.error-summary #erreurs role="alert" tabindex="-1" aria-labelledby="erreurs-titre" {
                p #erreurs-titre { strong { (self.tr.t("error.summary")) } }
                ul {
                    @if let Some(g) = &self.general { li { (g) } }
                    @for c in claimed.iter() {
                        li { a href={ "#" (c.input_id) } { (c.label) (colon) (c.message) } }
                    }
                    @for fe in unclaimed {
                        li { (refusal(self.tr.0, &fe.message)) }
                    }
                }
            }
        }
    }
}

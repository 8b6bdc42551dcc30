//! The JSON API, `/api/v1`: every step of the journey, for staff (API tokens, roles) and
//! clients (sessions). A client only ever sees its own records: anything else is a 404.

mod auth;
mod billing;
mod catalogue;
pub mod document;
mod documents;
pub(crate) mod orders;
mod quotes;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "immovr API",
        version = "1",
        description = "Quote-to-cash for a visualisation studio: quote requests, quotes, purchase orders, \
                       orders and stages, deliveries, invoices and payments. Errors are RFC 9457 problem \
                       documents with a stable `code`. POST requests honour an `Idempotency-Key` header."
    ),
    components(schemas(Problem, crate::problem::FieldProblem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Sessions, sign-up and the current user"),
        (name = "catalogue", description = "Services and options, clients, settings"),
        (name = "quotes", description = "Quote requests, quotes and their versions"),
        (name = "orders", description = "Purchase orders, orders, stages, deliveries"),
        (name = "billing", description = "Invoices, payments, credit notes"),
        (name = "documents", description = "PDF documents: quotes, accepted quotes, purchase orders, Factur-X invoices and credit notes"),
        (name = "admin", description = "Audit log and notification outbox"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A staff API token (`immovr token create`) or a session token from /api/v1/auth/login; \
                 browsers may use the session cookie instead.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Routes whose bodies are files, streamed to the file store (no JSON size limit).
pub fn upload_router() -> OpenApiRouter<AppState> {
    // A signed document of an acceptance: one file, up to an attachment's size.
    let evidence_limit = immovr_app::uploads::MAX_ATTACHMENT_BYTES as usize + crate::MAX_BODY_BYTES;
    let evidence = OpenApiRouter::new()
        .routes(routes!(quotes::record_acceptance))
        .layer(axum::extract::DefaultBodyLimit::max(evidence_limit));
    OpenApiRouter::new().routes(routes!(orders::upload)).merge(evidence)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_all))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::confirm_signup))
        .routes(routes!(auth::me))
        .routes(routes!(catalogue::list, catalogue::create))
        .routes(routes!(catalogue::update))
        .routes(routes!(catalogue::clients, catalogue::create_client))
        .routes(routes!(catalogue::client))
        .routes(routes!(catalogue::request_erasure))
        .routes(routes!(catalogue::erase_client))
        .routes(routes!(catalogue::company, catalogue::set_company))
        .routes(routes!(catalogue::audit))
        .routes(routes!(catalogue::outbox))
        .routes(routes!(catalogue::retry_outbox))
        .routes(routes!(quotes::requests, quotes::create_request))
        .routes(routes!(quotes::request))
        .routes(routes!(quotes::attachment))
        .routes(routes!(orders::download))
        .routes(routes!(quotes::list, quotes::create))
        .routes(routes!(quotes::get, quotes::update))
        .routes(routes!(quotes::send))
        .routes(routes!(quotes::accept))
        .routes(routes!(quotes::acceptance_evidence))
        .routes(routes!(quotes::refuse))
        .routes(routes!(quotes::revise))
        .routes(routes!(quotes::extend))
        .routes(routes!(quotes::messages, quotes::post_message))
        .routes(routes!(quotes::unread))
        .routes(routes!(orders::purchase_orders))
        .routes(routes!(orders::purchase_order))
        .routes(routes!(orders::validate))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::withdraw))
        .routes(routes!(orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::plan_stage))
        .routes(routes!(orders::set_contact))
        .routes(routes!(orders::complete_stage))
        .routes(routes!(orders::deliver))
        .routes(routes!(orders::invoice))
        .routes(routes!(orders::messages, orders::post_message))
        .routes(routes!(billing::list))
        .routes(routes!(billing::get))
        .routes(routes!(billing::record_payment))
        .routes(routes!(billing::credit_note))
        .routes(routes!(billing::get_credit_note))
        .routes(routes!(billing::lifecycle))
        .routes(routes!(billing::unaccepted))
        .routes(routes!(billing::ereports))
        .routes(routes!(documents::quote))
        .routes(routes!(documents::signed_quote))
        .routes(routes!(documents::purchase_order))
        .routes(routes!(documents::invoice))
        .routes(routes!(documents::credit_note))
}

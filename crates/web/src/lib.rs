//! immovr's HTTP layer. `app(state)` builds the whole router: the JSON API under `/api/v1`
//! (OpenAPI document at `/api/v1/openapi.json`), `/healthz` and `/readyz`. It talks to the
//! domain only through the `Store` port; it never sees SQL.

pub mod api;
mod download;
mod export;
pub mod extract;
pub mod idempotency;
pub mod live;
mod pages;
mod platform;
pub mod problem;
mod session;

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use immovr_app::App;
use immovr_app::live::LiveFeed;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::problem::ApiError;

/// A request body or a multipart field, as the file store takes it.
pub(crate) fn byte_stream<'a, E>(
    body: impl futures_util::Stream<Item = Result<bytes::Bytes, E>> + Send + 'a,
) -> immovr_app::ports::ByteStream<'a>
where
    E: std::error::Error + Send + Sync + 'static,
{
    use futures_util::StreamExt;
    body.map(|r| r.map_err(std::io::Error::other)).boxed()
}

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: Arc<App>,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy_headers: bool,
    /// Live updates (server-sent events), fed by the store.
    pub live: LiveFeed,
    /// Largest file accepted in one upload.
    pub max_upload_bytes: u64,
    pub limits: Arc<Limits>,
    /// The secret the approved platform's webhook calls carry, when it has one.
    pub platform_webhook_secret: Option<String>,
}

/// Rate limits on logins and on emailed links (per client address and per account), and on
/// sign-ups (per client address: each is an account and a password hash).
pub struct Limits {
    per_ip: DefaultKeyedRateLimiter<String>,
    per_account: DefaultKeyedRateLimiter<String>,
    signups: DefaultKeyedRateLimiter<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(10)
    }
}

impl Limits {
    /// 30 login attempts a minute from one address, 5 a minute (bursts of 5) on one account;
    /// `signups_per_hour` sign-ups an hour from one address (in bursts of as many).
    pub fn new(signups_per_hour: u32) -> Self {
        let signups = NonZeroU32::new(signups_per_hour.max(1)).unwrap_or(NonZeroU32::MIN);
        Limits {
            per_ip: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(30).unwrap())),
            per_account: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(5).unwrap())),
            signups: RateLimiter::keyed(Quota::per_hour(signups)),
        }
    }

    /// Counts one sign-up; false when the address is over its limit.
    pub fn allow_signup(&self, ip: &str) -> bool {
        self.signups.check_key(&ip.to_string()).is_ok()
    }

    /// Counts one attempt; false when over the limit for the address or the account.
    pub fn allow_login(&self, ip: &str, email: &str) -> bool {
        let ip_ok = self.per_ip.check_key(&ip.to_string()).is_ok();
        let account_ok = self.per_account.check_key(&email.trim().to_lowercase()).is_ok();
        ip_ok && account_ok
    }
}

pub fn app(state: AppState) -> Router {
    let (api, mut openapi) = api::router().split_for_parts();
    let (uploads, upload_doc) = api::upload_router().split_for_parts();
    openapi.merge(upload_doc);
    let openapi = Arc::new(api::document::finish(openapi));
    // JSON bodies are small; file uploads are streamed and limited by `max_upload_bytes`.
    let api = api
        .route("/api/v1/openapi.json", get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn(problem::uniform));
    let secure = state.secure_cookies;
    let pages = pages::router()
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(pages::upload_router())
        .merge(pages::staff_upload_router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors))
        .layer(axum::middleware::from_fn(pages::same_origin))
        .layer(axum::middleware::from_fn(pages::page_headers))
        .layer(axum::middleware::from_fn(
            move |mut req: axum::extract::Request, next: axum::middleware::Next| async move {
                if secure {
                    req.extensions_mut().insert(pages::SecureCookies);
                }
                next.run(req).await
            },
        ));
    Router::new()
        .merge(api)
        .merge(pages)
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/platform/webhook/{secret}", axum::routing::post(platform::webhook))
        .route("/readyz", get(readyz))
        .fallback(|| async { ApiError::http(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            let mut response = next.run(req).await;
            // Served over HTTPS (the cookies say so): browsers keep to HTTPS for two years.
            if secure {
                response.headers_mut().insert(
                    axum::http::header::STRICT_TRANSPORT_SECURITY,
                    axum::http::HeaderValue::from_static("max-age=63072000; includeSubDomains"),
                );
            }
            response
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.app.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

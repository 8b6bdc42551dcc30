//! Extractors whose rejections use our problem format: JSON bodies, path ids, and the caller
//! (staff API token, or a session from a bearer token or the session cookie).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum_extra::extract::CookieJar;
use immovr_core::model::{Role, User};
use immovr_core::{Actor, DomainError};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::net::SocketAddr;

use crate::AppState;
use crate::problem::ApiError;

pub const SESSION_COOKIE: &str = "immovr_session";
pub const API_TOKEN_PREFIX: &str = "imvt_";
pub const SESSION_TOKEN_PREFIX: &str = "imvs_";

/// A JSON body; malformed JSON is a 400, a body of the wrong shape a 422, naming the field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                Err(ApiError::http(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", e.body_text()))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::http(StatusCode::BAD_REQUEST, "malformed_json", e.body_text()))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::http(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large"))
            }
            Err(e) => Err(ApiError::http(e.status(), "bad_request", e.body_text())),
        }
    }
}

/// A multipart/form-data body; any other body is a 415 in our problem format.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state).await.map(Multipart).map_err(|_| {
            ApiError::http(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as multipart/form-data",
            )
        })
    }
}

/// Query-string parameters; a malformed one is a 400 in our problem format, naming it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(ApiError::http(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())),
        }
    }
}

/// The query of a list: page, filters, search (`?limit=&cursor=&status=&client_id=&from=&to=&q=`).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Rows per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only rows in this status (each list names its statuses).
    pub status: Option<String>,
    /// Only this client's rows (staff).
    pub client_id: Option<i64>,
    /// Period start, `YYYY-MM-DD`, included (each list names the date it filters on).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<jiff::civil::Date>,
    /// Period end, `YYYY-MM-DD`, included.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<jiff::civil::Date>,
    /// Words to find at the start of words of the number, title or client name (accents and
    /// case do not matter).
    pub q: Option<String>,
}

impl ListParams {
    pub fn query(self) -> Result<immovr_core::listing::ListQuery, DomainError> {
        let after =
            self.cursor.as_deref().filter(|c| !c.is_empty()).map(immovr_core::listing::parse_cursor).transpose()?;
        Ok(immovr_core::listing::ListQuery {
            limit: self.limit.unwrap_or(0),
            after,
            status: self.status.filter(|s| !s.is_empty()),
            client_id: self.client_id,
            from: self.from,
            to: self.to,
            q: self.q.filter(|q| !q.trim().is_empty()),
        })
    }
}

/// Path parameters; a malformed id is a 404 (there is no such resource).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(ApiError::http(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {}", e.body_text())))
            }
            Err(e) => Err(ApiError::http(e.status(), "bad_request", e.body_text())),
        }
    }
}

/// A state change sent by another site: the browser says so (`Sec-Fetch-Site` other than
/// `same-origin` or `none`), or names an `Origin` other than this host. Requests without either
/// header (other clients, older browsers) are judged by their CSRF token alone.
pub fn cross_origin_write(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    match headers.get(header::ORIGIN).map(|o| o.to_str().unwrap_or("null")) {
        Some(origin) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        None => false,
    }
}

/// The raw credential of a request, if any: a bearer token or the session cookie.
pub fn credential(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return auth.strip_prefix("Bearer ").map(|t| (t.trim().to_string(), false));
    }
    let jar = CookieJar::from_headers(headers);
    jar.get(SESSION_COOKIE).map(|c| (c.value().to_string(), true))
}

/// The authenticated caller.
pub struct Caller {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, from_cookie) = credential(&parts.headers).ok_or(DomainError::Unauthenticated)?;
        // A cookie rides along on cross-site requests: refuse state changes from another origin.
        if from_cookie && cross_origin_write(&parts.method, &parts.headers) {
            return Err(ApiError::http(StatusCode::FORBIDDEN, "cross_origin", "cross-origin request refused"));
        }
        let user = state.app.authenticate(&token).await?.ok_or(DomainError::Unauthenticated)?;
        let mut actor = Actor::for_user(&user);
        actor.ip = client_ip(parts, state.trust_proxy_headers);
        actor.user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(500).collect());
        Ok(Caller { user, actor })
    }
}

/// A role a handler needs; see `Staff`.
pub trait NeedsRole {
    const ROLE: Role;
}

macro_rules! role_marker {
    ($($name:ident => $role:expr),+) => {$(
        pub struct $name;
        impl NeedsRole for $name {
            const ROLE: Role = $role;
        }
    )+};
}
role_marker!(Admin => Role::Admin, Sales => Role::Sales, Production => Role::Production, Accounting => Role::Accounting);

/// A staff caller holding role `R` (admins hold every role). Checked before the body is read,
/// so a caller without the role learns nothing about what the endpoint expects.
pub struct Staff<R: NeedsRole>(pub Caller, pub PhantomData<R>);

impl<R: NeedsRole> FromRequestParts<AppState> for Staff<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.actor.require(R::ROLE)?;
        Ok(Staff(caller, PhantomData))
    }
}

/// A client caller (quote answers are the client's alone).
pub struct ClientCaller(pub Caller);

impl FromRequestParts<AppState> for ClientCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.actor.require_client()?;
        Ok(ClientCaller(caller))
    }
}

/// Any staff member, whatever the role.
pub struct AnyStaff(pub Caller);

impl FromRequestParts<AppState> for AnyStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.user.is_staff() {
            return Err(DomainError::Forbidden { role: "staff" }.into());
        }
        Ok(AnyStaff(caller))
    }
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop behind a trusted proxy.
pub fn client_ip(parts: &Parts, trust_proxy_headers: bool) -> Option<String> {
    if trust_proxy_headers
        && let Some(fwd) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(last) = fwd.rsplit(',').next()
    {
        // The last hop is the one our proxy added; earlier ones are the client's to invent.
        return Some(last.trim().to_string());
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())
}

/// The client's address as a string ("unknown" when there is none), for rate limits.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state.trust_proxy_headers).unwrap_or_else(|| "unknown".into())))
    }
}

//! The client portal ("Mon Compte"): server-rendered pages (maud) that work without JavaScript;
//! `static/app.js` adds live updates. Forms carry a CSRF token (double-submit cookie, checked
//! with the request's Origin); the session is the same HttpOnly cookie as the API's.

mod account;
mod admin;
mod auth;
mod backoffice;
pub mod i18n;
mod paging;
mod security;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use immovr_core::model::{Language, User};
use immovr_core::{Actor, DomainError};
use maud::{DOCTYPE, Markup, html};

use crate::AppState;
use crate::extract::{SESSION_COOKIE, client_ip};
use i18n::Tr;

pub const CSRF_COOKIE: &str = "immovr_csrf";
pub const LANG_COOKIE: &str = "immovr_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/compte") }))
        .route("/connexion", get(auth::login_page).post(auth::login))
        .route("/deconnexion", post(auth::logout))
        .route("/inscription", get(auth::signup_page))
        .route("/lien-magique", get(auth::magic_page).post(auth::magic_request))
        .route("/lien-magique/{token}", get(auth::magic_use))
        .route("/mot-de-passe-oublie", get(auth::forgot_page).post(auth::forgot_request))
        .route("/reinitialiser/{token}", get(auth::reset_page).post(auth::reset))
        .route("/langue/{lang}", get(auth::switch_language))
        .route("/compte", get(account::home))
        .route("/compte/demandes", get(account::requests))
        .route("/compte/demandes/{id}/pieces/{file}", get(account::attachment))
        .route("/compte/commandes/{id}/fichiers/{file}", get(account::download))
        .route("/compte/demandes/nouvelle", get(account::new_request))
        .route("/compte/devis", get(account::quotes))
        .route("/compte/devis/{id}", get(account::quote))
        .route("/compte/devis/{id}/accepter", post(account::accept))
        .route("/compte/devis/{id}/refuser", post(account::refuse))
        .route("/compte/devis/{id}/messages", post(account::quote_message))
        .route("/compte/commandes", get(account::orders))
        .route("/compte/commandes/{id}", get(account::order))
        .route("/compte/commandes/{id}/messages", post(account::order_message))
        .route("/compte/livraisons", get(account::deliveries))
        .route("/compte/factures", get(account::invoices))
        .route("/compte/factures/{id}", get(account::invoice))
        .route("/compte/profil", get(account::profile).post(account::save_profile))
        .route("/compte/profil/mot-de-passe", post(account::change_password))
        .route("/compte/donnees", get(account::export))
        .route("/compte/evenements", get(account::events))
        .route("/gestion", get(backoffice::dashboard))
        .route("/gestion/demandes", get(backoffice::requests))
        .route("/gestion/devis", get(backoffice::quotes).post(backoffice::create_quote))
        .route("/gestion/devis/nouveau", get(backoffice::new_quote))
        .route("/gestion/devis/{id}", get(backoffice::quote).post(backoffice::update_quote))
        .route("/gestion/devis/{id}/envoyer", post(backoffice::send_quote))
        .route("/gestion/devis/{id}/reviser", post(backoffice::revise_quote))
        .route("/gestion/devis/{id}/prolonger", post(backoffice::extend_quote))
        .route("/gestion/devis/{id}/dupliquer", post(backoffice::duplicate_quote))
        .route("/gestion/devis/{id}/messages", post(backoffice::quote_reply))
        .route("/gestion/bons-de-commande", get(backoffice::purchase_orders))
        .route("/gestion/bons-de-commande/{id}/valider", post(backoffice::validate_po))
        .route("/gestion/bons-de-commande/{id}/annuler", post(backoffice::cancel_po))
        .route("/gestion/commandes", get(backoffice::orders))
        .route("/gestion/commandes/{id}", get(backoffice::order))
        .route("/gestion/commandes/{id}/etapes/{sid}", post(backoffice::plan_stage))
        .route("/gestion/commandes/{id}/etapes/{sid}/terminee", post(backoffice::complete_stage))
        .route("/gestion/commandes/{id}/livrer", post(backoffice::deliver))
        .route("/gestion/commandes/{id}/messages", post(backoffice::order_reply))
        .route("/gestion/factures", get(backoffice::invoices))
        .route("/gestion/factures/{id}", get(backoffice::invoice))
        .route("/gestion/factures/{id}/paiements", post(backoffice::record_payment))
        .route("/gestion/factures/{id}/avoir", post(backoffice::credit_note))
        .route("/gestion/journal", get(backoffice::audit))
        .route("/gestion/courriels", get(backoffice::emails))
        .route("/gestion/courriels/{id}/renvoyer", post(backoffice::retry_email))
        .route("/gestion/clients", get(admin::clients))
        .route("/gestion/clients/{id}", get(admin::client))
        .route("/gestion/catalogue", get(admin::catalogue).post(admin::create_item))
        .route("/gestion/catalogue/{id}", post(admin::update_item))
        .route("/gestion/parametres", get(admin::settings).post(admin::save_settings))
        .route("/logo", get(admin::logo))
        .route("/gestion/utilisateurs", get(admin::users).post(admin::create_user))
        .route("/gestion/utilisateurs/{id}", post(admin::update_roles))
        .route("/gestion/commandes/{id}/contacts", post(admin::log_contact))
        .route("/gestion/securite", get(security::security).post(security::enable))
        .route("/gestion/securite/desactiver", post(security::disable))
        .route("/connexion/code", get(security::code_page).post(security::check_code))
        .route("/gestion/evenements", get(backoffice::events))
        .route(
            "/static/app.css",
            get(|| async { static_file("text/css; charset=utf-8", include_str!("../../static/app.css")) }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../../static/app.js")) }),
        )
}

/// Attachments per request, at most, and their size.
pub const MAX_FILES: usize = 10;
pub const MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

/// Final files from the back office: each file is limited while it streams (`max_upload_bytes`).
pub fn staff_upload_router() -> Router<AppState> {
    Router::new()
        .route("/gestion/commandes/{id}/fichiers", post(backoffice::upload))
        .route("/gestion/parametres/logo", post(admin::upload_logo))
}

/// The forms that carry files (multipart, larger bodies).
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/inscription", post(auth::signup)).route("/compte/demandes", post(account::create_request))
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}

/// Security headers for every page, and a CSRF cookie for visitors who have none.
pub async fn page_headers(jar: CookieJar, mut req: Request, next: Next) -> Response {
    let new_csrf = if jar.get(CSRF_COOKIE).is_none() {
        let token = immovr_app::tokens::new_token("");
        req.extensions_mut().insert(NewCsrf(token.clone()));
        Some(token)
    } else {
        None
    };
    let secure = req.extensions().get::<SecureCookies>().is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(token) = new_csrf {
        let cookie =
            format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" });
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Clone)]
struct NewCsrf(String);

/// Marker inserted when cookies must be `Secure`.
#[derive(Clone)]
pub struct SecureCookies;

/// What every page needs: the language, the CSRF token for its forms, the signed-in user.
pub struct Ctx {
    pub tr: Tr,
    pub csrf: String,
    pub user: Option<User>,
    pub path: String,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let csrf = match parts.extensions.get::<NewCsrf>() {
            Some(NewCsrf(t)) => t.clone(),
            None => jar.get(CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default(),
        };
        let user = match jar.get(SESSION_COOKIE) {
            Some(c) => match state.app.authenticate(c.value()).await {
                Ok(user) => user,
                Err(e) => {
                    tracing::error!(error = %e, "reading a session");
                    return Err(
                        (StatusCode::SERVICE_UNAVAILABLE, "Service momentanément indisponible.").into_response()
                    );
                }
            },
            None => None,
        };
        let lang = jar
            .get(LANG_COOKIE)
            .and_then(|c| Language::from_tag(c.value()))
            .or(user.as_ref().map(|u| u.language))
            .or_else(|| {
                parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Language::from_tag)
            })
            .unwrap_or(Language::Fr);
        let mut actor = user.as_ref().map(Actor::for_user).unwrap_or_else(Actor::anonymous);
        actor.ip = client_ip(parts, state.trust_proxy_headers);
        actor.user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(500).collect());
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        Ok(Ctx { tr: Tr(lang), csrf, user, path, actor })
    }
}

/// A signed-in client; others are sent to the login page (or told this area is for clients).
pub struct ClientCtx {
    pub ctx: Ctx,
    pub client_id: i64,
}

impl FromRequestParts<AppState> for ClientCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.user.as_ref().and_then(|u| u.client_id) {
            Some(client_id) => Ok(ClientCtx { ctx, client_id }),
            None if ctx.user.is_some() => Err(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.staff"))),
            None => {
                let next: String = form_urlencoded(&ctx.path);
                Err(Redirect::to(&format!("/connexion?suivant={next}")).into_response())
            }
        }
    }
}

fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks the form's CSRF token against the cookie (constant time).
pub fn csrf_ok(ctx: &Ctx, submitted: &str) -> bool {
    let expected = ctx.csrf.as_bytes();
    !expected.is_empty()
        && expected.len() == submitted.len()
        && expected.iter().zip(submitted.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Html<String> {
    let tr = ctx.tr;
    let staff = ctx.user.as_ref().is_some_and(|u| u.is_staff());
    let signed_in = ctx.user.is_some();
    let other_lang = if tr.0 == Language::Fr { "en" } else { "fr" };
    let nav: &[(&str, &str)] = if staff {
        &[
            ("/gestion", "bo.nav.todo"),
            ("/gestion/demandes", "bo.nav.requests"),
            ("/gestion/devis", "nav.quotes"),
            ("/gestion/bons-de-commande", "bo.nav.pos"),
            ("/gestion/commandes", "nav.orders"),
            ("/gestion/factures", "nav.invoices"),
            ("/gestion/clients", "bo.nav.clients"),
            ("/gestion/catalogue", "bo.nav.catalogue"),
            ("/gestion/journal", "bo.nav.audit"),
            ("/gestion/courriels", "bo.nav.emails"),
            ("/gestion/parametres", "bo.nav.settings"),
            ("/gestion/utilisateurs", "bo.nav.users"),
            ("/gestion/securite", "bo.nav.security"),
        ]
    } else {
        &[
            ("/compte", "nav.home"),
            ("/compte/devis", "nav.quotes"),
            ("/compte/commandes", "nav.orders"),
            ("/compte/livraisons", "nav.deliveries"),
            ("/compte/factures", "nav.invoices"),
            ("/compte/profil", "nav.profile"),
        ]
    };
    let home = if staff { "/gestion" } else { "/compte" };
    let current = |href: &str| {
        let path = ctx.path.split('?').next().unwrap_or("");
        path == href || (href != home && path.starts_with(&format!("{href}/")))
    };
    let markup = html! {
        (DOCTYPE)
        html lang=(tr.lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — ImmoVr" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body data-live=[signed_in.then_some(if staff { "/gestion/evenements" } else { "/compte/evenements" })] {
                a.skip href="#main" { (tr.t("skip")) }
                header.top {
                    a.brand href=(home) { (tr.t(if staff { "bo.brand" } else { "brand" })) }
                    div.tools {
                        a href={ "/langue/" (other_lang) "?retour=" (form_urlencoded(&ctx.path)) } lang=(other_lang) { (tr.t("lang.switch")) }
                        @if signed_in {
                            form method="post" action="/deconnexion" {
                                (csrf_field(ctx))
                                button.link type="submit" { (tr.t("logout")) }
                            }
                        }
                    }
                }
                @if signed_in {
                    nav aria-label=(tr.t(if staff { "bo.nav.todo" } else { "nav.home" })) {
                        ul {
                            @for (href, key) in nav {
                                li { a href=(href) aria-current=[current(href).then_some("page")] { (tr.t(key)) } }
                            }
                            @if staff {
                                li { a.cta href="/gestion/devis/nouveau" { (tr.t("bo.new_quote")) } }
                            } @else {
                                li { a.cta href="/compte/demandes/nouvelle" { (tr.t("nav.request")) } }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer { p { (tr.t("footer")) } }
            }
        }
    };
    Html(markup.into_string())
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
            tracing::error!(error = %msg, "internal error");
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title"))
        }
        other => error_page(ctx, status, &other.to_string()),
    }
}

pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class={ "notice " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}

pub fn badge(tr: &Tr, status: &str) -> Markup {
    html! { span class={ "badge s-" (status) } { (tr.status(status)) } }
}

/// Links to a record's PDF documents: (text key, URL of the API download).
pub fn pdf_links(tr: &Tr, links: &[(&str, String)]) -> Markup {
    html! {
        @if !links.is_empty() {
            ul.docs aria-label=(tr.t("doc.title")) {
                @for (key, href) in links {
                    li { a.pdf href=(href) download type="application/pdf" { (tr.t(key)) " " span.hint { "(PDF)" } } }
                }
            }
        }
    }
}

/// The PDF documents of a quote version: as sent, and once accepted, the signed copy and the
/// purchase order.
pub fn quote_pdf_links(
    tr: &Tr,
    q: &immovr_core::model::Quote,
    purchase_order: Option<immovr_core::model::Id>,
) -> Markup {
    let mut links = Vec::new();
    if q.sent_at.is_some() {
        links.push(("doc.quote", format!("/api/v1/quotes/{}/pdf", q.id)));
    }
    if q.acceptance.is_some() {
        links.push(("doc.signed_quote", format!("/api/v1/quotes/{}/accepted-pdf", q.id)));
    }
    if let Some(po) = purchase_order {
        links.push(("doc.purchase_order", format!("/api/v1/purchase-orders/{po}/pdf")));
    }
    pdf_links(tr, &links)
}

/// A stage's badge: a pending stage is "to plan", not "to validate" like a purchase order.
pub fn stage_badge(tr: &Tr, status: immovr_core::model::StageStatus) -> Markup {
    let s = status.as_str();
    html! { span class={ "badge s-" (s) } { (tr.t(&format!("stage.{s}"))) } }
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

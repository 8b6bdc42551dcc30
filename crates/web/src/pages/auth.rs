//! Signing in (password or magic link), password reset, sign-up with a first quote request,
//! signing out, language switch.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use immovr_app::auth::SignIn;
use immovr_app::ports::LinkPurpose;
use immovr_core::DomainError;
use immovr_core::model::{Address, ClientKind, Language};
use immovr_core::ports::{NewClient, NewQuoteRequest};
use maud::html;
use serde::Deserialize;

use super::i18n::Tr;
use super::{Ctx, LANG_COOKIE, csrf_field, csrf_ok, error_page, field_error, notice, page};
use crate::AppState;
use crate::extract::{ClientIp, SESSION_COOKIE};

#[derive(Deserialize, Default)]
pub struct Next {
    pub suivant: Option<String>,
    pub ok: Option<String>,
}

/// Only local paths into the client area are followed after login.
/// A path on this site: one leading slash, and nothing a browser would read as another host
/// (`//host`, `/\host`, tabs or newlines that it strips).
fn is_local_path(p: &str) -> bool {
    p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(|c| c.is_control())
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if (p.starts_with("/compte") || p.starts_with("/gestion")) && is_local_path(p) && !p.contains("//") => {
            p.to_string()
        }
        _ => "/compte".into(),
    }
}

/// Staff land in the back office, clients in their space.
fn landing(user: &immovr_core::model::User, next: &str) -> String {
    match (user.is_staff(), next.starts_with("/gestion")) {
        (true, true) | (false, false) => next.to_string(),
        (true, false) => "/gestion".into(),
        (false, true) => "/compte".into(),
    }
}

fn login_form(ctx: &Ctx, next: &str, email: &str, error: Option<&str>, ok: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(ok) = ok { (notice("ok", ok)) }
        @if let Some(e) = error { (notice("error", e)) }
        form.card method="post" action="/connexion" {
            (csrf_field(ctx))
            input type="hidden" name="suivant" value=(next);
            label for="email" { (tr.t("login.email")) }
            input #email type="email" name="email" value=(email) autocomplete="email" required;
            label for="password" { (tr.t("login.password")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { (tr.t("login.submit")) }
        }
        ul.links {
            li { a href="/lien-magique" { (tr.t("login.magic")) } }
            li { a href="/mot-de-passe-oublie" { (tr.t("login.forgot")) } }
            li { a href="/inscription" { (tr.t("login.signup")) } }
        }
    }
}

pub async fn login_page(ctx: Ctx, Query(q): Query<Next>) -> Response {
    if ctx.user.as_ref().is_some_and(|u| u.client_id.is_some()) {
        return Redirect::to(&safe_next(q.suivant.as_deref())).into_response();
    }
    let ok = q.ok.as_deref().map(|_| ctx.tr.t("reset.done"));
    page(&ctx, ctx.tr.t("login.title"), login_form(&ctx, &safe_next(q.suivant.as_deref()), "", None, ok))
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    suivant: Option<String>,
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, ip: ClientIp, Form(f): Form<LoginForm>) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let next = safe_next(f.suivant.as_deref());
    if !state.limits.allow_login(&ip.0, &f.email) {
        let body = login_form(&ctx, &next, &f.email, Some(ctx.tr.t("login.limited")), None);
        return (StatusCode::TOO_MANY_REQUESTS, page(&ctx, ctx.tr.t("login.title"), body)).into_response();
    }
    match state.app.sign_in(&f.email, f.password).await {
        Ok(signed_in) => signed_in_response(&state, &ctx, signed_in, &next),
        Err(DomainError::BadCredentials) => {
            let body = login_form(&ctx, &next, &f.email, Some(ctx.tr.t("login.failed")), None);
            (StatusCode::UNAUTHORIZED, page(&ctx, ctx.tr.t("login.title"), body)).into_response()
        }
        Err(e) => super::domain_error_page(&ctx, e),
    }
}

/// Where a signed-in user goes: the page asked for, with the session's cookie; or the second
/// factor's code page.
pub fn signed_in_response(state: &AppState, ctx: &Ctx, signed_in: SignIn, next: &str) -> Response {
    match signed_in {
        SignIn::Session(session) => {
            let to = landing(&session.user, next);
            match crate::session::cookie(&session, state.app.session_hours(), state.secure_cookies) {
                Ok(cookie) => with_cookie(Redirect::to(&to).into_response(), cookie),
                Err(e) => super::domain_error_page(ctx, e),
            }
        }
        SignIn::CodeNeeded { token, user } => {
            let to = landing(&user, next);
            Redirect::to(&format!("/connexion/code?jeton={token}&suivant={}", super::form_urlencoded(&to)))
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: axum_extra::extract::CookieJar,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.app.close_session(c.value()).await
    {
        return super::domain_error_page(&ctx, e);
    }
    with_cookie(Redirect::to("/connexion").into_response(), crate::session::CLEARED)
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    csrf: String,
}

fn email_form(ctx: &Ctx, action: &str, help: &str, button: &str, msg: Option<maud::Markup>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(m) = msg { (m) }
        p { (help) }
        form.card method="post" action=(action) {
            (csrf_field(ctx))
            label for="email" { (tr.t("login.email")) }
            input #email type="email" name="email" autocomplete="email" required;
            button type="submit" { (button) }
        }
        p { a href="/connexion" { (tr.t("login.submit")) } }
    }
}

pub async fn magic_page(ctx: Ctx) -> Response {
    let tr = ctx.tr;
    page(&ctx, tr.t("magic.title"), email_form(&ctx, "/lien-magique", tr.t("magic.help"), tr.t("magic.send"), None))
        .into_response()
}

async fn send_link(state: &AppState, ctx: &Ctx, ip: &str, f: &EmailForm, purpose: LinkPurpose) -> Result<(), Response> {
    if !csrf_ok(ctx, &f.csrf) {
        return Err(error_page(ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if !state.limits.allow_login(ip, &f.email) {
        return Err(error_page(ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited")));
    }
    state.app.request_link(&f.email, purpose).await.map_err(|e| super::domain_error_page(ctx, e))
}

pub async fn magic_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ip: ClientIp,
    Form(f): Form<EmailForm>,
) -> Response {
    if let Err(r) = send_link(&state, &ctx, &ip.0, &f, LinkPurpose::MagicLink).await {
        return r;
    }
    let tr = ctx.tr;
    let msg = notice("ok", tr.t("magic.sent"));
    page(
        &ctx,
        tr.t("magic.title"),
        email_form(&ctx, "/lien-magique", tr.t("magic.help"), tr.t("magic.send"), Some(msg)),
    )
    .into_response()
}

pub async fn magic_use(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Response {
    // An emailed link replaces the password, never the second factor.
    match state.app.sign_in_with_link(&token).await {
        Ok(Some(signed_in)) => signed_in_response(&state, &ctx, signed_in, "/compte"),
        Ok(None) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("magic.invalid")),
        Err(e) => super::domain_error_page(&ctx, e),
    }
}

pub async fn forgot_page(ctx: Ctx) -> Response {
    let tr = ctx.tr;
    page(
        &ctx,
        tr.t("reset.title"),
        email_form(&ctx, "/mot-de-passe-oublie", tr.t("reset.help"), tr.t("magic.send"), None),
    )
    .into_response()
}

pub async fn forgot_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ip: ClientIp,
    Form(f): Form<EmailForm>,
) -> Response {
    if let Err(r) = send_link(&state, &ctx, &ip.0, &f, LinkPurpose::PasswordReset).await {
        return r;
    }
    let tr = ctx.tr;
    let msg = notice("ok", tr.t("magic.sent"));
    page(
        &ctx,
        tr.t("reset.title"),
        email_form(&ctx, "/mot-de-passe-oublie", tr.t("reset.help"), tr.t("magic.send"), Some(msg)),
    )
    .into_response()
}

fn reset_form(ctx: &Ctx, token: &str, error: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(e) = error { (notice("error", e)) }
        form.card method="post" action={ "/reinitialiser/" (token) } {
            (csrf_field(ctx))
            label for="password" { (tr.t("reset.new")) }
            input #password type="password" name="password" minlength="10" autocomplete="new-password" required;
            button type="submit" { (tr.t("reset.save")) }
        }
    }
}

pub async fn reset_page(ctx: Ctx, Path(token): Path<String>) -> Response {
    page(&ctx, ctx.tr.t("reset.title"), reset_form(&ctx, &token, None)).into_response()
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
    csrf: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    if !csrf_ok(&ctx, &f.csrf) {
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    // The link is used only once the new password is acceptable.
    match state.app.reset_password(&token, f.password).await {
        Ok(true) => Redirect::to("/connexion?ok=reset").into_response(),
        Ok(false) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("magic.invalid")),
        Err(e @ DomainError::Validation { .. }) => {
            let msg = e.to_string();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&ctx, ctx.tr.t("reset.title"), reset_form(&ctx, &token, Some(&msg))),
            )
                .into_response()
        }
        Err(e) => super::domain_error_page(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct Back {
    retour: Option<String>,
}

pub async fn switch_language(Path(lang): Path<String>, Query(q): Query<Back>) -> Response {
    let lang = Language::from_tag(&lang).unwrap_or(Language::Fr);
    let back = q.retour.filter(|r| is_local_path(r)).unwrap_or_else(|| "/compte".into());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.as_str());
    with_cookie(Redirect::to(&back).into_response(), HeaderValue::from_str(&cookie).expect("ascii"))
}

#[derive(Default)]
pub struct SignupForm {
    csrf: String,
    kind: String,
    name: String,
    email: String,
    phone: String,
    company_name: String,
    siren: String,
    vat_number: String,
    line1: String,
    postcode: String,
    city: String,
    password: String,
    request: super::account::RequestForm,
}

impl SignupForm {
    fn from_fields(f: &super::account::Fields) -> Self {
        SignupForm {
            csrf: f.get("csrf"),
            kind: f.get("kind"),
            name: f.get("name"),
            email: f.get("email"),
            phone: f.get("phone"),
            company_name: f.get("company_name"),
            siren: f.get("siren"),
            vat_number: f.get("vat_number"),
            line1: f.get("line1"),
            postcode: f.get("postcode"),
            city: f.get("city"),
            password: f.get("password"),
            request: super::account::RequestForm::from_fields(f),
        }
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

async fn signup_form(state: &AppState, ctx: &Ctx, f: &SignupForm, err: Option<DomainError>) -> maud::Markup {
    let tr: Tr = ctx.tr;
    let catalogue = state.app.catalogue(true).await.unwrap_or_default();
    let fe = |field: &str| field_error(&err, field);
    html! {
        p { (tr.t("signup.intro")) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        form.card method="post" action="/inscription" enctype="multipart/form-data" data-upload novalidate {
            (csrf_field(ctx))
            (super::account::request_fields(&tr, &catalogue, &f.request, &err))
            fieldset {
                legend { (tr.t("signup.you")) }
                fieldset.inline {
                    legend { (tr.t("signup.kind")) }
                    label { input type="radio" name="kind" value="person" checked[f.kind != "company"]; " " (tr.t("signup.person")) }
                    label { input type="radio" name="kind" value="company" checked[f.kind == "company"]; " " (tr.t("signup.company")) }
                }
                (super::account::text_input("name", tr.t("field.name"), &f.name, "name", true, fe("name")))
                (super::account::text_input("email", tr.t("login.email"), &f.email, "email", true, fe("email")))
                (super::account::text_input("phone", tr.t("field.phone"), &f.phone, "tel", false, fe("phone")))
                (super::account::text_input("company_name", tr.t("field.company"), &f.company_name, "organization", false, fe("company_name")))
                (super::account::text_input("siren", tr.t("field.siren"), &f.siren, "off", false, fe("siren")))
                (super::account::text_input("vat_number", tr.t("field.vat"), &f.vat_number, "off", false, fe("vat_number")))
                (super::account::text_input("line1", tr.t("field.line1"), &f.line1, "street-address", true, fe("billing_address.line1")))
                (super::account::text_input("postcode", tr.t("field.postcode"), &f.postcode, "postal-code", true, fe("billing_address.postcode")))
                (super::account::text_input("city", tr.t("field.city"), &f.city, "address-level2", true, fe("billing_address.city")))
                label for="password" { (tr.t("reset.new")) }
                input #password type="password" name="password" minlength="10" autocomplete="new-password" required
                    aria-invalid=[fe("password").map(|_| "true")];
                @if let Some(m) = fe("password") { p.field-error { (m) } }
            }
            button type="submit" { (tr.t("signup.submit")) }
        }
    }
}

pub async fn signup_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let body = signup_form(&state, &ctx, &SignupForm::default(), None).await;
    page(&ctx, ctx.tr.t("signup.title"), body).into_response()
}

pub async fn signup(State(state): State<AppState>, ctx: Ctx, multipart: axum::extract::Multipart) -> Response {
    let upload = match super::account::read_upload_form(&state, multipart).await {
        Ok(u) => u,
        Err((upload, e)) => {
            let f = SignupForm::from_fields(&upload.fields);
            upload.discard(&state).await;
            let body = signup_form(&state, &ctx, &f, Some(e)).await;
            return (StatusCode::UNPROCESSABLE_ENTITY, page(&ctx, ctx.tr.t("signup.title"), body)).into_response();
        }
    };
    let f = SignupForm::from_fields(&upload.fields);
    if !csrf_ok(&ctx, &f.csrf) {
        upload.discard(&state).await;
        return error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf"));
    }
    let result: Result<_, DomainError> = async {
        let request: NewQuoteRequest = f.request.to_input()?;
        let client = NewClient {
            kind: if f.kind == "company" { ClientKind::Company } else { ClientKind::Person },
            name: f.name.clone(),
            email: f.email.clone(),
            phone: opt(&f.phone),
            company_name: opt(&f.company_name),
            siren: opt(&f.siren),
            siret: None,
            vat_number: opt(&f.vat_number),
            billing_address: Some(Address {
                line1: f.line1.trim().to_string(),
                line2: None,
                postcode: f.postcode.trim().to_string(),
                city: f.city.trim().to_string(),
                country: "FR".into(),
            }),
            language: ctx.tr.0,
        };
        state.app.sign_up_with_request(client, f.password.clone(), request, upload.files.clone()).await
    }
    .await;
    if result.is_err() {
        upload.discard(&state).await;
    }
    match result {
        Ok(user) => match state.app.open_session(&user).await {
            Ok(session) => signed_in_response(&state, &ctx, SignIn::Session(session), "/compte/demandes?ok=1"),
            Err(e) => super::domain_error_page(&ctx, e),
        },
        Err(DomainError::Internal(msg)) => {
            tracing::error!(error = %msg, "signup");
            error_page(&ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title"))
        }
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let body = signup_form(&state, &ctx, &f, Some(e)).await;
            (status, page(&ctx, ctx.tr.t("signup.title"), body)).into_response()
        }
    }
}

//! The studio's public pages: its home (what it does, from its catalogue; the five steps of a
//! project; "Demander un devis"; how to reach it) and its legal texts (CGV, with each version
//! still readable, mentions légales, politique de confidentialité).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use immovr_core::model::{LegalKind, LegalText};
use maud::{Markup, html};

use crate::AppState;
use crate::pages::shared::*;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/", get(home))
        .route("/cgv", get(terms))
        .route("/cgv/v/{version}", get(terms_version))
        .route("/mentions-legales", get(notice_page))
        .route("/confidentialite", get(privacy))
        .route("/confidentialite/v/{version}", get(privacy_version))
        .route("/retractation", get(withdrawal))
}

/// Where a legal text is published.
pub fn legal_path(kind: LegalKind) -> &'static str {
    match kind {
        LegalKind::Terms => "/cgv",
        LegalKind::Notice => "/mentions-legales",
        LegalKind::Privacy => "/confidentialite",
    }
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let tr = ctx.tr;
    let company = state.app.company().await?;
    let catalogue = state.app.catalogue(true).await?;
    let (account, account_label) = match &ctx.user {
        Some(u) if u.is_staff() => ("/gestion", tr.t("home.public.backoffice")),
        Some(_) => ("/compte", tr.t("nav.home")),
        None => ("/connexion", tr.t("home.public.login")),
    };
    let body = html! {
        section.hero aria-labelledby="h-offer" {
            @if company.logo_key.is_some() { img.logo src="/logo" alt="" height="60"; }
            p.lead #h-offer { (tr.t("home.public.lead")) }
            p.hero-actions {
                a.button.cta href="/inscription" { (tr.t("nav.request")) }
                " " a href=(account) { (account_label) }
            }
        }
        section.card aria-labelledby="h-services" {
            h2 #h-services { (tr.t("home.public.services")) }
            ul.offer {
                @for item in &catalogue {
                    li { strong { (item.label(tr.0)) } " — " (tr.t("home.public.from")) " " (tr.money(item.unit_price)) " HT / " (item.unit) }
                }
            }
        }
        section.card aria-labelledby="h-steps" {
            h2 #h-steps { (tr.t("home.public.steps")) }
            ol.steps {
                @for i in 1..=5 {
                    li { strong { (tr.t(&format!("home.step{i}.title"))) } " — " (tr.t(&format!("home.step{i}.text"))) }
                }
            }
        }
        section.card aria-labelledby="h-contact" {
            h2 #h-contact { (tr.t("home.public.contact")) }
            p { strong { (company.trade_name) } " (" (company.legal_name) ")" br;
                (company.address.line1) ", " (company.address.postcode) " " (company.address.city) br;
                a href={ "mailto:" (company.email) } { (company.email) } " · "
                a href={ "tel:" (company.phone.replace(' ', "")) } { (company.phone) } }
        }
    };
    Ok(page(&ctx, &company.trade_name, body).into_response())
}

async fn legal_page(state: &AppState, ctx: &Ctx, text: LegalText) -> PageResult {
    let tr = ctx.tr;
    let title = tr.t(&format!("legal.{}", text.kind.as_str()));
    let versions = match text.kind {
        LegalKind::Terms => state.app.legal_versions(LegalKind::Terms).await?,
        _ => Vec::new(),
    };
    let body = html! {
        p.hint {
            @if text.version == 0 { (tr.t("legal.model")) }
            @else { (tr.t("legal.version")) " " (text.version) " — " (tr.t("legal.published")) " " (date(&tr, text.published_at)) }
        }
        (paragraphs(&text.body))
        @if versions.len() > 1 {
            section.card aria-labelledby="h-versions" {
                h2 #h-versions { (tr.t("legal.versions")) }
                ul { @for v in &versions {
                    li { a href={ "/cgv/v/" (v.version) } aria-current=[(v.version == text.version).then_some("page")] {
                        (tr.t("legal.version")) " " (v.version) } " — " (date(&tr, v.published_at)) }
                } }
            }
        }
    };
    Ok(page(ctx, title, body).into_response())
}

/// A text as typed: a blank line separates paragraphs, a paragraph of one short line without a
/// final period is a heading.
pub fn paragraphs(body: &str) -> Markup {
    html! {
        @for block in body.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
            @if !block.contains('\n') && block.chars().count() <= 80 && !block.ends_with(['.', ')', ':']) {
                h2 { (block) }
            } @else {
                p { @for (i, line) in block.lines().enumerate() { @if i > 0 { br; } (line) } }
            }
        }
    }
}

pub async fn terms(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let text = state.app.legal_text(LegalKind::Terms).await?;
    legal_page(&state, &ctx, text).await
}

pub async fn terms_version(State(state): State<AppState>, ctx: Ctx, Path(version): Path<String>) -> PageResult {
    version_page(&state, &ctx, LegalKind::Terms, &version).await
}

/// A version of the privacy policy (the one a client was shown at sign-up).
pub async fn privacy_version(State(state): State<AppState>, ctx: Ctx, Path(version): Path<String>) -> PageResult {
    version_page(&state, &ctx, LegalKind::Privacy, &version).await
}

async fn version_page(state: &AppState, ctx: &Ctx, kind: LegalKind, version: &str) -> PageResult {
    let Ok(version) = version.parse::<i64>() else {
        return Ok(error_page(ctx, StatusCode::NOT_FOUND, ctx.tr.t("error.not_found")));
    };
    let text = state.app.legal_text_version(kind, version).await?;
    legal_page(state, ctx, text).await
}

pub async fn notice_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let text = state.app.legal_text(LegalKind::Notice).await?;
    legal_page(&state, &ctx, text).await
}

pub async fn privacy(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let text = state.app.legal_text(LegalKind::Privacy).await?;
    legal_page(&state, &ctx, text).await
}

/// A private client's right of withdrawal and the model withdrawal form (consumer code L221-5,
/// annex to R221-1), addressed to the studio.
pub async fn withdrawal(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let tr = ctx.tr;
    let c = state.app.company().await?;
    let a = &c.address;
    let body = html! {
        p { (tr.t("withdrawal.right")) }
        p { (tr.t("withdrawal.how")) " " a href={ "mailto:" (c.email) } { (c.email) } "." }
        p { (tr.t("withdrawal.early_rule")) }
        section.card aria-labelledby="h-model" {
            h2 #h-model { (tr.t("withdrawal.model")) }
            p.hint { (tr.t("withdrawal.model.only")) }
            p { (tr.t("withdrawal.model.to")) " " strong { (c.legal_name) } ", " (a.line1) ", " (a.postcode) " " (a.city) ", " (c.email) " :" }
            p { (tr.t("withdrawal.model.notify")) }
            p { (tr.t("withdrawal.model.ordered")) " ____________________" }
            p { (tr.t("withdrawal.model.name")) " ____________________" }
            p { (tr.t("withdrawal.model.address")) " ____________________" }
            p { (tr.t("withdrawal.model.signature")) " ____________________" }
            p { (tr.t("withdrawal.model.date")) " ____________________" }
            p.hint { (tr.t("withdrawal.model.strike")) }
        }
    };
    Ok(page(&ctx, tr.t("withdrawal.title"), body).into_response())
}

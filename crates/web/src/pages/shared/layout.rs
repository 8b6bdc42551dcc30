//! The page around every view (header, navigation, footer) and the small pieces views share:
//! notices, badges, document links, dates and sizes.

use crate::pages::shared::*;
use axum::response::Html;
use i18n::Tr;
use immovr_core::model::Language;
use maud::DOCTYPE;
use maud::Markup;
use maud::html;

pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Html<String> {
    let tr = ctx.tr;
    let staff = ctx.user.as_ref().is_some_and(|u| u.is_staff());
    let signed_in = ctx.user.is_some();
    // Opened from an email's link: this document only, no menu, no live feed (it is the account's).
    let by_link = ctx.link.is_some();
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
            ("/gestion/plateforme", "bo.nav.platform"),
            ("/gestion/parametres", "bo.nav.settings"),
            ("/gestion/textes-legaux", "bo.nav.legal"),
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
            body data-live=[(signed_in && !by_link).then_some(if staff { "/gestion/evenements" } else { "/compte/evenements" })] {
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
                @if by_link {
                    p.notice.info.by-link {
                        (tr.t("link.notice")) " "
                        a href="/connexion?suivant=/compte" { (tr.t("link.sign_in")) }
                    }
                } @else if signed_in {
                    // A menu that folds on a narrow screen (app.js closes it there; open without it).
                    nav aria-label=(tr.t(if staff { "bo.nav.todo" } else { "nav.home" })) { details.menu open {
                        summary { (tr.t("menu")) }
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
                    } }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p { (tr.t("footer")) }
                    nav.legal aria-label=(tr.t("legal.mentions")) { ul {
                        li { a href="/" { (tr.t("home.public.services")) } }
                        li { a href="/cgv" { (tr.t("legal.cgv")) } }
                        li { a href="/mentions-legales" { (tr.t("legal.mentions")) } }
                        li { a href="/confidentialite" { (tr.t("legal.privacy")) } }
                    } }
                }
            }
        }
    };
    Html(markup.into_string())
}

/// The services a request asks for, by their labels in the page's language (the catalogue's
/// codes mean nothing to a reader; a code no longer in the catalogue shows as itself).
pub fn services(tr: &Tr, catalogue: &[immovr_core::model::CatalogueItem], codes: &[String]) -> String {
    let label = |code: &String| {
        catalogue.iter().find(|c| &c.code == code).map_or_else(|| code.clone(), |c| c.label(tr.0).to_string())
    };
    codes.iter().map(label).collect::<Vec<_>>().join(", ")
}

pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class={ "notice " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}

pub fn badge(tr: &Tr, status: &str) -> Markup {
    html! { span class={ "badge s-" (status) } { (tr.status(status)) } }
}

/// A quote's badge as its client reads it: a refusal that asked for changes is not an end, a
/// new version is being prepared.
pub fn quote_badge(tr: &Tr, q: &immovr_core::model::Quote) -> Markup {
    if q.changes_requested() {
        html! { span class="badge s-changes_requested" { (tr.t("status.changes_requested")) } }
    } else {
        badge(tr, q.status.as_str())
    }
}

/// A purchase order's or an order's badge as its client reads it: what the studio is doing,
/// never as if the client had to act ("À valider" is the studio's word for a pending order).
pub fn client_badge(tr: &Tr, status: &str) -> Markup {
    let key = match status {
        "pending" | "registered" | "in_progress" | "quoted" | "new" => format!("status.client.{status}"),
        other => return badge(tr, other),
    };
    html! { span class={ "badge s-" (status) } { (tr.t(&key)) } }
}

/// An invoice's badge: a cancelled invoice was cancelled by a credit note (and "facture" is
/// feminine).
pub fn invoice_badge(tr: &Tr, status: &str) -> Markup {
    match status {
        "cancelled" => html! { span class="badge s-cancelled" { (tr.t("status.invoice.cancelled")) } },
        other => badge(tr, other),
    }
}

/// A stage's badge: a pending stage is "to plan", not "to validate" like a purchase order.
pub fn stage_badge(tr: &Tr, status: immovr_core::model::StageStatus) -> Markup {
    let s = status.as_str();
    html! { span class={ "badge s-" (s) } { (tr.t(&format!("stage.{s}"))) } }
}

pub fn flash(tr: &Tr, f: &Flash) -> Option<Markup> {
    f.ok.as_deref().map(|_| notice("ok", tr.t("bo.saved")))
}

pub fn date(tr: &Tr, ts: jiff::Timestamp) -> String {
    tr.date(ts.to_zoned(immovr_core::ports::studio_timezone()).date())
}

/// A moment as the studio's clock shows it: the date and the time (hours, minutes).
pub fn date_time(tr: &Tr, ts: jiff::Timestamp) -> String {
    let z = ts.to_zoned(immovr_core::ports::studio_timezone());
    format!("{}, {}", tr.date(z.date()), z.strftime("%H:%M"))
}

pub fn human_size(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} Go", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} Mo", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} ko", b / 1e3)
    } else {
        format!("{bytes} o")
    }
}

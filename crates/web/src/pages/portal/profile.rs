//! The client's profile, its password, and the export of everything the studio holds about it.

use super::*;

fn profile_form(ctx: &Ctx, client: &Client, saved: bool, err: Option<DomainError>) -> Markup {
    let tr = ctx.tr;
    let fe = |f: &str| field_error(&err, f);
    let a = client.billing_address.clone();
    html! {
        @if saved { (notice("ok", tr.t("profile.saved"))) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        form.card method="post" action="/compte/profil" {
            (csrf_field(ctx))
            (text_input("name", tr.t("field.name"), &client.name, "name", true, fe("name")))
            p { (tr.t("login.email")) " : " strong { (client.email) } }
            (text_input("phone", tr.t("field.phone"), client.phone.as_deref().unwrap_or(""), "tel", false, fe("phone")))
            @if client.kind == ClientKind::Company {
                (text_input("company_name", tr.t("field.company"), client.company_name.as_deref().unwrap_or(""), "organization", true, fe("company_name")))
                (text_input("siren", tr.t("field.siren"), client.siren.as_deref().unwrap_or(""), "off", false, fe("siren")))
                (text_input("siret", tr.t("field.siret"), client.siret.as_deref().unwrap_or(""), "off", false, fe("siret")))
                (text_input("vat_number", tr.t("field.vat"), client.vat_number.as_deref().unwrap_or(""), "off", false, fe("vat_number")))
            }
            fieldset {
                legend { (tr.t("field.address")) }
                (text_input("line1", tr.t("field.line1"), a.as_ref().map(|a| a.line1.as_str()).unwrap_or(""), "street-address", true, fe("billing_address.line1")))
                (text_input("postcode", tr.t("field.postcode"), a.as_ref().map(|a| a.postcode.as_str()).unwrap_or(""), "postal-code", true, fe("billing_address.postcode")))
                (text_input("city", tr.t("field.city"), a.as_ref().map(|a| a.city.as_str()).unwrap_or(""), "address-level2", true, fe("billing_address.city")))
            }
            label for="f-language" { (tr.t("field.language")) }
            select #f-language name="language" {
                option value="fr" selected[client.language == Language::Fr] { "Français" }
                option value="en" selected[client.language == Language::En] { "English" }
            }
            label.check { input type="checkbox" name="notify_email" value="on" checked[client.notify_email]; " " (tr.t("field.notify")) }
            button type="submit" { (tr.t("reset.save")) }
        }
        form.card method="post" action="/compte/profil/mot-de-passe" {
            h2 { (tr.t("profile.password")) }
            (csrf_field(ctx))
            label for="current" { (tr.t("profile.current")) }
            input #current type="password" name="current" autocomplete="current-password" required;
            label for="new" { (tr.t("reset.new")) }
            input #new type="password" name="new" minlength="10" autocomplete="new-password" required;
            button type="submit" { (tr.t("reset.save")) }
        }
        section.card aria-labelledby="h-data" {
            h2 #h-data { (tr.t("profile.data")) }
            p { (tr.t("profile.gdpr")) }
            p { a.button href="/compte/donnees" download { (tr.t("profile.export")) } }
        }
    }
}

pub async fn profile(State(state): State<AppState>, c: ClientCtx, Query(flash): Query<Flash>) -> PageResult {
    Ok(match state.app.client(&c.ctx.actor, c.client_id).await {
        Ok(client) => {
            page(&c.ctx, c.ctx.tr.t("profile.title"), profile_form(&c.ctx, &client, flash.ok.is_some(), None))
                .into_response()
        }
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

pub async fn save_profile(
    State(state): State<AppState>,
    c: ClientCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if !csrf_ok(&c.ctx, &f.get("csrf")) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    let opt = |k: &str| Some(f.get(k)).filter(|v| !v.trim().is_empty());
    let update = ProfileUpdate {
        name: f.get("name"),
        phone: opt("phone"),
        company_name: opt("company_name"),
        siren: opt("siren"),
        siret: opt("siret"),
        vat_number: opt("vat_number"),
        billing_address: Some(Address {
            line1: f.get("line1"),
            line2: None,
            postcode: f.get("postcode"),
            city: f.get("city"),
            country: "FR".into(),
        }),
        language: Language::from_tag(&f.get("language")).unwrap_or(Language::Fr),
        notify_email: f.get("notify_email") == "on",
    };
    Ok(match state.app.update_profile(&c.ctx.actor, c.client_id, update).await {
        Ok(_) => {
            // The chosen language applies at once (the cookie would otherwise keep the old one).
            let mut r = Redirect::to("/compte/profil?ok=1").into_response();
            let lang = Language::from_tag(&f.get("language")).unwrap_or(Language::Fr);
            let cookie = format!("{}={}; Path=/; SameSite=Lax; Max-Age=31536000", LANG_COOKIE, lang.as_str());
            r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
            r
        }
        Err(e @ DomainError::Internal(_)) => domain_error_page(&c.ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            match state.app.client(&c.ctx.actor, c.client_id).await {
                Ok(client) => {
                    (status, page(&c.ctx, c.ctx.tr.t("profile.title"), profile_form(&c.ctx, &client, false, Some(e))))
                        .into_response()
                }
                Err(e) => domain_error_page(&c.ctx, e),
            }
        }
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub async fn change_password(State(state): State<AppState>, c: ClientCtx, Form(f): Form<PasswordForm>) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    let Some(user) = c.ctx.user.clone() else { return Ok(Redirect::to("/connexion").into_response()) };
    Ok(match state.app.change_password(&c.ctx.actor, &user, f.current, f.new).await {
        // Every session is closed by the change: sign in again with the new password.
        Ok(()) => Redirect::to("/connexion?ok=reset").into_response(),
        Err(DomainError::BadCredentials) => error_page(&c.ctx, StatusCode::UNAUTHORIZED, c.ctx.tr.t("login.failed")),
        Err(e @ DomainError::Validation { .. }) => error_page(&c.ctx, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

/// Everything the studio holds about this client, as one JSON document (GDPR art. 15 and 20).
pub async fn export(State(state): State<AppState>, c: ClientCtx) -> PageResult {
    let all = state.app.export_client(&c.ctx.actor, c.client_id).await;
    Ok(match all {
        Ok(doc) => {
            let mut r = axum::Json(doc).into_response();
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"immovr-mes-donnees.json\""),
            );
            r
        }
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

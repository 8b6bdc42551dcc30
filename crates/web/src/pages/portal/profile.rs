//! The client's profile, its password, the export of everything the studio holds about it, and
//! its request to be erased.

use super::*;

/// What the client was shown of the privacy policy, and when.
fn consents_block(tr: &Tr, consents: &[Consent]) -> Markup {
    html! {
        @if consents.is_empty() { p { (tr.t("profile.no_consent")) } }
        @for c in consents {
            p { (tr.t("profile.consent")) " " (date(tr, c.shown_at)) " — "
                a href={ "/confidentialite/v/" (c.version) } { (tr.t("legal.version")) " " (c.version) } }
        }
    }
}

/// The profile's forms; `err` refused the details, `password_err` the password change.
fn profile_form(
    ctx: &Ctx,
    client: &Client,
    saved: Option<&str>,
    (err, password_err): (Option<DomainError>, Option<DomainError>),
    consents: &[Consent],
) -> Markup {
    let tr = ctx.tr;
    let errs = FormErrors::new(tr, err.as_ref());
    let a = client.billing_address.clone();
    let fields = html! {
        (csrf_field(ctx))
        (text_input(&errs, ("name", "name"), tr.t("field.name"), &client.name, "name", true))
        p { (tr.t("login.email")) " : " strong { (client.email) } }
        (text_input(&errs, ("phone", "phone"), tr.t("field.phone"), client.phone.as_deref().unwrap_or(""), "tel", false))
        @if client.kind == ClientKind::Company {
            (text_input(&errs, ("company_name", "company_name"), tr.t("field.company"), client.company_name.as_deref().unwrap_or(""), "organization", true))
            (text_input(&errs, ("siren", "siren"), tr.t("field.siren"), client.siren.as_deref().unwrap_or(""), "off", false))
            (text_input(&errs, ("siret", "siret"), tr.t("field.siret"), client.siret.as_deref().unwrap_or(""), "off", false))
            (text_input(&errs, ("vat_number", "vat_number"), tr.t("field.vat"), client.vat_number.as_deref().unwrap_or(""), "off", false))
        }
        fieldset {
            legend { (tr.t("field.address")) }
            (text_input(&errs, ("line1", "billing_address.line1"), tr.t("field.line1"), a.as_ref().map(|a| a.line1.as_str()).unwrap_or(""), "street-address", true))
            (text_input(&errs, ("postcode", "billing_address.postcode"), tr.t("field.postcode"), a.as_ref().map(|a| a.postcode.as_str()).unwrap_or(""), "postal-code", true))
            (text_input(&errs, ("city", "billing_address.city"), tr.t("field.city"), a.as_ref().map(|a| a.city.as_str()).unwrap_or(""), "address-level2", true))
        }
        label for="f-language" { (tr.t("field.language")) }
        select #f-language name="language" {
            option value="fr" selected[client.language == Language::Fr] { "Français" }
            option value="en" selected[client.language == Language::En] { "English" }
        }
        label.check { input type="checkbox" name="notify_email" value="on" checked[client.notify_email]; " " (tr.t("field.notify")) }
        button type="submit" { (tr.t("reset.save")) }
    };
    let pw_errs = FormErrors::new(tr, password_err.as_ref());
    let current_error = pw_errs.at("current", "current", tr.t("profile.current"));
    let new_error = pw_errs.at("password", "new", tr.t("reset.new"));
    let password_fields = html! {
        (csrf_field(ctx))
        label for="current" { (tr.t("profile.current")) }
        input #current type="password" name="current" autocomplete="current-password" required
            aria-invalid=[current_error.as_ref().map(|_| "true")] aria-describedby=[described_by("current", None, &current_error)];
        (field_message("current", &current_error))
        label for="new" { (tr.t("reset.new")) }
        input #new type="password" name="new" minlength="10" autocomplete="new-password" required
            aria-invalid=[new_error.as_ref().map(|_| "true")] aria-describedby=[described_by("new", None, &new_error)];
        (field_message("new", &new_error))
        button type="submit" { (tr.t("reset.save")) }
    };
    html! {
        @if let Some(said) = saved { (notice("ok", said)) }
        (errs.summary())
        form.card method="post" action="/compte/profil" novalidate { (fields) }
        (pw_errs.summary())
        form.card method="post" action="/compte/profil/mot-de-passe" {
            h2 { (tr.t("profile.password")) }
            (password_fields)
        }
        section.card aria-labelledby="h-data" {
            h2 #h-data { (tr.t("profile.data")) }
            p { (tr.t("profile.gdpr")) }
            (consents_block(&tr, consents))
            p { a.button href="/compte/donnees" download { (tr.t("profile.export")) } }
            h3 #h-erasure { (tr.t("erasure.client_title")) }
            @if let Some(at) = client.erasure_requested_at {
                (notice("info", &format!("{} {}", tr.t("erasure.asked_on"), date(&tr, at))))
            } @else {
                p { (tr.t("erasure.client_what")) }
                p { (tr.t("erasure.kept")) }
                form method="post" action="/compte/effacement" aria-labelledby="h-erasure" {
                    (csrf_field(ctx))
                    label.check { input type="checkbox" name="confirm" value="on" required; " " (tr.t("erasure.client_confirm")) }
                    button.danger type="submit" { (tr.t("erasure.client_button")) }
                }
            }
        }
        (crate::pages::auth::everywhere_form(ctx))
    }
}

pub async fn profile(State(state): State<AppState>, c: ClientCtx, Query(flash): Query<Flash>) -> PageResult {
    let consents = state.app.consents(&c.ctx.actor, c.client_id).await?;
    Ok(match state.app.client(&c.ctx.actor, c.client_id).await {
        Ok(client) => {
            let said = match flash.ok.as_deref() {
                Some("erasure") => Some(c.ctx.tr.t("erasure.asked")),
                Some(_) => Some(c.ctx.tr.t("profile.saved")),
                None => None,
            };
            let form = profile_form(&c.ctx, &client, said, (None, None), &consents);
            page(&c.ctx, c.ctx.tr.t("profile.title"), form).into_response()
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
    Ok(match state.app.update_profile(&c.ctx.actor, c.client_id, update.clone()).await {
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
                    // The form as typed: nothing is lost to a refusal.
                    let typed = Client {
                        name: update.name,
                        phone: update.phone,
                        company_name: update.company_name,
                        siren: update.siren,
                        siret: update.siret,
                        vat_number: update.vat_number,
                        billing_address: update.billing_address,
                        language: update.language,
                        notify_email: update.notify_email,
                        ..client
                    };
                    let consents = state.app.consents(&c.ctx.actor, c.client_id).await?;
                    let form = profile_form(&c.ctx, &typed, None, (Some(e), None), &consents);
                    (status, page(&c.ctx, c.ctx.tr.t("profile.title"), form)).into_response()
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
        Err(e @ DomainError::Internal(_)) => domain_error_page(&c.ctx, e),
        Err(e) => {
            // A wrong current password is that field's refusal.
            let (status, e) = match e {
                DomainError::BadCredentials => {
                    (StatusCode::UNAUTHORIZED, DomainError::validation("current", "wrong current password"))
                }
                e => (crate::problem::status_of(&e), e),
            };
            let client = state.app.client(&c.ctx.actor, c.client_id).await?;
            let consents = state.app.consents(&c.ctx.actor, c.client_id).await?;
            let form = profile_form(&c.ctx, &client, None, (None, Some(e)), &consents);
            (status, page(&c.ctx, c.ctx.tr.t("profile.title"), form)).into_response()
        }
    })
}

/// The client asks for its data to be erased (the studio confirms).
pub async fn request_erasure(State(state): State<AppState>, c: ClientCtx, Form(f): Form<CsrfForm>) -> PageResult {
    if !csrf_ok(&c.ctx, &f.csrf) {
        return Ok(error_page(&c.ctx, StatusCode::FORBIDDEN, c.ctx.tr.t("error.csrf")));
    }
    if let Err(refused) = confirmed(&f) {
        let client = state.app.client(&c.ctx.actor, c.client_id).await?;
        let consents = state.app.consents(&c.ctx.actor, c.client_id).await?;
        let form = html! { (notice("error", &error_text(c.ctx.tr, &refused))) (profile_form(&c.ctx, &client, None, (None, None), &consents)) };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&c.ctx, c.ctx.tr.t("profile.title"), form)).into_response());
    }
    Ok(match state.app.request_erasure(&c.ctx.actor, c.client_id).await {
        Ok(_) => back("/compte/profil", "erasure"),
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

/// Everything the studio holds about this client, as a ZIP archive: its records
/// (`donnees.json`) and its files (GDPR art. 15 and 20).
pub async fn export(State(state): State<AppState>, c: ClientCtx) -> PageResult {
    Ok(match state.app.export_archive(&c.ctx.actor, c.client_id).await {
        Ok(export) => crate::export::client_archive(state.app.clone(), Scope::Client(c.client_id), export),
        Err(e) => domain_error_page(&c.ctx, e),
    })
}

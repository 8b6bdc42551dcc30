//! Sign-up: a new client's details and its first quote request (with plans and photos), in one
//! step.

use super::*;

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
    /// The version of the privacy policy the form presented.
    privacy_version: String,
    request: RequestForm,
}

impl SignupForm {
    fn from_fields(f: &Fields) -> Self {
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
            privacy_version: f.get("privacy_version"),
            request: RequestForm::from_fields(f),
        }
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl SignupForm {
    fn client(&self, language: Language) -> NewClient {
        NewClient {
            kind: if self.kind == "company" { ClientKind::Company } else { ClientKind::Person },
            name: self.name.clone(),
            email: self.email.clone(),
            phone: opt(&self.phone),
            company_name: opt(&self.company_name),
            siren: opt(&self.siren),
            siret: None,
            vat_number: opt(&self.vat_number),
            billing_address: Some(Address {
                line1: self.line1.trim().to_string(),
                line2: None,
                postcode: self.postcode.trim().to_string(),
                city: self.city.trim().to_string(),
                country: "FR".into(),
            }),
            language,
        }
    }
}

async fn signup_form(
    state: &AppState,
    ctx: &Ctx,
    f: &SignupForm,
    err: Option<DomainError>,
) -> Result<maud::Markup, DomainError> {
    let tr: Tr = ctx.tr;
    let catalogue = state.app.catalogue(true).await?;
    let errs = FormErrors::new(tr, err.as_ref());
    let company = f.kind == "company";
    // The policy in force, or, shown again after a refusal, the one the form presented.
    let privacy_version = match f.privacy_version.trim().parse::<i64>() {
        Ok(v) if v >= 0 => v,
        _ => state.app.legal_text(immovr_core::model::LegalKind::Privacy).await?.version,
    };
    let fields = html! {
        (csrf_field(ctx))
        (request_fields(&tr, &catalogue, &f.request, &errs))
        fieldset {
            legend { (tr.t("signup.you")) }
            fieldset.inline {
                legend { (tr.t("signup.kind")) }
                label { input type="radio" name="kind" value="person" checked[!company] data-shows="company"; " " (tr.t("signup.person")) }
                label { input type="radio" name="kind" value="company" checked[company] data-shows="company"; " " (tr.t("signup.company")) }
            }
            (text_input(&errs, ("name", "name"), tr.t("field.name"), &f.name, "name", true))
            (text_input(&errs, ("email", "email"), tr.t("login.email"), &f.email, "email", true))
            (text_input(&errs, ("phone", "phone"), tr.t("field.phone"), &f.phone, "tel", false))
            div.company-fields data-when="company" {
                (text_input(&errs, ("company_name", "company_name"), tr.t("field.company"), &f.company_name, "organization", false))
                (text_input(&errs, ("siren", "siren"), tr.t("field.siren"), &f.siren, "off", false))
                (text_input(&errs, ("vat_number", "vat_number"), tr.t("field.vat"), &f.vat_number, "off", false))
            }
            (text_input(&errs, ("line1", "billing_address.line1"), tr.t("field.line1"), &f.line1, "street-address", true))
            (text_input(&errs, ("postcode", "billing_address.postcode"), tr.t("field.postcode"), &f.postcode, "postal-code", true))
            (text_input(&errs, ("city", "billing_address.city"), tr.t("field.city"), &f.city, "address-level2", true))
            @let password_error = errs.at("password", "password", tr.t("login.password"));
            label for="password" { (tr.t("reset.new")) }
            input #password type="password" name="password" minlength="10" autocomplete="new-password" required
                aria-invalid=[password_error.as_ref().map(|_| "true")] aria-describedby=[described_by("password", None, &password_error)];
            (field_message("password", &password_error))
        }
        // The version presented is the one recorded with the account.
        input type="hidden" name="privacy_version" value=(privacy_version);
        p.hint #signup-privacy { (tr.t("signup.privacy")) " " a href={ "/confidentialite/v/" (privacy_version) } { (tr.t("legal.privacy")) } }
        button type="submit" { (tr.t("signup.submit")) }
    };
    Ok(html! {
        p { (tr.t("signup.intro")) }
        (errs.summary())
        form.card method="post" action="/inscription" enctype="multipart/form-data" data-upload novalidate {
            (fields)
        }
    })
}

/// After a sign-up: the confirmation link is on its way.
pub async fn sent_page(ctx: Ctx) -> PageResult {
    let tr = ctx.tr;
    Ok(page(
        &ctx,
        tr.t("signup.sent.title"),
        html! {
            (notice("ok", tr.t("signup.sent")))
            p { (tr.t("signup.sent.help")) }
            p { a href="/connexion" { (tr.t("login.submit")) } }
        },
    )
    .into_response())
}

/// The emailed confirmation: creates the account and signs it in.
pub async fn confirm(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    Ok(match state.app.confirm_sign_up(&token).await {
        Ok(Some(c)) => {
            let next = if c.request { "/compte/demandes?ok=1" } else { "/compte" };
            signed_in_response(&state, &ctx, c.sign_in, next)
        }
        Ok(None) => error_page(&ctx, StatusCode::GONE, ctx.tr.t("signup.invalid")),
        Err(e) => domain_error_page(&ctx, e),
    })
}

pub async fn signup_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let body = signup_form(&state, &ctx, &SignupForm::default(), None).await?;
    Ok(page(&ctx, ctx.tr.t("signup.title"), body).into_response())
}

pub async fn signup(
    State(state): State<AppState>,
    ctx: Ctx,
    ip: crate::extract::ClientIp,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let refused_form = async |f: &SignupForm, e: DomainError| -> PageResult {
        let status = crate::problem::status_of(&e);
        let body = signup_form(&state, &ctx, f, Some(e)).await?;
        Ok((status, page(&ctx, ctx.tr.t("signup.title"), body)).into_response())
    };
    let upload = match read_upload_form(&state, multipart, Upload::Attachments).await {
        Ok(u) => u,
        Err((upload, e)) => {
            let mut f = SignupForm::from_fields(&upload.fields);
            if !csrf_ok(&ctx, &f.csrf) {
                upload.discard(&state).await;
                return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
            }
            // The good files are kept for the next try, as is everything typed — within the
            // sign-ups' rate: files kept for anonymous forms are bounded like sign-ups.
            if upload.files.is_empty() || state.limits.allow_signup(&ip.0) {
                f.request.kept = upload.keep(&state).await;
            } else {
                upload.discard(&state).await;
            }
            // Every other refusal with the file's: nothing typed is lost, nothing is asked twice.
            let (request, mut checks) = f.request.to_input();
            checks.add(e.clone());
            let all = state.app.check_sign_up_form(checks, &f.client(ctx.tr.0), &f.password, Some(&request));
            return refused_form(&f, all.err().unwrap_or(e)).await;
        }
    };
    let mut f = SignupForm::from_fields(&upload.fields);
    if !csrf_ok(&ctx, &f.csrf) {
        upload.discard(&state).await;
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if !state.limits.allow_signup(&ip.0) {
        upload.discard(&state).await;
        return Ok(error_page(&ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited")));
    }
    let (request, checks) = f.request.to_input();
    let client = f.client(ctx.tr.0);
    let result = match checks.is_empty() {
        true => {
            let shown = f.privacy_version.trim().parse().ok();
            state.app.sign_up_shown(client, f.password.clone(), Some((request, upload.files.clone())), shown).await
        }
        false => state.app.check_sign_up_form(checks, &client, &f.password, Some(&request)),
    };
    if matches!(result, Err(DomainError::Internal(_))) {
        upload.discard(&state).await;
    } else if result.is_err() {
        f.request.kept = upload.keep(&state).await;
    }
    match result {
        // The same page whether or not the address has an account: the email says which.
        Ok(()) => Ok(Redirect::to("/inscription/envoyee").into_response()),
        Err(DomainError::Internal(msg)) => {
            tracing::error!(error = %msg, "signup");
            Ok(error_page(&ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title")))
        }
        Err(e) => refused_form(&f, e).await,
    }
}

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
            request: RequestForm::from_fields(f),
        }
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

async fn signup_form(
    state: &AppState,
    ctx: &Ctx,
    f: &SignupForm,
    err: Option<DomainError>,
) -> Result<maud::Markup, DomainError> {
    let tr: Tr = ctx.tr;
    let catalogue = state.app.catalogue(true).await?;
    let fe = |field: &str| field_error(&err, field);
    Ok(html! {
        p { (tr.t("signup.intro")) }
        @if let Some(e) = &err { (notice("error", &e.to_string())) }
        form.card method="post" action="/inscription" enctype="multipart/form-data" data-upload novalidate {
            (csrf_field(ctx))
            (request_fields(&tr, &catalogue, &f.request, &err))
            fieldset {
                legend { (tr.t("signup.you")) }
                fieldset.inline {
                    legend { (tr.t("signup.kind")) }
                    label { input type="radio" name="kind" value="person" checked[f.kind != "company"]; " " (tr.t("signup.person")) }
                    label { input type="radio" name="kind" value="company" checked[f.kind == "company"]; " " (tr.t("signup.company")) }
                }
                (text_input("name", tr.t("field.name"), &f.name, "name", true, fe("name")))
                (text_input("email", tr.t("login.email"), &f.email, "email", true, fe("email")))
                (text_input("phone", tr.t("field.phone"), &f.phone, "tel", false, fe("phone")))
                (text_input("company_name", tr.t("field.company"), &f.company_name, "organization", false, fe("company_name")))
                (text_input("siren", tr.t("field.siren"), &f.siren, "off", false, fe("siren")))
                (text_input("vat_number", tr.t("field.vat"), &f.vat_number, "off", false, fe("vat_number")))
                (text_input("line1", tr.t("field.line1"), &f.line1, "street-address", true, fe("billing_address.line1")))
                (text_input("postcode", tr.t("field.postcode"), &f.postcode, "postal-code", true, fe("billing_address.postcode")))
                (text_input("city", tr.t("field.city"), &f.city, "address-level2", true, fe("billing_address.city")))
                label for="password" { (tr.t("reset.new")) }
                input #password type="password" name="password" minlength="10" autocomplete="new-password" required
                    aria-invalid=[fe("password").map(|_| "true")];
                @if let Some(m) = fe("password") { p.field-error { (m) } }
            }
            button type="submit" { (tr.t("signup.submit")) }
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
    let upload = match read_upload_form(&state, multipart, Upload::Attachments).await {
        Ok(u) => u,
        Err((upload, e)) => {
            let f = SignupForm::from_fields(&upload.fields);
            upload.discard(&state).await;
            let body = signup_form(&state, &ctx, &f, Some(e)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&ctx, ctx.tr.t("signup.title"), body)).into_response());
        }
    };
    let f = SignupForm::from_fields(&upload.fields);
    if !csrf_ok(&ctx, &f.csrf) {
        upload.discard(&state).await;
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    if !state.limits.allow_signup(&ip.0) {
        upload.discard(&state).await;
        return Ok(error_page(&ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited")));
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
        state.app.sign_up(client, f.password.clone(), Some((request, upload.files.clone()))).await
    }
    .await;
    if result.is_err() {
        upload.discard(&state).await;
    }
    Ok(match result {
        // The same page whether or not the address has an account: the email says which.
        Ok(()) => Redirect::to("/inscription/envoyee").into_response(),
        Err(DomainError::Internal(msg)) => {
            tracing::error!(error = %msg, "signup");
            error_page(&ctx, StatusCode::INTERNAL_SERVER_ERROR, ctx.tr.t("error.title"))
        }
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let body = signup_form(&state, &ctx, &f, Some(e)).await?;
            (status, page(&ctx, ctx.tr.t("signup.title"), body)).into_response()
        }
    })
}

//! The second factor at sign-in: the 6-digit code of the staff member's authenticator app,
//! checked against the server's clock (one step of skew allowed).

use super::*;

#[derive(Deserialize)]
pub struct CodeQuery {
    jeton: String,
    suivant: Option<String>,
}

fn code_form(ctx: &Ctx, token: &str, next: &str, error: Option<&str>) -> maud::Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(e) = error { (notice("error", e)) }
        p { (tr.t("totp.help")) }
        form.card method="post" action="/connexion/code" {
            (csrf_field(ctx))
            input type="hidden" name="jeton" value=(token);
            input type="hidden" name="suivant" value=(next);
            label for="code" { (tr.t("totp.code")) }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required;
            button type="submit" { (tr.t("login.submit")) }
        }
    }
}

pub async fn code_page(ctx: Ctx, Query(q): Query<CodeQuery>) -> PageResult {
    let next = q.suivant.unwrap_or_else(|| "/gestion".into());
    Ok(page(&ctx, ctx.tr.t("totp.title"), code_form(&ctx, &q.jeton, &next, None)).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    jeton: String,
    code: String,
    #[serde(default)]
    suivant: String,
}

pub async fn check_code(State(state): State<AppState>, ctx: Ctx, ip: ClientIp, Form(f): Form<CodeForm>) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    let next = if f.suivant.starts_with("/gestion") && !f.suivant.contains("//") {
        f.suivant.clone()
    } else {
        "/gestion".into()
    };
    // Codes have their own count per token's account, apart from password attempts.
    if !state.limits.allow_login(&ip.0, &format!("totp:{}", f.jeton)) {
        return Ok(error_page(&ctx, StatusCode::TOO_MANY_REQUESTS, ctx.tr.t("login.limited")));
    }
    Ok(match state.app.second_factor(&f.jeton, &f.code).await {
        Ok(Some(Ok(session))) => signed_in_response(&state, &ctx, SignIn::Session(session), &next),
        // Wrong code: a fresh wait, the form again.
        Ok(Some(Err(SignIn::CodeNeeded { token, .. }))) => {
            let body = code_form(&ctx, &token, &next, Some(ctx.tr.t("totp.wrong")));
            (StatusCode::UNAUTHORIZED, page(&ctx, ctx.tr.t("totp.title"), body)).into_response()
        }
        Ok(Some(Err(signed_in))) => signed_in_response(&state, &ctx, signed_in, &next),
        Ok(None) => (StatusCode::GONE, page(&ctx, ctx.tr.t("totp.title"), html! { (notice("error", ctx.tr.t("totp.expired"))) p { a href="/connexion" { (ctx.tr.t("login.submit")) } } })).into_response(),
        Err(e) => domain_error_page(&ctx, e),
    })
}

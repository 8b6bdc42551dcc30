//! Staff accounts and their roles (admin), and each staff member's second factor.

use super::*;
use axum::http::{HeaderValue, header};

fn users_page(
    ctx: &Ctx,
    users: &[User],
    fl: Option<Markup>,
    err: Option<&DomainError>,
    created: Option<&str>,
) -> Markup {
    let tr = ctx.tr;
    html! {
        @if let Some(f) = fl { (f) }
        (FormErrors::new(tr, err).summary())
        @if let Some(p) = created { (notice("ok", &format!("{} {p}", tr.t("bo.user_created")))) }
        div.table-wrap tabindex="0" { table {
            thead { tr { th scope="col" { (tr.t("field.name")) } th scope="col" { (tr.t("login.email")) } th scope="col" { (tr.t("bo.roles")) } } }
            tbody { @for u in users { tr {
                td { (u.name) } td { (u.email) }
                td {
                    form.inline method="post" action={ "/gestion/utilisateurs/" (u.id) } {
                        (csrf_field(ctx))
                        @for r in Role::ALL {
                            label.check { input type="checkbox" name="role" value=(r.as_str()) checked[u.roles.contains(r)]; " " (tr.t(&format!("bo.role.{}", r.as_str()))) }
                        }
                        button type="submit" { (tr.t("reset.save")) " " span.sr { (u.email) } }
                    }
                }
            } } }
        } }
        form.card method="post" action="/gestion/utilisateurs" {
            h2 { (tr.t("bo.user_new")) }
            (csrf_field(ctx))
            label for="u-name" { (tr.t("field.name")) } input #u-name type="text" name="name" required;
            label for="u-email" { (tr.t("login.email")) } input #u-email type="email" name="email" required;
            fieldset { legend { (tr.t("bo.roles")) }
                @for r in Role::ALL { label.check { input type="checkbox" name="role" value=(r.as_str()); " " (tr.t(&format!("bo.role.{}", r.as_str()))) } } }
            button type="submit" { (tr.t("bo.add")) }
        }
    }
}

pub async fn users(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> PageResult {
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)));
    }
    let list = state.app.staff_users(&ctx.actor).await?;
    Ok(page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, flash(&ctx.tr, &fl), None, None)).into_response())
}

fn roles_of(f: &Fields) -> Vec<Role> {
    f.all("role").iter().filter_map(|r| Role::ALL.iter().copied().find(|k| k.as_str() == r)).collect()
}

pub async fn create_user(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return Ok(r);
    }
    // A first password is generated and shown once; the person changes it with a reset link.
    let result = state.app.add_staff_member(&ctx.actor, f.get("email"), f.get("name"), roles_of(&f), None).await;
    let list = state.app.staff_users(&ctx.actor).await?;
    Ok(match result {
        Ok((u, password)) => page(
            &ctx,
            ctx.tr.t("bo.nav.users"),
            users_page(&ctx, &list, None, None, Some(&format!("{} : {}", u.email, password.unwrap_or_default()))),
        )
        .into_response(),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => (
            crate::problem::status_of(&e),
            page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, None, Some(&e), None)),
        )
            .into_response(),
    })
}

pub async fn update_roles(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Path(id): Path<Id>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return Ok(r);
    }
    Ok(match state.app.set_roles(&ctx.actor, id, roles_of(&f)).await {
        Ok(_) => back("/gestion/utilisateurs", "saved"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let list = state.app.staff_users(&ctx.actor).await?;
            (
                crate::problem::status_of(&e),
                page(&ctx, ctx.tr.t("bo.nav.users"), users_page(&ctx, &list, None, Some(&e), None)),
            )
                .into_response()
        }
    })
}

pub async fn security(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> PageResult {
    let tr = ctx.tr;
    let Some(user) = ctx.user.clone() else { return Ok(Redirect::to("/connexion").into_response()) };
    let enabled = state.app.has_second_factor(&user).await?;
    let body = if enabled {
        html! {
            @if let Some(f) = flash(&tr, &fl) { (f) }
            (notice("ok", tr.t("totp.on")))
            form.card method="post" action="/gestion/securite/desactiver" {
                (csrf_field(&ctx))
                label for="code" { (tr.t("totp.code")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button.refuse type="submit" { (tr.t("totp.disable")) }
            }
        }
    } else {
        let (secret, uri) = immovr_app::auth::new_totp_secret("ImmoVr", &user.email);
        html! {
            @if let Some(f) = flash(&tr, &fl) { (f) }
            p { (tr.t("totp.setup")) }
            dl.facts { dt { (tr.t("totp.key")) } dd { code.hash #totp-secret { (secret) } } dt { "URI" } dd { code.hash { (uri) } } }
            form.card method="post" action="/gestion/securite" {
                (csrf_field(&ctx))
                input type="hidden" name="secret" value=(secret);
                label for="code" { (tr.t("totp.code")) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button type="submit" { (tr.t("totp.enable")) }
            }
        }
    };
    let body = html! { (body) (crate::pages::auth::everywhere_form(&ctx)) };
    let mut r = page(&ctx, tr.t("bo.nav.security"), body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[derive(Deserialize)]
pub struct EnableForm {
    csrf: String,
    #[serde(default)]
    secret: String,
    code: String,
}

pub async fn enable(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Form(f): Form<EnableForm>) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    let Some(user) = ctx.user.clone() else { return Ok(Redirect::to("/connexion").into_response()) };
    Ok(match state.app.enable_second_factor(&ctx.actor, &user, &f.secret, &f.code).await {
        Ok(()) => back("/gestion/securite", "on"),
        Err(DomainError::Validation { .. }) => {
            error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"))
        }
        Err(e) => domain_error_page(&ctx, e),
    })
}

pub async fn disable(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Form(f): Form<EnableForm>) -> PageResult {
    if !csrf_ok(&ctx, &f.csrf) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")));
    }
    let Some(user) = ctx.user.clone() else { return Ok(Redirect::to("/connexion").into_response()) };
    Ok(match state.app.disable_second_factor(&ctx.actor, &user, &f.code).await {
        Ok(()) => back("/gestion/securite", "off"),
        Err(DomainError::Validation { .. }) => {
            error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("totp.wrong"))
        }
        Err(e) => domain_error_page(&ctx, e),
    })
}

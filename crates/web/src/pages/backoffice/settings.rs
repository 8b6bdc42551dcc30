//! The studio's settings (identity, bank details, numbering, VAT rates, terms, stages) and its
//! logo.

use super::*;
use immovr_core::Checks;
use immovr_core::model::VatRegime;

/// The settings form; after a refusal, `typed` is what was typed (shown again as it was).
fn settings_form(
    ctx: &Ctx,
    c: &CompanySettings,
    fl: Option<Markup>,
    err: Option<&DomainError>,
    typed: Option<&Fields>,
) -> Markup {
    let tr = ctx.tr;
    let errs = FormErrors::new(tr, err);
    // The setting a field edits, as the domain names it.
    let domain = |name: &str| match name {
        "line1" | "postcode" | "city" => format!("address.{name}"),
        n if n.starts_with("cheque_") && ["line1", "postcode", "city"].contains(&&n[7..]) => {
            format!("cheque_address.{}", &n[7..])
        }
        "electronic_address" => "einvoicing.electronic_address".into(),
        n => n.to_string(),
    };
    let field = |name: &str, label: &str, value: &str| {
        let id = format!("s-{name}");
        let error = errs.at(&domain(name), &id, label);
        let value = typed.map(|f| f.get(name)).unwrap_or_else(|| value.to_string());
        html! {
            label for=(id) { (label) }
            input id=(id) type="text" name=(name) value=(value)
                aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described_by(&id, None, &error)];
            (field_message(&id, &error))
        }
    };
    let area = |name: &str, label: &str, value: String| {
        let id = format!("s-{name}");
        let error = errs.at(name, &id, label);
        let value = typed.map(|f| f.get(name)).unwrap_or(value);
        html! {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="5" aria-invalid=[error.as_ref().map(|_| "true")]
                aria-describedby=[described_by(&id, None, &error)] { (value) }
            (field_message(&id, &error))
        }
    };
    let rates: Vec<String> = c.vat_rates.iter().map(|r| r.normalize().to_string()).collect();
    let stages: Vec<String> =
        c.stage_template.iter().map(|s| format!("{} | {} | {}", s.code, s.label_fr, s.label_en)).collect();
    let auto_validate = typed.map(|f| f.get("auto_validate") == "on").unwrap_or(c.auto_validate_purchase_orders);
    let e = &c.einvoicing;
    let debits = typed.map(|f| f.get("vat_on_debits") == "on").unwrap_or(e.vat_on_debits);
    let category = typed.map(|f| f.get("category")).unwrap_or_else(|| e.category.as_str().to_string());
    let regime = typed.map(|f| f.get("vat_regime")).unwrap_or_else(|| e.vat_regime.as_str().to_string());
    let form = html! {
        form.card method="post" action="/gestion/parametres/logo" enctype="multipart/form-data" {
            (csrf_field(ctx))
            @if c.logo_key.is_some() { p { img.logo src="/logo" alt=(c.trade_name) height="60"; } }
            label for="s-logo" { (tr.t("bo.logo")) }
            input #s-logo type="file" name="logo" accept="image/png,image/jpeg,image/webp" required;
            button type="submit" { (tr.t("bo.logo.save")) }
        }
        form.card method="post" action="/gestion/parametres" {
            (csrf_field(ctx))
            fieldset { legend { (tr.t("bo.identity")) }
                (field("trade_name", tr.t("bo.trade_name"), &c.trade_name))
                (field("legal_name", tr.t("bo.legal_name"), &c.legal_name))
                (field("legal_form", tr.t("bo.legal_form"), &c.legal_form))
                (field("share_capital", tr.t("bo.capital"), &c.share_capital))
                (field("siren", tr.t("field.siren"), &c.siren))
                (field("siret", tr.t("field.siret"), &c.siret))
                (field("rcs", "RCS", &c.rcs))
                (field("vat_number", tr.t("field.vat"), &c.vat_number))
                (field("email", tr.t("login.email"), &c.email))
                (field("phone", tr.t("field.phone"), &c.phone))
                (field("line1", tr.t("field.line1"), &c.address.line1))
                (field("postcode", tr.t("field.postcode"), &c.address.postcode))
                (field("city", tr.t("field.city"), &c.address.city))
            }
            fieldset { legend { (tr.t("bo.payment")) }
                (field("iban", "IBAN", &c.iban))
                (field("bic", "BIC", &c.bic))
                (field("account_holder", tr.t("invoice.holder"), &c.account_holder))
                (field("cheque_payee", tr.t("invoice.cheque_to"), &c.cheque_payee))
                (field("cheque_line1", tr.t("invoice.cheque_address"), &c.cheque_address.line1))
                (field("cheque_postcode", tr.t("field.postcode"), &c.cheque_address.postcode))
                (field("cheque_city", tr.t("field.city"), &c.cheque_address.city))
                (field("payment_terms_days", tr.t("bo.payment_terms"), &c.payment_terms_days.to_string()))
                (area("late_payment_wording", tr.t("bo.late_wording"), c.late_payment_wording.clone()))
            }
            fieldset { legend { (tr.t("bo.numbering")) }
                (field("quote_prefix", tr.t("quote.number"), &c.quote_prefix))
                (field("purchase_order_prefix", tr.t("order.po"), &c.purchase_order_prefix))
                (field("invoice_prefix", tr.t("invoice.number"), &c.invoice_prefix))
                (field("credit_note_prefix", tr.t("bo.credit_note_short"), &c.credit_note_prefix))
                (field("vat_rates", tr.t("bo.vat_rates"), &rates.join(", ")))
                (field("default_vat_rate", tr.t("bo.default_vat"), &c.default_vat_rate.normalize().to_string()))
                (field("quote_validity_days", tr.t("bo.validity_days"), &c.quote_validity_days.to_string()))
                label.check { input type="checkbox" name="auto_validate" value="on" checked[auto_validate]; " " (tr.t("bo.auto_validate")) }
                (area("stage_template", tr.t("bo.stage_template"), stages.join("\n")))
            }
            // What the French e-invoicing reform asks of invoices (from September 2027).
            fieldset { legend { (tr.t("bo.einvoicing")) }
                p.hint { (tr.t("bo.einvoicing.help")) }
                label for="s-category" { (tr.t("bo.category")) }
                select #s-category name="category" {
                    @for k in OperationCategory::ALL {
                        option value=(k.as_str()) selected[category == k.as_str()] { (tr.t(&format!("bo.category.{}", k.as_str()))) }
                    }
                }
                label.check { input type="checkbox" name="vat_on_debits" value="on" checked[debits]; " " (tr.t("bo.vat_on_debits")) }
                (field("electronic_address", tr.t("bo.electronic_address"), e.electronic_address.as_deref().unwrap_or("")))
                p.hint { (tr.t("bo.electronic_address.help")) }
                label for="s-vat-regime" { (tr.t("settings.vat_regime")) }
                select #s-vat-regime name="vat_regime" {
                    @for k in VatRegime::ALL {
                        option value=(k.as_str()) selected[regime == k.as_str()] { (tr.t(&format!("settings.vat_regime.{}", k.as_str()))) }
                    }
                }
            }
            button type="submit" { (tr.t("reset.save")) }
        }
    };
    html! {
        @if let Some(f) = fl { (f) }
        (errs.summary())
        @if c.demo { (notice("warn", tr.t("bo.demo_settings"))) }
        (form)
    }
}

pub async fn settings(State(state): State<AppState>, StaffCtx(ctx): StaffCtx, Query(fl): Query<Flash>) -> PageResult {
    if let Err(e) = ctx.actor.require(Role::Admin) {
        return Ok(error_page(&ctx, StatusCode::FORBIDDEN, &error_text(ctx.tr, &e)));
    }
    Ok(match state.app.company().await {
        Ok(c) => page(&ctx, ctx.tr.t("bo.nav.settings"), settings_form(&ctx, &c, flash(&ctx.tr, &fl), None, None))
            .into_response(),
        Err(e) => domain_error_page(&ctx, e),
    })
}

/// The settings as typed, with the refusals of what could not be read (kept as they were).
fn read_settings(mut c: CompanySettings, f: &Fields) -> (CompanySettings, Checks) {
    let mut checks = Checks::new();
    let int =
        |name: &str| f.get(name).trim().parse::<i64>().map_err(|_| DomainError::validation(name, "a whole number"));
    c.trade_name = f.get("trade_name");
    c.legal_name = f.get("legal_name");
    c.legal_form = f.get("legal_form");
    c.share_capital = f.get("share_capital");
    c.siren = f.get("siren");
    c.siret = f.get("siret");
    c.rcs = f.get("rcs");
    c.vat_number = f.get("vat_number");
    c.email = f.get("email");
    c.phone = f.get("phone");
    c.address.line1 = f.get("line1");
    c.address.postcode = f.get("postcode");
    c.address.city = f.get("city");
    c.iban = f.get("iban");
    c.bic = f.get("bic");
    c.account_holder = f.get("account_holder");
    c.cheque_payee = f.get("cheque_payee");
    c.cheque_address.line1 = f.get("cheque_line1");
    c.cheque_address.postcode = f.get("cheque_postcode");
    c.cheque_address.city = f.get("cheque_city");
    c.payment_terms_days = int("payment_terms_days").unwrap_or_else(|e| {
        checks.add(e);
        c.payment_terms_days
    });
    c.late_payment_wording = f.get("late_payment_wording");
    c.quote_prefix = f.get("quote_prefix");
    c.purchase_order_prefix = f.get("purchase_order_prefix");
    c.invoice_prefix = f.get("invoice_prefix");
    c.credit_note_prefix = f.get("credit_note_prefix");
    c.vat_rates = f
        .get("vat_rates")
        .split([',', ';'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| dec("vat_rates", s))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            checks.add(e);
            c.vat_rates.clone()
        });
    c.default_vat_rate = dec("default_vat_rate", &f.get("default_vat_rate")).unwrap_or_else(|e| {
        checks.add(e);
        c.default_vat_rate
    });
    c.quote_validity_days = int("quote_validity_days").unwrap_or_else(|e| {
        checks.add(e);
        c.quote_validity_days
    });
    c.auto_validate_purchase_orders = f.get("auto_validate") == "on";
    c.einvoicing.vat_on_debits = f.get("vat_on_debits") == "on";
    match (f.get("category"), OperationCategory::ALL.iter().find(|k| k.as_str() == f.get("category"))) {
        (_, Some(k)) => c.einvoicing.category = *k,
        (sent, None) if !sent.is_empty() => checks.refuse("einvoicing.category", "services, goods or mixed"),
        _ => {}
    }
    c.einvoicing.electronic_address = Some(f.get("electronic_address")).filter(|a| !a.trim().is_empty());
    match (f.get("vat_regime"), VatRegime::ALL.iter().find(|k| k.as_str() == f.get("vat_regime"))) {
        (_, Some(k)) => c.einvoicing.vat_regime = *k,
        (sent, None) if !sent.is_empty() => {
            checks.refuse("einvoicing.vat_regime", "normal_monthly, normal_quarterly, simplified or franchise")
        }
        _ => {}
    }
    c.stage_template = f
        .get("stage_template")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [code, fr, en] if !code.is_empty() && !fr.is_empty() => {
                    Ok(StageTemplate { code: code.to_string(), label_fr: fr.to_string(), label_en: en.to_string() })
                }
                _ => Err(DomainError::validation("stage_template", "one stage a line: code | libellé | label")),
            }
        })
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            checks.add(e);
            c.stage_template.clone()
        });
    c.demo = false;
    (c, checks)
}

pub async fn save_settings(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(fields);
    if let Some(r) = refused(&ctx, &f.get("csrf"), Role::Admin) {
        return Ok(r);
    }
    let current = state.app.company().await?;
    let result = match read_settings(current.clone(), &f) {
        (c, checks) if checks.is_empty() => state.app.set_company(&ctx.actor, c).await,
        (c, checks) => immovr_app::settings::check_company_form(checks, c),
    };
    Ok(match result {
        Ok(()) => back("/gestion/parametres", "saved"),
        Err(e @ DomainError::Internal(_)) => domain_error_page(&ctx, e),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            (status, page(&ctx, ctx.tr.t("bo.nav.settings"), settings_form(&ctx, &current, None, Some(&e), Some(&f))))
                .into_response()
        }
    })
}

/// The company logo: an image checked by its content, kept in the file store.
pub async fn upload_logo(
    State(state): State<AppState>,
    StaffCtx(ctx): StaffCtx,
    mut multipart: axum::extract::Multipart,
) -> PageResult {
    let mut checked = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("csrf") {
            let token = field.text().await.unwrap_or_default();
            if let Some(r) = refused(&ctx, &token, Role::Admin) {
                return Ok(r);
            }
            checked = true;
            continue;
        }
        if !checked || field.name() != Some("logo") {
            continue;
        }
        return Ok(match state.app.set_logo(&ctx.actor, crate::byte_stream(field)).await {
            Ok(()) => back("/gestion/parametres", "logo"),
            Err(e @ DomainError::Validation { .. }) if e.to_string().contains("image") => {
                error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, ctx.tr.t("bo.logo"))
            }
            Err(e @ DomainError::Validation { .. }) => {
                error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &error_text(ctx.tr, &e))
            }
            Err(e) => domain_error_page(&ctx, e),
        });
    }
    Ok(error_page(&ctx, StatusCode::FORBIDDEN, ctx.tr.t("error.csrf")))
}

/// The logo, public: it is printed on every document.
pub async fn logo(State(state): State<AppState>, headers: axum::http::HeaderMap) -> PageResult {
    Ok(match state.app.company().await {
        Ok(CompanySettings { logo_key: Some(key), logo_content_type, .. }) => {
            let content_type = logo_content_type.unwrap_or_else(|| "image/png".into());
            let mut r = crate::download::serve_file(&state.app, &key, &headers, "logo", &content_type).await;
            r.headers_mut().remove(axum::http::header::CONTENT_DISPOSITION);
            r
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    })
}

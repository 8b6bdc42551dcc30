//! The studio's settings: identity, bank details, numbering, VAT rates, terms, stages.

use immovr_core::model::{CompanySettings, Role, electronic_address_ok};
use immovr_core::{Actor, Checks, Result, identifiers};
use serde_json::json;

use crate::App;
use crate::accounts::checked_address;
use crate::support::{audit, check_paragraph, check_text};

/// The company settings, checked and normalised: every text a single bounded line (the late
/// payment wording a text), the identifiers with their checksums (SIREN, SIRET of that SIREN,
/// VAT number of that SIREN, IBAN, BIC), the email, the phone, the addresses, French VAT rates
/// including the default, prefixes, delays and stages. Demo settings keep their placeholder
/// identifiers (printed as such on documents).
fn check_company(c: CompanySettings) -> Result<CompanySettings> {
    let mut checks = Checks::new();
    let c = checked_company(&mut checks, c);
    checks.done().map(|()| c)
}

/// Checks settings as the settings page sends them, with the refusals the page found already
/// (values it could not read): every refusal at once, nothing recorded.
pub fn check_company_form(mut checks: Checks, c: CompanySettings) -> Result<()> {
    checked_company(&mut checks, c);
    checks.done()
}

fn checked_company(checks: &mut Checks, c: CompanySettings) -> CompanySettings {
    let k = checks;
    let mut c = c;
    c.trade_name = k.check(check_text("trade_name", &c.trade_name, 100));
    c.legal_name = k.check(check_text("legal_name", &c.legal_name, 200));
    c.legal_form = k.check(check_text("legal_form", &c.legal_form, 100));
    c.share_capital = k.check(check_text("share_capital", &c.share_capital, 100));
    c.rcs = k.check(check_text("rcs", &c.rcs, 200));
    c.siren = k.check(identifiers::siren("siren", &c.siren));
    c.siret = k.check(identifiers::siret("siret", &c.siret));
    if !k.refused("siren") && !k.refused("siret") && !c.siret.starts_with(&c.siren) {
        k.refuse("siret", "must start with the SIREN");
    }
    c.vat_number = k.check(identifiers::vat_number("vat_number", &c.vat_number));
    if !k.refused("siren") && !k.refused("vat_number") && !identifiers::vat_number_of(&c.vat_number, &c.siren) {
        k.refuse("vat_number", "is not the VAT number of this SIREN");
    }
    c.address = checked_address(k, "address", c.address);
    c.email = k.check(identifiers::email("email", &c.email));
    c.phone = k.check(identifiers::phone("phone", &c.phone));
    c.iban = k.check(identifiers::iban("iban", &c.iban));
    c.bic = k.check(identifiers::bic("bic", &c.bic));
    c.account_holder = k.check(check_text("account_holder", &c.account_holder, 200));
    c.cheque_payee = k.check(check_text("cheque_payee", &c.cheque_payee, 200));
    c.cheque_address = checked_address(k, "cheque_address", c.cheque_address);
    for (field, prefix) in [
        ("quote_prefix", &c.quote_prefix),
        ("purchase_order_prefix", &c.purchase_order_prefix),
        ("invoice_prefix", &c.invoice_prefix),
        ("credit_note_prefix", &c.credit_note_prefix),
    ] {
        if prefix.is_empty() || prefix.len() > 10 || !prefix.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            k.refuse(field, "1 to 10 letters or digits");
        }
    }
    let rates: Vec<_> = c
        .vat_rates
        .iter()
        .enumerate()
        .map(|(i, r)| identifiers::vat_rate(&format!("vat_rates[{i}]"), *r))
        .collect::<Result<Vec<_>>>()
        .unwrap_or_else(|e| {
            k.add(e);
            Vec::new()
        });
    c.vat_rates = rates;
    c.vat_rates.dedup();
    match identifiers::vat_rate("default_vat_rate", c.default_vat_rate) {
        Ok(rate) => c.default_vat_rate = rate,
        Err(e) => k.add(e),
    }
    if c.vat_rates.is_empty() || c.vat_rates.len() > 10 || !c.vat_rates.contains(&c.default_vat_rate) {
        k.refuse("vat_rates", "1 to 10 rates, the default among them");
    }
    if !(1..=365).contains(&c.quote_validity_days) {
        k.refuse("quote_validity_days", "1 to 365 days");
    }
    // Between professionals, payment terms may not exceed 60 days (Code de commerce, L441-10).
    if !(0..=60).contains(&c.payment_terms_days) {
        k.refuse("payment_terms_days", "0 to 60 days");
    }
    if !(0..=60).contains(&c.quote_reminder_days) {
        k.refuse("quote_reminder_days", "0 to 60 days");
    }
    if c.overdue_reminder_days.len() > 10 || c.overdue_reminder_days.iter().any(|d| !(1..=365).contains(d)) {
        k.refuse("overdue_reminder_days", "up to 10 delays of 1 to 365 days");
    }
    c.late_payment_wording = k.check(check_paragraph("late_payment_wording", &c.late_payment_wording, 1000));
    // The e-invoicing address (BT-34): the SIREN, or the SIREN and a suffix from the directory.
    let address = c.einvoicing.electronic_address.take().map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if let Some(a) = &address
        && !k.refused("siren")
        && !c.demo
        && !electronic_address_ok(a, &c.siren)
    {
        k.refuse(
            "einvoicing.electronic_address",
            "the SIREN, then letters, digits, '+', '-', '_' or '.' (125 at most)",
        );
    }
    c.einvoicing.electronic_address = address;
    if c.stage_template.is_empty() || c.stage_template.len() > 20 {
        k.refuse("stage_template", "1 to 20 stages");
    }
    for (i, stage) in c.stage_template.iter_mut().enumerate() {
        let field = |name: &str| format!("stage_template[{i}].{name}");
        stage.code = k.check(check_text(&field("code"), &stage.code, 40));
        if !stage.code.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
            k.refuse(field("code"), "letters, digits, '-' or '_'");
        }
        stage.label_fr = k.check(check_text(&field("label_fr"), &stage.label_fr, 100));
        stage.label_en = k.check(check_text(&field("label_en"), &stage.label_en, 100));
    }
    c
}

impl App {
    /// Replaces the company settings (admin; the configuration file acts as the system). The
    /// logo stays: it is set by its upload only (a storage key given here could publish any
    /// stored file).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn set_company(&self, actor: &Actor, settings: CompanySettings) -> Result<()> {
        actor.require(Role::Admin)?;
        let settings = check_company(settings)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let current = tx.company().await?;
        let settings =
            CompanySettings { logo_key: current.logo_key, logo_content_type: current.logo_content_type, ..settings };
        tx.set_company(&settings).await?;
        let detail = json!({"legal_name": settings.legal_name});
        audit(tx.as_mut(), now, actor, "settings.updated", ("settings", 0), detail).await?;
        tx.commit().await
    }
}

impl App {
    /// Records a stored logo as the company's (the upload use case's last step).
    pub(crate) async fn record_logo(&self, actor: &Actor, key: &str, content_type: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let company = CompanySettings {
            logo_key: Some(key.to_string()),
            logo_content_type: Some(content_type.to_string()),
            ..company
        };
        tx.set_company(&company).await?;
        audit(tx.as_mut(), now, actor, "settings.logo_updated", ("settings", 0), json!({"content_type": content_type}))
            .await?;
        tx.commit().await
    }
}

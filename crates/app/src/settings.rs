//! The studio's settings: identity, bank details, numbering, VAT rates, terms, stages.

use immovr_core::model::{CompanySettings, Role};
use immovr_core::{Actor, DomainError, Result};
use serde_json::json;

use crate::App;
use crate::support::{audit, check_text};

fn check_company(c: &CompanySettings) -> Result<()> {
    check_text("legal_name", &c.legal_name, 200)?;
    check_text("email", &c.email, 254)?;
    for (field, prefix) in [
        ("quote_prefix", &c.quote_prefix),
        ("purchase_order_prefix", &c.purchase_order_prefix),
        ("invoice_prefix", &c.invoice_prefix),
        ("credit_note_prefix", &c.credit_note_prefix),
    ] {
        if prefix.is_empty() || prefix.len() > 10 || !prefix.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(DomainError::validation(field, "1 to 10 letters or digits"));
        }
    }
    if c.vat_rates.is_empty() || !c.vat_rates.contains(&c.default_vat_rate) {
        return Err(DomainError::validation("vat_rates", "must include the default rate"));
    }
    if !(1..=365).contains(&c.quote_validity_days) || !(0..=60).contains(&c.payment_terms_days) {
        return Err(DomainError::validation("quote_validity_days", "validity 1–365 days, payment terms 0–60 days"));
    }
    if c.stage_template.is_empty() {
        return Err(DomainError::validation("stage_template", "at least one stage"));
    }
    Ok(())
}

impl App {
    /// Replaces the company settings (admin; the configuration file acts as the system).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn set_company(&self, actor: &Actor, settings: CompanySettings) -> Result<()> {
        actor.require(Role::Admin)?;
        check_company(&settings)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.set_company(&settings).await?;
        let detail = json!({"legal_name": settings.legal_name});
        audit(tx.as_mut(), now, actor, "settings.updated", ("settings", 0), detail).await?;
        tx.commit().await
    }
}

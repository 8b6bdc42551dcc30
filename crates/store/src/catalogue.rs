//! The catalogue of services a quote request picks from and a quote is priced with.

use immovr_core::model::*;
use immovr_core::ports::*;
use immovr_core::{DomainError, Result};
use rust_decimal::Decimal;
use serde_json::json;

use crate::db::{Row, args};
use crate::support::{audit, check_text, company};
use crate::{SqlStore, not_found};

fn catalogue_from_row(r: &Row) -> Result<CatalogueItem> {
    Ok(CatalogueItem {
        id: r.i64("id")?,
        code: r.text("code")?,
        kind: CatalogueKind::parse(&r.text("kind")?)?,
        label_fr: r.text("label_fr")?,
        label_en: r.text("label_en")?,
        unit: r.text("unit")?,
        unit_price: r.dec("unit_price")?,
        vat_rate: r.dec("vat_rate")?,
        active: r.bool("active")?,
    })
}

fn validate_catalogue(
    code: Option<&str>,
    labels: [Option<&str>; 3],
    price: Option<Decimal>,
    rate: Option<Decimal>,
    rates: &[Decimal],
) -> Result<()> {
    if let Some(code) = code
        && (code.is_empty()
            || code.len() > 40
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(DomainError::validation("code", "1 to 40 letters, digits, '-' or '_'"));
    }
    for (field, v) in ["label_fr", "label_en", "unit"].into_iter().zip(labels) {
        if let Some(v) = v {
            check_text(field, v, 300)?;
        }
    }
    if let Some(p) = price
        && (p < Decimal::ZERO || p.scale() > 4)
    {
        return Err(DomainError::validation("unit_price", "a non-negative amount with at most 4 decimals"));
    }
    if let Some(r) = rate
        && !rates.contains(&r)
    {
        return Err(DomainError::validation("vat_rate", "not one of the configured VAT rates"));
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn catalogue_q(&self, active_only: bool) -> Result<Vec<CatalogueItem>> {
        let mut tx = self.db.read().await?;
        let rows = tx
            .all(
                "SELECT * FROM catalogue_items WHERE ($1 = 0 OR active = 1) ORDER BY kind DESC, code",
                args![active_only],
            )
            .await?;
        rows.iter().map(catalogue_from_row).collect()
    }

    pub(crate) async fn create_catalogue_item_tx(
        &self,
        actor: &Actor,
        item: NewCatalogueItem,
    ) -> Result<CatalogueItem> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let rates = company(&mut tx).await?.vat_rates;
        validate_catalogue(
            Some(&item.code),
            [Some(&item.label_fr), Some(&item.label_en), Some(&item.unit)],
            Some(item.unit_price),
            Some(item.vat_rate),
            &rates,
        )?;
        let id = tx
            .insert(
                "INSERT INTO catalogue_items (code, kind, label_fr, label_en, unit, unit_price, vat_rate, active) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                args![
                    &item.code,
                    item.kind.as_str(),
                    item.label_fr.trim(),
                    item.label_en.trim(),
                    item.unit.trim(),
                    item.unit_price,
                    item.vat_rate,
                    item.active
                ],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::CatalogueCodeTaken))?;
        audit(
            &mut tx,
            now,
            actor,
            "catalogue.created",
            ("catalogue_item", id),
            json!({"code": item.code, "unit_price": item.unit_price}),
        )
        .await?;
        let row = tx.one("SELECT * FROM catalogue_items WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        catalogue_from_row(&row)
    }

    pub(crate) async fn update_catalogue_item_tx(
        &self,
        actor: &Actor,
        id: Id,
        p: CatalogueItemPatch,
    ) -> Result<CatalogueItem> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let rates = company(&mut tx).await?.vat_rates;
        validate_catalogue(
            None,
            [p.label_fr.as_deref(), p.label_en.as_deref(), p.unit.as_deref()],
            p.unit_price,
            p.vat_rate,
            &rates,
        )?;
        let changed = tx
            .exec(
                "UPDATE catalogue_items SET label_fr = COALESCE($2, label_fr), label_en = COALESCE($3, label_en), \
                 unit = COALESCE($4, unit), unit_price = COALESCE($5, unit_price), vat_rate = COALESCE($6, vat_rate), \
                 active = COALESCE($7, active) WHERE id = $1",
                args![
                    id,
                    p.label_fr.clone(),
                    p.label_en.clone(),
                    p.unit.clone(),
                    p.unit_price,
                    p.vat_rate,
                    p.active.map(i64::from)
                ],
            )
            .await?;
        if changed == 0 {
            return Err(not_found("catalogue item"));
        }
        audit(
            &mut tx,
            now,
            actor,
            "catalogue.updated",
            ("catalogue_item", id),
            json!({"unit_price": p.unit_price, "active": p.active}),
        )
        .await?;
        let row = tx.one("SELECT * FROM catalogue_items WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        catalogue_from_row(&row)
    }
}

//! The catalogue of services a quote request picks from and a quote is priced with.

use immovr_core::Result;
use immovr_core::model::*;

use crate::db::Row;

pub(crate) fn catalogue_from_row(r: &Row) -> Result<CatalogueItem> {
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

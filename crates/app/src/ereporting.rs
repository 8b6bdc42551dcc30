//! E-reporting (French e-invoicing reform): what the studio sold to private persons and, for
//! services on which VAT is due when paid, what it received for them, reported for each of its
//! periods (set by its VAT regime) through its approved platform, in the DGFiP's Flux 10 format,
//! aggregated day by day and VAT rate by VAT rate. The worker makes each ended period's reports
//! once (a period is recorded with its report and the queued flow in one transaction); an empty
//! period sends nothing.

use std::collections::BTreeMap;

use immovr_core::model::{FlowKind, OperationCategory, ReportKind};
use immovr_core::ports::studio_timezone;
use immovr_core::{Actor, Result, Scope};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::platform::split_by_rate;
use crate::ports::{EReport, EReportRow, RatePart, ReportDay, WrittenFlow};
use crate::support::audit;

/// Per day: documents counted, and per rate the base and the tax.
type Days = BTreeMap<Date, (i64, BTreeMap<Decimal, (Decimal, Decimal)>)>;

fn add(days: &mut Days, date: Date, count: i64, parts: impl IntoIterator<Item = (Decimal, Decimal, Decimal)>) {
    let day = days.entry(date).or_default();
    day.0 += count;
    for (rate, base, tax) in parts {
        let part = day.1.entry(rate.normalize()).or_default();
        part.0 += base;
        part.1 += tax;
    }
}

fn report_days(days: Days) -> Vec<ReportDay> {
    days.into_iter()
        .map(|(date, (count, parts))| ReportDay {
            date,
            count,
            parts: parts.into_iter().map(|(rate, (base, tax))| RatePart { rate, base, tax }).collect(),
        })
        .collect()
}

impl App {
    /// Makes and queues the reports of the last ended periods that have none yet; the reports
    /// made. Nothing without a platform and its registration number.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ereport_due(&self) -> Result<Vec<EReportRow>> {
        let (Some(platform), Some(registration)) = (&self.platform, &self.platform_registration) else {
            return Ok(vec![]);
        };
        let company = self.company().await?;
        let e = &company.einvoicing;
        let on_receipts = !e.vat_on_debits && e.category != OperationCategory::Goods;
        let today = self.today();
        let mut made = Vec::new();
        for kind in [ReportKind::Sales, ReportKind::Payments] {
            // Payments are reported only where VAT is due when paid.
            if kind == ReportKind::Payments && !on_receipts {
                continue;
            }
            let (from, to) = e.vat_regime.last_ended(kind, today);
            if self.db.ereport_made(kind, from).await? {
                continue;
            }
            let days = self.report_days(kind, from, to).await?;
            if days.is_empty() {
                continue;
            }
            let now = self.now();
            let id = format!("ER-{}-{}-{}", company.siren, &kind.as_str()[..1].to_uppercase(), from.strftime("%Y%m%d"));
            let total: Decimal = days.iter().flat_map(|d| d.parts.iter()).map(|p| p.base).sum();
            let report = EReport {
                id: id.clone(),
                issued_at: now.to_zoned(studio_timezone()).datetime(),
                platform_id: registration.clone(),
                platform_name: platform.name().to_string(),
                seller: company.clone(),
                period: (from, to),
                kind,
                category: match e.category {
                    OperationCategory::Services => "TPS1",
                    OperationCategory::Goods => "TLB1",
                    OperationCategory::Mixed => "TMA1",
                }
                .into(),
                on_receipts,
                days,
            };
            let xml = self.reform.ereport(&report);
            let row = EReportRow {
                id: 0,
                report: kind,
                period_start: from,
                period_end: to,
                days: report.days.len() as i64,
                total,
                created_at: now,
            };
            let mut tx = self.begin().await?;
            let Some(report_id) = tx.insert_ereport(&row).await? else { continue };
            let name = format!("{id}.xml");
            let flow = WrittenFlow {
                kind: FlowKind::EReport,
                id: report_id,
                tracking_id: &id,
                syntax: "FRR",
                rule: "B2C",
                name: &name,
                xml: &xml,
            };
            tx.queue_written_flow(&flow, now).await?;
            let detail = json!({"report": kind.as_str(), "from": from, "to": to, "days": row.days, "total": total});
            audit(tx.as_mut(), now, &Actor::system(), "ereport.queued", ("ereport", report_id), detail).await?;
            tx.commit().await?;
            made.push(EReportRow { id: report_id, ..row });
        }
        Ok(made)
    }

    /// A period's days: sales (invoices less credit notes, before VAT and VAT) or payments
    /// received (VAT included, split over the invoices' rates).
    async fn report_days(&self, kind: ReportKind, from: Date, to: Date) -> Result<Vec<ReportDay>> {
        let sources = self.db.ereport_sources(from, to).await?;
        let mut days = Days::new();
        match kind {
            ReportKind::Sales => {
                for id in sources.invoices {
                    let i = self.db.invoice(Scope::Staff, id).await?;
                    add(&mut days, i.issue_date, 1, i.totals.per_rate.iter().map(|r| (r.rate, r.base_excl_vat, r.vat)));
                }
                for id in sources.credit_notes {
                    let c = self.db.credit_note(Scope::Staff, id).await?;
                    add(
                        &mut days,
                        c.issue_date,
                        1,
                        c.totals.per_rate.iter().map(|r| (r.rate, -r.base_excl_vat, -r.vat)),
                    );
                }
            }
            ReportKind::Payments => {
                for (invoice_id, date, amount) in sources.payments {
                    let i = self.db.invoice(Scope::Staff, invoice_id).await?;
                    let by_rate: Vec<(Decimal, Decimal)> =
                        i.totals.per_rate.iter().map(|r| (r.rate, r.total_incl_vat)).collect();
                    let parts = split_by_rate(amount, &by_rate).into_iter().map(|(rate, a)| (rate, a, Decimal::ZERO));
                    add(&mut days, date, 1, parts);
                }
            }
        }
        Ok(report_days(days))
    }
}

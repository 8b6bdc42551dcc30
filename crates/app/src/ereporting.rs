//! E-reporting (French e-invoicing reform): what the studio sold to private persons and, for
//! services on which VAT is due when paid, what it received for them, reported for each of its
//! periods (set by its VAT regime) through its approved platform, in the DGFiP's Flux 10 format,
//! aggregated day by day and VAT rate by VAT rate. The worker makes each ended period's reports
//! once, catching up the periods missed while it was stopped: a period is recorded with what it
//! covers and its queued flow in one transaction, and a document or a payment no report covered
//! yet (a payment recorded late, dated back) goes with the next one. An empty period is recorded
//! and sends nothing.

use std::collections::BTreeMap;

use immovr_core::model::{FlowKind, ReportKind};
use immovr_core::ports::studio_timezone;
use immovr_core::{Actor, Result};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::platform::split_by_rate;
use crate::ports::{EReport, EReportRow, EReportSources, RatePart, ReportDay, WrittenFlow};
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

fn collect_days(days: Days) -> Vec<ReportDay> {
    days.into_iter()
        .map(|(date, (count, parts))| ReportDay {
            date,
            count,
            parts: parts.into_iter().map(|(rate, (base, tax))| RatePart { rate, base, tax }).collect(),
        })
        .collect()
}

/// Periods made at once at most (after a long stop, the rest comes at the next run).
const CATCH_UP: usize = 24;

/// The platform's name for the reports: its host.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', ':']).next().unwrap_or(rest)
}

impl App {
    /// Makes and queues the reports of the periods ended since the last one made (only the
    /// last ended period the first time); the reports made. Nothing without a platform and its
    /// registration number.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ereport_due(&self) -> Result<Vec<EReportRow>> {
        if self.platform.is_none() || self.platform_registration.is_none() {
            return Ok(vec![]);
        }
        let company = self.company().await?;
        let e = &company.einvoicing;
        let on_receipts = e.vat_on_receipts();
        let today = self.today();
        let mut made = Vec::new();
        for kind in [ReportKind::Sales, ReportKind::Payments] {
            // Payments are reported only where VAT is due when paid.
            if kind == ReportKind::Payments && !on_receipts {
                continue;
            }
            let (last_start, last_end) = e.vat_regime.last_ended(kind, today);
            let bounds = self.db.ereport_bounds(kind).await?;
            // After the last period made (its regime may have changed since: the next period
            // starts the day after, whatever the regime's own periods).
            let mut start = bounds.and_then(|(_, end)| end.tomorrow().ok()).unwrap_or(last_start);
            // Documents and payments of any day since reporting began that no report covered
            // yet (a payment recorded late, dated back) go with the next report.
            let floor = bounds.map_or(last_start, |(first, _)| first);
            for _ in 0..CATCH_UP {
                if start > last_end {
                    break;
                }
                let end = e.vat_regime.period(kind, start).1.min(last_end);
                if let Some(row) = self.make_report(&company, kind, (floor, start, end)).await? {
                    made.push(row);
                }
                let Ok(next) = end.tomorrow() else { break };
                start = next;
            }
        }
        Ok(made)
    }

    /// One period's report: recorded with what it covers, and queued when there is something
    /// to report, in one transaction; `None` when another instance made it first.
    async fn make_report(
        &self,
        company: &immovr_core::model::CompanySettings,
        kind: ReportKind,
        (floor, from, to): (Date, Date, Date),
    ) -> Result<Option<EReportRow>> {
        let (Some(platform), Some(registration)) = (&self.platform, &self.platform_registration) else {
            return Ok(None);
        };
        let sources = self.db.ereport_sources(kind, floor, to).await?;
        let days = report_days(kind, &sources);
        let now = self.now();
        let total: Decimal = days.iter().flat_map(|d| d.parts.iter()).map(|p| p.base).sum();
        let mut row = EReportRow {
            id: 0,
            report: kind,
            period_start: from,
            period_end: to,
            days: days.len() as i64,
            total,
            created_at: now,
        };
        let mut tx = self.begin().await?;
        let Some(report_id) = tx.insert_ereport(&row).await? else { return Ok(None) };
        row.id = report_id;
        if !days.is_empty() {
            tx.mark_ereported(report_id, &sources, kind).await?;
            let id = format!("ER-{}-{}-{}", company.siren, &kind.as_str()[..1].to_uppercase(), from.strftime("%Y%m%d"));
            let report = EReport {
                id: id.clone(),
                issued_at: now.to_zoned(studio_timezone()).datetime(),
                platform_id: registration.clone(),
                platform_name: host(platform.name()).to_string(),
                seller: company.clone(),
                period: (from, to),
                kind,
                days,
            };
            let xml = self.reform.ereport(&report);
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
        }
        let detail = json!({"report": kind.as_str(), "from": from, "to": to, "days": row.days, "total": total});
        audit(tx.as_mut(), now, &Actor::system(), "ereport.made", ("ereport", report_id), detail).await?;
        tx.commit().await?;
        Ok(Some(row))
    }
}

/// A report's days: sales (invoices less credit notes, before VAT and VAT) or payments received
/// (VAT included, split over their invoices' rates).
fn report_days(kind: ReportKind, sources: &EReportSources) -> Vec<ReportDay> {
    let mut days = Days::new();
    match kind {
        ReportKind::Sales => {
            for i in &sources.invoices {
                add(&mut days, i.issue_date, 1, i.totals.per_rate.iter().map(|r| (r.rate, r.base_excl_vat, r.vat)));
            }
            for c in &sources.credit_notes {
                add(&mut days, c.issue_date, 1, c.totals.per_rate.iter().map(|r| (r.rate, -r.base_excl_vat, -r.vat)));
            }
        }
        ReportKind::Payments => {
            for p in &sources.payments {
                let by_rate: Vec<(Decimal, Decimal)> =
                    p.invoice_rates.iter().map(|r| (r.rate, r.total_incl_vat)).collect();
                let parts = split_by_rate(p.amount, &by_rate).into_iter().map(|(rate, a)| (rate, a, Decimal::ZERO));
                add(&mut days, p.date, 1, parts);
            }
        }
    }
    collect_days(days)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_platform_is_named_by_its_host() {
        assert_eq!(super::host("https://api.flow.example:8443/flow-service"), "api.flow.example");
        assert_eq!(super::host("api.flow.example"), "api.flow.example");
    }
}

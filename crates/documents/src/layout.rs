//! From an issued document's snapshot to what its page shows (a `View`: every text already
//! formatted, in the client's language, with every mention French law asks of quotes and
//! invoices), the SEPA QR code of an invoice, and the Factur-X XML of invoices and credit notes.

use immovr_core::model::{
    Acceptance, AcceptanceChannel, Address, ClientKind, CompanySettings, DocumentKind, DocumentSnapshot, Invoice,
    Language,
};
use immovr_core::money::{Line, Totals};
use immovr_core::ports::studio_timezone;
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::facturx::{CiiInput, Kind, cii_xml};
use crate::qr;
use crate::texts::{fill, t};

/// What a document's page shows, every text formatted.
pub struct View {
    pub kind: DocumentKind,
    pub title: String,
    pub number: String,
    /// The demonstration banner of the demo company.
    pub demo: Option<String>,
    /// Label → value: dates, references.
    pub facts: Vec<(String, String)>,
    pub seller: Seller,
    pub buyer: Buyer,
    /// "Objet" and the quote's title.
    pub subject: Option<(String, String)>,
    /// Where the service was performed (the property), under the subject.
    pub place: Option<(String, String)>,
    /// Description, quantity, unit, unit price, discount, VAT rate, line total.
    pub headers: [String; 7],
    pub lines: Vec<LineView>,
    pub totals: Vec<TotalRow>,
    pub vat_summary: VatSummary,
    pub notes: Option<(String, String)>,
    pub approval: Option<Approval>,
    pub payment: Option<Payment>,
    pub mentions: Vec<String>,
    /// "Page".
    pub page: String,
}

pub struct Seller {
    pub trade_name: String,
    pub legal_name: String,
    pub address: Vec<String>,
    /// "email · phone".
    pub contact: String,
    /// Legal identity for the footer of every page.
    pub footer: String,
}

pub struct Buyer {
    pub label: String,
    pub name: String,
    pub contact: Option<String>,
    pub address: Vec<String>,
    pub ids: Vec<String>,
}

pub struct LineView {
    pub description: String,
    pub code: Option<String>,
    /// Quantity, unit, unit price, discount, VAT rate, total.
    pub cells: [String; 6],
}

pub struct TotalRow {
    pub label: String,
    pub value: String,
    pub strong: bool,
}

pub struct VatSummary {
    pub title: String,
    pub headers: [String; 4],
    pub rows: Vec<[String; 4]>,
}

/// The "bon pour accord" box: blank to sign on a quote, the electronic evidence once accepted.
pub struct Approval {
    pub title: String,
    pub blank: Option<String>,
    pub rows: Vec<(String, String)>,
}

pub struct Payment {
    pub title: String,
    pub transfer: String,
    pub rows: Vec<(String, String)>,
    pub qr_caption: String,
    pub cheque: String,
    pub cheque_text: String,
    pub cheque_address: Vec<String>,
}

/// A document ready to draw.
pub struct Prepared {
    pub view: View,
    /// `factur-x.xml` for invoices and credit notes.
    pub facturx_xml: Option<String>,
    /// The SEPA credit-transfer QR code of an invoice with an amount due.
    pub qr: Option<qr::Matrix>,
}

#[derive(Debug)]
pub struct LayoutError(pub String);

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

fn missing(what: &str) -> LayoutError {
    LayoutError(format!("the snapshot has no {what}"))
}

/// An amount in euros: "1 234,50 €" or "€1,234.50".
pub fn money(d: Decimal, lang: Language) -> String {
    immovr_core::money::format_eur(d, lang)
}

fn number(d: Decimal, lang: Language) -> String {
    immovr_core::money::format_number(d, lang)
}

fn rate(d: Decimal, lang: Language) -> String {
    match lang {
        Language::Fr => format!("{}\u{a0}%", number(d, lang)),
        Language::En => format!("{}%", number(d, lang)),
    }
}

pub fn date(d: Date, lang: Language) -> String {
    immovr_core::money::format_date(d, lang)
}

fn date_time(ts: Timestamp, lang: Language) -> String {
    let z = ts.to_zoned(studio_timezone());
    match lang {
        Language::Fr => z.strftime("%d/%m/%Y à %H:%M:%S (%Z, UTC%:z)").to_string(),
        Language::En => z.strftime("%-d %B %Y at %H:%M:%S (%Z, UTC%:z)").to_string(),
    }
}

fn local_date(ts: Timestamp) -> Date {
    ts.to_zoned(studio_timezone()).date()
}

fn address_lines(a: &Address) -> Vec<String> {
    let mut out = vec![a.line1.clone()];
    if let Some(l2) = a.line2.as_deref().filter(|l| !l.trim().is_empty()) {
        out.push(l2.to_string());
    }
    let country = if a.country.eq_ignore_ascii_case("FR") { String::new() } else { format!(" ({})", a.country) };
    out.push(format!("{} {}{country}", a.postcode, a.city));
    out
}

fn seller(c: &CompanySettings, lang: Language) -> Seller {
    Seller {
        trade_name: c.trade_name.clone(),
        legal_name: c.legal_name.clone(),
        address: address_lines(&c.address),
        contact: [c.email.as_str(), c.phone.as_str()]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        footer: format!(
            "{} {} {} {} — SIREN {} — SIRET {} — {} — {} {}",
            c.legal_name,
            c.legal_form,
            t(lang, "capital"),
            c.share_capital,
            c.siren,
            c.siret,
            c.rcs,
            t(lang, "vat_number"),
            c.vat_number
        ),
    }
}

fn buyer(s: &DocumentSnapshot, lang: Language) -> Buyer {
    let c = &s.client;
    let business = c.kind == ClientKind::Company;
    let mut ids = Vec::new();
    if business {
        if let Some(v) = &c.siren {
            ids.push(format!("{} {v}", t(lang, "siren")));
        }
        if let Some(v) = &c.siret {
            ids.push(format!("{} {v}", t(lang, "siret")));
        }
        if let Some(v) = &c.vat_number {
            ids.push(format!("{} {v}", t(lang, "vat_number")));
        }
    }
    Buyer {
        label: t(lang, "client").to_string(),
        name: c.display_name().to_string(),
        contact: business.then(|| format!("{} {}", t(lang, "attn"), c.name)),
        address: c.billing_address.as_ref().map(address_lines).unwrap_or_default(),
        ids,
    }
}

fn lines(lines: &[Line], lang: Language) -> Vec<LineView> {
    lines
        .iter()
        .map(|l| LineView {
            description: l.description.clone(),
            code: l.code.clone(),
            cells: [
                number(l.quantity, lang),
                l.unit.clone(),
                money(l.unit_price, lang),
                if l.discount.is_zero() { "—".to_string() } else { money(l.discount, lang) },
                rate(l.vat_rate, lang),
                money(l.total_excl_vat, lang),
            ],
        })
        .collect()
}

fn totals(t_: &Totals, lang: Language, last: (&str, Decimal)) -> Vec<TotalRow> {
    let row = |label: String, value: Decimal, strong: bool| TotalRow { label, value: money(value, lang), strong };
    let mut rows = vec![row(t(lang, "total_excl").into(), t_.total_excl_vat, false)];
    for r in &t_.per_rate {
        let label =
            format!("{} {} {} {}", t(lang, "vat"), rate(r.rate, lang), t(lang, "vat_on"), money(r.base_excl_vat, lang));
        rows.push(row(label, r.vat, false));
    }
    rows.push(row(t(lang, "total_incl").into(), t_.total_incl_vat, last.0 == "total_incl"));
    if last.0 != "total_incl" {
        rows.push(row(t(lang, last.0).into(), last.1, true));
    }
    rows
}

fn vat_summary(t_: &Totals, lang: Language) -> VatSummary {
    VatSummary {
        title: t(lang, "vat_summary").into(),
        headers: ["rate", "base", "amount", "total_incl"].map(|k| t(lang, k).to_string()),
        rows: t_
            .per_rate
            .iter()
            .map(|r| {
                [rate(r.rate, lang), money(r.base_excl_vat, lang), money(r.vat, lang), money(r.total_incl_vat, lang)]
            })
            .collect(),
    }
}

fn evidence(a: &Acceptance, lang: Language) -> Approval {
    if a.channel != AcceptanceChannel::Online {
        return offline_evidence(a, lang);
    }
    let mut rows = vec![
        fact(t(lang, "signer"), a.signer_name.clone()),
        fact(t(lang, "accepted_at"), date_time(a.accepted_at, lang)),
    ];
    if let Some(ip) = &a.ip {
        rows.push(fact(t(lang, "ip"), ip.clone()));
    }
    if let Some(sent_at) = a.link_sent_at {
        rows.push(fact(t(lang, "via_link"), format!("{} {}", t(lang, "via_link_text"), date_time(sent_at, lang))));
    }
    rows.push(fact(t(lang, "consent"), t(lang, "consent_text")));
    rows.extend(terms(a, lang));
    rows.push(fact(t(lang, "hash"), a.content_sha256.clone()));
    Approval { title: t(lang, "evidence_title").into(), blank: None, rows }
}

/// An acceptance received offline: who signed and when, how it came, who recorded it and when,
/// and the fingerprints of the signed document and of the content it approves.
fn offline_evidence(a: &Acceptance, lang: Language) -> Approval {
    let mut rows = vec![fact(t(lang, "signer"), a.signer_name.clone())];
    if let Some(d) = a.signed_on {
        rows.push(fact(t(lang, "signed_on"), date(d, lang)));
    }
    let channel = if a.channel == AcceptanceChannel::Paper { "channel_paper" } else { "channel_email" };
    rows.push(fact(t(lang, "channel"), t(lang, channel)));
    let recorded = match &a.recorded_by {
        Some(who) => format!("{who}, {}", date_time(a.accepted_at, lang)),
        None => date_time(a.accepted_at, lang),
    };
    rows.push(fact(t(lang, "recorded"), recorded));
    if let Some(e) = &a.evidence {
        rows.push(fact(t(lang, "evidence_file"), e.sha256.clone()));
    }
    rows.extend(terms(a, lang));
    rows.push(fact(t(lang, "hash"), a.content_sha256.clone()));
    Approval { title: t(lang, "evidence_title_offline").into(), blank: None, rows }
}

/// The version of the general terms of sale in force when the quote was accepted (published
/// on the studio's site at `/cgv/v/N`).
fn terms(a: &Acceptance, lang: Language) -> Option<(String, String)> {
    a.terms_version.map(|v| match v {
        0 => fact(t(lang, "terms"), t(lang, "terms_model")),
        v => fact(t(lang, "terms"), format!("{} {v} (/cgv/v/{v})", t(lang, "terms_version"))),
    })
}

fn fact(label: &str, value: impl Into<String>) -> (String, String) {
    (label.to_string(), value.into())
}

/// The payment terms, in one sentence that the quote, the purchase order and the invoice
/// share: payable on receipt, or within N days of the invoice date (the studio's setting when
/// the quote or order was issued; the invoice's own dates for an invoice).
fn payment_terms(lang: Language, days: i64, due: Option<Date>) -> String {
    let days_text = days.to_string();
    match due {
        None if days <= 0 => t(lang, "quote_terms_receipt").to_string(),
        None => fill(t(lang, "quote_terms_days"), &[("days", &days_text)]),
        Some(d) if days <= 0 => fill(t(lang, "invoice_terms_receipt"), &[("date", &date(d, lang))]),
        Some(d) => fill(t(lang, "invoice_terms_days"), &[("days", &days_text), ("date", &date(d, lang))]),
    }
}

/// The legal mentions every invoice carries.
/// The mentions the French e-invoicing reform adds to invoices and credit notes: the category
/// of the operation, and the VAT-on-debits option when the studio took it.
fn reform_mentions(c: &CompanySettings, lang: Language) -> Vec<String> {
    let category = format!("category_{}", c.einvoicing.category.as_str());
    let mut m = vec![format!("{} : {}", t(lang, "category"), t(lang, &category))];
    if c.einvoicing.vat_on_debits {
        m.push(t(lang, "vat_debits").into());
    }
    m
}

fn invoice_mentions(s: &DocumentSnapshot, inv: &Invoice, lang: Language) -> Vec<String> {
    let days = (inv.due_date - inv.issue_date).get_days() as i64;
    let mut m = reform_mentions(&s.company, lang);
    m.push(payment_terms(lang, days, Some(inv.due_date)));
    m.push(s.company.late_payment_wording.clone());
    if s.client.kind == ClientKind::Company {
        m.push(t(lang, "indemnity").into());
    }
    m.push(t(lang, "no_discount").into());
    if inv.lines.iter().any(|l| l.vat_rate.is_zero()) {
        m.push(t(lang, "exempt").into());
    }
    m
}

/// The EPC069-12 payload of an amount to pay by SEPA transfer.
pub fn epc_payload(c: &CompanySettings, amount: Decimal, reference: &str) -> String {
    let iban: String = c.iban.chars().filter(|c| !c.is_whitespace()).collect();
    let name: String = c.account_holder.chars().take(70).collect();
    let mut amount = amount.round_dp(2);
    amount.rescale(2);
    let reference: String = reference.chars().take(140).collect();
    format!("BCD\n002\n1\nSCT\n{}\n{name}\n{iban}\nEUR{amount}\n\n\n{reference}", c.bic.trim())
}

/// Prepares a snapshot for drawing.
pub fn prepare(s: &DocumentSnapshot) -> Result<Prepared, LayoutError> {
    let lang = s.language;
    let c = &s.company;
    let mut facts = Vec::new();
    let mut mentions: Vec<String> = Vec::new();
    let mut approval = None;
    let mut payment = None;
    let mut facturx_xml = None;
    let mut qr_code = None;
    let subject;
    let mut place = None;
    let mut notes = None;
    let (doc_lines, doc_totals, last) = match s.kind {
        DocumentKind::Quote | DocumentKind::SignedQuote => {
            let q = s.quote.as_ref().ok_or_else(|| missing("quote"))?;
            facts.push(fact(t(lang, "date"), date(q.sent_at.map(local_date).unwrap_or(local_date(s.issued_at)), lang)));
            facts.push(fact(t(lang, "valid_until"), date(q.valid_until, lang)));
            facts.push(fact(t(lang, "version"), q.version.to_string()));
            subject = Some(fact(t(lang, "subject"), q.title.clone()));
            notes = q.notes.as_ref().map(|n| fact(t(lang, "notes"), n.clone()));
            mentions.push(fill(t(lang, "quote_validity"), &[("date", &date(q.valid_until, lang))]));
            mentions.push(payment_terms(lang, c.payment_terms_days, None));
            mentions.push(c.late_payment_wording.clone());
            if s.client.kind == ClientKind::Company {
                mentions.push(t(lang, "indemnity").into());
            }
            mentions.push(t(lang, "no_discount").into());
            if q.lines.iter().any(|l| l.vat_rate.is_zero()) {
                mentions.push(t(lang, "exempt").into());
            }
            match (&s.kind, &q.acceptance) {
                (DocumentKind::SignedQuote, Some(a)) => {
                    facts.push(fact(t(lang, "accepted_on"), date(local_date(a.accepted_at), lang)));
                    approval = Some(evidence(a, lang));
                }
                (DocumentKind::SignedQuote, None) => return Err(missing("acceptance")),
                _ => {
                    approval = Some(Approval {
                        title: t(lang, "bpa_title").into(),
                        blank: Some(t(lang, "bpa_blank").into()),
                        rows: Vec::new(),
                    })
                }
            }
            (&q.lines, &q.totals, ("total_incl", q.totals.total_incl_vat))
        }
        DocumentKind::PurchaseOrder => {
            let po = s.purchase_order.as_ref().ok_or_else(|| missing("purchase order"))?;
            let q = s.quote.as_ref().ok_or_else(|| missing("quote"))?;
            facts.push(fact(t(lang, "date"), date(local_date(po.created_at), lang)));
            facts.push(fact(t(lang, "quote_ref"), format!("{} (v{})", po.quote_number, po.quote_version)));
            subject = Some(fact(t(lang, "subject"), q.title.clone()));
            let accepted = q.acceptance.as_ref().ok_or_else(|| missing("acceptance"))?;
            mentions.push(fill(
                t(lang, "po_intro"),
                &[
                    ("quote", &po.quote_number),
                    ("version", &po.quote_version.to_string()),
                    ("date", &date(local_date(accepted.accepted_at), lang)),
                ],
            ));
            mentions.push(payment_terms(lang, c.payment_terms_days, None));
            approval = Some(evidence(accepted, lang));
            (&po.lines, &po.totals, ("total_incl", po.totals.total_incl_vat))
        }
        DocumentKind::Invoice => {
            let inv = s.invoice.as_ref().ok_or_else(|| missing("invoice"))?;
            facts.push(fact(t(lang, "issue_date"), date(inv.issue_date, lang)));
            facts.push(fact(t(lang, "service_date"), date(inv.service_date, lang)));
            facts.push(fact(t(lang, "due_date"), date(inv.due_date, lang)));
            if let (Some(n), Some(v)) = (&inv.origin.quote_number, inv.origin.quote_version) {
                facts.push(fact(t(lang, "quote_ref"), format!("{n} (v{v})")));
            }
            facts.push(fact(t(lang, "po_ref"), inv.purchase_order_number.clone()));
            facts.push(fact(t(lang, "payment_ref"), inv.payment_reference.clone()));
            subject = inv.origin.subject.as_ref().map(|s| fact(t(lang, "subject"), s.clone()));
            place = inv.origin.property_address.as_ref().map(|a| fact(t(lang, "property"), a.clone()));
            mentions = invoice_mentions(s, inv, lang);
            let due = inv.totals.total_incl_vat - inv.amount_paid;
            if due > Decimal::ZERO {
                let matrix = qr::matrix(&epc_payload(c, due, &inv.payment_reference))
                    .map_err(|e| LayoutError(format!("QR code: {e}")))?;
                qr_code = Some(matrix);
            }
            let mut cheque_address = vec![c.cheque_payee.clone()];
            cheque_address.extend(address_lines(&c.cheque_address));
            payment = Some(Payment {
                title: t(lang, "payment").into(),
                transfer: t(lang, "transfer").into(),
                rows: vec![
                    fact(t(lang, "holder"), c.account_holder.clone()),
                    fact(t(lang, "iban"), c.iban.clone()),
                    fact(t(lang, "bic"), c.bic.clone()),
                    fact(t(lang, "reference"), inv.payment_reference.clone()),
                    fact(t(lang, "due"), money(due, lang)),
                ],
                qr_caption: t(lang, "qr_caption").into(),
                cheque: t(lang, "cheque").into(),
                cheque_text: format!("{} {}, {} :", t(lang, "cheque_text"), c.cheque_payee, t(lang, "cheque_send")),
                cheque_address,
            });
            facturx_xml = Some(cii_xml(&CiiInput {
                kind: Kind::Invoice,
                number: &inv.number,
                issue_date: inv.issue_date,
                service_date: inv.service_date,
                due_date: inv.due_date,
                payment_reference: &inv.payment_reference,
                purchase_order_number: Some(&inv.purchase_order_number),
                lines: &inv.lines,
                totals: &inv.totals,
                amount_paid: inv.amount_paid,
                seller: c,
                buyer: &s.client,
                service_address: inv.origin.property_address.as_deref(),
            }));
            let last = if inv.amount_paid.is_zero() { ("total_incl", due) } else { ("due", due) };
            (&inv.lines, &inv.totals, last)
        }
        DocumentKind::CreditNote => {
            let cn = s.credit_note.as_ref().ok_or_else(|| missing("credit note"))?;
            let inv = s.invoice.as_ref().ok_or_else(|| missing("invoice"))?;
            facts.push(fact(t(lang, "date"), date(cn.issue_date, lang)));
            facts.push(fact(t(lang, "invoice_ref"), format!("{} ({})", inv.number, date(inv.issue_date, lang))));
            facts.push(fact(t(lang, "po_ref"), inv.purchase_order_number.clone()));
            subject = inv.origin.subject.as_ref().map(|s| fact(t(lang, "subject"), s.clone()));
            mentions.push(fill(
                t(lang, "credit_intro"),
                &[("invoice", &inv.number), ("date", &date(inv.issue_date, lang))],
            ));
            mentions.push(format!("{} : {}", t(lang, "reason"), cn.reason));
            mentions.extend(reform_mentions(c, lang));
            place = inv.origin.property_address.as_ref().map(|a| fact(t(lang, "property"), a.clone()));
            if cn.lines.iter().any(|l| l.vat_rate.is_zero()) {
                mentions.push(t(lang, "exempt").into());
            }
            facturx_xml = Some(cii_xml(&CiiInput {
                kind: Kind::CreditNote { invoice_number: &inv.number, invoice_date: inv.issue_date },
                number: &cn.number,
                issue_date: cn.issue_date,
                service_date: inv.service_date,
                due_date: cn.issue_date,
                payment_reference: &cn.number,
                purchase_order_number: Some(&inv.purchase_order_number),
                lines: &cn.lines,
                totals: &cn.totals,
                amount_paid: Decimal::ZERO,
                seller: c,
                buyer: &s.client,
                service_address: inv.origin.property_address.as_deref(),
            }));
            (&cn.lines, &cn.totals, ("credit_total", cn.totals.total_incl_vat))
        }
    };
    // A private client's right of withdrawal, on its quote and its purchase order.
    mentions.extend(crate::withdrawal::mentions(s, lang));
    let view = View {
        kind: s.kind,
        title: t(lang, s.kind.as_str()).into(),
        number: s.number.clone(),
        demo: c.demo.then(|| t(lang, "demo").to_string()),
        facts,
        seller: seller(c, lang),
        buyer: buyer(s, lang),
        subject,
        place,
        headers: ["description", "qty", "unit", "unit_price", "discount", "vat", "total_line"]
            .map(|k| t(lang, k).to_string()),
        lines: lines(doc_lines, lang),
        totals: totals(doc_totals, lang, last),
        vat_summary: vat_summary(doc_totals, lang),
        notes,
        approval,
        payment,
        mentions,
        page: t(lang, "page").into(),
    };
    Ok(Prepared { view, facturx_xml, qr: qr_code })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn amounts_in_both_languages() {
        assert_eq!(money(dec!(1234567.5), Language::Fr), "1\u{202f}234\u{202f}567,50\u{a0}€");
        assert_eq!(money(dec!(1234567.5), Language::En), "€1,234,567.50");
        assert_eq!(money(dec!(-12), Language::Fr), "−12,00\u{a0}€");
        assert_eq!(money(dec!(0.004), Language::En), "€0.00");
        assert_eq!(number(dec!(1.50), Language::Fr), "1,5");
        assert_eq!(rate(dec!(5.5), Language::Fr), "5,5\u{a0}%");
        assert_eq!(date(Date::constant(2026, 6, 5), Language::En), "5 June 2026");
    }

    #[test]
    fn epc_payload_has_the_euro_prefix_and_no_spaces_in_the_iban() {
        let c = crate::samples::company();
        let p = epc_payload(&c, dec!(876), "F-2026-0007");
        let lines: Vec<&str> = p.split('\n').collect();
        assert_eq!(lines[0..4], ["BCD", "002", "1", "SCT"]);
        assert_eq!(lines[6], "FR7630006000011234567890189");
        assert_eq!(lines[7], "EUR876.00");
        assert_eq!(lines[10], "F-2026-0007");
        assert!(p.len() <= 331);
    }
}

//! From an issued document's snapshot to what the template prints (`data.json`), in the client's
//! language, with every mention French law asks of quotes and invoices, the SEPA QR code of an
//! invoice, and the Factur-X XML of invoices and credit notes.

use immovr_core::model::{
    Acceptance, Address, ClientKind, CompanySettings, DocumentKind, DocumentSnapshot, Invoice, Language,
};
use immovr_core::money::{Line, Totals};
use immovr_core::ports::studio_timezone;
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::facturx::{CiiInput, Kind, cii_xml};
use crate::qr;

/// What the template gets: `data.json`, and the files it may read beside it.
pub struct Prepared {
    pub data: Value,
    /// `factur-x.xml` for invoices and credit notes.
    pub facturx_xml: Option<String>,
    /// `qr.svg`: the SEPA credit-transfer QR code of an invoice with an amount due.
    pub qr_svg: Option<String>,
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

/// The document's texts in French and English.
fn t(lang: Language, key: &str) -> &'static str {
    let fr = lang == Language::Fr;
    macro_rules! pick {
        ($($k:literal => $fr:literal, $en:literal;)*) => {
            match key { $($k => if fr { $fr } else { $en },)* _ => unreachable!("no text for {key}") }
        };
    }
    pick! {
        "quote" => "Devis", "Quote";
        "signed_quote" => "Devis accepté", "Accepted quote";
        "purchase_order" => "Bon de commande", "Purchase order";
        "invoice" => "Facture", "Invoice";
        "credit_note" => "Avoir", "Credit note";
        "date" => "Date", "Date";
        "issue_date" => "Date d’émission", "Issue date";
        "valid_until" => "Valable jusqu’au", "Valid until";
        "version" => "Version", "Version";
        "subject" => "Objet", "Subject";
        "accepted_on" => "Accepté le", "Accepted on";
        "quote_ref" => "Devis", "Quote";
        "service_date" => "Date de la prestation", "Service date";
        "due_date" => "Échéance", "Due date";
        "po_ref" => "Bon de commande", "Purchase order";
        "payment_ref" => "Référence de paiement", "Payment reference";
        "invoice_ref" => "Facture d’origine", "Original invoice";
        "reason" => "Motif", "Reason";
        "client" => "Client", "Client";
        "attn" => "À l’attention de", "Attention";
        "siren" => "SIREN", "SIREN";
        "siret" => "SIRET", "SIRET";
        "vat_number" => "N° TVA intracommunautaire", "EU VAT number";
        "description" => "Désignation", "Description";
        "qty" => "Qté", "Qty";
        "unit" => "Unité", "Unit";
        "unit_price" => "P.U. HT", "Unit price excl. VAT";
        "discount" => "Remise", "Discount";
        "vat" => "TVA", "VAT";
        "total_line" => "Total HT", "Total excl. VAT";
        "total_excl" => "Total HT", "Total excl. VAT";
        "vat_on" => "sur", "on";
        "total_incl" => "Total TTC", "Total incl. VAT";
        "due" => "Net à payer", "Amount due";
        "credit_total" => "Montant de l’avoir TTC", "Credit note total incl. VAT";
        "vat_summary" => "Récapitulatif TVA", "VAT summary";
        "rate" => "Taux", "Rate";
        "base" => "Base HT", "Base excl. VAT";
        "amount" => "Montant TVA", "VAT amount";
        "bpa_title" => "Bon pour accord", "Approval (“bon pour accord”)";
        "bpa_blank" => "Date, nom et signature, précédés de la mention manuscrite « Bon pour accord » — ou acceptez ce devis en ligne dans votre espace client.",
            "Date, name and signature preceded by the words “Bon pour accord” (approved) — or accept this quote online in your client space.";
        "evidence_title" => "Bon pour accord électronique", "Electronic approval (“bon pour accord”)";
        "signer" => "Signataire", "Signed by";
        "accepted_at" => "Date et heure", "Date and time";
        "ip" => "Adresse IP", "IP address";
        "consent" => "Consentement", "Consent";
        "consent_text" => "« Bon pour accord » et conditions générales acceptés", "“Bon pour accord” and terms accepted";
        "hash" => "Empreinte SHA-256 du contenu accepté", "SHA-256 of the accepted content";
        "payment" => "Règlement", "Payment";
        "transfer" => "Par virement bancaire", "By bank transfer";
        "holder" => "Titulaire", "Account holder";
        "iban" => "IBAN", "IBAN";
        "bic" => "BIC", "BIC";
        "reference" => "Référence à indiquer", "Reference to quote";
        "qr_caption" => "Scannez ce code avec votre application bancaire (virement SEPA).", "Scan with your banking app (SEPA transfer).";
        "cheque" => "Par chèque", "By cheque";
        "cheque_text" => "À l’ordre de", "Payable to";
        "cheque_send" => "à adresser à", "to be sent to";
        "demo" => "Document de démonstration : identifiants et coordonnées bancaires fictifs.", "Demonstration document: identifiers and bank details are placeholders.";
        "no_discount" => "Pas d’escompte pour paiement anticipé.", "No discount for early payment.";
        "indemnity" => "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € (art. L441-10 et D441-5 du Code de commerce).",
            "Fixed indemnity for recovery costs in case of late payment: €40 (French Commercial Code, art. L441-10 and D441-5).";
        "exempt" => "Lignes à 0 % : exonération de TVA.", "Lines at 0%: exempt from VAT.";
        "quote_terms" => "Paiement à la livraison des fichiers finaux, par virement ou par chèque, à {days} jours date de facture.",
            "Payment on delivery of the final files, by bank transfer or cheque, within {days} days of the invoice date.";
        "quote_validity" => "Ce devis est valable jusqu’au {date}.", "This quote is valid until {date}.";
        "invoice_terms" => "Paiement à réception, au plus tard le {date}, par virement ou par chèque.",
            "Payment on receipt, no later than {date}, by bank transfer or cheque.";
        "po_intro" => "Bon de commande établi automatiquement à l’acceptation du devis {quote} (version {version}) le {date} ; il reprend les lignes et conditions acceptées.",
            "Purchase order generated automatically when quote {quote} (version {version}) was accepted on {date}; it carries the accepted lines and terms.";
        "credit_intro" => "Avoir annulant la facture {invoice} du {date}.", "Credit note cancelling invoice {invoice} of {date}.";
        "notes" => "Remarques", "Notes";
        "page" => "Page", "Page";
        "capital" => "au capital de", "with a share capital of";
        "paid" => "Déjà réglé", "Already paid";
    }
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in pairs {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
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

fn seller(c: &CompanySettings, lang: Language) -> Value {
    json!({
        "trade_name": c.trade_name,
        "legal_name": c.legal_name,
        "address": address_lines(&c.address),
        "email": c.email,
        "phone": c.phone,
        "footer": format!(
            "{} {} {} {} — SIREN {} — SIRET {} — {} — {} {}",
            c.legal_name, c.legal_form, t(lang, "capital"), c.share_capital, c.siren, c.siret, c.rcs,
            t(lang, "vat_number"), c.vat_number
        ),
    })
}

fn buyer(s: &DocumentSnapshot, lang: Language) -> Value {
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
    json!({
        "label": t(lang, "client"),
        "name": c.display_name(),
        "contact": if business { Some(format!("{} {}", t(lang, "attn"), c.name)) } else { None },
        "address": c.billing_address.as_ref().map(address_lines).unwrap_or_default(),
        "email": c.email,
        "ids": ids,
    })
}

fn lines(lines: &[Line], lang: Language) -> Value {
    lines
        .iter()
        .map(|l| {
            json!({
                "code": l.code,
                "description": l.description,
                "quantity": number(l.quantity, lang),
                "unit": l.unit,
                "unit_price": money(l.unit_price, lang),
                "discount": if l.discount.is_zero() { "—".to_string() } else { money(l.discount, lang) },
                "vat": rate(l.vat_rate, lang),
                "total": money(l.total_excl_vat, lang),
            })
        })
        .collect()
}

fn totals(t_: &Totals, lang: Language, last: (&str, Decimal)) -> Value {
    let mut rows =
        vec![json!({"label": t(lang, "total_excl"), "value": money(t_.total_excl_vat, lang), "strong": false})];
    for r in &t_.per_rate {
        rows.push(json!({
            "label": format!("{} {} {} {}", t(lang, "vat"), rate(r.rate, lang), t(lang, "vat_on"), money(r.base_excl_vat, lang)),
            "value": money(r.vat, lang),
            "strong": false,
        }));
    }
    rows.push(json!({"label": t(lang, "total_incl"), "value": money(t_.total_incl_vat, lang), "strong": last.0 == "total_incl"}));
    if last.0 != "total_incl" {
        rows.push(json!({"label": t(lang, last.0), "value": money(last.1, lang), "strong": true}));
    }
    Value::Array(rows)
}

fn vat_summary(t_: &Totals, lang: Language) -> Value {
    json!({
        "title": t(lang, "vat_summary"),
        "headers": [t(lang, "rate"), t(lang, "base"), t(lang, "amount"), t(lang, "total_incl")],
        "rows": t_.per_rate.iter().map(|r| json!([rate(r.rate, lang), money(r.base_excl_vat, lang), money(r.vat, lang), money(r.total_incl_vat, lang)])).collect::<Vec<_>>(),
    })
}

fn evidence(a: &Acceptance, lang: Language) -> Value {
    let mut rows = vec![
        json!([t(lang, "signer"), a.signer_name]),
        json!([t(lang, "accepted_at"), date_time(a.accepted_at, lang)]),
    ];
    if let Some(ip) = &a.ip {
        rows.push(json!([t(lang, "ip"), ip]));
    }
    rows.push(json!([t(lang, "consent"), t(lang, "consent_text")]));
    rows.push(json!([t(lang, "hash"), a.content_sha256]));
    json!({"title": t(lang, "evidence_title"), "rows": rows, "blank": Value::Null})
}

fn fact(label: &str, value: impl Into<String>) -> Value {
    json!([label, value.into()])
}

/// The legal mentions every invoice carries.
fn invoice_mentions(s: &DocumentSnapshot, inv: &Invoice, lang: Language) -> Vec<String> {
    let mut m = vec![fill(t(lang, "invoice_terms"), &[("date", &date(inv.due_date, lang))])];
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

/// Prepares a snapshot for the template.
pub fn prepare(s: &DocumentSnapshot, logo: Option<&str>) -> Result<Prepared, LayoutError> {
    let lang = s.language;
    let c = &s.company;
    let mut facts: Vec<Value> = Vec::new();
    let mut mentions: Vec<String> = Vec::new();
    let mut approval = Value::Null;
    let mut payment = Value::Null;
    let mut facturx_xml = None;
    let mut qr_svg = None;
    let mut subject = Value::Null;
    let mut notes = Value::Null;
    let (doc_lines, doc_totals, last) = match s.kind {
        DocumentKind::Quote | DocumentKind::SignedQuote => {
            let q = s.quote.as_ref().ok_or_else(|| missing("quote"))?;
            facts.push(fact(t(lang, "date"), date(q.sent_at.map(local_date).unwrap_or(local_date(s.issued_at)), lang)));
            facts.push(fact(t(lang, "valid_until"), date(q.valid_until, lang)));
            facts.push(fact(t(lang, "version"), q.version.to_string()));
            subject = json!([t(lang, "subject"), q.title]);
            notes = q.notes.as_ref().map(|n| json!([t(lang, "notes"), n])).unwrap_or(Value::Null);
            mentions.push(fill(t(lang, "quote_validity"), &[("date", &date(q.valid_until, lang))]));
            mentions.push(fill(t(lang, "quote_terms"), &[("days", &c.payment_terms_days.to_string())]));
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
                    approval = evidence(a, lang);
                }
                (DocumentKind::SignedQuote, None) => return Err(missing("acceptance")),
                _ => approval = json!({"title": t(lang, "bpa_title"), "rows": [], "blank": t(lang, "bpa_blank")}),
            }
            (&q.lines, &q.totals, ("total_incl", q.totals.total_incl_vat))
        }
        DocumentKind::PurchaseOrder => {
            let po = s.purchase_order.as_ref().ok_or_else(|| missing("purchase order"))?;
            let q = s.quote.as_ref().ok_or_else(|| missing("quote"))?;
            facts.push(fact(t(lang, "date"), date(local_date(po.created_at), lang)));
            facts.push(fact(t(lang, "quote_ref"), format!("{} (v{})", po.quote_number, po.quote_version)));
            subject = json!([t(lang, "subject"), q.title]);
            let accepted = q.acceptance.as_ref().ok_or_else(|| missing("acceptance"))?;
            mentions.push(fill(
                t(lang, "po_intro"),
                &[
                    ("quote", &po.quote_number),
                    ("version", &po.quote_version.to_string()),
                    ("date", &date(local_date(accepted.accepted_at), lang)),
                ],
            ));
            mentions.push(fill(t(lang, "quote_terms"), &[("days", &c.payment_terms_days.to_string())]));
            approval = evidence(accepted, lang);
            (&po.lines, &po.totals, ("total_incl", po.totals.total_incl_vat))
        }
        DocumentKind::Invoice => {
            let inv = s.invoice.as_ref().ok_or_else(|| missing("invoice"))?;
            facts.push(fact(t(lang, "issue_date"), date(inv.issue_date, lang)));
            facts.push(fact(t(lang, "service_date"), date(inv.service_date, lang)));
            facts.push(fact(t(lang, "due_date"), date(inv.due_date, lang)));
            facts.push(fact(t(lang, "po_ref"), inv.purchase_order_number.clone()));
            facts.push(fact(t(lang, "payment_ref"), inv.payment_reference.clone()));
            mentions = invoice_mentions(s, inv, lang);
            let due = inv.totals.total_incl_vat - inv.amount_paid;
            if due > Decimal::ZERO {
                let svg = qr::svg(&epc_payload(c, due, &inv.payment_reference))
                    .map_err(|e| LayoutError(format!("QR code: {e}")))?;
                qr_svg = Some(svg);
            }
            let mut cheque_address = vec![c.cheque_payee.clone()];
            cheque_address.extend(address_lines(&c.cheque_address));
            payment = json!({
                "title": t(lang, "payment"),
                "transfer": t(lang, "transfer"),
                "rows": [
                    [t(lang, "holder"), c.account_holder],
                    [t(lang, "iban"), c.iban],
                    [t(lang, "bic"), c.bic],
                    [t(lang, "reference"), inv.payment_reference],
                    [t(lang, "due"), money(due, lang)],
                ],
                "qr": qr_svg.as_ref().map(|_| "qr.svg"),
                "qr_caption": t(lang, "qr_caption"),
                "cheque": t(lang, "cheque"),
                "cheque_text": format!("{} {}, {} :", t(lang, "cheque_text"), c.cheque_payee, t(lang, "cheque_send")),
                "cheque_address": cheque_address,
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
            mentions.push(fill(
                t(lang, "credit_intro"),
                &[("invoice", &inv.number), ("date", &date(inv.issue_date, lang))],
            ));
            mentions.push(format!("{} : {}", t(lang, "reason"), cn.reason));
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
            }));
            (&cn.lines, &cn.totals, ("credit_total", cn.totals.total_incl_vat))
        }
    };
    let data = json!({
        "lang": lang.as_str(),
        "kind": s.kind.as_str(),
        "title": t(lang, s.kind.as_str()),
        "number": s.number,
        "demo": if c.demo { Some(t(lang, "demo")) } else { None },
        "logo": logo,
        "facts": facts,
        "seller": seller(c, lang),
        "buyer": buyer(s, lang),
        "subject": subject,
        "headers": [t(lang, "description"), t(lang, "qty"), t(lang, "unit"), t(lang, "unit_price"), t(lang, "discount"), t(lang, "vat"), t(lang, "total_line")],
        "lines": lines(doc_lines, lang),
        "totals": totals(doc_totals, lang, last),
        "vat_summary": vat_summary(doc_totals, lang),
        "notes": notes,
        "approval": approval,
        "payment": payment,
        "mentions": mentions,
        "facturx": facturx_xml.is_some(),
        "page": t(lang, "page"),
    });
    Ok(Prepared { data, facturx_xml, qr_svg })
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
        let c = immovr_core_test_company();
        let p = epc_payload(&c, dec!(876), "F-2026-0007");
        let lines: Vec<&str> = p.split('\n').collect();
        assert_eq!(lines[0..4], ["BCD", "002", "1", "SCT"]);
        assert_eq!(lines[6], "FR7630006000011234567890189");
        assert_eq!(lines[7], "EUR876.00");
        assert_eq!(lines[10], "F-2026-0007");
        assert!(p.len() <= 331);
    }

    fn immovr_core_test_company() -> CompanySettings {
        serde_json::from_value(json!({
            "trade_name": "ImmoVr", "legal_name": "Virtuelli", "legal_form": "SAS", "share_capital": "10 000 €",
            "siren": "123456782", "siret": "12345678200017", "rcs": "RCS Paris", "vat_number": "FR40123456782",
            "address": {"line1": "1 rue", "postcode": "75011", "city": "Paris"}, "email": "a@b.c", "phone": "",
            "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX", "account_holder": "Virtuelli SAS",
            "cheque_payee": "Virtuelli", "cheque_address": {"line1": "1 rue", "postcode": "75011", "city": "Paris"},
            "quote_prefix": "D", "purchase_order_prefix": "BC", "invoice_prefix": "F", "credit_note_prefix": "AV",
            "vat_rates": ["20"], "default_vat_rate": "20", "quote_validity_days": 30, "payment_terms_days": 30,
            "late_payment_wording": "x", "auto_validate_purchase_orders": false, "stage_template": [], "demo": false
        }))
        .unwrap()
    }
}

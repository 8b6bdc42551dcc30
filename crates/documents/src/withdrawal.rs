//! A private client's right of withdrawal on its quote and purchase order (consumer code
//! L221-5 and L221-13: the pre-contract information and the confirmation carry the conditions,
//! the period and the model withdrawal form of the annex to R221-1).

use immovr_core::model::{ClientKind, DocumentKind, DocumentSnapshot, Language};

use crate::layout::date;
use crate::texts::{fill, t};

/// The mentions a document for a private client carries about its right of withdrawal.
pub(crate) fn mentions(s: &DocumentSnapshot, lang: Language) -> Vec<String> {
    if s.client.kind != ClientKind::Person {
        return Vec::new();
    }
    let mut m = Vec::new();
    match s.kind {
        DocumentKind::Quote => m.push(t(lang, "withdrawal_quote").to_string()),
        DocumentKind::SignedQuote | DocumentKind::PurchaseOrder => {
            let ends = s.purchase_order.as_ref().and_then(|p| p.withdrawal.as_ref()).map(|w| date(w.ends_on, lang));
            if let Some(ends) = ends {
                let text = t(lang, "withdrawal_until");
                m.push(fill(text, &[("date", &ends)]));
            }
            let early = s.quote.as_ref().and_then(|q| q.acceptance.as_ref()).is_some_and(|a| a.early_start);
            m.push(if early { t(lang, "withdrawal_early") } else { t(lang, "withdrawal_waits") }.to_string());
        }
        _ => return Vec::new(),
    }
    let c = &s.company;
    let to = format!("{}, {}, {} {}, {}", c.legal_name, c.address.line1, c.address.postcode, c.address.city, c.email);
    m.push(fill(t(lang, "withdrawal_form"), &[("to", &to)]));
    m
}

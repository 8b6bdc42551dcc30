//! A private client's right of withdrawal on its quote and purchase order (consumer code
//! L221-5 and L221-13: the pre-contract information and the confirmation carry the conditions,
//! the period and the model withdrawal form of the annex to R221-1).

use immovr_core::model::{ClientKind, DocumentKind, DocumentSnapshot, Language};

use crate::layout::date;
use crate::texts::fill;

/// The mentions a document for a private client carries about its right of withdrawal.
pub(crate) fn mentions(s: &DocumentSnapshot, lang: Language) -> Vec<String> {
    if s.client.kind != ClientKind::Person {
        return Vec::new();
    }
    let fr = lang == Language::Fr;
    let tx = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let mut m = Vec::new();
    match s.kind {
        DocumentKind::Quote => m.push(tx(
            "Droit de rétractation : en acceptant ce devis à distance ou hors établissement, vous disposez de 14 jours à compter de votre acceptation pour vous rétracter sans motif (Code de la consommation, art. L221-18), depuis votre espace client ou avec le formulaire ci-dessous. La prestation commence après ce délai, sauf si vous demandez expressément qu’elle commence avant ; vous paierez alors la part réalisée si vous vous rétractez (art. L221-25).",
            "Right of withdrawal: accepting this quote at a distance or off premises, you have 14 days from your acceptance to withdraw without reason (French consumer code, art. L221-18), from your client area or with the form below. The work starts after that period unless you expressly ask for it to start sooner; you then pay for the part done if you withdraw (art. L221-25).",
        ).to_string()),
        DocumentKind::SignedQuote | DocumentKind::PurchaseOrder => {
            let ends = s.purchase_order.as_ref().and_then(|p| p.withdrawal.as_ref()).map(|w| date(w.ends_on, lang));
            if let Some(ends) = ends {
                let text = tx(
                    "Droit de rétractation (Code de la consommation, art. L221-18) : vous pouvez vous rétracter jusqu’au {date} inclus, depuis votre espace client ou avec le formulaire ci-dessous.",
                    "Right of withdrawal (French consumer code, art. L221-18): you may withdraw until {date} included, from your client area or with the form below.",
                );
                m.push(fill(text, &[("date", &ends)]));
            }
            let early = s.quote.as_ref().and_then(|q| q.acceptance.as_ref()).is_some_and(|a| a.early_start);
            m.push(if early {
                tx(
                    "À votre demande expresse, la prestation commence avant la fin du délai de rétractation ; si vous vous rétractez, la part déjà réalisée reste due (art. L221-25).",
                    "At your express request, the work starts before the withdrawal period ends; if you withdraw, the part already done remains due (art. L221-25).",
                )
            } else {
                tx(
                    "La prestation commence à la fin du délai de rétractation.",
                    "The work starts when the withdrawal period ends.",
                )
            }
            .to_string());
        }
        _ => return Vec::new(),
    }
    let c = &s.company;
    let to = format!("{}, {}, {} {}, {}", c.legal_name, c.address.line1, c.address.postcode, c.address.city, c.email);
    m.push(fill(
        tx(
            "Modèle de formulaire de rétractation (à compléter et renvoyer uniquement pour vous rétracter) — À l’attention de {to} : Je/nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du contrat portant sur la prestation de services ci-dessous : Commandé le (*) : … Nom du (des) consommateur(s) : … Adresse du (des) consommateur(s) : … Signature du (des) consommateur(s) (uniquement en cas de notification sur papier) : … Date : … (*) Rayez la mention inutile.",
            "Model withdrawal form (complete and return it only to withdraw) — To {to}: I/We (*) hereby give notice that I/We (*) withdraw from my/our (*) contract for the provision of the following service: Ordered on (*): … Name of consumer(s): … Address of consumer(s): … Signature of consumer(s) (only if notified on paper): … Date: … (*) Delete as appropriate.",
        ),
        &[("to", &to)],
    ));
    m
}

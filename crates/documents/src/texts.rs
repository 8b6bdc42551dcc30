//! The documents' texts in French and English, by key, and the placeholders they carry.

use immovr_core::model::Language;

/// The document's texts in French and English.
pub(crate) fn t(lang: Language, key: &str) -> &'static str {
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
        "category" => "Catégorie de l’opération", "Category of the operation";
        "category_services" => "prestation de services", "supply of services";
        "category_goods" => "livraison de biens", "supply of goods";
        "category_mixed" => "livraison de biens et prestation de services", "supply of goods and services";
        "vat_debits" => "Option pour le paiement de la taxe d’après les débits.", "VAT paid on debits (option for payment of the tax on invoicing).";
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
        "via_link" => "Accès", "Access";
        "via_link_text" => "lien personnel de l’e-mail du", "personal link of the email of";
        "consent_text" => "« Bon pour accord » et conditions générales acceptés", "“Bon pour accord” and terms accepted";
        "terms" => "Conditions générales de vente", "Terms and conditions of sale";
        "terms_version" => "version", "version";
        "terms_model" => "modèle proposé par immovr (version 0)", "immovr’s model (version 0)";
        "hash" => "Empreinte SHA-256 du contenu accepté", "SHA-256 of the accepted content";
        "evidence_title_offline" => "Bon pour accord reçu hors ligne", "Approval (“bon pour accord”) received offline";
        "signed_on" => "Signé le", "Signed on";
        "channel" => "Reçu", "Received";
        "channel_paper" => "Exemplaire papier signé", "Signed paper copy";
        "channel_email" => "Email signé", "Signed email";
        "recorded" => "Enregistré par", "Recorded by";
        "evidence_file" => "Document signé (SHA-256)", "Signed document (SHA-256)";
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
        "quote_terms_receipt" => "Facture émise à la livraison des fichiers finaux, payable à réception, par virement ou par chèque.",
            "Invoiced on delivery of the final files, payable on receipt, by bank transfer or cheque.";
        "quote_terms_days" => "Facture émise à la livraison des fichiers finaux, payable à {days} jours date de facture, par virement ou par chèque.",
            "Invoiced on delivery of the final files, payable within {days} days of the invoice date, by bank transfer or cheque.";
        "quote_validity" => "Ce devis est valable jusqu’au {date}.", "This quote is valid until {date}.";
        "invoice_terms_receipt" => "Payable à réception (échéance le {date}), par virement ou par chèque.",
            "Payable on receipt (due on {date}), by bank transfer or cheque.";
        "invoice_terms_days" => "Payable à {days} jours date de facture, soit au plus tard le {date}, par virement ou par chèque.",
            "Payable within {days} days of the invoice date, that is by {date} at the latest, by bank transfer or cheque.";
        "property" => "Lieu de la prestation", "Service performed at";
        "po_intro" => "Bon de commande établi automatiquement à l’acceptation du devis {quote} (version {version}) le {date} ; il reprend les lignes et conditions acceptées.",
            "Purchase order generated automatically when quote {quote} (version {version}) was accepted on {date}; it carries the accepted lines and terms.";
        "credit_intro" => "Avoir annulant la facture {invoice} du {date}.", "Credit note cancelling invoice {invoice} of {date}.";
        "notes" => "Remarques", "Notes";
        "page" => "Page", "Page";
        "capital" => "au capital de", "with a share capital of";
        "paid" => "Déjà réglé", "Already paid";
        // A private client's right of withdrawal (consumer code L221-5, L221-13, R221-1).
        "withdrawal_quote" => "Droit de rétractation : en acceptant ce devis à distance ou hors établissement, vous disposez de 14 jours à compter de votre acceptation pour vous rétracter sans motif (Code de la consommation, art. L221-18), depuis votre espace client ou avec le formulaire ci-dessous. La prestation commence après ce délai, sauf si vous demandez expressément qu’elle commence avant ; vous paierez alors la part réalisée si vous vous rétractez (art. L221-25).",
            "Right of withdrawal: accepting this quote at a distance or off premises, you have 14 days from your acceptance to withdraw without reason (French consumer code, art. L221-18), from your client area or with the form below. The work starts after that period unless you expressly ask for it to start sooner; you then pay for the part done if you withdraw (art. L221-25).";
        "withdrawal_until" => "Droit de rétractation (Code de la consommation, art. L221-18) : vous pouvez vous rétracter jusqu’au {date} inclus, depuis votre espace client ou avec le formulaire ci-dessous.",
            "Right of withdrawal (French consumer code, art. L221-18): you may withdraw until {date} included, from your client area or with the form below.";
        "withdrawal_early" => "À votre demande expresse, la prestation commence avant la fin du délai de rétractation ; si vous vous rétractez, la part déjà réalisée reste due (art. L221-25).",
            "At your express request, the work starts before the withdrawal period ends; if you withdraw, the part already done remains due (art. L221-25).";
        "withdrawal_waits" => "La prestation commence à la fin du délai de rétractation.",
            "The work starts when the withdrawal period ends.";
        "withdrawal_form" => "Modèle de formulaire de rétractation (à compléter et renvoyer uniquement pour vous rétracter) — À l’attention de {to} : Je/nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du contrat portant sur la prestation de services ci-dessous : Commandé le (*) : … Nom du (des) consommateur(s) : … Adresse du (des) consommateur(s) : … Signature du (des) consommateur(s) (uniquement en cas de notification sur papier) : … Date : … (*) Rayez la mention inutile.",
            "Model withdrawal form (complete and return it only to withdraw) — To {to}: I/We (*) hereby give notice that I/We (*) withdraw from my/our (*) contract for the provision of the following service: Ordered on (*): … Name of consumer(s): … Address of consumer(s): … Signature of consumer(s) (only if notified on paper): … Date: … (*) Delete as appropriate.";
    }
}

pub(crate) fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in pairs {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

//! The domain's refusals in the page's language. The domain says why a field is refused in
//! English (the API's `detail`); pages show it in French through this table, keyed by the
//! English text as gettext does, `{}` standing for what the message carries (a number, a file
//! name). A test reads every refusal written in the sources and finds it here.

use immovr_core::model::Language;

/// English → French, for every refusal the domain and the pages give.
const FRENCH: &[(&str, &str)] = &[
    ("0 to 60 days", "de 0 à 60 jours"),
    ("1 to 1200 months", "de 1 à 1200 mois"),
    (
        "10 to 100 years: invoices are kept 10 years at least",
        "de 10 à 100 ans : les factures sont conservées 10 ans au moins",
    ),
    ("1 to 36500 days", "de 1 à 36500 jours"),
    ("1 to 10 letters or digits", "de 1 à 10 lettres ou chiffres"),
    ("1 to 10 rates, the default among them", "de 1 à 10 taux, dont le taux par défaut"),
    ("1 to 20 stages", "de 1 à 20 étapes"),
    ("1 to 365 days", "de 1 à 365 jours"),
    ("1 to 40 letters, digits, '-' or '_'", "de 1 à 40 lettres, chiffres, « - » ou « _ »"),
    ("API tokens are for staff accounts", "les jetons d’API sont réservés aux comptes de l’équipe"),
    ("a BIC has 8 or 11 characters, e.g. AGRIFRPPXXX", "un BIC compte 8 ou 11 caractères, par exemple AGRIFRPPXXX"),
    ("a French postcode is 5 digits", "un code postal français compte 5 chiffres"),
    ("a PNG, JPEG or WebP image", "une image PNG, JPEG ou WebP"),
    ("a SIREN is 9 digits", "un SIREN compte 9 chiffres"),
    ("a SIRET is 14 digits", "un SIRET compte 14 chiffres"),
    ("a country code such as FR, BE or CH", "un code pays tel que FR, BE ou CH"),
    ("a date", "une date"),
    ("a date (YYYY-MM-DD)", "une date (AAAA-MM-JJ)"),
    ("a date such as {}", "une date telle que {}"),
    ("a media type such as application/zip", "un type de média tel que application/zip"),
    ("a member of the studio's team", "un membre de l’équipe du studio"),
    ("a non-negative amount with at most 4 decimals", "un montant positif ou nul, 4 décimales au plus"),
    ("a number of square metres", "un nombre de mètres carrés"),
    (
        "a phone number such as 01 23 45 67 89 or +33 1 23 45 67 89",
        "un numéro de téléphone tel que 01 23 45 67 89 ou +33 1 23 45 67 89",
    ),
    ("a whole number", "un nombre entier"),
    ("after the quote's validity date", "après la date de validité du devis"),
    ("an amount, e.g. 1250.00", "un montant, par exemple 1250,00"),
    ("an intra-EU VAT number such as FR40123456824", "un numéro de TVA intracommunautaire tel que FR40123456824"),
    ("at least one role", "au moins un rôle"),
    ("at least {} characters", "au moins {} caractères"),
    ("at most {} items", "{} éléments au plus"),
    ("at most {} bytes", "{} octets au plus"),
    ("at most {} decimals", "{} décimales au plus"),
    ("at most {} lines", "{} lignes au plus"),
    ("at most {} files", "{} fichiers au plus"),
    ("at most {} characters", "{} caractères au plus"),
    ("attach the signed document", "joignez le document signé"),
    ("before the quote was sent", "avant l’envoi du devis"),
    ("choose a client", "choisissez un client"),
    ("clients ask for themselves", "un client ne demande que pour lui-même"),
    ("could not be read", "illisible"),
    ("from 1 to {}", "de 1 à {}"),
    ("give the day as well", "indiquez aussi le jour"),
    ("give your full name", "indiquez votre nom complet"),
    ("tick to approve the quote", "cochez « Bon pour accord » pour approuver le devis"),
    ("accept the terms and conditions", "acceptez les conditions générales de vente"),
    ("is not the VAT number of this SIREN", "n’est pas le numéro de TVA de ce SIREN"),
    ("letters, digits, '-' or '_'", "lettres, chiffres, « - » ou « _ »"),
    (
        "must be a non-negative amount in euros with at most 2 decimals",
        "un montant en euros positif ou nul, 2 décimales au plus",
    ),
    ("must be a positive amount with at most 2 decimals", "un montant positif, 2 décimales au plus"),
    ("must be a single line", "une seule ligne"),
    ("must be between 0 and {}", "entre 0 et {}"),
    ("must be greater than 0 and at most {}", "supérieur à 0 et au plus {}"),
    ("must be one of {}", "l’un des taux : {}"),
    ("must be positive", "doit être positif"),
    ("must not be before the date received", "ne peut précéder la date de réception"),
    ("must not be empty", "à renseigner"),
    ("must not be in the future", "ne peut pas être dans le futur"),
    ("must not be in the past", "ne peut pas être dans le passé"),
    ("must not contain control characters", "ne doit pas contenir de caractères de contrôle"),
    (
        "must not contain invisible formatting characters",
        "ne doit pas contenir de caractères de mise en forme invisibles",
    ),
    ("must not exceed quantity × unit price", "ne peut dépasser quantité × prix unitaire"),
    (
        "must start with an EU member state's code (FR, DE, BE, …)",
        "doit commencer par le code d’un État de l’UE (FR, DE, BE…)",
    ),
    ("must start with the SIREN", "doit commencer par le SIREN"),
    ("no such client", "client inconnu"),
    ("no such request for this client", "cette demande n’est pas celle de ce client"),
    ("not a French VAT rate (20, 10, 5.5, 2.1, 0 …)", "pas un taux de TVA français (20, 10, 5,5, 2,1, 0…)"),
    ("not a client", "client inconnu"),
    ("not a cursor from a previous page", "curseur inconnu"),
    ("not a number", "pas un nombre"),
    ("not a phone number", "pas un numéro de téléphone"),
    ("not a postcode", "pas un code postal"),
    ("not a valid French VAT number (its key is wrong)", "numéro de TVA français invalide (sa clé est fausse)"),
    ("not a valid IBAN (its check digits are wrong)", "IBAN invalide (sa clé de contrôle est fausse)"),
    (
        "not a valid IBAN, e.g. FR76 3000 6000 0112 3456 7890 189",
        "IBAN invalide ; exemple : FR76 3000 6000 0112 3456 7890 189",
    ),
    ("not a valid SIREN (its check digit is wrong)", "SIREN invalide (son chiffre de contrôle est faux)"),
    ("not a valid SIRET (its check digit is wrong)", "SIRET invalide (son chiffre de contrôle est faux)"),
    ("not a valid email address", "adresse e-mail invalide"),
    ("not one of the configured VAT rates", "pas l’un des taux de TVA configurés"),
    ("one of: {}", "l’une des valeurs : {}"),
    ("one stage a line: code | libellé | label", "une étape par ligne : code | libellé | label"),
    ("only a failed notification is sent again", "seule une notification en échec peut être renvoyée"),
    ("paper or email", "papier ou e-mail"),
    (
        "paper or email: an online acceptance is the client's",
        "papier ou e-mail : l’accord en ligne est celui du client",
    ),
    ("required for a company", "obligatoire pour une entreprise"),
    ("say what should change", "dites ce qui doit changer"),
    ("staff must name the client", "l’équipe doit nommer le client"),
    ("the period starts after it ends", "la période commence après sa fin"),
    (
        "the validity date has passed: change it before sending",
        "la date de validité est passée : changez-la avant l’envoi",
    ),
    ("too long", "trop long"),
    ("transfer or cheque", "virement ou chèque"),
    ("unknown or inactive catalogue code {}", "prestation inconnue ou retirée du catalogue : {}"),
    ("up to 10 delays of 1 to 365 days", "jusqu’à 10 délais de 1 à 365 jours"),
    ("upload interrupted: {}", "envoi interrompu ({}) : réessayez"),
    ("wrong code", "code erroné"),
    ("tick the box to confirm", "cochez la case pour confirmer"),
    ("wrong current password", "mot de passe actuel erroné"),
    ("{}: larger than {} MB", "{} : plus de {} Mo"),
    (
        "the SIREN, then letters, digits, '+', '-', '_' or '.' (125 at most)",
        "le SIREN, puis des lettres, chiffres, « + », « - », « _ » ou « . » (125 au plus)",
    ),
    ("only a failed transmission is sent again", "seule une transmission en échec peut être renvoyée"),
    ("services, goods or mixed", "prestation de services, livraison de biens, ou les deux"),
    (
        "normal_monthly, normal_quarterly, simplified or franchise",
        "réel normal mensuel, réel normal trimestriel, réel simplifié ou franchise en base",
    ),
    (
        "the files received earlier are no longer kept: attach them again",
        "les fichiers reçus précédemment ne sont plus conservés : joignez-les à nouveau",
    ),
    (
        "the files received earlier were sent already: attach them again",
        "les fichiers reçus précédemment ont déjà été envoyés : joignez-les à nouveau",
    ),
    (
        "{}: only PDF, JPEG, PNG, WebP or HEIC files",
        "{} : seuls les fichiers PDF, JPEG, PNG, WebP ou HEIC sont acceptés",
    ),
];

/// Why a field is refused, in `language` (the English text when no translation is known).
pub fn refusal(language: Language, message: &str) -> String {
    match language {
        Language::En => message.to_string(),
        Language::Fr => french(message).unwrap_or_else(|| message.to_string()),
    }
}

/// The French text of an English refusal, if the table has it.
pub fn french(message: &str) -> Option<String> {
    FRENCH.iter().find_map(|(en, fr)| {
        let values = matched(en, message)?;
        let mut out = String::new();
        let mut values = values.into_iter();
        let mut parts = fr.split("{}").peekable();
        while let Some(part) = parts.next() {
            out.push_str(part);
            if parts.peek().is_some() {
                out.push_str(values.next().unwrap_or_default());
            }
        }
        Some(out)
    })
}

/// The values a message gives for the `{}` of a template, if it is that template.
fn matched<'m>(template: &str, message: &'m str) -> Option<Vec<&'m str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let (first, rest) = parts.split_first()?;
    let mut at = message.strip_prefix(first)?;
    let mut values = Vec::new();
    for (i, part) in rest.iter().enumerate() {
        let end = if i + 1 == rest.len() {
            let end = at.len().checked_sub(part.len())?;
            at.get(end..).filter(|tail| tail == part)?;
            end
        } else {
            at.find(part).filter(|_| !part.is_empty())?
        };
        let value = at.get(..end)?;
        if value.is_empty() {
            return None;
        }
        values.push(value);
        at = &at[end + part.len()..];
    }
    // Without a placeholder the message is the template; with one, the last part ends it.
    at.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_carry_their_values() {
        assert_eq!(french("at most 200 characters").as_deref(), Some("200 caractères au plus"));
        assert_eq!(french("plan.exe: larger than 25 MB").as_deref(), Some("plan.exe : plus de 25 Mo"));
        assert_eq!(
            french("a French postcode is 5 digits").as_deref(),
            Some("un code postal français compte 5 chiffres")
        );
        assert_eq!(french("a French postcode is 5 digits!"), None);
        assert_eq!(french("something new"), None);
        assert_eq!(refusal(Language::En, "not a number"), "not a number");
    }

    /// The second argument of every `validation(…)` and `refuse(…)` call, and the reasons text
    /// checks give: the English refusals the sources can produce, `{…}` for what they carry.
    fn refusals_in_sources() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if !path.ends_with("tests") && !path.ends_with("target") {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") && path.to_string_lossy().contains("/src/") {
                    found.extend(literals(&std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        found
    }

    fn literals(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for call in ["validation(", ".refuse("] {
            for (start, _) in source.match_indices(call) {
                let rest = &source[start + call.len()..];
                // Skip the first argument (balanced brackets, strings) to its comma.
                let (mut depth, mut chars, mut in_string) = (0i32, rest.char_indices(), false);
                let mut comma = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' if in_string => {
                            chars.next();
                        }
                        '"' => in_string = !in_string,
                        '(' | '[' if !in_string => depth += 1,
                        ')' | ']' if !in_string => {
                            depth -= 1;
                            if depth < 0 {
                                break;
                            }
                        }
                        ',' if !in_string && depth == 0 => {
                            comma = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let Some(comma) = comma else { continue };
                let arg = rest[comma + 1..].trim_start();
                let arg = arg.strip_prefix("format!(").map(str::trim_start).unwrap_or(arg);
                if let Some(body) = arg.strip_prefix('"') {
                    let end = body.find('"').unwrap();
                    found.push(body[..end].to_string());
                }
            }
        }
        // The reasons a text is refused, given through a variable.
        for reason in ["\"must be a single line\"", "\"must not contain control characters\""] {
            if source.contains(reason) {
                found.push(reason.trim_matches('"').to_string());
                found.push("must not contain invisible formatting characters".into());
            }
        }
        found
    }

    /// A refusal as given: each `{…}` of its format string filled with a sample value.
    fn sample(format: &str) -> String {
        let mut out = String::new();
        let mut rest = format;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').unwrap() + open;
            out.push_str("42");
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// One error of each kind: the match has no catch-all, so a new kind fails to compile here
    /// until it is listed (and then needs its texts).
    fn one_of_each() -> Vec<immovr_core::DomainError> {
        use immovr_core::DomainError::{self, *};
        let all = vec![
            DomainError::validation("name", "must not be empty"),
            Invalid { errors: vec![] },
            NotFound { entity: "quote" },
            Unauthenticated,
            BadCredentials,
            SecondFactorRequired,
            Forbidden { role: "admin" },
            EmailTaken,
            CatalogueCodeTaken,
            QuoteNotDraft,
            QuoteEmpty,
            QuoteNotSent,
            QuoteAlreadyAccepted,
            QuoteRefused,
            QuoteSuperseded,
            QuoteExpired,
            QuoteNotRevisable,
            QuoteRevisionExists,
            AcceptanceIncomplete,
            PurchaseOrderAlreadyValidated,
            PurchaseOrderCancelled,
            OrderWrongState,
            OrderNotDelivered,
            OrderAlreadyDelivered,
            OrderNothingToDeliver,
            AlreadyInvoiced,
            StageAlreadyDone,
            Overpayment,
            InvoiceAlreadyPaid,
            InvoiceCancelled,
            InvoiceHasPayments,
            ErasureBlocked,
            ClientErased,
            WithdrawalPeriodRuns,
            WithdrawalClosed,
            FileTooLarge { limit: 25_000_000 },
            IdempotencyInProgress,
            IdempotencyKeyReused,
            DomainError::internal("x"),
        ];
        for e in &all {
            match e {
                Validation { .. }
                | Invalid { .. }
                | NotFound { .. }
                | Unauthenticated
                | BadCredentials
                | SecondFactorRequired
                | Forbidden { .. }
                | EmailTaken
                | CatalogueCodeTaken
                | QuoteNotDraft
                | QuoteEmpty
                | QuoteNotSent
                | QuoteAlreadyAccepted
                | QuoteRefused
                | QuoteSuperseded
                | QuoteExpired
                | QuoteNotRevisable
                | QuoteRevisionExists
                | AcceptanceIncomplete
                | PurchaseOrderAlreadyValidated
                | PurchaseOrderCancelled
                | OrderWrongState
                | OrderNotDelivered
                | OrderAlreadyDelivered
                | OrderNothingToDeliver
                | AlreadyInvoiced
                | StageAlreadyDone
                | Overpayment
                | InvoiceAlreadyPaid
                | InvoiceCancelled
                | InvoiceHasPayments
                | ErasureBlocked
                | ClientErased
                | WithdrawalPeriodRuns
                | WithdrawalClosed
                | FileTooLarge { .. }
                | IdempotencyInProgress
                | IdempotencyKeyReused
                | Internal(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_error_code_has_its_text_in_french_and_in_english() {
        use crate::pages::shared::{error_text, i18n::Tr};
        for e in one_of_each() {
            let fr = error_text(Tr(Language::Fr), &e);
            let en = error_text(Tr(Language::En), &e);
            assert!(!fr.contains('?') && !en.contains('?'), "{}: {fr} / {en}", e.code());
            assert_ne!(fr, en, "{} is translated", e.code());
        }
        let refused = immovr_core::DomainError::validation("billing_address.postcode", "a French postcode is 5 digits");
        assert!(error_text(Tr(Language::Fr), &refused).contains("un code postal français compte 5 chiffres"));
    }

    #[test]
    fn every_refusal_in_the_sources_has_its_french_text() {
        let refusals = refusals_in_sources();
        assert!(refusals.len() > 80, "the scan finds the refusals ({})", refusals.len());
        let missing: Vec<_> = refusals.iter().filter(|m| french(&sample(m)).is_none()).collect();
        assert!(missing.is_empty(), "refusals without French text: {missing:#?}");
    }
}

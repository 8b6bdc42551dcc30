//! Every notification kind composes in both languages: subject, text and HTML bodies, the link
//! to the right page, the Message-ID; a studio's template replaces the shipped one.

use immovr_core::model::{CompanySettings, Language, OutboxMessage, RefusalKind, ThreadKind};
use immovr_core::notification::{
    self, LineSummary, LinkNews, MessageNews, Notification, PlannedStages, QuoteChanges, StageNews,
};
use immovr_notify::{Attachment, Composer, link, shoot_invitation};
use serde_json::json;

fn company() -> CompanySettings {
    serde_json::from_value(json!({
        "trade_name": "ImmoVr", "legal_name": "Virtuelli", "legal_form": "SAS", "share_capital": "10 000 €",
        "siren": "123456782", "siret": "12345678200002", "rcs": "RCS Paris", "vat_number": "FR11123456782",
        "address": {"line1": "12 rue de la Roquette", "postcode": "75011", "city": "Paris"}, "email": "studio@immovr.example",
        "phone": "+33 1 23 45 67 89", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
        "account_holder": "Virtuelli SAS", "cheque_payee": "Virtuelli",
        "cheque_address": {"line1": "BP 42", "postcode": "75011", "city": "Paris"},
        "quote_prefix": "D", "purchase_order_prefix": "BC", "invoice_prefix": "F", "credit_note_prefix": "AV",
        "vat_rates": ["20"], "default_vat_rate": "20", "quote_validity_days": 30, "payment_terms_days": 30,
        "late_payment_wording": "x", "auto_validate_purchase_orders": false, "stage_template": [], "demo": false
    }))
    .unwrap()
}

fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

/// One notification of every kind, and the page its link must open.
fn kinds() -> Vec<(Notification, &'static str)> {
    let accepted = notification::Accepted {
        quote_id: 3,
        quote_number: "D-2026-0001".into(),
        purchase_order_id: 4,
        purchase_order_number: "BC-2026-0001".into(),
        total_incl_vat: d("894.60"),
    };
    let stage = |name: &str, code: &str, planned: Option<&str>| StageNews {
        order_id: 5,
        stage_id: 9,
        stage: name.into(),
        stage_code: code.into(),
        planned_date: planned.map(date),
        planned_time: None,
        place: None,
    };
    let link = |path: &str, at: &str| LinkNews {
        url_path: path.into(),
        expires_at: at.parse().unwrap(),
        name: "Claire".into(),
    };
    vec![
        (
            Notification::QuoteSent {
                quote_id: 3,
                number: "D-2026-0001".into(),
                version: 2,
                valid_until: date("2026-07-15"),
                total_incl_vat: d("894.60"),
                changes: Some(Box::new(QuoteChanges {
                    previous_version: 1,
                    added: vec![LineSummary {
                        description: "Plan 2D coté".into(),
                        quantity: d("1"),
                        unit: "plan".into(),
                        total_excl_vat: d("120.00"),
                    }],
                    removed: vec![],
                    changed: vec![(
                        LineSummary {
                            description: "Home staging virtuel".into(),
                            quantity: d("3"),
                            unit: "pièce".into(),
                            total_excl_vat: d("267.00"),
                        },
                        LineSummary {
                            description: "Home staging virtuel".into(),
                            quantity: d("2"),
                            unit: "pièce".into(),
                            total_excl_vat: d("178.00"),
                        },
                    )],
                    total_before: d("787.80"),
                    total_after: d("894.60"),
                })),
            },
            "/compte/devis/3",
        ),
        (
            Notification::QuoteExtended {
                quote_id: 3,
                number: Some("D-2026-0001".into()),
                valid_until: date("2026-08-15"),
            },
            "/compte/devis/3",
        ),
        (
            Notification::QuoteExpiring {
                quote_id: 3,
                number: Some("D-2026-0001".into()),
                valid_until: date("2026-07-15"),
                total_incl_vat: d("894.60"),
            },
            "/compte/devis/3",
        ),
        (Notification::PurchaseOrderCreated(accepted.clone()), "/compte/devis/3"),
        (
            Notification::PurchaseOrderCancelled {
                purchase_order_id: 4,
                number: "BC-2026-0001".into(),
                reason: "Projet reporté".into(),
                quote_id: Some(3),
            },
            "/compte/devis/3",
        ),
        (
            Notification::OrderRegistered { order_id: 5, purchase_order_number: "BC-2026-0001".into() },
            "/compte/commandes/5",
        ),
        (
            Notification::StagePlanned(PlannedStages {
                order_id: 5,
                stages: vec![
                    StageNews { stage_id: 8, ..stage("Prise de contact", "contact", Some("2026-06-16")) },
                    StageNews {
                        planned_time: Some("09:30".parse().unwrap()),
                        place: Some("14 quai des Célestins, 69002 Lyon".into()),
                        ..stage("Prise de vue sur site", "shoot", Some("2026-06-20"))
                    },
                ],
            }),
            "/compte/commandes/5",
        ),
        (Notification::StageDone(stage("Production", "production", None)), "/compte/commandes/5"),
        (
            Notification::OrderDelivered {
                order_id: 5,
                invoice_id: 6,
                invoice_number: "F-2026-0001".into(),
                total_incl_vat: d("894.60"),
                due_date: date("2026-07-15"),
            },
            "/compte/commandes/5",
        ),
        (
            Notification::InvoiceIssued { invoice_id: 6, number: "F-2026-0002".into(), total_incl_vat: d("894.60") },
            "/compte/factures/6",
        ),
        (
            Notification::PaymentReceived {
                invoice_id: 6,
                number: "F-2026-0001".into(),
                amount: d("500.00"),
                amount_due: d("394.60"),
            },
            "/compte/factures/6",
        ),
        (
            Notification::CreditNoteIssued {
                credit_note_id: 1,
                number: "AV-2026-0001".into(),
                invoice_id: 6,
                invoice_number: "F-2026-0001".into(),
            },
            "/compte/factures/6",
        ),
        (
            Notification::InvoiceOverdue {
                invoice_id: 6,
                number: "F-2026-0001".into(),
                due_date: date("2026-07-15"),
                amount_due: d("894.60"),
                days_late: 15,
            },
            "/compte/factures/6",
        ),
        (
            Notification::MessageReceived(MessageNews {
                thread_kind: ThreadKind::Order,
                thread_id: 5,
                message_id: 7,
                author: "L'équipe".into(),
            }),
            "/compte/commandes/5#h-msg",
        ),
        (Notification::MagicLink(link("/lien-magique/abc", "2026-06-15T08:15:00Z")), "/lien-magique/abc"),
        (Notification::PasswordReset(link("/reinitialiser/abc", "2026-06-15T09:00:00Z")), "/reinitialiser/abc"),
        (
            Notification::QuoteRequestReceived { quote_request_id: 2, client_id: 1, property: "Appartement".into() },
            "/gestion/demandes",
        ),
        (Notification::QuoteAccepted(accepted), "/gestion/bons-de-commande"),
        (
            Notification::QuoteRefused {
                quote_id: 3,
                number: Some("D-2026-0001".into()),
                version: 1,
                kind: RefusalKind::ChangesRequested,
                comment: Some("Sans le plan 2D".into()),
            },
            "/gestion/devis/3",
        ),
        (
            Notification::ClientMessageReceived(MessageNews {
                thread_kind: ThreadKind::Quote,
                thread_id: 3,
                message_id: 8,
                author: "Claire Dubois".into(),
            }),
            "/gestion/devis/3#h-msg",
        ),
    ]
}

fn message(n: &Notification, language: Language) -> OutboxMessage {
    OutboxMessage {
        id: 42,
        kind: n.kind().into(),
        recipient: "claire@agence-lumiere.example".into(),
        language,
        payload: n.payload(),
        status: "pending".into(),
        attempts: 0,
        last_error: None,
        next_attempt_at: None,
        sent_at: None,
        created_at: "2026-06-15T08:00:00Z".parse().unwrap(),
    }
}

#[test]
fn every_kind_composes_in_both_languages_with_its_link() {
    let composer = Composer::new("https://studio.example", "ImmoVr <studio@immovr.example>", None).unwrap();
    for (n, path) in kinds() {
        let kind = n.kind();
        assert_eq!(link(&n, "https://studio.example"), format!("https://studio.example{path}"));
        for lang in [Language::Fr, Language::En] {
            let m = message(&n, lang);
            let (subject, text) = composer.text(&m, &company()).unwrap_or_else(|e| panic!("{kind} {lang:?}: {e}"));
            assert!(!subject.is_empty() && !subject.contains("{{"), "{kind}: {subject}");
            assert!(text.contains(&format!("https://studio.example{path}")), "{kind} {lang:?}: {text}");
            assert!(!text.contains("{{") && !text.contains("{%"), "{kind}: {text}");
            let email = composer.compose(&m, &company(), &[]).unwrap();
            let raw = String::from_utf8(email.formatted()).unwrap();
            assert!(raw.contains("Message-ID: <outbox.42.1781510400@immovr.example>"), "{raw}");
            assert!(raw.contains("text/plain") && raw.contains("text/html"), "multipart: {raw}");
        }
    }
    // Amounts and dates the local way.
    let m = message(&kinds()[10].0, Language::Fr);
    let (subject, text) = composer.text(&m, &company()).unwrap();
    assert_eq!(subject, "Paiement reçu — facture F-2026-0001");
    assert!(text.contains("500,00\u{a0}€") && text.contains("394,60\u{a0}€"), "{text}");
    let m = message(&kinds()[0].0, Language::En);
    assert!(composer.text(&m, &company()).unwrap().1.contains("valid until 15 July 2026"));
    // A revision says it is one, and what changed.
    let (subject, text) = composer.text(&message(&kinds()[0].0, Language::Fr), &company()).unwrap();
    assert_eq!(subject, "Votre devis D-2026-0001 révisé (version 2) est disponible");
    for line in [
        "Ce qui change depuis la version 1 :",
        "- ajouté : Plan 2D coté (1 plan), 120,00\u{a0}€ HT",
        "- modifié : Home staging virtuel, 3 → 2 pièce, 267,00\u{a0}€ → 178,00\u{a0}€ HT",
        "- total TTC : 787,80\u{a0}€ → 894,60\u{a0}€",
    ] {
        assert!(text.contains(line), "{line} missing: {text}");
    }
}

#[test]
fn the_shoot_gets_a_calendar_invitation_and_attachments_ride_along() {
    let composer = Composer::new("https://studio.example", "ImmoVr <studio@immovr.example>", None).unwrap();
    let (planned, _) = kinds().into_iter().find(|(n, _)| n.kind() == "stage_planned").unwrap();
    let m = message(&planned, Language::Fr);
    let ics = shoot_invitation(&m, &company(), "https://studio.example/compte/commandes/5").expect("an invitation");
    let text = String::from_utf8(ics.bytes.clone()).unwrap();
    for expected in [
        "METHOD:REQUEST",
        "UID:stage-9@immovr.example",
        "SEQUENCE:42",
        // 09:30 in Paris in June is 07:30 UTC; two hours.
        "DTSTART:20260620T073000Z",
        "DTEND:20260620T093000Z",
        "LOCATION:14 quai des Célestins\\, 69002 Lyon",
        "ATTENDEE",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    // The email lists both stages, with the time and place, and says an invitation is attached.
    let (subject, body) = composer.text(&m, &company()).unwrap();
    assert_eq!(subject, "Le planning de votre projet : 2 étapes");
    assert!(body.contains("- Prise de contact : le 16/06/2026\n"), "{body}");
    assert!(
        body.contains("- Prise de vue sur site : le 20/06/2026 à 09:30, 14 quai des Célestins, 69002 Lyon"),
        "{body}"
    );
    assert!(body.contains("Une invitation pour votre agenda est jointe."), "{body}");
    // Without a time, the day; without the on-site stage, no invitation.
    let Notification::StagePlanned(mut other) = planned.clone() else { unreachable!() };
    other.stages[1].planned_time = None;
    let day = message(&Notification::StagePlanned(other.clone()), Language::Fr);
    let day = String::from_utf8(shoot_invitation(&day, &company(), "").unwrap().bytes).unwrap();
    assert!(day.contains("DTSTART;VALUE=DATE:20260620") && day.contains("DTEND;VALUE=DATE:20260621"), "{day}");
    other.stages.retain(|s| s.stage_code != "shoot");
    let other = message(&Notification::StagePlanned(other), Language::Fr);
    assert!(shoot_invitation(&other, &company(), "").is_none());
    assert!(!composer.text(&other, &company()).unwrap().1.contains("invitation"));
    let pdf = Attachment {
        filename: "Facture F-2026-0001.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.7".to_vec(),
    };
    let email = composer.compose(&m, &company(), &[pdf, ics]).unwrap();
    let raw = String::from_utf8_lossy(&email.formatted()).to_string();
    assert!(
        raw.contains("multipart/mixed") && raw.contains("Facture F-2026-0001.pdf") && raw.contains("invitation.ics")
    );
}

#[test]
fn a_studio_template_replaces_the_shipped_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("emails")).unwrap();
    std::fs::write(dir.path().join("emails/magic_link.en.txt"), "Subject: Sign in to Lumière\n\n{{ url }}\n").unwrap();
    let composer =
        Composer::new("https://studio.example", "ImmoVr <studio@immovr.example>", Some(dir.path().to_path_buf()))
            .unwrap();
    let (magic, _) = kinds().into_iter().find(|(n, _)| n.kind() == "magic_link").unwrap();
    let (subject, _) = composer.text(&message(&magic, Language::En), &company()).unwrap();
    assert_eq!(subject, "Sign in to Lumière");
    let (subject, _) = composer.text(&message(&magic, Language::Fr), &company()).unwrap();
    assert_eq!(subject, "Votre lien de connexion", "the French one is still the shipped template");
}

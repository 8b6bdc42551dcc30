//! Every notification kind composes in both languages: subject, text and HTML bodies, the link
//! to the right page, the Message-ID; a studio's template replaces the shipped one.

use immovr_core::model::{CompanySettings, Language, OutboxMessage};
use immovr_notify::{Attachment, Composer, link, shoot_invitation};
use serde_json::{Value, json};

fn company() -> CompanySettings {
    serde_json::from_value(json!({
        "trade_name": "ImmoVr", "legal_name": "Virtuelli", "legal_form": "SAS", "share_capital": "10 000 €",
        "siren": "123456782", "siret": "12345678200017", "rcs": "RCS Paris", "vat_number": "FR40123456782",
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

/// Every kind the store queues, with the payload it writes, and the page its link must open.
fn kinds() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "quote_sent",
            json!({"quote_id": 3, "number": "D-2026-0001", "version": 2, "valid_until": "2026-07-15", "total_incl_vat": "894.60"}),
            "/compte/devis/3",
        ),
        (
            "quote_extended",
            json!({"quote_id": 3, "number": "D-2026-0001", "valid_until": "2026-08-15"}),
            "/compte/devis/3",
        ),
        (
            "quote_expiring",
            json!({"quote_id": 3, "number": "D-2026-0001", "valid_until": "2026-07-15", "total_incl_vat": "894.60"}),
            "/compte/devis/3",
        ),
        (
            "purchase_order_created",
            json!({"quote_id": 3, "quote_number": "D-2026-0001", "purchase_order_id": 4, "purchase_order_number": "BC-2026-0001", "total_incl_vat": "894.60"}),
            "/compte/devis/3",
        ),
        (
            "purchase_order_cancelled",
            json!({"purchase_order_id": 4, "number": "BC-2026-0001", "reason": "Projet reporté"}),
            "/compte/commandes",
        ),
        ("order_registered", json!({"order_id": 5, "purchase_order_number": "BC-2026-0001"}), "/compte/commandes/5"),
        (
            "stage_planned",
            json!({"order_id": 5, "stage_id": 9, "stage": "Prise de vue sur site", "stage_code": "shoot", "planned_date": "2026-06-20"}),
            "/compte/commandes/5",
        ),
        (
            "stage_done",
            json!({"order_id": 5, "stage_id": 9, "stage": "Production", "planned_date": null}),
            "/compte/commandes/5",
        ),
        (
            "order_delivered",
            json!({"order_id": 5, "invoice_id": 6, "invoice_number": "F-2026-0001", "total_incl_vat": "894.60", "due_date": "2026-07-15"}),
            "/compte/commandes/5",
        ),
        (
            "invoice_issued",
            json!({"invoice_id": 6, "number": "F-2026-0002", "total_incl_vat": "894.60"}),
            "/compte/factures/6",
        ),
        (
            "payment_received",
            json!({"invoice_id": 6, "number": "F-2026-0001", "amount": "500.00", "amount_due": "394.60"}),
            "/compte/factures/6",
        ),
        (
            "credit_note_issued",
            json!({"credit_note_id": 1, "number": "AV-2026-0001", "invoice_number": "F-2026-0001", "invoice_id": 6}),
            "/compte/factures/6",
        ),
        (
            "invoice_overdue",
            json!({"invoice_id": 6, "number": "F-2026-0001", "due_date": "2026-07-15", "amount_due": "894.60", "days_late": 15}),
            "/compte/factures/6",
        ),
        (
            "message_received",
            json!({"thread_kind": "order", "thread_id": 5, "message_id": 7, "author": "L'équipe"}),
            "/compte/commandes/5#h-msg",
        ),
        (
            "magic_link",
            json!({"url_path": "/lien-magique/abc", "expires_at": "2026-06-15T08:15:00Z", "name": "Claire"}),
            "/lien-magique/abc",
        ),
        (
            "password_reset",
            json!({"url_path": "/reinitialiser/abc", "expires_at": "2026-06-15T09:00:00Z", "name": "Claire"}),
            "/reinitialiser/abc",
        ),
        (
            "quote_request_received",
            json!({"quote_request_id": 2, "client_id": 1, "property": "Appartement"}),
            "/gestion/demandes",
        ),
        (
            "quote_accepted",
            json!({"quote_id": 3, "quote_number": "D-2026-0001", "purchase_order_id": 4, "purchase_order_number": "BC-2026-0001", "total_incl_vat": "894.60"}),
            "/gestion/bons-de-commande",
        ),
        (
            "quote_refused",
            json!({"quote_id": 3, "number": "D-2026-0001", "version": 1, "kind": "changes_requested", "comment": "Sans le plan 2D"}),
            "/gestion/devis/3",
        ),
        (
            "client_message_received",
            json!({"thread_kind": "quote", "thread_id": 3, "message_id": 8, "author": "Claire Dubois"}),
            "/gestion/devis/3#h-msg",
        ),
    ]
}

fn message(kind: &str, payload: Value, language: Language) -> OutboxMessage {
    OutboxMessage {
        id: 42,
        kind: kind.into(),
        recipient: "claire@agence-lumiere.example".into(),
        language,
        payload,
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
    for (kind, payload, path) in kinds() {
        assert_eq!(link(kind, &payload, "https://studio.example"), format!("https://studio.example{path}"));
        for lang in [Language::Fr, Language::En] {
            let m = message(kind, payload.clone(), lang);
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
    let m = message("payment_received", kinds()[10].1.clone(), Language::Fr);
    let (subject, text) = composer.text(&m, &company()).unwrap();
    assert_eq!(subject, "Paiement reçu — facture F-2026-0001");
    assert!(text.contains("500,00\u{a0}€") && text.contains("394,60\u{a0}€"), "{text}");
    let m = message("quote_sent", kinds()[0].1.clone(), Language::En);
    assert!(composer.text(&m, &company()).unwrap().1.contains("valid until 15 July 2026"));
}

#[test]
fn the_shoot_gets_a_calendar_invitation_and_attachments_ride_along() {
    let composer = Composer::new("https://studio.example", "ImmoVr <studio@immovr.example>", None).unwrap();
    let (_, payload, _) = kinds().into_iter().find(|(k, _, _)| *k == "stage_planned").unwrap();
    let m = message("stage_planned", payload.clone(), Language::Fr);
    let ics = shoot_invitation(&m, &company(), "https://studio.example/compte/commandes/5").expect("an invitation");
    let text = String::from_utf8(ics.bytes.clone()).unwrap();
    for expected in [
        "METHOD:REQUEST",
        "UID:stage-9@immovr.example",
        "SEQUENCE:42",
        "DTSTART;VALUE=DATE:20260620",
        "DTEND;VALUE=DATE:20260621",
        "ATTENDEE",
    ] {
        assert!(text.contains(expected), "{expected} missing: {text}");
    }
    // Another stage: no invitation.
    let mut other = payload;
    other["stage_code"] = json!("production");
    assert!(shoot_invitation(&message("stage_planned", other, Language::Fr), &company(), "").is_none());
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
    let (_, payload, _) = kinds().into_iter().find(|(k, _, _)| *k == "magic_link").unwrap();
    let (subject, _) = composer.text(&message("magic_link", payload.clone(), Language::En), &company()).unwrap();
    assert_eq!(subject, "Sign in to Lumière");
    let (subject, _) = composer.text(&message("magic_link", payload, Language::Fr), &company()).unwrap();
    assert_eq!(subject, "Votre lien de connexion", "the French one is still the shipped template");
}

//! `immovr demo`: the ImmoVr studio (legal entity Virtuelli, placeholder identifiers and bank
//! details marked as demo), a catalogue of visualisation services, one admin and two clients,
//! and quotes and orders in every state of the journey.

use std::sync::Arc;

use immovr_app::App;
use immovr_core::auth::hash_password;
use immovr_core::model::*;
use immovr_core::money::LineInput;
use immovr_core::ports::*;
use immovr_core::{Actor, Clock};
use immovr_store::SqlStore;
use jiff::{Timestamp, ToSpan};
use rust_decimal::Decimal;
use rust_decimal::dec;

pub const ADMIN_EMAIL: &str = "admin@immovr.example";
pub const ADMIN_PASSWORD: &str = "immovr-admin";
pub const CLIENT_EMAIL: &str = "claire.dubois@agence-lumiere.example";
pub const CLIENT_PASSWORD: &str = "immovr-client";
pub const SECOND_CLIENT_EMAIL: &str = "marc.petit@example.com";

struct ShiftedClock {
    inner: Arc<dyn Clock>,
    days: i64,
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        self.inner.now().checked_sub((self.days * 24).hours()).expect("in range")
    }
}

fn catalogue() -> Vec<NewCatalogueItem> {
    let item = |code: &str, kind, fr: &str, en: &str, unit: &str, price: Decimal| NewCatalogueItem {
        code: code.into(),
        kind,
        label_fr: fr.into(),
        label_en: en.into(),
        unit: unit.into(),
        unit_price: price,
        vat_rate: dec!(20),
        active: true,
    };
    use CatalogueKind::{Option as Opt, Service};
    vec![
        item("VISITE-360", Service, "Visite virtuelle 360°", "360° virtual tour", "forfait", dec!(390)),
        item(
            "RENDU-3D-EXT",
            Service,
            "Rendu 3D extérieur photoréaliste",
            "Photorealistic exterior 3D render",
            "image",
            dec!(450),
        ),
        item(
            "RENDU-3D-INT",
            Service,
            "Rendu 3D intérieur photoréaliste",
            "Photorealistic interior 3D render",
            "image",
            dec!(350),
        ),
        item("HOME-STAGING", Service, "Home staging virtuel", "Virtual home staging", "pièce", dec!(89)),
        item("VIDEO-DRONE", Service, "Vidéo aérienne par drone", "Aerial drone video", "forfait", dec!(590)),
        item("PLAN-2D", Service, "Plan 2D coté", "Dimensioned 2D floor plan", "plan", dec!(120)),
        item("PLAN-3D", Service, "Plan 3D meublé", "Furnished 3D floor plan", "plan", dec!(190)),
        item("OPT-EXPRESS", Opt, "Livraison express sous 48 h", "Express delivery within 48 h", "forfait", dec!(150)),
        item("OPT-HDR", Opt, "Lot de 10 photos HDR supplémentaires", "Set of 10 extra HDR photos", "lot", dec!(120)),
        item("OPT-HEBERGEMENT", Opt, "Hébergement de la visite (12 mois)", "Tour hosting (12 months)", "an", dec!(60)),
        item(
            "OPT-DEPLACEMENT",
            Opt,
            "Déplacement hors Île-de-France",
            "Travel outside Île-de-France",
            "km",
            dec!(0.60),
        ),
    ]
}

fn lines(items: &[CatalogueItem], wanted: &[(&str, Decimal)]) -> Vec<LineInput> {
    wanted
        .iter()
        .map(|(code, qty)| {
            let item = items.iter().find(|i| i.code == *code).expect("demo catalogue code");
            LineInput {
                code: Some(item.code.clone()),
                description: item.label_fr.clone(),
                quantity: *qty,
                unit: item.unit.clone(),
                unit_price: item.unit_price,
                discount: Decimal::ZERO,
                vat_rate: item.vat_rate,
            }
        })
        .collect()
}

/// Seeds the demo once; returns false when it is there already.
pub async fn seed(app: &App) -> anyhow::Result<bool> {
    if app.account_exists(ADMIN_EMAIL).await? {
        return Ok(false);
    }
    let clock = app.clock().clone();
    let store = app;
    let system = Actor::system();
    let admin_hash = hash_password(ADMIN_PASSWORD)?;
    let admin = store
        .create_staff_user(
            &system,
            NewStaffUser {
                email: ADMIN_EMAIL.into(),
                name: "Inès Laurent".into(),
                roles: vec![Role::Admin],
                password_hash: admin_hash,
            },
        )
        .await?;
    let staff = Actor::for_user(&admin);
    for item in catalogue() {
        store.create_catalogue_item(&staff, item).await?;
    }
    let items = store.catalogue(false).await?;

    let claire = store
        .create_client(
            &staff,
            NewClient {
                kind: ClientKind::Company,
                name: "Claire Dubois".into(),
                email: CLIENT_EMAIL.into(),
                phone: Some("+33 6 00 00 00 01".into()),
                company_name: Some("Agence Lumière Immobilier".into()),
                siren: Some("123456782".into()),
                siret: Some("12345678200002".into()),
                vat_number: Some("FR11123456782".into()),
                billing_address: Some(Address {
                    line1: "8 place Bellecour".into(),
                    line2: None,
                    postcode: "69002".into(),
                    city: "Lyon".into(),
                    country: "FR".into(),
                }),
                language: Language::Fr,
            },
            Some(CLIENT_PASSWORD.into()),
        )
        .await?;
    let marc = store
        .create_client(
            &staff,
            NewClient {
                kind: ClientKind::Person,
                name: "Marc Petit".into(),
                email: SECOND_CLIENT_EMAIL.into(),
                phone: None,
                company_name: None,
                siren: None,
                siret: None,
                vat_number: None,
                billing_address: Some(Address {
                    line1: "3 chemin des Vignes".into(),
                    line2: None,
                    postcode: "33000".into(),
                    city: "Bordeaux".into(),
                    country: "FR".into(),
                }),
                language: Language::Fr,
            },
            Some(CLIENT_PASSWORD.into()),
        )
        .await?;
    let as_client = |client: &Client| {
        let mut a = Actor::anonymous();
        a.label = format!("client:{} {}", client.id, client.email);
        a.client_id = Some(client.id);
        a.ip = Some("127.0.0.1".into());
        a.user_agent = Some("immovr demo".into());
        a
    };
    let (claire_actor, marc_actor) = (as_client(&claire), as_client(&marc));

    let request = store
        .create_quote_request(
            &claire_actor,
            claire.id,
            NewQuoteRequest {
                property_type: "Appartement".into(),
                property_address: "14 quai Saint-Antoine, 69002 Lyon".into(),
                surface_m2: Some(dec!(85)),
                rooms: Some(4),
                wanted: vec!["VISITE-360".into(), "HOME-STAGING".into()],
                wished_date: None,
                notes: Some("Appartement vide, mise en vente prévue le mois prochain.".into()),
            },
            vec![],
        )
        .await?;
    let new_quote = |client: &Client, title: &str, wanted: &[(&str, Decimal)], request_id| NewQuote {
        client_id: client.id,
        request_id,
        title: title.into(),
        notes: None,
        valid_until: None,
        lines: lines(&items, wanted),
    };
    // The demo's private clients ask for the work to start at once (within their withdrawal period).
    let sign =
        |name: &str| AcceptQuote { signer_name: name.into(), consent: true, terms_accepted: true, early_start: true };

    // Draft, being prepared.
    store
        .create_quote(
            &staff,
            new_quote(
                &claire,
                "Rendus 3D — programme Les Terrasses",
                &[("RENDU-3D-EXT", dec!(3)), ("RENDU-3D-INT", dec!(4))],
                None,
            ),
        )
        .await?;
    // Sent, awaiting the client's answer (from the request above).
    let sent = store
        .create_quote(
            &staff,
            new_quote(
                &claire,
                "Visite 360° et home staging — quai Saint-Antoine",
                &[("VISITE-360", dec!(1)), ("HOME-STAGING", dec!(4)), ("OPT-HEBERGEMENT", dec!(1))],
                Some(request.id),
            ),
        )
        .await?;
    store.send_quote(&staff, sent.id).await?;
    store
        .post_message(
            &claire_actor,
            ThreadKind::Quote,
            sent.id,
            NewMessage { body: "Bonjour, le home staging peut-il inclure la terrasse ?".into() },
        )
        .await?;
    // Sent forty days ago: expired.
    let past = store.with_clock(Arc::new(ShiftedClock { inner: clock.clone(), days: 40 }));
    let old = past
        .create_quote(&staff, new_quote(&claire, "Plan 3D — maison de Caluire", &[("PLAN-3D", dec!(2))], None))
        .await?;
    past.send_quote(&staff, old.id).await?;
    // Refused with changes requested, revised: v2 sent.
    let v1 = store
        .create_quote(
            &staff,
            new_quote(
                &marc,
                "Vidéo drone — propriété de Pessac",
                &[("VIDEO-DRONE", dec!(1)), ("OPT-EXPRESS", dec!(1))],
                None,
            ),
        )
        .await?;
    store.send_quote(&staff, v1.id).await?;
    store
        .refuse_quote(
            &marc_actor,
            v1.id,
            RefuseQuote {
                kind: RefusalKind::ChangesRequested,
                comment: Some("Sans la livraison express, s'il vous plaît.".into()),
            },
        )
        .await?;
    let v2 = store.revise_quote(&staff, v1.id).await?;
    store
        .update_quote(
            &staff,
            v2.id,
            QuoteDraft {
                title: v2.title.clone(),
                notes: None,
                valid_until: None,
                lines: lines(&items, &[("VIDEO-DRONE", dec!(1))]),
            },
        )
        .await?;
    store.send_quote(&staff, v2.id).await?;
    // Declined.
    let declined =
        store.create_quote(&staff, new_quote(&marc, "Plans 2D — studio", &[("PLAN-2D", dec!(1))], None)).await?;
    store.send_quote(&staff, declined.id).await?;
    store
        .refuse_quote(
            &marc_actor,
            declined.id,
            RefuseQuote { kind: RefusalKind::Decline, comment: Some("Projet reporté.".into()) },
        )
        .await?;

    // Accepted: purchase order waiting for validation.
    let accepted = store
        .create_quote(
            &staff,
            new_quote(
                &claire,
                "Visite 360° — local commercial",
                &[("VISITE-360", dec!(1)), ("OPT-HDR", dec!(1))],
                None,
            ),
        )
        .await?;
    store.send_quote(&staff, accepted.id).await?;
    store.accept_quote(&claire_actor, accepted.id, sign("Claire Dubois")).await?;

    // Accepted and validated: order in progress, stages planned.
    let running = store
        .create_quote(
            &staff,
            new_quote(&claire, "Rendus 3D — villa Les Pins", &[("RENDU-3D-EXT", dec!(2)), ("PLAN-3D", dec!(1))], None),
        )
        .await?;
    store.send_quote(&staff, running.id).await?;
    let po = store.accept_quote(&claire_actor, running.id, sign("Claire Dubois")).await?.purchase_order;
    let po = store.validate_purchase_order(&staff, po.id).await?;
    let order_id = po.order_id.expect("validated purchase order has an order");
    let order = store.order(&staff, order_id).await?;
    let today = today(clock.as_ref());
    store.complete_stage(&staff, order_id, order.stages[0].id).await?;
    store
        .plan_stage(
            &staff,
            order_id,
            order.stages[1].id,
            StagePlan {
                planned_date: Some(add_days(today, 3)),
                planned_time: None,
                place: None,
                assignee: Some("Inès Laurent".into()),
                notes: None,
            },
        )
        .await?;
    store
        .plan_stage(
            &staff,
            order_id,
            order.stages[2].id,
            StagePlan {
                planned_date: Some(add_days(today, 7)),
                planned_time: Some(jiff::civil::time(9, 30, 0, 0)),
                place: None,
                assignee: Some("Hugo (photographe)".into()),
                notes: Some("Accès par le portail côté rue.".into()),
            },
        )
        .await?;

    // Delivered: one invoice partly paid by cheque, one paid by transfer.
    for (client, actor, title, wanted, pay) in [
        (
            &marc,
            &marc_actor,
            "Home staging — maison de Talence",
            vec![("HOME-STAGING", dec!(5)), ("OPT-DEPLACEMENT", dec!(120))],
            0,
        ),
        (
            &claire,
            &claire_actor,
            "Visite 360° — loft Croix-Rousse",
            vec![("VISITE-360", dec!(1)), ("PLAN-2D", dec!(1))],
            1,
        ),
    ] {
        let q = store.create_quote(&staff, new_quote(client, title, &wanted, None)).await?;
        store.send_quote(&staff, q.id).await?;
        let po = store.accept_quote(actor, q.id, sign(&client.name)).await?.purchase_order;
        let po = store.validate_purchase_order(&staff, po.id).await?;
        let order_id = po.order_id.expect("order");
        // A real (small) file, so the demo's download links work.
        let content = format!("ImmoVr — fichiers de démonstration pour la commande {}\n", po.number);
        let chunk: Result<bytes::Bytes, std::io::Error> = Ok(bytes::Bytes::from(content));
        let body = Box::pin(futures_util::stream::iter([chunk]));
        store
            .upload_deliverable(&staff, order_id, "rendus-demo.txt", "text/plain; charset=utf-8", body, 1 << 20)
            .await?;
        let invoice = store.deliver_order(&staff, order_id).await?.invoice;
        let payment = if pay == 0 {
            NewPayment::Cheque {
                amount: (invoice.totals.total_incl_vat / dec!(2)).round_dp(2),
                cheque_number: "0001234".into(),
                bank: "Banque de démonstration".into(),
                received_date: today,
                deposit_date: None,
            }
        } else {
            NewPayment::Transfer {
                amount: invoice.totals.total_incl_vat,
                date: today,
                reference: invoice.payment_reference.clone(),
            }
        };
        store.record_payment(&staff, invoice.id, payment).await?;
    }
    Ok(true)
}

pub fn print_credentials(url: &str) {
    println!();
    println!("  ImmoVr demo (Virtuelli, placeholder identifiers and bank details) — {url}");
    println!("  staff  : {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    println!("  client : {CLIENT_EMAIL} / {CLIENT_PASSWORD}");
    println!("  client : {SECOND_CLIENT_EMAIL} / {CLIENT_PASSWORD}");
    println!("  API    : POST {url}/api/v1/auth/login, then see {url}/api/v1/openapi.json");
    println!();
}

/// Where the delivered files of the generated history point (one small placeholder file).
pub const HISTORY_DELIVERABLE: &str = "history/livraison.zip";

/// Generates years of history before the demo seed (`immovr demo --scale F`): the demo's recent
/// journeys then continue its number series. Generated clients log in as
/// `client<id>@history.example` with the demo client password.
pub async fn history(store: &SqlStore, app: &App, scale: f64) -> anyhow::Result<immovr_store::HistoryReport> {
    anyhow::ensure!(scale > 0.0 && scale <= 10.0, "--scale goes from more than 0 to 10");
    app.files().put(HISTORY_DELIVERABLE, vec![0u8; 4096]).await?;
    let spec = immovr_store::HistorySpec {
        scale,
        years: 10,
        seed: 2026,
        // One hash for all: hashing tens of thousands of passwords would take most of an hour.
        client_password_hash: hash_password(CLIENT_PASSWORD)?,
        deliverable_key: HISTORY_DELIVERABLE.to_string(),
    };
    let report = store.generate_history(&spec).await?;
    // Its audit events join the hash chain, like those of the studio's own work.
    app.seal_audit().await?;
    Ok(report)
}

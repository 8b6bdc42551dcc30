//! The studio's side: the catalogue, requests checked against it, message threads both ways,
//! contacts logged, settings, a failed email sent again, uploads.

use super::*;

use_cases!(the_catalogue_prices_with_the_studios_rates, async |u: &TestUseCases| {
    let item = NewCatalogueItem {
        code: "VISITE-360".into(),
        kind: CatalogueKind::Service,
        label_fr: " Visite virtuelle ".into(),
        label_en: "Virtual tour".into(),
        unit: "forfait".into(),
        unit_price: d("390"),
        vat_rate: d("20"),
        active: true,
    };
    let created = u.app.create_catalogue_item(&u.studio(), item.clone()).await.unwrap();
    assert_eq!(created.label_fr, "Visite virtuelle");
    assert!(matches!(
        u.app.create_catalogue_item(&u.studio(), item.clone()).await,
        Err(DomainError::CatalogueCodeTaken)
    ));
    let bad = NewCatalogueItem { code: "X Y".into(), ..item.clone() };
    assert!(
        matches!(u.app.create_catalogue_item(&u.studio(), bad).await, Err(DomainError::Validation { field, .. }) if field == "code")
    );
    let rate = CatalogueItemPatch { vat_rate: Some(d("7")), ..Default::default() };
    assert!(u.app.update_catalogue_item(&u.studio(), created.id, rate).await.is_err());
    let off = CatalogueItemPatch { active: Some(false), ..Default::default() };
    assert!(!u.app.update_catalogue_item(&u.studio(), created.id, off).await.unwrap().active);
    assert!(u.app.catalogue(true).await.unwrap().is_empty());
    // A request may not ask for what is not offered.
    let (client, actor) = u.client("Demande").await;
    let request = NewQuoteRequest {
        property_type: "Maison".into(),
        property_address: "3 chemin des Vignes, Bordeaux".into(),
        surface_m2: None,
        rooms: None,
        wanted: vec!["VISITE-360".into()],
        wished_date: None,
        notes: None,
    };
    let refused = u.app.create_quote_request(&actor, client.id, request.clone(), vec![]).await;
    assert!(matches!(refused, Err(DomainError::Validation { field, .. }) if field == "wanted"));
    let (_, other) = u.client("Autre demande").await;
    let for_another = u.app.create_quote_request(&other, client.id, request, vec![]).await;
    assert!(matches!(for_another, Err(DomainError::Validation { field, .. }) if field == "client_id"));
});

use_cases!(a_thread_tells_the_other_side_and_counts_what_it_has_not_read, async |u: &TestUseCases| {
    let (client, actor) = u.client("Fil").await;
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    let (_, other) = u.client("Curieux").await;
    let m = NewMessage { body: "La terrasse est-elle incluse ?".into() };
    assert!(matches!(
        u.app.post_message(&other, ThreadKind::Quote, q.id, m.clone()).await,
        Err(DomainError::NotFound { .. })
    ));
    u.app.post_message(&actor, ThreadKind::Quote, q.id, m).await.unwrap();
    assert_eq!(u.app.unread_threads(&u.studio()).await.unwrap(), [(ThreadKind::Quote, q.id, 1)]);
    let read = u.app.read_thread(&u.studio(), ThreadKind::Quote, q.id).await.unwrap();
    assert_eq!((read.len(), read[0].from_staff), (1, false));
    assert!(u.app.unread_threads(&u.studio()).await.unwrap().is_empty());
    u.app.post_message(&u.studio(), ThreadKind::Quote, q.id, NewMessage { body: "Oui.".into() }).await.unwrap();
    assert_eq!(u.app.unread_threads(&actor).await.unwrap().len(), 1);
    let kinds: Vec<String> = u.queued().await.into_iter().map(|m| m.kind).collect();
    assert!(kinds.ends_with(&["client_message_received".to_string(), "message_received".to_string()]), "{kinds:?}");
    assert!(matches!(
        u.app.post_message(&actor, ThreadKind::Quote, q.id, NewMessage { body: "  ".into() }).await,
        Err(DomainError::Validation { .. })
    ));
});

use_cases!(contacts_are_logged_on_an_order_by_production, async |u: &TestUseCases| {
    let (client, actor) = u.client("Contact").await;
    let order = order_to_deliver(u, &actor, client.id).await;
    let note = u.app.log_contact(&u.studio(), order.id, "Appel : accès par la cour").await.unwrap();
    assert_eq!(note.note, "Appel : accès par la cour");
    assert!(matches!(u.app.log_contact(&actor, order.id, "x").await, Err(DomainError::Forbidden { .. })));
    assert_eq!(u.app.contact_log(&u.studio(), order.id).await.unwrap().len(), 1);
    assert!(u.app.contact_log(&actor, order.id).await.is_err(), "staff only");
});

use_cases!(settings_are_checked_and_a_failed_email_is_sent_again, async |u: &TestUseCases| {
    let company = u.app.company().await.unwrap();
    let broken = CompanySettings { vat_rates: vec![d("10")], ..company.clone() };
    assert!(u.app.set_company(&u.studio(), broken).await.is_err(), "the default rate must be offered");
    let (client, _) = u.client("Courriel").await;
    let changed = CompanySettings { trade_name: "Studio Lumière".into(), ..company };
    u.app.set_company(&u.studio(), changed).await.unwrap();
    assert_eq!(u.app.company().await.unwrap().trade_name, "Studio Lumière");
    let (_, anyone) = u.client("Quiconque").await;
    assert!(u.app.set_company(&anyone, u.app.company().await.unwrap()).await.is_err());
    // An email parked as failed, sent again by an admin.
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    let m = u.queued().await.into_iter().find(|m| m.kind == "quote_sent").unwrap();
    assert!(u.app.retry_email(&u.studio(), m.id).await.is_err(), "only a failed one");
    u.app.email_failed(m.id, "the relay said no", None).await.unwrap();
    let again = u.app.retry_email(&u.studio(), m.id).await.unwrap();
    assert_eq!((again.status.as_str(), again.attempts), ("pending", 0));
    assert!(u.journal().await.iter().any(|a| a == "outbox.retried"));
    let _ = q;
});

use_cases!(final_files_are_uploaded_under_keys_immovr_chooses, async |u: &TestUseCases| {
    use futures_util::StreamExt;
    let (client, actor) = u.client("Fichiers").await;
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    let po = u.app.accept_quote(&actor, q.id, signature()).await.unwrap().purchase_order;
    let order_id = u.app.validate_purchase_order(&u.studio(), po.id).await.unwrap().order_id.unwrap();
    let body = |bytes: &'static [u8]| futures_util::stream::iter([Ok(bytes::Bytes::from_static(bytes))]).boxed();
    let order = u
        .app
        .upload_deliverable(
            &u.studio(),
            order_id,
            "../../rendus.zip",
            "application/zip",
            body(b"PK\x03\x04 data"),
            1024,
        )
        .await
        .unwrap();
    let file = &order.deliverables[0];
    assert_eq!(file.filename, "rendus.zip", "no path");
    assert!(file.storage_key.starts_with(&format!("orders/{order_id}/")));
    assert_eq!(file.size_bytes, 9);
    let too_big =
        u.app.upload_deliverable(&u.studio(), order_id, "big.zip", "application/zip", body(b"0123456789"), 4).await;
    assert!(matches!(too_big, Err(DomainError::FileTooLarge { limit: 4 })));
    let refused = u.app.upload_deliverable(&actor, order_id, "x.zip", "application/zip", body(b"x"), 1024).await;
    assert!(matches!(refused, Err(DomainError::Forbidden { .. })));
    assert_eq!(u.app.order(&u.studio(), order_id).await.unwrap().deliverables.len(), 1, "nothing else recorded");
    // An attachment is recognised by its content, not its name.
    let exe = u.app.save_attachment("plan.pdf", body(b"MZ\x90\x00")).await;
    assert!(matches!(exe, Err(DomainError::Validation { field, .. }) if field == "attachments"));
    let pdf = u.app.save_attachment("plan.pdf", body(b"%PDF-1.7 plan")).await.unwrap();
    assert_eq!(pdf.content_type, "application/pdf");
});

//! The journey, use case after use case: request → quote → send → accept (purchase order in the
//! same transaction) → validate (order and stages) → plan, done → final file → deliver (invoice)
//! → payments; what each writes beside its change.

use super::*;

use_cases!(the_journey_from_request_to_payment, async |u: &TestUseCases| {
    let (client, claire) = u.client("Claire Dubois").await;
    let request = NewQuoteRequest {
        property_type: "Appartement".into(),
        property_address: "14 quai Saint-Antoine, 69002 Lyon".into(),
        surface_m2: Some(d("85")),
        rooms: Some(4),
        wanted: vec![],
        wished_date: None,
        notes: None,
    };
    let request = u.app.create_quote_request(&claire, client.id, request, vec![]).await.unwrap();
    assert_eq!(request.status, QuoteRequestStatus::New);

    let draft =
        NewQuote { request_id: Some(request.id), ..new_quote(client.id, vec![line("Rendu 3D", "2", "450.00", "20")]) };
    let draft = u.app.create_quote(&u.studio(), draft).await.unwrap();
    assert_eq!(
        (draft.status, draft.number.clone(), draft.totals.total_incl_vat),
        (QuoteStatus::Draft, None, d("1080.00"))
    );
    assert_eq!(u.app.quote_request(&u.studio(), request.id).await.unwrap().status, QuoteRequestStatus::Quoted);
    // The client never sees a draft.
    assert!(matches!(u.app.quote(&claire, draft.id).await, Err(DomainError::NotFound { .. })));

    let sent = u.app.send_quote(&u.studio(), draft.id).await.unwrap();
    assert_eq!((sent.status, sent.number.as_deref()), (QuoteStatus::Sent, Some("D-2026-0001")));
    let doc = u.store.document(Scope::Client(client.id), DocumentKind::Quote, sent.id).await.unwrap();
    assert!(doc.is_some_and(|d| d.number == "D-2026-0001"), "the quote's document is issued with it");

    let accepted = u.app.accept_quote(&claire, sent.id, signature()).await.unwrap();
    let po = accepted.purchase_order;
    assert_eq!(
        (accepted.quote.status, po.number.as_str(), po.status),
        (QuoteStatus::Accepted, "BC-2026-0001", PurchaseOrderStatus::Pending)
    );
    let evidence = accepted.quote.acceptance.expect("the acceptance evidence");
    assert_eq!((evidence.signer_name.as_str(), evidence.ip.as_deref()), ("Claire Dubois", Some("192.0.2.7")));
    assert_eq!(evidence.content_sha256.len(), 64);
    // Exactly one purchase order: a second answer is refused and creates none.
    let again = u.app.accept_quote(&claire, sent.id, signature()).await;
    assert!(matches!(again, Err(DomainError::QuoteAlreadyAccepted)), "{again:?}");
    assert_eq!(u.app.purchase_orders(&u.studio(), &ListQuery::first()).await.unwrap().items.len(), 1);

    let validated = u.app.validate_purchase_order(&u.studio(), po.id).await.unwrap();
    let order_id = validated.order_id.expect("an order registered");
    let order = u.app.order(&claire, order_id).await.unwrap();
    assert_eq!((order.status, order.stages.len()), (OrderStatus::Registered, 6));
    assert_eq!(order.stages[2].label, "Prise de vue sur site", "stages in the client's language");

    let shoot = order.stages[2].id;
    let plan = StagePlan {
        planned_date: Some("2026-06-20".parse().unwrap()),
        planned_time: Some("09:30".parse().unwrap()),
        assignee: Some("Hugo".into()),
        ..StagePlan::default()
    };
    let order = u.app.plan_stage(&u.studio(), order_id, shoot, plan).await.unwrap();
    assert_eq!((order.status, order.stages[2].status), (OrderStatus::InProgress, StageStatus::Planned));
    let order = u.app.complete_stage(&u.studio(), order_id, order.stages[0].id).await.unwrap();
    assert_eq!(order.stages[0].status, StageStatus::Done);
    let done_twice = u.app.complete_stage(&u.studio(), order_id, order.stages[0].id).await;
    assert!(matches!(done_twice, Err(DomainError::StageAlreadyDone)));

    // Nothing to deliver yet.
    assert!(matches!(u.app.deliver_order(&u.studio(), order_id).await, Err(DomainError::OrderNothingToDeliver)));
    let order = u
        .app
        .upload_deliverable(&u.studio(), order_id, "rendus.zip", "Application/ZIP", body(b"test"), 1 << 20)
        .await
        .unwrap();
    assert_eq!((order.deliverables[0].size_bytes, order.deliverables[0].content_type.as_str()), (4, "application/zip"));
    assert_eq!(order.deliverables[0].sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");

    let delivered = u.app.deliver_order(&u.studio(), order_id).await.unwrap();
    let invoice = delivered.invoice;
    assert_eq!(delivered.order.status, OrderStatus::Delivered);
    assert_eq!(
        (invoice.number.as_str(), invoice.status, invoice.amount_due),
        ("F-2026-0001", InvoiceStatus::Issued, d("1080.00"))
    );
    assert_eq!(invoice.due_date, "2026-07-15".parse().unwrap(), "30 days' terms");
    let closed = u.app.plan_stage(&u.studio(), order_id, shoot, StagePlan::default()).await;
    assert!(matches!(closed, Err(DomainError::OrderAlreadyDelivered)));

    let part = NewPayment::Cheque {
        amount: d("500.00"),
        cheque_number: "0001234".into(),
        bank: "Banque de Lyon".into(),
        received_date: "2026-06-15".parse().unwrap(),
        deposit_date: None,
    };
    let after = u.app.record_payment(&u.studio(), invoice.id, part).await.unwrap();
    assert_eq!((after.status, after.amount_due), (InvoiceStatus::PartiallyPaid, d("580.00")));
    let too_much =
        NewPayment::Transfer { amount: d("600.00"), date: "2026-06-15".parse().unwrap(), reference: "VIR".into() };
    assert!(matches!(u.app.record_payment(&u.studio(), invoice.id, too_much).await, Err(DomainError::Overpayment)));
    let rest = NewPayment::Transfer {
        amount: d("580.00"),
        date: "2026-06-15".parse().unwrap(),
        reference: invoice.payment_reference.clone(),
    };
    let paid = u.app.record_payment(&u.studio(), invoice.id, rest).await.unwrap();
    assert_eq!((paid.status, paid.amount_due, paid.payments.len()), (InvoiceStatus::Paid, d("0.00"), 2));
    assert_eq!(u.app.invoice(&claire, invoice.id).await.unwrap().status, InvoiceStatus::Paid, "as stored");

    // Each change wrote its audit event and queued its notifications, in its transaction.
    let journal = u.journal().await;
    for action in [
        "quote_request.created",
        "quote.created",
        "quote.sent",
        "quote.accepted",
        "purchase_order.created",
        "purchase_order.validated",
        "order.registered",
        "stage.planned",
        "stage.done",
        "deliverable.added",
        "order.delivered",
        "invoice.issued",
        "payment.recorded",
    ] {
        assert!(journal.iter().any(|a| a == action), "no {action} in {journal:?}");
    }
    let queued = u.queued().await;
    let to_client: Vec<&str> = queued.iter().filter(|m| m.recipient == client.email).map(|m| m.kind.as_str()).collect();
    assert_eq!(
        to_client,
        [
            "quote_sent",
            "purchase_order_created",
            "order_registered",
            "stage_planned",
            "stage_done",
            "order_delivered",
            "payment_received",
            "payment_received"
        ]
    );
    let to_studio: Vec<&str> = queued.iter().filter(|m| m.recipient != client.email).map(|m| m.kind.as_str()).collect();
    assert_eq!(to_studio, ["quote_request_received", "quote_accepted"]);
    let delivered = queued.iter().find(|m| m.kind == "order_delivered").unwrap().notification().unwrap();
    assert_eq!(delivered.path(), format!("/compte/commandes/{order_id}"));
    assert_eq!(delivered.documents(), vec![(DocumentKind::Invoice, invoice.id)]);
    for kind in [DocumentKind::Quote, DocumentKind::SignedQuote, DocumentKind::PurchaseOrder, DocumentKind::Invoice] {
        let entity = match kind {
            DocumentKind::PurchaseOrder => po.id,
            DocumentKind::Invoice => invoice.id,
            _ => sent.id,
        };
        assert!(u.store.document(Scope::Staff, kind, entity).await.unwrap().is_some(), "{kind:?} issued");
    }
});

use_cases!(purchase_orders_validate_themselves_when_the_studio_says_so, async |u: &TestUseCases| {
    let mut company = u.app.company().await.unwrap();
    company.auto_validate_purchase_orders = true;
    u.app.set_company(&u.studio(), company).await.unwrap();
    let (client, actor) = u.client("Auto").await;
    let q = sent_quote(u, client.id, vec![line("Plan 2D", "1", "120.00", "20")]).await;
    let accepted = u.app.accept_quote(&actor, q.id, signature()).await.unwrap();
    let po = accepted.purchase_order;
    assert_eq!(po.status, PurchaseOrderStatus::Validated);
    assert_eq!(po.order_status, Some(OrderStatus::Registered));
    assert!(po.validated_at.is_some());
    let order = u.app.order(&actor, po.order_id.unwrap()).await.unwrap();
    assert_eq!(order.stages.len(), 6);
    assert!(u.journal().await.iter().any(|a| a == "order.registered"));
});

use_cases!(cancelling_a_purchase_order_tells_the_client, async |u: &TestUseCases| {
    let (client, actor) = u.client("Annule").await;
    let q = sent_quote(u, client.id, vec![line("Vidéo drone", "1", "590.00", "20")]).await;
    let po = u.app.accept_quote(&actor, q.id, signature()).await.unwrap().purchase_order;
    let blank = u.app.cancel_purchase_order(&u.studio(), po.id, "  ").await;
    assert!(matches!(blank, Err(DomainError::Validation { .. })));
    let cancelled = u.app.cancel_purchase_order(&u.studio(), po.id, "Projet reporté").await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.cancel_reason.as_deref()),
        (PurchaseOrderStatus::Cancelled, Some("Projet reporté"))
    );
    let validate = u.app.validate_purchase_order(&u.studio(), po.id).await;
    assert!(matches!(validate, Err(DomainError::PurchaseOrderCancelled)));
    let last = u.queued().await.into_iter().last().unwrap();
    assert_eq!((last.kind.as_str(), last.recipient.as_str()), ("purchase_order_cancelled", client.email.as_str()));
});

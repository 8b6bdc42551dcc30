//! Quotes: drafts and their content, refusals and revisions (v2 supersedes v1), expiry and
//! extension, and who may do what.

use super::*;

use_cases!(a_draft_is_checked_then_edited_only_while_a_draft, async |u: &TestUseCases| {
    let (client, _) = u.client("Brouillon").await;
    let empty_title = NewQuote { title: " ".into(), ..new_quote(client.id, vec![]) };
    assert!(
        matches!(u.app.create_quote(&u.studio(), empty_title).await, Err(DomainError::Validation { field, .. }) if field == "title")
    );
    let bad_rate = new_quote(client.id, vec![line("Rendu", "1", "100.00", "7")]);
    assert!(u.app.create_quote(&u.studio(), bad_rate).await.is_err(), "7 % is not a configured rate");
    let nobody = new_quote(999_999, vec![line("Rendu", "1", "100.00", "20")]);
    assert!(
        matches!(u.app.create_quote(&u.studio(), nobody).await, Err(DomainError::Validation { field, .. }) if field == "client_id")
    );

    let draft = u.app.create_quote(&u.studio(), new_quote(client.id, vec![])).await.unwrap();
    assert!(matches!(u.app.send_quote(&u.studio(), draft.id).await, Err(DomainError::QuoteEmpty)));
    let content = QuoteDraft {
        title: "Visite et plans".into(),
        notes: Some("Accès par la cour".into()),
        valid_until: Some("2026-08-01".parse().unwrap()),
        lines: vec![line("Visite 360°", "1", "390.00", "20"), line("Plan 2D", "2", "120.00", "10")],
    };
    let edited = u.app.update_quote(&u.studio(), draft.id, content.clone()).await.unwrap();
    assert_eq!((edited.lines.len(), edited.totals.total_incl_vat), (2, d("732.00")));
    assert_eq!(edited.valid_until, "2026-08-01".parse().unwrap());
    u.app.send_quote(&u.studio(), draft.id).await.unwrap();
    assert!(matches!(u.app.update_quote(&u.studio(), draft.id, content).await, Err(DomainError::QuoteNotDraft)));
    assert!(matches!(u.app.send_quote(&u.studio(), draft.id).await, Err(DomainError::QuoteNotDraft)));
});

use_cases!(changes_requested_then_a_revision_supersedes_the_first_version, async |u: &TestUseCases| {
    let (client, actor) = u.client("Revision").await;
    let v1 =
        sent_quote(u, client.id, vec![line("Vidéo drone", "1", "590.00", "20"), line("Express", "1", "150.00", "20")])
            .await;
    let no_comment = RefuseQuote { kind: RefusalKind::ChangesRequested, comment: None };
    assert!(matches!(u.app.refuse_quote(&actor, v1.id, no_comment).await, Err(DomainError::Validation { .. })));
    let refusal = RefuseQuote { kind: RefusalKind::ChangesRequested, comment: Some("Sans l'express".into()) };
    let refused = u.app.refuse_quote(&actor, v1.id, refusal).await.unwrap();
    assert_eq!(refused.status, QuoteStatus::Refused);
    assert_eq!(refused.refusal.as_ref().and_then(|r| r.comment.as_deref()), Some("Sans l'express"));
    let to_studio = u.queued().await.into_iter().last().unwrap().notification().unwrap();
    assert!(matches!(to_studio, Notification::QuoteRefused { kind: RefusalKind::ChangesRequested, .. }));
    assert_eq!(to_studio.path(), format!("/gestion/devis/{}", v1.id));

    let v2 = u.app.revise_quote(&u.studio(), v1.id).await.unwrap();
    assert_eq!((v2.version, v2.family_id, v2.status, v2.lines.len()), (2, v1.family_id, QuoteStatus::Draft, 2));
    assert!(matches!(u.app.revise_quote(&u.studio(), v1.id).await, Err(DomainError::QuoteRevisionExists)));
    let lines = vec![line("Vidéo drone", "1", "590.00", "20")];
    u.app
        .update_quote(&u.studio(), v2.id, QuoteDraft { title: v2.title.clone(), notes: None, valid_until: None, lines })
        .await
        .unwrap();
    let v2 = u.app.send_quote(&u.studio(), v2.id).await.unwrap();
    assert_eq!(v2.number, v1.number, "a revision keeps its family's number");
    assert_eq!(u.app.quote(&actor, v1.id).await.unwrap().status, QuoteStatus::Superseded);
    assert!(matches!(u.app.accept_quote(&actor, v1.id, signature()).await, Err(DomainError::QuoteSuperseded)));
    let versions = u.app.quote_versions(&actor, v1.family_id).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(versions[1].lines.len(), 2, "each version with its own lines");
    let accepted = u.app.accept_quote(&actor, v2.id, signature()).await.unwrap();
    assert_eq!(accepted.purchase_order.totals.total_incl_vat, d("708.00"));
});

use_cases!(an_expired_quote_cannot_be_accepted_until_extended, async |u: &TestUseCases| {
    let (client, actor) = u.client("Expire").await;
    let q = sent_quote(u, client.id, vec![line("Plan 3D", "1", "190.00", "20")]).await;
    u.clock.advance_days(31);
    assert_eq!(u.app.quote(&actor, q.id).await.unwrap().status, QuoteStatus::Expired);
    assert!(matches!(u.app.accept_quote(&actor, q.id, signature()).await, Err(DomainError::QuoteExpired)));
    let past = "2026-06-01".parse().unwrap();
    assert!(u.app.extend_quote(&u.studio(), q.id, past).await.is_err(), "not into the past");
    let extended = u.app.extend_quote(&u.studio(), q.id, "2026-08-31".parse().unwrap()).await.unwrap();
    assert_eq!(extended.status, QuoteStatus::Sent);
    let told = u.queued().await.into_iter().last().unwrap();
    assert_eq!((told.kind.as_str(), told.recipient.as_str()), ("quote_extended", client.email.as_str()));
    u.app.accept_quote(&actor, q.id, signature()).await.unwrap();
});

use_cases!(an_acceptance_needs_a_name_consent_and_the_terms, async |u: &TestUseCases| {
    let (client, actor) = u.client("Signature").await;
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    for sig in [
        AcceptQuote { signer_name: " ".into(), ..signature() },
        AcceptQuote { consent: false, ..signature() },
        AcceptQuote { terms_accepted: false, ..signature() },
    ] {
        assert!(matches!(u.app.accept_quote(&actor, q.id, sig).await, Err(DomainError::AcceptanceIncomplete)));
    }
    assert_eq!(u.app.quote(&actor, q.id).await.unwrap().status, QuoteStatus::Sent, "nothing changed");
    assert!(u.app.purchase_order_for_quote(&actor, q.id).await.unwrap().is_none());
});

use_cases!(a_client_sees_and_answers_only_its_own_quotes_and_calls_no_staff_use_case, async |u: &TestUseCases| {
    let (mine, me) = u.client("Moi").await;
    let (_, other) = u.client("Autre").await;
    let q = sent_quote(u, mine.id, vec![line("Visite", "1", "390.00", "20")]).await;
    assert!(matches!(u.app.quote(&other, q.id).await, Err(DomainError::NotFound { .. })));
    assert!(matches!(u.app.accept_quote(&other, q.id, signature()).await, Err(DomainError::NotFound { .. })));
    let refusal = RefuseQuote { kind: RefusalKind::Decline, comment: None };
    assert!(matches!(u.app.refuse_quote(&other, q.id, refusal).await, Err(DomainError::NotFound { .. })));
    assert!(u.app.quotes(&other, &ListQuery::first()).await.unwrap().items.is_empty());
    // Staff use cases refuse a client, and someone not signed in.
    for actor in [&me, &Actor::anonymous()] {
        assert!(matches!(u.app.send_quote(actor, q.id).await, Err(DomainError::Forbidden { .. })));
        assert!(matches!(u.app.revise_quote(actor, q.id).await, Err(DomainError::Forbidden { .. })));
        assert!(matches!(
            u.app.create_quote(actor, new_quote(mine.id, vec![])).await,
            Err(DomainError::Forbidden { .. })
        ));
    }
    assert!(u.app.quotes(&Actor::anonymous(), &ListQuery::first()).await.unwrap().items.is_empty(), "nobody's scope");
    // A staff member without the role is refused too.
    let production = Actor { roles: vec![Role::Production], ..Actor::anonymous() };
    assert!(matches!(u.app.send_quote(&production, q.id).await, Err(DomainError::Forbidden { role: "sales" })));
    u.app.accept_quote(&me, q.id, signature()).await.unwrap();
});

/// The number at the end of a document number (`D-2026-0007` → 7).
fn seq(number: Option<&str>) -> u32 {
    number.and_then(|n| n.rsplit('-').next()).and_then(|n| n.parse().ok()).expect("a document number")
}

use_cases!(a_change_refused_after_its_lock_gives_back_the_number_it_took, async |u: &TestUseCases| {
    // Numbers are taken with the record's lock, before the change is checked: a change then
    // refused must give its number back, and a revision, which keeps its family's, take none.
    let (client, actor) = u.client("Numéros").await;
    let first = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    let refusal = RefuseQuote { kind: RefusalKind::ChangesRequested, comment: Some("Moins cher".into()) };
    u.app.refuse_quote(&actor, first.id, refusal).await.unwrap();
    let v2 = u.app.revise_quote(&u.studio(), first.id).await.unwrap();
    let v2 = u.app.send_quote(&u.studio(), v2.id).await.unwrap();
    assert_eq!(v2.number, first.number);
    assert!(matches!(u.app.send_quote(&u.studio(), v2.id).await, Err(DomainError::QuoteNotDraft)), "sent already");
    let empty = u.app.create_quote(&u.studio(), new_quote(client.id, vec![])).await.unwrap();
    assert!(matches!(u.app.send_quote(&u.studio(), empty.id).await, Err(DomainError::QuoteEmpty)));
    let next = sent_quote(u, client.id, vec![line("Plan 3D", "1", "190.00", "20")]).await;
    assert_eq!(seq(next.number.as_deref()), seq(first.number.as_deref()) + 1, "no quote number lost");

    // Purchase orders: an acceptance refused (answered already) takes none.
    let po = u.app.accept_quote(&actor, v2.id, signature()).await.unwrap().purchase_order;
    assert!(matches!(u.app.accept_quote(&actor, v2.id, signature()).await, Err(DomainError::QuoteAlreadyAccepted)));
    let next_po = u.app.accept_quote(&actor, next.id, signature()).await.unwrap().purchase_order;
    assert_eq!(seq(Some(&next_po.number)), seq(Some(&po.number)) + 1, "no purchase order number lost");

    // Invoices: a delivery refused (no file yet) takes none.
    let po = u.app.validate_purchase_order(&u.studio(), po.id).await.unwrap();
    let bare = po.order_id.unwrap();
    assert!(matches!(u.app.deliver_order(&u.studio(), bare).await, Err(DomainError::OrderNothingToDeliver)));
    let order = order_to_deliver(u, &actor, client.id).await;
    let invoice = u.app.deliver_order(&u.studio(), order.id).await.unwrap().invoice;
    assert!(matches!(u.app.deliver_order(&u.studio(), bare).await, Err(DomainError::OrderNothingToDeliver)));
    assert!(matches!(u.app.deliver_order(&u.studio(), order.id).await, Err(DomainError::OrderAlreadyDelivered)));
    let next_po = u.app.validate_purchase_order(&u.studio(), next_po.id).await.unwrap();
    let next_order = next_po.order_id.unwrap();
    u.app
        .upload_deliverable(&u.studio(), next_order, "plan.pdf", "application/pdf", body(b"%PDF"), 1 << 20)
        .await
        .unwrap();
    let next_invoice = u.app.deliver_order(&u.studio(), next_order).await.unwrap().invoice;
    assert_eq!(seq(Some(&next_invoice.number)), seq(Some(&invoice.number)) + 1, "no invoice number lost");
});

//! Invoices after delivery: a credit note cancels one (never edited), a new one is issued, the
//! numbers stay gapless; payments are checked; reminders queue once per step.

use super::*;

use_cases!(a_credit_note_cancels_an_invoice_and_a_new_one_follows, async |u: &TestUseCases| {
    let (client, actor) = u.client("Avoir").await;
    let order = order_to_deliver(u, &actor, client.id).await;
    let invoice = u.app.deliver_order(&u.studio(), order.id).await.unwrap().invoice;
    assert!(matches!(u.app.issue_invoice(&u.studio(), order.id).await, Err(DomainError::AlreadyInvoiced)));
    let blank = u.app.issue_credit_note(&u.studio(), invoice.id, NewCreditNote { reason: "".into() }).await;
    assert!(matches!(blank, Err(DomainError::Validation { .. })));
    let cn = u
        .app
        .issue_credit_note(&u.studio(), invoice.id, NewCreditNote { reason: "Erreur de quantité".into() })
        .await
        .unwrap();
    assert_eq!((cn.number.as_str(), cn.invoice_number.as_str()), ("AV-2026-0001", "F-2026-0001"));
    assert_eq!((cn.lines.len(), cn.totals.total_incl_vat), (invoice.lines.len(), invoice.totals.total_incl_vat));
    let cancelled = u.app.invoice(&actor, invoice.id).await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.amount_due, cancelled.number.as_str()),
        (InvoiceStatus::Cancelled, d("0"), "F-2026-0001")
    );
    let pay = NewPayment::Transfer { amount: d("1.00"), date: "2026-06-15".parse().unwrap(), reference: "x".into() };
    assert!(matches!(u.app.record_payment(&u.studio(), invoice.id, pay).await, Err(DomainError::InvoiceCancelled)));
    let again = u.app.issue_credit_note(&u.studio(), invoice.id, NewCreditNote { reason: "encore".into() }).await;
    assert!(matches!(again, Err(DomainError::InvoiceCancelled)));
    let reissued = u.app.issue_invoice(&u.studio(), order.id).await.unwrap();
    assert_eq!(reissued.number, "F-2026-0002");
    let email = u.queued().await.into_iter().find(|m| m.kind == "credit_note_issued").unwrap();
    let n = email.notification().unwrap();
    assert_eq!(n.path(), format!("/compte/factures/{}", invoice.id), "the credit note's email opens the invoice");
    assert_eq!(n.documents(), vec![(DocumentKind::CreditNote, cn.id)]);
    // Accounting's use cases refuse the client.
    let note = NewCreditNote { reason: "x".into() };
    assert!(matches!(u.app.issue_credit_note(&actor, reissued.id, note).await, Err(DomainError::Forbidden { .. })));
});

use_cases!(a_paid_invoice_takes_no_credit_note_and_payments_are_checked, async |u: &TestUseCases| {
    let (client, actor) = u.client("Paye").await;
    let order = order_to_deliver(u, &actor, client.id).await;
    let invoice = u.app.deliver_order(&u.studio(), order.id).await.unwrap().invoice;
    let future =
        NewPayment::Transfer { amount: d("10.00"), date: "2026-07-01".parse().unwrap(), reference: "x".into() };
    assert!(
        matches!(u.app.record_payment(&u.studio(), invoice.id, future).await, Err(DomainError::Validation { field, .. }) if field == "date")
    );
    let cents =
        NewPayment::Transfer { amount: d("10.001"), date: "2026-06-15".parse().unwrap(), reference: "x".into() };
    assert!(u.app.record_payment(&u.studio(), invoice.id, cents).await.is_err());
    let cheque = NewPayment::Cheque {
        amount: d("10.00"),
        cheque_number: "1".into(),
        bank: "B".into(),
        received_date: "2026-06-15".parse().unwrap(),
        deposit_date: Some("2026-06-14".parse().unwrap()),
    };
    assert!(
        matches!(u.app.record_payment(&u.studio(), invoice.id, cheque).await, Err(DomainError::Validation { field, .. }) if field == "deposit_date")
    );
    let all = NewPayment::Transfer {
        amount: invoice.amount_due,
        date: "2026-06-15".parse().unwrap(),
        reference: "VIR".into(),
    };
    u.app.record_payment(&u.studio(), invoice.id, all).await.unwrap();
    let cn = u.app.issue_credit_note(&u.studio(), invoice.id, NewCreditNote { reason: "x".into() }).await;
    assert!(matches!(cn, Err(DomainError::InvoiceHasPayments)));
});

use_cases!(reminders_queue_once_per_step_whatever_the_runs, async |u: &TestUseCases| {
    let (client, actor) = u.client("Relance").await;
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    let order = order_to_deliver(u, &actor, client.id).await;
    let invoice = u.app.deliver_order(&u.studio(), order.id).await.unwrap().invoice;
    // 28 days on: the quote expires within three days.
    u.clock.advance_days(28);
    assert_eq!(u.app.queue_reminders().await.unwrap(), 1);
    assert_eq!(u.app.queue_reminders().await.unwrap(), 0, "once");
    let expiring = u.queued().await.into_iter().last().unwrap().notification().unwrap();
    assert!(matches!(expiring, Notification::QuoteExpiring { quote_id, .. } if quote_id == q.id));
    // A day past the due date, then fifteen.
    u.clock.advance_days(3);
    assert_eq!(u.app.queue_reminders().await.unwrap(), 1);
    u.clock.advance_days(14);
    assert_eq!(u.app.queue_reminders().await.unwrap(), 1);
    assert_eq!(u.app.queue_reminders().await.unwrap(), 0);
    let overdue: Vec<i64> = u
        .queued()
        .await
        .into_iter()
        .filter_map(|m| match m.notification().unwrap() {
            Notification::InvoiceOverdue { invoice_id, days_late, .. } if invoice_id == invoice.id => Some(days_late),
            _ => None,
        })
        .collect();
    assert_eq!(overdue, [1, 15]);
});

//! The rows of the generated journeys: requests, quotes and their versions, purchase orders,
//! orders with stages and files, invoices, payments, credit notes, their documents, the audit
//! trail, the emails sent and the search terms — in dates order, numbered as planned.

use super::tables::{Tables, add_lines, index};
use super::*;

/// The report (without the clients) and the tables, in the order they are written.
pub(super) fn rows(
    ctx: &Ctx,
    flows: &mut [Flow],
    next: &mut HashMap<&'static str, Id>,
    rng: &mut Rng,
) -> Result<(HistoryReport, Vec<Rows>)> {
    let Ctx { spec, company, clients, now } = *ctx;
    let mut report = HistoryReport { clients: clients.len(), ..HistoryReport::default() };
    let Tables {
        mut requests,
        mut quotes,
        mut lines,
        mut pos,
        mut orders,
        mut stages,
        mut deliverables,
        mut invoices,
        mut payments,
        mut credit_notes,
        mut documents,
        mut audit,
        mut outbox,
        mut terms,
    } = Tables::new();
    for c in clients {
        let texts = [c.client.name.as_str(), c.client.company_name.as_deref().unwrap_or(""), c.client.email.as_str()];
        index(&mut terms, "client", c.id, &texts);
    }

    let staff_actor = "user:1 studio@immovr.example";

    for f in flows.iter_mut() {
        let c = &clients[f.client];
        let cid = c.id;
        let lang = c.client.language.as_str();
        let client_actor = format!("client:{cid} {}", c.client.email);
        let email = |outbox: &mut Rows,
                     next: &mut HashMap<&'static str, Id>,
                     at: Timestamp,
                     kind: &str,
                     payload: serde_json::Value| {
            outbox.push(vec![
                next_id(next, "outbox").into(),
                kind.into(),
                c.client.email.as_str().into(),
                lang.into(),
                payload.to_string().into(),
                "sent".into(),
                1i64.into(),
                at.into(),
                at.into(),
                ts_after(at, 0.0001).into(),
            ]);
        };
        // Half the quotes answer a request.
        if rng.chance(0.5) {
            let rid = next_id(next, "quote_requests");
            let (postcode, city) = *rng.pick(CITIES);
            let address = format!("{} {}, {postcode} {city}", 1 + rng.below(200), rng.pick(STREETS));
            let kind = *rng.pick(PROPERTIES);
            requests.push(vec![
                rid.into(),
                cid.into(),
                "quoted".into(),
                kind.into(),
                address.as_str().into(),
                Decimal::from(30 + rng.below(150) as i64).into(),
                (1 + rng.below(6) as i64).into(),
                json!(["VISITE-360"]).to_string().into(),
                V::T(None),
                ts_after(f.created, -1.0).into(),
            ]);
            index(&mut terms, "request", rid, &[kind, address.as_str()]);
            f.request_id = Some(rid);
            f.property_address = Some(address.clone());
            report.requests += 1;
        }
        let v1 = next_id(next, "quotes");
        f.ids.v1 = v1;
        let number = f.ids.quote_number.clone();
        let (request_id, title, flow_lines, flow_totals, created) =
            (f.request_id, f.title.clone(), f.lines.clone(), f.totals.clone(), f.created);
        let validity = |sent: Timestamp| add_days(local_date(sent), company.quote_validity_days);
        let quote = |id: Id, version: i64, status: QuoteStatus, sent: Option<Timestamp>| Quote {
            id,
            number: number.clone(),
            version,
            family_id: v1,
            client_id: cid,
            request_id,
            status,
            title: title.clone(),
            notes: None,
            valid_until: sent.map(validity).unwrap_or(add_days(local_date(created), company.quote_validity_days)),
            sent_at: sent,
            lines: flow_lines.clone(),
            totals: flow_totals.clone(),
            acceptance: None,
            refusal: None,
            created_at: created,
        };
        // Version 1, and version 2 after a request for changes.
        let mut versions: Vec<Quote> = Vec::new();
        let final_status = match (f.outcome, f.answered) {
            (_, None) if f.sent.is_none() => QuoteStatus::Draft,
            (Outcome::Accepted, Some(_)) => QuoteStatus::Accepted,
            (Outcome::Declined, Some(_)) => QuoteStatus::Refused,
            _ => QuoteStatus::Sent,
        };
        match f.revised {
            Some((refused, v2_created, v2_sent)) => {
                let mut q1 = quote(
                    v1,
                    1,
                    if v2_sent.is_some() { QuoteStatus::Superseded } else { QuoteStatus::Refused },
                    f.sent,
                );
                q1.refusal = Some(Refusal {
                    kind: RefusalKind::ChangesRequested,
                    comment: Some("Pouvez-vous ajouter une option ?".into()),
                    refused_at: refused,
                });
                versions.push(q1);
                let v2 = next_id(next, "quotes");
                f.ids.v2 = Some(v2);
                let mut q2 = quote(v2, 2, if v2_sent.is_some() { final_status } else { QuoteStatus::Draft }, v2_sent);
                q2.created_at = v2_created;
                versions.push(q2);
            }
            None => versions.push(quote(v1, 1, final_status, f.sent)),
        }
        let last = versions.len() - 1;
        if let Some(answered) = f.answered {
            let q = &mut versions[last];
            match f.outcome {
                Outcome::Accepted => {
                    q.acceptance = Some(Acceptance {
                        signer_name: c.client.name.clone(),
                        consent: true,
                        terms_accepted: true,
                        accepted_at: answered,
                        ip: Some("203.0.113.10".into()),
                        user_agent: Some("Mozilla/5.0".into()),
                        content_sha256: format!("{:064x}", rng.next()),
                        channel: AcceptanceChannel::Online,
                        signed_on: None,
                        recorded_by: None,
                        evidence: None,
                        terms_version: Some(0),
                        link_sent_at: None,
                        early_start: false,
                    })
                }
                Outcome::Declined => {
                    q.refusal = Some(Refusal { kind: RefusalKind::Decline, comment: None, refused_at: answered })
                }
                Outcome::Expired => {}
            }
        }
        for q in &versions {
            let (acc, refusal) = (q.acceptance.as_ref(), q.refusal.as_ref());
            quotes.push(vec![
                q.id.into(),
                v1.into(),
                q.number.clone().into(),
                q.version.into(),
                cid.into(),
                q.request_id.into(),
                q.status.as_str().into(),
                q.title.as_str().into(),
                V::T(None),
                q.valid_until.into(),
                q.sent_at.into(),
                q.totals.total_excl_vat.into(),
                q.totals.total_vat.into(),
                q.totals.total_incl_vat.into(),
                acc.map(|a| a.signer_name.clone()).into(),
                V::I(acc.map(|_| 1)),
                V::I(acc.map(|_| 1)),
                acc.map(|a| a.accepted_at).into(),
                acc.and_then(|a| a.ip.clone()).into(),
                acc.and_then(|a| a.user_agent.clone()).into(),
                acc.map(|a| a.content_sha256.clone()).into(),
                refusal.map(|r| r.kind.as_str().to_string()).into(),
                refusal.and_then(|r| r.comment.clone()).into(),
                refusal.map(|r| r.refused_at).into(),
                q.created_at.into(),
            ]);
            add_lines(&mut lines, "quote", q.id, &q.lines);
            index(&mut terms, "quote", q.id, &[q.title.as_str(), q.number.as_deref().unwrap_or("")]);
            audit.event(
                next,
                q.created_at,
                (staff_actor, "quote.created"),
                ("quote", q.id),
                json!({"version": q.version}),
            );
            if let Some(sent) = q.sent_at {
                audit.event(next, sent, (staff_actor, "quote.sent"), ("quote", q.id), json!({"number": q.number}));
                email(
                    &mut outbox,
                    next,
                    sent,
                    "quote_sent",
                    json!({"quote_id": q.id, "number": q.number, "version": q.version}),
                );
                let snapshot = DocumentSnapshot {
                    kind: DocumentKind::Quote,
                    number: q.number.clone().unwrap_or_default(),
                    language: c.client.language,
                    issued_at: sent,
                    company: company.clone(),
                    client: c.client.clone(),
                    quote: Some(Quote { status: QuoteStatus::Sent, acceptance: None, refusal: None, ..q.clone() }),
                    purchase_order: None,
                    invoice: None,
                    credit_note: None,
                };
                push_document(&mut documents, next, &snapshot, q.id, cid)?;
            }
            if let Some(r) = &q.refusal {
                audit.event(
                    next,
                    r.refused_at,
                    (&client_actor, "quote.refused"),
                    ("quote", q.id),
                    json!({"kind": r.kind.as_str()}),
                );
            }
        }
        report.quotes += versions.len();
        let accepted = &versions[last];
        let (Some(a), Some(po_number)) = (accepted.acceptance.clone(), f.ids.po_number.clone()) else { continue };
        let (accepted_number, accepted_version) = (accepted.number.clone().unwrap_or_default(), accepted.version);
        audit.event(
            next,
            a.accepted_at,
            (&client_actor, "quote.accepted"),
            ("quote", accepted.id),
            json!({"number": accepted.number}),
        );
        let signed = DocumentSnapshot {
            kind: DocumentKind::SignedQuote,
            number: accepted.number.clone().unwrap_or_default(),
            language: c.client.language,
            issued_at: a.accepted_at,
            company: company.clone(),
            client: c.client.clone(),
            quote: Some(accepted.clone()),
            purchase_order: None,
            invoice: None,
            credit_note: None,
        };
        push_document(&mut documents, next, &signed, accepted.id, cid)?;
        // The purchase order, generated on acceptance; validated a little later.
        let po_id = next_id(next, "purchase_orders");
        f.ids.po = Some(po_id);
        let po_status = if f.validated.is_some() { "validated" } else { "pending" };
        pos.push(vec![
            po_id.into(),
            po_number.as_str().into(),
            accepted.id.into(),
            accepted.number.clone().into(),
            accepted.version.into(),
            cid.into(),
            po_status.into(),
            f.totals.total_excl_vat.into(),
            f.totals.total_vat.into(),
            f.totals.total_incl_vat.into(),
            a.accepted_at.into(),
            f.validated.into(),
        ]);
        add_lines(&mut lines, "purchase_order", po_id, &f.lines);
        index(&mut terms, "purchase_order", po_id, &[po_number.as_str(), accepted.number.as_deref().unwrap_or("")]);
        email(
            &mut outbox,
            next,
            a.accepted_at,
            "purchase_order_created",
            json!({"purchase_order_id": po_id, "purchase_order_number": po_number}),
        );
        let po = PurchaseOrder {
            id: po_id,
            number: po_number.clone(),
            quote_id: accepted.id,
            quote_number: accepted.number.clone().unwrap_or_default(),
            quote_version: accepted.version,
            client_id: cid,
            status: PurchaseOrderStatus::Pending,
            cancel_reason: None,
            lines: f.lines.clone(),
            totals: f.totals.clone(),
            created_at: a.accepted_at,
            validated_at: None,
            order_id: None,
            order_status: None,
            withdrawal: None,
        };
        let po_doc = DocumentSnapshot {
            kind: DocumentKind::PurchaseOrder,
            number: po_number.clone(),
            purchase_order: Some(po.clone()),
            ..signed.clone()
        };
        push_document(&mut documents, next, &po_doc, po_id, cid)?;
        report.purchase_orders += 1;
        let Some(validated) = f.validated else { continue };
        audit.event(
            next,
            validated,
            (staff_actor, "purchase_order.validated"),
            ("purchase_order", po_id),
            json!({"number": po_number}),
        );
        let order_id = next_id(next, "orders");
        f.ids.order = Some(order_id);
        let order_status = if f.delivered.is_some() { "delivered" } else { "in_progress" };
        orders.push(vec![
            order_id.into(),
            po_id.into(),
            cid.into(),
            order_status.into(),
            validated.into(),
            f.delivered.into(),
        ]);
        index(&mut terms, "order", order_id, &[po_number.as_str()]);
        audit.event(
            next,
            validated,
            (staff_actor, "order.registered"),
            ("order", order_id),
            json!({"purchase_order": po_number}),
        );
        email(
            &mut outbox,
            next,
            validated,
            "order_registered",
            json!({"order_id": order_id, "purchase_order_number": po_number}),
        );
        let n_stages = company.stage_template.len().max(1);
        for (k, s) in company.stage_template.iter().enumerate() {
            let planned = ts_after(validated, 2.0 + k as f64 * 4.0);
            let done = f.delivered.is_some() || (planned <= now && k + 1 < n_stages && rng.chance(0.7));
            let label = if lang == "en" { &s.label_en } else { &s.label_fr };
            stages.push(vec![
                next_id(next, "stages").into(),
                order_id.into(),
                (k as i64 + 1).into(),
                s.code.as_str().into(),
                label.as_str().into(),
                if done { "done" } else { "planned" }.into(),
                local_date(planned).into(),
                V::T(None),
                V::T(None),
                done.then_some(planned).into(),
            ]);
        }
        report.orders += 1;
        let (Some(delivered), Some(invoice_number)) = (f.delivered, f.ids.invoice_number.clone()) else { continue };
        deliverables.push(vec![
            next_id(next, "deliverables").into(),
            order_id.into(),
            "livraison.zip".into(),
            "application/zip".into(),
            4096i64.into(),
            "0".repeat(64).into(),
            spec.deliverable_key.as_str().into(),
            delivered.into(),
        ]);
        audit.event(next, delivered, (staff_actor, "order.delivered"), ("order", order_id), json!({}));
        // The invoice, issued on delivery, and its payments.
        let invoice_id = next_id(next, "invoices");
        f.ids.invoice = Some(invoice_id);
        let issue = local_date(delivered);
        let due = add_days(issue, company.payment_terms_days);
        let total = f.totals.total_incl_vat;
        let mut paid = Decimal::ZERO;
        let mut invoice_payments = Vec::new();
        for (at, share) in &f.payments {
            let amount = if *share == Decimal::ONE || invoice_payments.len() == 1 {
                total - paid
            } else {
                (total * share).round_dp(2)
            };
            paid += amount;
            let pid = next_id(next, "payments");
            let cheque = rng.chance(0.2);
            payments.push(vec![
                pid.into(),
                invoice_id.into(),
                if cheque { "cheque" } else { "transfer" }.into(),
                amount.into(),
                local_date(*at).into(),
                (!cheque).then(|| format!("VIR {invoice_number}")).into(),
                cheque.then(|| format!("{:07}", rng.below(9_999_999))).into(),
                cheque.then(|| "Banque Populaire".to_string()).into(),
                V::T(None),
                (*at).into(),
            ]);
            audit.event(
                next,
                *at,
                (staff_actor, "payment.recorded"),
                ("invoice", invoice_id),
                json!({"amount": amount}),
            );
            email(
                &mut outbox,
                next,
                *at,
                "payment_received",
                json!({"invoice_id": invoice_id, "number": invoice_number, "amount": amount}),
            );
            invoice_payments.push(pid);
            report.payments += 1;
        }
        let status = if f.credit.is_some() {
            "cancelled"
        } else if paid >= total {
            "paid"
        } else if paid > Decimal::ZERO {
            "partially_paid"
        } else {
            "issued"
        };
        invoices.push(vec![
            invoice_id.into(),
            invoice_number.as_str().into(),
            order_id.into(),
            cid.into(),
            status.into(),
            issue.into(),
            issue.into(),
            due.into(),
            invoice_number.as_str().into(),
            f.totals.total_excl_vat.into(),
            f.totals.total_vat.into(),
            total.into(),
            paid.into(),
            delivered.into(),
            accepted_number.as_str().into(),
            accepted_version.into(),
            f.title.as_str().into(),
            f.property_address.clone().into(),
        ]);
        add_lines(&mut lines, "invoice", invoice_id, &f.lines);
        index(&mut terms, "invoice", invoice_id, &[invoice_number.as_str(), po_number.as_str()]);
        audit.event(
            next,
            delivered,
            (staff_actor, "invoice.issued"),
            ("invoice", invoice_id),
            json!({"number": invoice_number}),
        );
        email(
            &mut outbox,
            next,
            delivered,
            "order_delivered",
            json!({"order_id": order_id, "invoice_id": invoice_id, "invoice_number": invoice_number}),
        );
        let invoice = Invoice {
            id: invoice_id,
            number: invoice_number.clone(),
            order_id,
            purchase_order_number: po_number.clone(),
            origin: InvoiceOrigin {
                quote_number: Some(accepted_number.clone()),
                quote_version: Some(accepted_version),
                subject: Some(f.title.clone()),
                property_address: f.property_address.clone(),
            },
            client_id: cid,
            status: InvoiceStatus::Issued,
            issue_date: issue,
            service_date: issue,
            due_date: due,
            payment_reference: invoice_number.clone(),
            lines: f.lines.clone(),
            totals: f.totals.clone(),
            amount_paid: Decimal::ZERO,
            amount_due: total,
            payments: Vec::new(),
            credit_note_ids: Vec::new(),
            created_at: delivered,
        };
        let invoice_doc = DocumentSnapshot {
            kind: DocumentKind::Invoice,
            number: invoice_number.clone(),
            issued_at: delivered,
            quote: None,
            purchase_order: None,
            invoice: Some(invoice.clone()),
            ..signed.clone()
        };
        push_document(&mut documents, next, &invoice_doc, invoice_id, cid)?;
        report.invoices += 1;
        if let (Some(at), Some(number)) = (f.credit, f.ids.credit_number.clone()) {
            let cn_id = next_id(next, "credit_notes");
            f.ids.credit_note = Some(cn_id);
            let reason = "Erreur d'adresse de facturation";
            credit_notes.push(vec![
                cn_id.into(),
                number.as_str().into(),
                invoice_id.into(),
                cid.into(),
                reason.into(),
                local_date(at).into(),
                f.totals.total_excl_vat.into(),
                f.totals.total_vat.into(),
                total.into(),
                at.into(),
            ]);
            add_lines(&mut lines, "credit_note", cn_id, &f.lines);
            audit.event(
                next,
                at,
                (staff_actor, "credit_note.issued"),
                ("credit_note", cn_id),
                json!({"number": number}),
            );
            let credit = CreditNote {
                id: cn_id,
                number: number.clone(),
                invoice_id,
                invoice_number: invoice_number.clone(),
                client_id: cid,
                reason: reason.into(),
                issue_date: local_date(at),
                lines: f.lines.clone(),
                totals: f.totals.clone(),
                created_at: at,
            };
            let credit_doc = DocumentSnapshot {
                kind: DocumentKind::CreditNote,
                number,
                issued_at: at,
                credit_note: Some(credit),
                ..invoice_doc
            };
            push_document(&mut documents, next, &credit_doc, cn_id, cid)?;
            report.credit_notes += 1;
        }
    }

    report.documents = documents.rows.len();
    report.audit_events = audit.rows.len();
    report.emails = outbox.rows.len();
    report.search_terms = terms.rows.len();
    let tables = Tables {
        requests,
        quotes,
        lines,
        pos,
        orders,
        stages,
        deliverables,
        invoices,
        payments,
        credit_notes,
        documents,
        audit,
        outbox,
        terms,
    };
    Ok((report, tables.in_write_order()))
}

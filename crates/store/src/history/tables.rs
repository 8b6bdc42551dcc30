//! The tables the generated journeys fill: their columns, and the rows shared by several kinds
//! of records (document lines, search terms, audit events).

use super::*;

impl Rows {
    /// An audit event's row: when, who did what, to which record, with what detail.
    pub(super) fn event(
        &mut self,
        next: &mut HashMap<&'static str, Id>,
        at: Timestamp,
        (actor, action): (&str, &str),
        (kind, id): (&str, Id),
        detail: serde_json::Value,
    ) {
        self.push(vec![
            next_id(next, "audit_events").into(),
            at.into(),
            actor.into(),
            action.into(),
            kind.into(),
            id.into(),
            detail.to_string().into(),
        ]);
    }
}

pub(super) struct Tables {
    pub requests: Rows,
    pub quotes: Rows,
    pub lines: Rows,
    pub pos: Rows,
    pub orders: Rows,
    pub stages: Rows,
    pub deliverables: Rows,
    pub invoices: Rows,
    pub payments: Rows,
    pub credit_notes: Rows,
    pub documents: Rows,
    pub audit: Rows,
    pub outbox: Rows,
    pub terms: Rows,
}

impl Tables {
    pub fn new() -> Tables {
        let requests = Rows::new(
            "quote_requests",
            &[
                "id",
                "client_id",
                "status",
                "property_type",
                "property_address",
                "surface_m2",
                "rooms",
                "wanted",
                "notes",
                "created_at",
            ],
        );
        let quotes = Rows::new(
            "quotes",
            &[
                "id",
                "family_id",
                "number",
                "version",
                "client_id",
                "request_id",
                "status",
                "title",
                "notes",
                "valid_until",
                "sent_at",
                "total_excl_vat",
                "total_vat",
                "total_incl_vat",
                "signer_name",
                "consent",
                "terms_accepted",
                "accepted_at",
                "accept_ip",
                "accept_user_agent",
                "content_sha256",
                "refusal_kind",
                "refusal_comment",
                "refused_at",
                "created_at",
            ],
        );
        let line_columns: &[&str] = &[
            "doc_kind",
            "doc_id",
            "position",
            "code",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "discount",
            "vat_rate",
            "total_excl_vat",
        ];
        let lines = Rows::new("document_lines", line_columns);
        let pos = Rows::new(
            "purchase_orders",
            &[
                "id",
                "number",
                "quote_id",
                "quote_number",
                "quote_version",
                "client_id",
                "status",
                "total_excl_vat",
                "total_vat",
                "total_incl_vat",
                "created_at",
                "validated_at",
            ],
        );
        let orders =
            Rows::new("orders", &["id", "purchase_order_id", "client_id", "status", "created_at", "delivered_at"]);
        let stages = Rows::new(
            "stages",
            &["id", "order_id", "position", "code", "label", "status", "planned_date", "assignee", "notes", "done_at"],
        );
        let deliverables = Rows::new(
            "deliverables",
            &["id", "order_id", "filename", "content_type", "size_bytes", "sha256", "storage_key", "created_at"],
        );
        let invoices = Rows::new(
            "invoices",
            &[
                "id",
                "number",
                "order_id",
                "client_id",
                "status",
                "issue_date",
                "service_date",
                "due_date",
                "payment_reference",
                "total_excl_vat",
                "total_vat",
                "total_incl_vat",
                "amount_paid",
                "created_at",
                "quote_number",
                "quote_version",
                "subject",
                "property_address",
            ],
        );
        let payments = Rows::new(
            "payments",
            &[
                "id",
                "invoice_id",
                "method",
                "amount",
                "date",
                "reference",
                "cheque_number",
                "bank",
                "deposit_date",
                "recorded_at",
            ],
        );
        let credit_notes = Rows::new(
            "credit_notes",
            &[
                "id",
                "number",
                "invoice_id",
                "client_id",
                "reason",
                "issue_date",
                "total_excl_vat",
                "total_vat",
                "total_incl_vat",
                "created_at",
            ],
        );
        let documents =
            Rows::new("documents", &["id", "kind", "entity_id", "client_id", "number", "snapshot", "issued_at"]);
        let audit = Rows::new("audit_events", &["id", "at", "actor", "action", "entity_kind", "entity_id", "detail"]);
        let outbox = Rows::new(
            "outbox",
            &[
                "id",
                "kind",
                "recipient",
                "language",
                "payload",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
                "sent_at",
            ],
        );
        let terms = Rows::new("search_terms", &["kind", "term", "entity_id"]);
        Tables {
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
        }
    }

    /// Referenced before referencing (foreign keys).
    pub fn in_write_order(self) -> Vec<Rows> {
        vec![
            self.requests,
            self.quotes,
            self.lines,
            self.pos,
            self.orders,
            self.stages,
            self.deliverables,
            self.invoices,
            self.payments,
            self.credit_notes,
            self.documents,
            self.audit,
            self.outbox,
            self.terms,
        ]
    }
}

/// The search terms of a record.
pub(super) fn index(terms: &mut Rows, kind: &str, id: Id, texts: &[&str]) {
    for t in index_terms(texts.iter().copied()) {
        terms.push(vec![kind.into(), t.into(), id.into()]);
    }
}

/// A document's lines.
pub(super) fn add_lines(rows: &mut Rows, kind: &str, doc: Id, ls: &[immovr_core::money::Line]) {
    for l in ls {
        rows.push(vec![
            kind.into(),
            doc.into(),
            l.position.into(),
            l.code.clone().into(),
            l.description.as_str().into(),
            l.quantity.into(),
            l.unit.as_str().into(),
            l.unit_price.into(),
            l.discount.into(),
            l.vat_rate.into(),
            l.total_excl_vat.into(),
        ]);
    }
}

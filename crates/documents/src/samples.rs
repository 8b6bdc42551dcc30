//! Sample documents: a studio setting its document style previews them (`immovr preview`);
//! the tests and the render benchmark use them too.

use immovr_core::model::*;
use immovr_core::money::{LineInput, build_lines, totals};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn line(desc: &str, q: &str, unit: &str, p: &str, disc: &str, rate: &str) -> LineInput {
    LineInput {
        code: None,
        description: desc.into(),
        quantity: d(q),
        unit: unit.into(),
        unit_price: d(p),
        discount: d(disc),
        vat_rate: d(rate),
    }
}

pub fn company() -> CompanySettings {
    let address = Address {
        line1: "12 rue de la Roquette".into(),
        line2: None,
        postcode: "75011".into(),
        city: "Paris".into(),
        country: "FR".into(),
    };
    CompanySettings {
        trade_name: "ImmoVr".into(),
        legal_name: "Virtuelli".into(),
        legal_form: "SAS".into(),
        share_capital: "10 000 €".into(),
        siren: "123456782".into(),
        siret: "12345678200002".into(),
        rcs: "RCS Paris 123 456 782".into(),
        vat_number: "FR11123456782".into(),
        address: address.clone(),
        email: "studio@immovr.example".into(),
        phone: "+33 1 23 45 67 89".into(),
        iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bic: "AGRIFRPPXXX".into(),
        account_holder: "Virtuelli SAS".into(),
        cheque_payee: "Virtuelli".into(),
        cheque_address: Address { line1: "BP 42".into(), ..address },
        quote_prefix: "D".into(),
        purchase_order_prefix: "BC".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        vat_rates: vec![d("20"), d("10"), d("5.5"), d("0")],
        default_vat_rate: d("20"),
        quote_validity_days: 30,
        payment_terms_days: 30,
        late_payment_wording: "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal."
            .into(),
        quote_reminder_days: 3,
        overdue_reminder_days: vec![1, 15, 30],
        auto_validate_purchase_orders: false,
        stage_template: vec![],
        demo: false,
        logo_key: None,
        logo_content_type: None,
        einvoicing: Default::default(),
    }
}

pub fn client(kind: ClientKind, language: Language) -> Client {
    let business = kind == ClientKind::Company;
    Client {
        id: 7,
        kind,
        name: "Claire Dubois".into(),
        email: "claire@agence-lumiere.example".into(),
        phone: None,
        company_name: business.then(|| "Agence Lumière & Fils".into()),
        siren: business.then(|| "732829320".into()),
        siret: business.then(|| "73282932000074".into()),
        vat_number: business.then(|| "FR44732829320".into()),
        billing_address: Some(Address {
            line1: "8 place Bellecour".into(),
            line2: Some("Bâtiment B".into()),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        }),
        language,
        notify_email: true,
        created_at: ts("2026-06-01T08:00:00Z"),
        erasure_requested_at: None,
        erased_at: None,
    }
}

pub fn quote(inputs: &[LineInput], accepted: bool) -> Quote {
    let lines = build_lines(inputs, &company().vat_rates).unwrap();
    let totals = totals(&lines);
    Quote {
        id: 3,
        number: Some("D-2026-0012".into()),
        version: 2,
        family_id: 2,
        client_id: 7,
        request_id: None,
        status: if accepted { QuoteStatus::Accepted } else { QuoteStatus::Sent },
        title: "Visite virtuelle — appartement « Les Terrasses »".into(),
        notes: Some("Prise de vue un matin ensoleillé si possible.".into()),
        valid_until: Date::constant(2026, 7, 15),
        sent_at: Some(ts("2026-06-15T08:00:00Z")),
        lines,
        totals,
        acceptance: accepted.then(|| Acceptance {
            signer_name: "Claire Dubois".into(),
            consent: true,
            terms_accepted: true,
            accepted_at: ts("2026-06-16T14:31:07Z"),
            ip: Some("203.0.113.9".into()),
            user_agent: Some("Firefox".into()),
            content_sha256: "9f2c1b0e5a7d4c3b2a19080706050403020100ffeeddccbbaa99887766554433".into(),
            channel: AcceptanceChannel::Online,
            signed_on: None,
            recorded_by: None,
            evidence: None,
            terms_version: Some(1),
            link_sent_at: None,
            early_start: false,
        }),
        refusal: None,
        created_at: ts("2026-06-14T08:00:00Z"),
    }
}

pub fn invoice(inputs: &[LineInput], paid: &str) -> Invoice {
    let lines = build_lines(inputs, &company().vat_rates).unwrap();
    let totals = totals(&lines);
    Invoice {
        id: 5,
        number: "F-2026-0007".into(),
        order_id: 4,
        purchase_order_number: "BC-2026-0003".into(),
        origin: InvoiceOrigin {
            quote_number: Some("D-2026-0012".into()),
            quote_version: Some(2),
            subject: Some("Visite virtuelle — appartement « Les Terrasses »".into()),
            property_address: Some("14 quai des Célestins, 69002 Lyon".into()),
        },
        client_id: 7,
        status: InvoiceStatus::Issued,
        issue_date: Date::constant(2026, 6, 20),
        service_date: Date::constant(2026, 6, 19),
        due_date: Date::constant(2026, 7, 20),
        payment_reference: "F-2026-0007".into(),
        amount_paid: d(paid),
        amount_due: totals.total_incl_vat - d(paid),
        lines,
        totals,
        payments: vec![],
        credit_note_ids: vec![],
        created_at: ts("2026-06-20T09:00:00Z"),
    }
}

pub fn snapshot(kind: DocumentKind, number: &str, client: Client) -> DocumentSnapshot {
    DocumentSnapshot {
        kind,
        number: number.into(),
        language: client.language,
        issued_at: ts("2026-06-20T09:00:00Z"),
        company: company(),
        client,
        quote: None,
        purchase_order: None,
        invoice: None,
        credit_note: None,
    }
}

pub fn rates_and_discounts() -> Vec<LineInput> {
    vec![
        line("Visite virtuelle 360° — appartement « Les Terrasses »", "1", "forfait", "390.00", "0", "20"),
        line("Home staging virtuel", "4", "pièce", "89.00", "16.00", "20"),
        line("Plan 2D coté (logement social)", "2", "plan", "60.50", "0", "5.5"),
        line("Déplacement", "120", "km", "0.6", "0", "10"),
    ]
}

/// One sample of each document, French business client (the invoice: one page, four lines,
/// three VAT rates, a discount).
pub fn all() -> Vec<(&'static str, DocumentSnapshot)> {
    let q = quote(&rates_and_discounts(), false);
    let accepted = quote(&rates_and_discounts(), true);
    let inv = invoice(&rates_and_discounts(), "0");
    let fr = || client(ClientKind::Company, Language::Fr);
    let mut quote_doc = snapshot(DocumentKind::Quote, "D-2026-0012", fr());
    quote_doc.quote = Some(q);
    let mut signed = snapshot(DocumentKind::SignedQuote, "D-2026-0012", fr());
    signed.quote = Some(accepted.clone());
    let mut po = snapshot(DocumentKind::PurchaseOrder, "BC-2026-0003", fr());
    po.purchase_order = Some(purchase_order(&accepted));
    po.quote = Some(accepted);
    let mut invoice_doc = snapshot(DocumentKind::Invoice, "F-2026-0007", fr());
    invoice_doc.invoice = Some(inv.clone());
    let mut credit = snapshot(DocumentKind::CreditNote, "AV-2026-0001", fr());
    credit.credit_note = Some(credit_note(&inv));
    credit.invoice = Some(inv);
    vec![
        ("quote", quote_doc),
        ("signed-quote", signed),
        ("purchase-order", po),
        ("invoice", invoice_doc),
        ("credit-note", credit),
    ]
}

pub fn purchase_order(q: &Quote) -> PurchaseOrder {
    PurchaseOrder {
        id: 9,
        number: "BC-2026-0003".into(),
        quote_id: q.id,
        quote_number: q.number.clone().unwrap_or_default(),
        quote_version: q.version,
        client_id: q.client_id,
        status: PurchaseOrderStatus::Pending,
        cancel_reason: None,
        lines: q.lines.clone(),
        totals: q.totals.clone(),
        created_at: ts("2026-06-16T14:31:07Z"),
        validated_at: None,
        order_id: None,
        order_status: None,
        withdrawal: None,
    }
}

pub fn credit_note(inv: &Invoice) -> CreditNote {
    CreditNote {
        id: 1,
        number: "AV-2026-0001".into(),
        invoice_id: inv.id,
        invoice_number: inv.number.clone(),
        client_id: inv.client_id,
        reason: "Erreur d’adresse de facturation".into(),
        issue_date: Date::constant(2026, 6, 22),
        lines: inv.lines.clone(),
        totals: inv.totals.clone(),
        created_at: ts("2026-06-22T09:00:00Z"),
    }
}

//! The use cases called directly, without HTTP, on SQLite and (when IMMOVR_TEST_DATABASE_URL is
//! set) PostgreSQL: each checks what a use case decides and writes — states, numbers, the audit
//! trail, the queued notifications, the issued documents — and who may call it.

mod accounts;
mod billing;
mod journey;
mod quotes;
mod studio;

pub use immovr_app::ports::DocumentRepo;
pub use immovr_core::listing::ListQuery;
pub use immovr_core::model::*;
pub use immovr_core::money::LineInput;
pub use immovr_core::ports::*;
pub use immovr_core::{Actor, DomainError, Notification};
pub use immovr_testkit::{TestUseCases, body, use_cases};

pub fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// One line: description, quantity, unit price, VAT rate.
pub fn line(description: &str, quantity: &str, price: &str, rate: &str) -> LineInput {
    LineInput {
        code: None,
        description: description.into(),
        quantity: d(quantity),
        unit: "forfait".into(),
        unit_price: d(price),
        discount: d("0"),
        vat_rate: d(rate),
    }
}

pub fn new_quote(client_id: Id, lines: Vec<LineInput>) -> NewQuote {
    NewQuote { client_id, request_id: None, title: "Rendus 3D — villa".into(), notes: None, valid_until: None, lines }
}

pub fn signature() -> AcceptQuote {
    AcceptQuote { signer_name: "Claire Dubois".into(), consent: true, terms_accepted: true, early_start: false }
}

/// A quote drafted and sent to `client`: its id.
pub async fn sent_quote(u: &TestUseCases, client_id: Id, lines: Vec<LineInput>) -> Quote {
    let q = u.app.create_quote(&u.studio(), new_quote(client_id, lines)).await.unwrap();
    u.app.send_quote(&u.studio(), q.id).await.unwrap()
}

/// An order accepted, validated, with one final file: ready to deliver.
pub async fn order_to_deliver(u: &TestUseCases, client: &Actor, client_id: Id) -> Order {
    let q = sent_quote(u, client_id, vec![line("Visite 360°", "1", "390.00", "20")]).await;
    let po = u.app.accept_quote(client, q.id, signature()).await.unwrap().purchase_order;
    let po = u.app.validate_purchase_order(&u.studio(), po.id).await.unwrap();
    let order_id = po.order_id.unwrap();
    u.app
        .upload_deliverable(&u.studio(), order_id, "visite.zip", "application/zip", body(b"test"), 1 << 20)
        .await
        .unwrap()
}

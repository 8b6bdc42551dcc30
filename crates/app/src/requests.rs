//! Quote requests (a property, the services wanted, a wished date, plans and photos) and the
//! catalogue they pick from and quotes are priced with.

use crate::idempotency::Outcome;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{Attachment, CatalogueItem, Id, QuoteRequest, Role};
use immovr_core::notification::Notification;
use immovr_core::ports::{CatalogueItemPatch, NewAttachment, NewCatalogueItem, NewQuoteRequest};
use immovr_core::{Actor, Checks, DomainError, Result};
use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::ports::{RequestRow, Tx};
use crate::support::{audit, check_opt_paragraph, check_paragraph, check_text, notify_staff};

/// A quote request, checked.
pub(crate) struct CheckedRequest {
    property_type: String,
    property_address: String,
    surface_m2: Option<Decimal>,
    rooms: Option<i64>,
    wanted: Vec<String>,
    wished_date: Option<jiff::civil::Date>,
    notes: Option<String>,
}

fn check_catalogue(
    code: Option<&str>,
    labels: [Option<&str>; 3],
    price: Option<Decimal>,
    rate: Option<Decimal>,
    rates: &[Decimal],
) -> Result<()> {
    let mut checks = Checks::new();
    if let Some(code) = code
        && (code.is_empty()
            || code.len() > 40
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        checks.refuse("code", "1 to 40 letters, digits, '-' or '_'");
    }
    for (field, v) in ["label_fr", "label_en", "unit"].into_iter().zip(labels) {
        if let Some(v) = v {
            checks.check(check_text(field, v, 300));
        }
    }
    if let Some(p) = price
        && (p < Decimal::ZERO || p.scale() > 4)
    {
        checks.refuse("unit_price", "a non-negative amount with at most 4 decimals");
    }
    if let Some(r) = rate
        && !rates.contains(&r)
    {
        checks.refuse("vat_rate", "not one of the configured VAT rates");
    }
    checks.done()
}

impl App {
    pub(crate) fn checked_request(&self, r: NewQuoteRequest) -> Result<CheckedRequest> {
        let mut checks = Checks::new();
        let request = self.check_request(&mut checks, r);
        checks.done().map(|()| request)
    }

    /// Checks a request's every field, keeping each refusal in `checks`.
    pub(crate) fn check_request(&self, checks: &mut Checks, r: NewQuoteRequest) -> CheckedRequest {
        let property_type = checks.check(check_text("property_type", &r.property_type, 100));
        let property_address = checks.check(check_paragraph("property_address", &r.property_address, 500));
        if r.surface_m2.is_some_and(|s| s <= Decimal::ZERO || s > Decimal::from(1_000_000)) {
            checks.refuse("surface_m2", "must be positive");
        }
        if r.rooms.is_some_and(|n| !(0..=10_000).contains(&n)) {
            checks.refuse("rooms", "must be between 0 and 10000");
        }
        if r.wanted.len() > 100 {
            checks.refuse("wanted", "at most 100 items");
        }
        for (i, code) in r.wanted.iter().enumerate() {
            checks.check(immovr_core::text::plain(&format!("wanted[{i}]"), code, 40));
        }
        let notes = checks.check(check_opt_paragraph("notes", r.notes, 5000));
        if r.wished_date.is_some_and(|d| d < self.today()) {
            checks.refuse("wished_date", "must not be in the past");
        }
        CheckedRequest {
            property_type,
            property_address,
            surface_m2: r.surface_m2,
            rooms: r.rooms,
            wanted: r.wanted,
            wished_date: r.wished_date,
            notes,
        }
    }

    /// Checks a quote request as a form would send it, with the refusals its page found
    /// already (values it could not read): every refusal at once, nothing recorded.
    pub fn check_request_form(&self, mut checks: Checks, r: NewQuoteRequest) -> Result<()> {
        self.check_request(&mut checks, r);
        checks.done()
    }

    /// Records a request with its attachments, in the caller's transaction; the studio is told.
    pub(crate) async fn insert_request(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        client_id: Id,
        r: &CheckedRequest,
        attachments: &[NewAttachment],
    ) -> Result<QuoteRequest> {
        let now = self.now();
        let active = tx.active_codes().await?;
        if let Some(unknown) = r.wanted.iter().find(|c| !active.contains(c)) {
            return Err(DomainError::validation("wanted", format!("unknown or inactive catalogue code {unknown:?}")));
        }
        let row = RequestRow {
            client_id,
            property_type: &r.property_type,
            property_address: &r.property_address,
            surface_m2: r.surface_m2,
            rooms: r.rooms,
            wanted: &r.wanted,
            wished_date: r.wished_date,
            notes: r.notes.as_deref(),
        };
        let request = tx.insert_request(&row, attachments, now).await?;
        audit(tx, now, actor, "quote_request.created", ("quote_request", request.id), json!({"client_id": client_id}))
            .await?;
        let company = tx.company().await?;
        let received = Notification::QuoteRequestReceived {
            quote_request_id: request.id,
            client_id,
            property: r.property_type.clone(),
        };
        notify_staff(tx, now, &company, received).await?;
        Ok(request)
    }

    /// A client asks for a quote (for itself), or staff record one for a client (sales).
    #[tracing::instrument(skip_all, fields(client_id), err(level = "info"))]
    pub async fn create_quote_request(
        &self,
        actor: &Actor,
        client_id: Id,
        request: NewQuoteRequest,
        mut attachments: Vec<NewAttachment>,
    ) -> Result<QuoteRequest> {
        match actor.client_id {
            Some(own) if own != client_id => {
                return Err(DomainError::validation("client_id", "clients ask for themselves"));
            }
            Some(_) => {}
            None => actor.require(Role::Sales)?,
        }
        let request = self.checked_request(request)?;
        let mut tx = self.begin().await?;
        if !tx.client_exists(client_id).await? {
            return Err(DomainError::validation("client_id", "no such client"));
        }
        crate::uploads::claim_kept(tx.as_mut(), &mut attachments).await?;
        let created = self.insert_request(tx.as_mut(), actor, client_id, &request, &attachments).await?;
        self.answer(tx, Outcome::Created, created).await
    }

    /// Adds a service or an option to the catalogue (sales).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_catalogue_item(&self, actor: &Actor, item: NewCatalogueItem) -> Result<CatalogueItem> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let rates = tx.company().await?.vat_rates;
        let labels = [Some(item.label_fr.as_str()), Some(item.label_en.as_str()), Some(item.unit.as_str())];
        check_catalogue(Some(&item.code), labels, Some(item.unit_price), Some(item.vat_rate), &rates)?;
        let item = NewCatalogueItem {
            label_fr: item.label_fr.trim().into(),
            label_en: item.label_en.trim().into(),
            unit: item.unit.trim().into(),
            ..item
        };
        let created = tx.insert_catalogue_item(&item).await?;
        let detail = json!({"code": item.code, "unit_price": item.unit_price});
        audit(tx.as_mut(), now, actor, "catalogue.created", ("catalogue_item", created.id), detail).await?;
        self.answer(tx, Outcome::Created, created).await
    }

    /// Changes a catalogue item: labels, unit, price, rate, whether it is offered (sales).
    #[tracing::instrument(skip_all, fields(item_id = id), err(level = "info"))]
    pub async fn update_catalogue_item(
        &self,
        actor: &Actor,
        id: Id,
        patch: CatalogueItemPatch,
    ) -> Result<CatalogueItem> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let rates = tx.company().await?.vat_rates;
        let labels = [patch.label_fr.as_deref(), patch.label_en.as_deref(), patch.unit.as_deref()];
        check_catalogue(None, labels, patch.unit_price, patch.vat_rate, &rates)?;
        let item =
            tx.update_catalogue_item(id, &patch).await?.ok_or_else(|| DomainError::not_found("catalogue item"))?;
        let detail = json!({"unit_price": patch.unit_price, "active": patch.active});
        audit(tx.as_mut(), now, actor, "catalogue.updated", ("catalogue_item", id), detail).await?;
        self.answer(tx, Outcome::Done, item).await
    }

    /// Quote requests, newest first: a client's own, or all for staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quote_requests(&self, actor: &Actor, list: &ListQuery) -> Result<Page<QuoteRequest>> {
        self.db.quote_requests(actor.scope(), list).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quote_request(&self, actor: &Actor, id: Id) -> Result<QuoteRequest> {
        self.db.quote_request(actor.scope(), id).await
    }

    /// A request's attachment, if the actor may see the request.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn attachment(&self, actor: &Actor, request_id: Id, id: Id) -> Result<Attachment> {
        self.db.attachment(actor.scope(), request_id, id).await
    }

    /// The catalogue: every item (`active_only` false, staff) or the offered ones.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn catalogue(&self, active_only: bool) -> Result<Vec<CatalogueItem>> {
        self.db.catalogue(active_only).await
    }
}

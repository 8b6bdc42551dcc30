//! Quote requests and their attachments.

use immovr_core::model::*;
use immovr_core::ports::*;
use immovr_core::{Context, DomainError, Notification, Result};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::json;

use crate::db::{Row, Tx, args};
use crate::search::{self, Kind};
use crate::support::{audit, check_opt_text, check_text, notify_staff};
use crate::{SqlStore, not_found, scope_client};

pub(crate) fn attachment_from_row(r: &Row) -> Result<Attachment> {
    Ok(Attachment {
        id: r.i64("id")?,
        filename: r.text("filename")?,
        content_type: r.text("content_type")?,
        size_bytes: r.i64("size_bytes")?,
        sha256: r.text("sha256")?,
        storage_key: r.text("storage_key")?,
    })
}

pub(crate) async fn request_with_files(tx: &mut Tx, r: &Row) -> Result<QuoteRequest> {
    let files = tx.all("SELECT * FROM attachments WHERE request_id = $1 ORDER BY id", args![r.i64("id")?]).await?;
    let mut request = request_from_row(r)?;
    request.attachments = files.iter().map(attachment_from_row).collect::<Result<_>>()?;
    Ok(request)
}

async fn load_request(tx: &mut Tx, scope: Scope, id: Id) -> Result<QuoteRequest> {
    let row = tx
        .opt(
            "SELECT * FROM quote_requests WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
            args![id, scope_client(scope)],
        )
        .await?
        .ok_or_else(|| not_found("quote request"))?;
    request_with_files(tx, &row).await
}

pub(crate) async fn insert_attachments(
    tx: &mut Tx,
    now: Timestamp,
    request_id: Id,
    files: &[NewAttachment],
) -> Result<()> {
    for f in files {
        tx.exec(
            "INSERT INTO attachments (request_id, filename, content_type, size_bytes, sha256, storage_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![request_id, &f.filename, &f.content_type, f.size_bytes, &f.sha256, &f.storage_key, now],
        )
        .await?;
    }
    Ok(())
}

pub(crate) fn request_from_row(r: &Row) -> Result<QuoteRequest> {
    Ok(QuoteRequest {
        id: r.i64("id")?,
        client_id: r.i64("client_id")?,
        status: QuoteRequestStatus::parse(&r.text("status")?)?,
        property_type: r.text("property_type")?,
        property_address: r.text("property_address")?,
        surface_m2: r.opt_dec("surface_m2")?,
        rooms: r.opt_i64("rooms")?,
        wanted: serde_json::from_str(&r.text("wanted")?).context("a request's services")?,
        wished_date: r.opt_date("wished_date")?,
        notes: r.opt_text("notes")?,
        attachments: Vec::new(),
        created_at: r.ts("created_at")?,
    })
}

impl SqlStore {
    pub(crate) fn checked_request(&self, r: NewQuoteRequest) -> Result<CheckedRequest> {
        let property_type = check_text("property_type", &r.property_type, 100)?;
        let property_address = check_text("property_address", &r.property_address, 500)?;
        if r.surface_m2.is_some_and(|s| s <= Decimal::ZERO || s > Decimal::from(1_000_000)) {
            return Err(DomainError::validation("surface_m2", "must be positive"));
        }
        if r.rooms.is_some_and(|n| !(0..=10_000).contains(&n)) {
            return Err(DomainError::validation("rooms", "must be between 0 and 10000"));
        }
        if r.wanted.len() > 100 {
            return Err(DomainError::validation("wanted", "at most 100 items"));
        }
        let notes = check_opt_text("notes", r.notes, 5000)?;
        if r.wished_date.is_some_and(|d| d < self.today()) {
            return Err(DomainError::validation("wished_date", "must not be in the past"));
        }
        Ok(CheckedRequest {
            property_type,
            property_address,
            surface_m2: r.surface_m2,
            rooms: r.rooms,
            wanted: r.wanted,
            wished_date: r.wished_date,
            notes,
        })
    }

    pub(crate) async fn create_quote_request_tx(
        &self,
        actor: &Actor,
        client_id: Id,
        r: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<QuoteRequest> {
        let r = self.checked_request(r)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        if tx.opt("SELECT id FROM clients WHERE id = $1", args![client_id]).await?.is_none() {
            return Err(DomainError::validation("client_id", "no such client"));
        }
        let id = insert_request(&mut tx, now, actor, client_id, &r).await?;
        insert_attachments(&mut tx, now, id, &attachments).await?;
        let request = load_request(&mut tx, Scope::Staff, id).await?;
        self.commit(tx).await?;
        Ok(request)
    }

    pub(crate) async fn quote_request_q(&self, scope: Scope, id: Id) -> Result<QuoteRequest> {
        let mut tx = self.db.read().await?;
        load_request(&mut tx, scope, id).await
    }

    pub(crate) async fn attachment_q(&self, scope: Scope, request_id: Id, attachment_id: Id) -> Result<Attachment> {
        let mut tx = self.db.read().await?;
        let request = load_request(&mut tx, scope, request_id).await?;
        request.attachments.into_iter().find(|a| a.id == attachment_id).ok_or_else(|| not_found("attachment"))
    }
}

pub(crate) struct CheckedRequest {
    property_type: String,
    property_address: String,
    surface_m2: Option<Decimal>,
    rooms: Option<i64>,
    wanted: Vec<String>,
    wished_date: Option<jiff::civil::Date>,
    notes: Option<String>,
}

pub(crate) async fn insert_request(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    client_id: Id,
    r: &CheckedRequest,
) -> Result<Id> {
    let active: Vec<String> = tx
        .all("SELECT code FROM catalogue_items WHERE active = 1", vec![])
        .await?
        .iter()
        .map(|r| r.text("code"))
        .collect::<Result<_>>()?;
    if let Some(unknown) = r.wanted.iter().find(|c| !active.contains(c)) {
        return Err(DomainError::validation("wanted", format!("unknown or inactive catalogue code {unknown:?}")));
    }
    let id = tx
        .insert(
            "INSERT INTO quote_requests (client_id, status, property_type, property_address, surface_m2, rooms, wanted, wished_date, notes, created_at) \
             VALUES ($1, 'new', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            args![
                client_id,
                &r.property_type,
                &r.property_address,
                r.surface_m2,
                r.rooms,
                json!(r.wanted).to_string(),
                r.wished_date,
                &r.notes,
                now
            ],
        )
        .await?;
    search::index(tx, Kind::Request, id, [r.property_type.as_str(), r.property_address.as_str()], false).await?;
    audit(tx, now, actor, "quote_request.created", ("quote_request", id), json!({"client_id": client_id})).await?;
    notify_staff(
        tx,
        now,
        Notification::QuoteRequestReceived { quote_request_id: id, client_id, property: r.property_type.clone() },
    )
    .await?;
    Ok(id)
}

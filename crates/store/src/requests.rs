//! Quote requests with their attachments, the catalogue, and message threads: the SQL of their
//! use cases (see `immovr_app::requests` and `immovr_app::messages`) and of reading them.

use async_trait::async_trait;
use immovr_app::ports::{KeptUploads, MessageRepo, MessageRow, RequestQueries, RequestRepo, RequestRow};
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::ports::{CatalogueItemPatch, NewAttachment, NewCatalogueItem, Scope};
use immovr_core::{Context, DomainError, Result};
use jiff::Timestamp;

use crate::catalogue::catalogue_from_row;
use crate::db::{Row, Tx, args};
use crate::search::{self, Kind};
use crate::{SqlStore, SqlTx, not_found, scope_client};

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

/// The client a thread belongs to, if the scope may see it.
async fn thread_client(tx: &mut Tx, scope: Scope, kind: ThreadKind, id: Id) -> Result<Id> {
    let sql = match kind {
        // Clients never see drafts, nor their threads.
        ThreadKind::Quote => {
            "SELECT client_id FROM quotes WHERE id = $1 AND ($2 IS NULL OR (client_id = $2 AND status <> 'draft'))"
        }
        ThreadKind::Order => "SELECT client_id FROM orders WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
    };
    let row = tx.opt(sql, args![id, scope_client(scope)]).await?;
    row.ok_or_else(|| not_found(kind.as_str()))?.i64("client_id")
}

fn message_from_row(r: &Row) -> Result<Message> {
    Ok(Message {
        id: r.i64("id")?,
        thread_kind: ThreadKind::parse(&r.text("thread_kind")?)?,
        thread_id: r.i64("thread_id")?,
        author_name: r.text("author_name")?,
        from_staff: r.bool("from_staff")?,
        body: r.text("body")?,
        created_at: r.ts("created_at")?,
    })
}

#[async_trait]
impl RequestRepo for SqlTx {
    async fn active_codes(&mut self) -> Result<Vec<String>> {
        let rows = self.tx.all("SELECT code FROM catalogue_items WHERE active = 1", vec![]).await?;
        rows.iter().map(|r| r.text("code")).collect()
    }

    async fn insert_request(
        &mut self,
        r: &RequestRow<'_>,
        attachments: &[NewAttachment],
        at: Timestamp,
    ) -> Result<QuoteRequest> {
        let wanted = serde_json::to_string(r.wanted).context("the services wanted")?;
        let row = self
            .tx
            .one(
                "INSERT INTO quote_requests (client_id, status, property_type, property_address, surface_m2, rooms, wanted, wished_date, notes, created_at) \
                 VALUES ($1, 'new', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
                args![r.client_id, r.property_type, r.property_address, r.surface_m2, r.rooms, wanted, r.wished_date, r.notes, at],
            )
            .await?;
        let mut request = request_from_row(&row)?;
        search::index(&mut self.tx, Kind::Request, request.id, [r.property_type, r.property_address], false).await?;
        for f in attachments {
            let row = self
                .tx
                .one(
                    "INSERT INTO attachments (request_id, filename, content_type, size_bytes, sha256, storage_key, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    args![request.id, &f.filename, &f.content_type, f.size_bytes, &f.sha256, &f.storage_key, at],
                )
                .await?;
            request.attachments.push(attachment_from_row(&row)?);
        }
        Ok(request)
    }

    async fn claim_kept_uploads(&mut self, storage_keys: &[&str]) -> Result<usize> {
        let mut claimed = 0;
        for key in storage_keys {
            claimed += self.tx.exec("DELETE FROM kept_uploads WHERE storage_key = $1", args![*key]).await? as usize;
        }
        Ok(claimed)
    }

    async fn insert_catalogue_item(&mut self, item: &NewCatalogueItem) -> Result<CatalogueItem> {
        let row = self
            .tx
            .one(
                "INSERT INTO catalogue_items (code, kind, label_fr, label_en, unit, unit_price, vat_rate, active) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                args![
                    &item.code,
                    item.kind.as_str(),
                    &item.label_fr,
                    &item.label_en,
                    &item.unit,
                    item.unit_price,
                    item.vat_rate,
                    item.active
                ],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::CatalogueCodeTaken))?;
        catalogue_from_row(&row)
    }

    async fn update_catalogue_item(&mut self, id: Id, p: &CatalogueItemPatch) -> Result<Option<CatalogueItem>> {
        let row = self
            .tx
            .opt(
                "UPDATE catalogue_items SET label_fr = COALESCE($2, label_fr), label_en = COALESCE($3, label_en), \
                 unit = COALESCE($4, unit), unit_price = COALESCE($5, unit_price), vat_rate = COALESCE($6, vat_rate), \
                 active = COALESCE($7, active) WHERE id = $1 RETURNING *",
                args![
                    id,
                    p.label_fr.clone(),
                    p.label_en.clone(),
                    p.unit.clone(),
                    p.unit_price,
                    p.vat_rate,
                    p.active.map(i64::from)
                ],
            )
            .await?;
        row.as_ref().map(catalogue_from_row).transpose()
    }
}

#[async_trait]
impl KeptUploads for SqlStore {
    async fn keep_uploads(&self, new: &[&str], again: &[&str], at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        for key in new {
            tx.exec(
                "INSERT INTO kept_uploads (storage_key, kept_at) VALUES ($1, $2) ON CONFLICT (storage_key) DO NOTHING",
                args![*key, at],
            )
            .await?;
        }
        // Kept a day more, if still kept (one a request took meanwhile is not kept again).
        for key in again {
            tx.exec("UPDATE kept_uploads SET kept_at = $2 WHERE storage_key = $1", args![*key, at]).await?;
        }
        self.commit(tx).await
    }

    async fn still_kept(&self, storage_keys: &[&str]) -> Result<Vec<String>> {
        let mut tx = self.db.read().await?;
        let mut kept = Vec::new();
        for key in storage_keys {
            if tx.opt("SELECT storage_key FROM kept_uploads WHERE storage_key = $1", args![*key]).await?.is_some() {
                kept.push(key.to_string());
            }
        }
        Ok(kept)
    }

    async fn unkeep(&self, storage_keys: &[&str]) -> Result<Vec<String>> {
        let mut tx = self.db.write().await?;
        let mut unkept = Vec::new();
        for key in storage_keys {
            if tx.exec("DELETE FROM kept_uploads WHERE storage_key = $1", args![*key]).await? == 1 {
                unkept.push(key.to_string());
            }
        }
        self.commit(tx).await?;
        Ok(unkept)
    }

    async fn forget_kept_uploads(&self, before: Timestamp) -> Result<Vec<String>> {
        // One statement: a request that takes a file meanwhile either took it first (no row to
        // forget) or finds it gone (and is refused), never a file deleted under it.
        let mut tx = self.db.write().await?;
        let rows = tx.all("DELETE FROM kept_uploads WHERE kept_at < $1 RETURNING storage_key", args![before]).await?;
        let keys = rows.iter().map(|r| r.text("storage_key")).collect::<std::result::Result<Vec<_>, _>>()?;
        self.commit(tx).await?;
        Ok(keys)
    }
}

#[async_trait]
impl MessageRepo for SqlTx {
    async fn thread_client(&mut self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Id> {
        thread_client(&mut self.tx, scope, kind, thread_id).await
    }

    async fn insert_message(&mut self, m: &MessageRow<'_>) -> Result<Message> {
        let row = self
            .tx
            .one(
                "INSERT INTO messages (thread_kind, thread_id, client_id, author_user_id, author_name, from_staff, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
                args![m.thread_kind.as_str(), m.thread_id, m.client_id, m.author_user_id, m.author_name, m.from_staff, m.body, m.at],
            )
            .await?;
        message_from_row(&row)
    }
}

#[async_trait]
impl RequestQueries for SqlStore {
    async fn quote_requests(&self, scope: Scope, list: &ListQuery) -> Result<Page<QuoteRequest>> {
        self.requests_page(scope, list).await
    }

    async fn quote_request(&self, scope: Scope, id: Id) -> Result<QuoteRequest> {
        let mut tx = self.db.read().await?;
        load_request(&mut tx, scope, id).await
    }

    async fn attachment(&self, scope: Scope, request_id: Id, attachment_id: Id) -> Result<Attachment> {
        let mut tx = self.db.read().await?;
        let request = load_request(&mut tx, scope, request_id).await?;
        request.attachments.into_iter().find(|a| a.id == attachment_id).ok_or_else(|| not_found("attachment"))
    }

    async fn catalogue(&self, active_only: bool) -> Result<Vec<CatalogueItem>> {
        let mut tx = self.db.read().await?;
        let rows = tx
            .all(
                "SELECT * FROM catalogue_items WHERE ($1 = 0 OR active = 1) ORDER BY kind DESC, code",
                args![active_only],
            )
            .await?;
        rows.iter().map(catalogue_from_row).collect()
    }

    async fn messages(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>> {
        let mut tx = self.db.read().await?;
        thread_client(&mut tx, scope, kind, thread_id).await?;
        let rows = tx
            .all(
                "SELECT * FROM messages WHERE thread_kind = $1 AND thread_id = $2 ORDER BY id",
                args![kind.as_str(), thread_id],
            )
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn client_messages(&self, client_id: Id) -> Result<Vec<Message>> {
        let mut tx = self.db.read().await?;
        // Not the threads of drafts: the client never saw them.
        let rows = tx
            .all(
                "SELECT m.* FROM messages m WHERE m.client_id = $1 AND NOT EXISTS (SELECT 1 FROM quotes q \
                 WHERE m.thread_kind = 'quote' AND q.id = m.thread_id AND q.status = 'draft') ORDER BY m.id",
                args![client_id],
            )
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn mark_thread_read(&self, scope: Scope, kind: ThreadKind, thread_id: Id, at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        // Staff read the client's messages; a client reads the team's, in its own threads only.
        tx.exec(
            "UPDATE messages SET read_at = $4 WHERE thread_kind = $1 AND thread_id = $2 AND read_at IS NULL \
             AND (($3 IS NULL AND from_staff = 0) OR (client_id = $3 AND from_staff = 1))",
            args![kind.as_str(), thread_id, scope_client(scope), at],
        )
        .await?;
        self.commit(tx).await
    }

    async fn unread_threads(&self, scope: Scope) -> Result<Vec<(ThreadKind, Id, i64)>> {
        let mut tx = self.db.read().await?;
        let rows = tx
            .all(
                "SELECT thread_kind, thread_id, COUNT(*) AS n FROM messages WHERE read_at IS NULL \
                 AND (($1 IS NULL AND from_staff = 0) OR (client_id = $1 AND from_staff = 1)) \
                 GROUP BY thread_kind, thread_id ORDER BY MAX(id) DESC",
                args![scope_client(scope)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((ThreadKind::parse(&r.text("thread_kind")?)?, r.i64("thread_id")?, r.i64("n")?)))
            .collect()
    }
}

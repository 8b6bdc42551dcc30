//! The `Store` port implemented on SQLite (rusqlite) and PostgreSQL (sqlx).
//!
//! Every use case is one write transaction holding the state change, its audit event and its
//! outbox rows. Rows a use case changes are locked first (`SELECT … FOR UPDATE` on PostgreSQL;
//! SQLite has a single writer connection), then the domain rules in `immovr_core::rules` decide.

mod accounts;
mod billing;
mod catalogue;
mod dashboard;
mod db;
mod documents;
mod history;
mod lists;
mod live;
mod migrations;
mod orders;
mod outbox;
mod quotes;
mod requests;
mod search;
mod support;

use std::sync::Arc;

use async_trait::async_trait;
use immovr_core::model::*;
use immovr_core::ports::*;
use immovr_core::{ChangeFeed, Clock, DomainError, LiveEvent, Result};
use jiff::Timestamp;
use jiff::civil::Date;

pub use db::{Db, Options};
pub use history::{HistoryReport, HistorySpec};
pub use support::default_company;

/// The store. Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    clock: Arc<dyn Clock>,
    feed: Arc<dyn ChangeFeed>,
    /// PostgreSQL `NOTIFY` channel of this database (and schema).
    channel: String,
    issued: Arc<documents::Issued>,
}

impl SqlStore {
    /// Connects, applies migrations, and makes sure company settings exist.
    pub async fn open(opts: &Options, clock: Arc<dyn Clock>) -> Result<SqlStore> {
        let db = Db::connect(opts).await?;
        db.migrate().await?;
        let channel = match &opts.pg_schema {
            Some(schema) => format!(
                "immovr_changes_{}",
                schema.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>()
            ),
            None => "immovr_changes".to_string(),
        };
        let store = SqlStore { db, clock, feed: Arc::new(NoFeed), channel, issued: Default::default() };
        store.ensure_company().await?;
        store.backfill_search().await?;
        Ok(store)
    }

    /// The same database seen through another clock (the demo seeds past events with it).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> SqlStore {
        SqlStore { clock, ..self.clone() }
    }

    /// Announces committed changes on this feed (live updates). On PostgreSQL they travel
    /// through `NOTIFY` in the committing transaction and come back to every instance that
    /// listens — this one included — so pages on any instance see every change; SQLite (one
    /// instance) announces them in-process. Call within a Tokio runtime.
    pub fn with_feed(mut self, feed: Arc<dyn ChangeFeed>) -> SqlStore {
        if let Some(pool) = self.db.pg_pool() {
            tokio::spawn(live::listen(
                pool.clone(),
                self.channel.clone(),
                feed.clone(),
                self.db.settings_cache().clone(),
            ));
        }
        self.feed = feed;
        self
    }

    /// Commits a use case's transaction, then announces its changes.
    pub(crate) async fn commit(&self, tx: db::Tx) -> Result<()> {
        // On PostgreSQL every commit NOTIFYs, listened to here or not: the other instances'
        // pages and settings caches learn of changes made by a command too.
        let done = if self.db.is_shared() { tx.commit_notifying(&self.channel).await? } else { tx.commit().await? };
        self.issued.committed(&done.inserted);
        // The change of cached rows is for other instances' caches, not for pages.
        for change in done.changes.into_iter().filter(|c| c.event != LiveEvent::CacheInvalidated) {
            self.feed.publish(change);
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    pub async fn close(&self) {
        self.db.close().await
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn today(&self) -> Date {
        today(self.clock.as_ref())
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn company(&self) -> Result<CompanySettings> {
        let mut tx = self.db.read().await?;
        support::company(&mut tx).await
    }

    async fn set_company(&self, actor: &Actor, settings: CompanySettings) -> Result<()> {
        self.set_company_settings(actor, settings).await
    }

    async fn create_staff_user(&self, actor: &Actor, user: NewStaffUser) -> Result<User> {
        self.create_staff_user_tx(actor, user).await
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>> {
        self.user_credentials_q(email).await
    }

    async fn create_session(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()> {
        self.create_session_tx(user_id, token_sha256, expires_at).await
    }

    async fn session_user(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>> {
        self.session_user_q(token_sha256, now).await
    }

    async fn delete_session(&self, token_sha256: &str) -> Result<()> {
        self.delete_session_tx(token_sha256).await
    }

    async fn create_api_token(&self, actor: &Actor, user_id: Id, name: &str, token_sha256: &str) -> Result<Id> {
        self.create_api_token_tx(actor, user_id, name, token_sha256).await
    }

    async fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>> {
        self.api_token_user_q(token_sha256).await
    }

    async fn register_client(&self, actor: &Actor, client: NewClient, password_hash: Option<String>) -> Result<Client> {
        self.register_client_tx(actor, client, password_hash).await
    }

    async fn register_client_with_request(
        &self,
        actor: &Actor,
        client: NewClient,
        password_hash: String,
        request: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<User> {
        self.register_client_with_request_tx(actor, client, password_hash, request, attachments).await
    }

    async fn client(&self, scope: Scope, id: Id) -> Result<Client> {
        self.client_q(scope, id).await
    }

    async fn clients(&self, list: &ListQuery) -> Result<Page<Client>> {
        self.clients_page(list).await
    }

    async fn client_names(&self, ids: &[Id]) -> Result<Vec<(Id, String)>> {
        self.client_names_q(ids).await
    }

    async fn catalogue(&self, active_only: bool) -> Result<Vec<CatalogueItem>> {
        self.catalogue_q(active_only).await
    }

    async fn create_catalogue_item(&self, actor: &Actor, item: NewCatalogueItem) -> Result<CatalogueItem> {
        self.create_catalogue_item_tx(actor, item).await
    }

    async fn update_catalogue_item(&self, actor: &Actor, id: Id, patch: CatalogueItemPatch) -> Result<CatalogueItem> {
        self.update_catalogue_item_tx(actor, id, patch).await
    }

    async fn create_quote_request(
        &self,
        actor: &Actor,
        client_id: Id,
        request: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<QuoteRequest> {
        self.create_quote_request_tx(actor, client_id, request, attachments).await
    }

    async fn attachment(&self, scope: Scope, request_id: Id, attachment_id: Id) -> Result<Attachment> {
        self.attachment_q(scope, request_id, attachment_id).await
    }

    async fn deliverable(&self, scope: Scope, order_id: Id, deliverable_id: Id) -> Result<Deliverable> {
        let mut tx = self.db.read().await?;
        let order = orders::load_order(&mut tx, scope, order_id).await?;
        order.deliverables.into_iter().find(|d| d.id == deliverable_id).ok_or_else(|| not_found("deliverable"))
    }

    async fn quote_requests(&self, scope: Scope, list: &ListQuery) -> Result<Page<QuoteRequest>> {
        self.requests_page(scope, list).await
    }

    async fn quote_request(&self, scope: Scope, id: Id) -> Result<QuoteRequest> {
        self.quote_request_q(scope, id).await
    }

    async fn create_quote(&self, actor: &Actor, quote: NewQuote) -> Result<Quote> {
        self.create_quote_tx(actor, quote).await
    }

    async fn update_quote(&self, actor: &Actor, id: Id, draft: QuoteDraft) -> Result<Quote> {
        self.update_quote_tx(actor, id, draft).await
    }

    async fn send_quote(&self, actor: &Actor, id: Id) -> Result<Quote> {
        self.send_quote_tx(actor, id).await
    }

    async fn accept_quote(&self, actor: &Actor, id: Id, acceptance: AcceptQuote) -> Result<Accepted> {
        self.accept_quote_tx(actor, id, acceptance).await
    }

    async fn refuse_quote(&self, actor: &Actor, id: Id, refusal: RefuseQuote) -> Result<Quote> {
        self.refuse_quote_tx(actor, id, refusal).await
    }

    async fn revise_quote(&self, actor: &Actor, id: Id) -> Result<Quote> {
        self.revise_quote_tx(actor, id).await
    }

    async fn extend_quote(&self, actor: &Actor, id: Id, valid_until: Date) -> Result<Quote> {
        self.extend_quote_tx(actor, id, valid_until).await
    }

    async fn quotes(&self, scope: Scope, list: &ListQuery) -> Result<Page<Quote>> {
        self.quotes_page(scope, list).await
    }

    async fn quote(&self, scope: Scope, id: Id) -> Result<Quote> {
        let mut tx = self.db.read().await?;
        self.load_quote(&mut tx, scope, id, false).await
    }

    async fn quote_versions(&self, scope: Scope, family_id: Id) -> Result<Vec<Quote>> {
        self.quote_versions_q(scope, family_id).await
    }

    async fn purchase_order_for_quote(&self, scope: Scope, quote_id: Id) -> Result<Option<PurchaseOrder>> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT id FROM purchase_orders WHERE quote_id = $1 AND ($2 IS NULL OR client_id = $2)",
                db::args![quote_id, scope_client(scope)],
            )
            .await?;
        match row {
            Some(r) => Ok(Some(orders::load_purchase_order(&mut tx, scope, r.i64("id")?, false).await?)),
            None => Ok(None),
        }
    }

    async fn validate_purchase_order(&self, actor: &Actor, id: Id) -> Result<PurchaseOrder> {
        self.validate_purchase_order_tx(actor, id).await
    }

    async fn cancel_purchase_order(&self, actor: &Actor, id: Id, reason: &str) -> Result<PurchaseOrder> {
        self.cancel_purchase_order_tx(actor, id, reason).await
    }

    async fn purchase_orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<PurchaseOrder>> {
        self.purchase_orders_page(scope, list).await
    }

    async fn purchase_order(&self, scope: Scope, id: Id) -> Result<PurchaseOrder> {
        let mut tx = self.db.read().await?;
        orders::load_purchase_order(&mut tx, scope, id, false).await
    }

    async fn orders(&self, scope: Scope, list: &ListQuery) -> Result<Page<Order>> {
        self.orders_page(scope, list).await
    }

    async fn order(&self, scope: Scope, id: Id) -> Result<Order> {
        let mut tx = self.db.read().await?;
        orders::load_order(&mut tx, scope, id).await
    }

    async fn order_status(&self, scope: Scope, id: Id) -> Result<OrderStatus> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT status FROM orders WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
                db::args![id, scope_client(scope)],
            )
            .await?
            .ok_or_else(|| not_found("order"))?;
        OrderStatus::parse(&row.text("status")?)
    }

    async fn plan_stage(&self, actor: &Actor, order_id: Id, stage_id: Id, plan: StagePlan) -> Result<Order> {
        self.plan_stage_tx(actor, order_id, stage_id, plan).await
    }

    async fn complete_stage(&self, actor: &Actor, order_id: Id, stage_id: Id) -> Result<Order> {
        self.complete_stage_tx(actor, order_id, stage_id).await
    }

    async fn add_deliverable(&self, actor: &Actor, order_id: Id, file: NewDeliverable) -> Result<Order> {
        self.add_deliverable_tx(actor, order_id, file).await
    }

    async fn deliver_order(&self, actor: &Actor, order_id: Id) -> Result<Delivered> {
        self.deliver_order_tx(actor, order_id).await
    }

    async fn issue_invoice(&self, actor: &Actor, order_id: Id) -> Result<Invoice> {
        self.issue_invoice_tx(actor, order_id).await
    }

    async fn invoices(&self, scope: Scope, list: &ListQuery) -> Result<Page<Invoice>> {
        self.invoices_page(scope, list).await
    }

    async fn invoice(&self, scope: Scope, id: Id) -> Result<Invoice> {
        let mut tx = self.db.read().await?;
        billing::load_invoice(&mut tx, scope, id, false).await
    }

    async fn record_payment(&self, actor: &Actor, invoice_id: Id, payment: NewPayment) -> Result<Invoice> {
        self.record_payment_tx(actor, invoice_id, payment).await
    }

    async fn issue_credit_note(&self, actor: &Actor, invoice_id: Id, note: NewCreditNote) -> Result<CreditNote> {
        self.issue_credit_note_tx(actor, invoice_id, note).await
    }

    async fn credit_note(&self, scope: Scope, id: Id) -> Result<CreditNote> {
        let mut tx = self.db.read().await?;
        billing::load_credit_note(&mut tx, scope, id).await
    }

    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>> {
        self.claim_outbox_tx(now, lease_until, limit).await
    }

    async fn outbox_sent(&self, ids: &[Id], at: Timestamp) -> Result<()> {
        self.outbox_sent_tx(ids, at).await
    }

    async fn outbox_failed(&self, id: Id, error: &str, retry_at: Option<Timestamp>) -> Result<()> {
        self.outbox_failed_tx(id, error, retry_at).await
    }

    async fn retry_outbox(&self, actor: &Actor, id: Id) -> Result<OutboxMessage> {
        self.retry_outbox_tx(actor, id).await
    }

    async fn queue_reminders(&self) -> Result<usize> {
        self.queue_reminders_tx().await
    }

    async fn post_message(
        &self,
        actor: &Actor,
        kind: ThreadKind,
        thread_id: Id,
        message: NewMessage,
    ) -> Result<Message> {
        self.post_message_tx(actor, kind, thread_id, message).await
    }

    async fn messages(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>> {
        self.messages_q(scope, kind, thread_id).await
    }

    async fn audit_events(&self, filter: AuditFilter) -> Result<Page<AuditEvent>> {
        self.audit_page(&filter).await
    }

    async fn outbox(&self, list: &ListQuery) -> Result<Page<OutboxMessage>> {
        self.outbox_page(list).await
    }

    async fn dashboard(&self, preview: i64) -> Result<Dashboard> {
        self.dashboard_q(preview).await
    }

    async fn idempotency_start(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyStart> {
        self.idempotency_start_tx(owner, key, fingerprint, now).await
    }

    async fn idempotency_complete(&self, owner: &str, key: &str, status: u16, body: &str) -> Result<()> {
        self.idempotency_complete_tx(owner, key, status, body).await
    }

    async fn idempotency_abandon(&self, owner: &str, key: &str) -> Result<()> {
        self.idempotency_abandon_tx(owner, key).await
    }

    async fn create_login_link(
        &self,
        email: &str,
        purpose: LinkPurpose,
        token_sha256: &str,
        url_path: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.create_login_link_tx(email, purpose, token_sha256, url_path, expires_at).await
    }

    async fn consume_login_link(
        &self,
        token_sha256: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<User>> {
        self.consume_login_link_tx(token_sha256, purpose, now).await
    }

    async fn set_password(&self, actor: &Actor, user_id: Id, password_hash: String) -> Result<()> {
        self.set_password_tx(actor, user_id, password_hash).await
    }

    async fn update_profile(&self, actor: &Actor, client_id: Id, profile: ProfileUpdate) -> Result<Client> {
        self.update_profile_tx(actor, client_id, profile).await
    }

    async fn totp_secret(&self, user_id: Id) -> Result<Option<String>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT totp_secret FROM users WHERE id = $1", db::args![user_id]).await?;
        Ok(row.map(|r| r.opt_text("totp_secret")).transpose()?.flatten())
    }

    async fn set_totp(&self, actor: &Actor, user_id: Id, secret: Option<String>) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let on = secret.is_some();
        tx.write_principals("UPDATE users SET totp_secret = $2 WHERE id = $1", db::args![user_id, secret]).await?;
        support::audit(
            &mut tx,
            now,
            actor,
            if on { "user.totp_enabled" } else { "user.totp_disabled" },
            ("user", user_id),
            serde_json::json!({}),
        )
        .await?;
        self.commit(tx).await
    }

    async fn begin_second_factor(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "INSERT INTO totp_pending (token_sha256, user_id, expires_at) VALUES ($1, $2, $3)",
            db::args![token_sha256, user_id, expires_at],
        )
        .await?;
        self.commit(tx).await
    }

    async fn take_second_factor(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>> {
        let mut tx = self.db.write().await?;
        // Used once, whatever the code typed next (a wrong code starts a new wait); of two
        // concurrent uses, only one gets the row back.
        let row = tx
            .opt(
                "DELETE FROM totp_pending WHERE token_sha256 = $1 RETURNING user_id, expires_at",
                db::args![token_sha256],
            )
            .await?;
        let Some(row) = row else {
            self.commit(tx).await?;
            return Ok(None);
        };
        if row.ts("expires_at")? <= now {
            self.commit(tx).await?;
            return Ok(None);
        }
        let user = tx.one("SELECT * FROM users WHERE id = $1", db::args![row.i64("user_id")?]).await?;
        self.commit(tx).await?;
        accounts::user_from_row(&user).map(Some)
    }

    async fn mark_thread_read(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        // Staff read the client's messages; a client reads the team's, in its own threads only.
        tx.exec(
            "UPDATE messages SET read_at = $4 WHERE thread_kind = $1 AND thread_id = $2 AND read_at IS NULL \
             AND (($3 IS NULL AND from_staff = 0) OR (client_id = $3 AND from_staff = 1))",
            db::args![kind.as_str(), thread_id, scope_client(scope), now],
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
                db::args![scope_client(scope)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((ThreadKind::parse(&r.text("thread_kind")?)?, r.i64("thread_id")?, r.i64("n")?)))
            .collect()
    }

    async fn staff_users(&self) -> Result<Vec<User>> {
        self.staff_users_q().await
    }

    async fn set_roles(&self, actor: &Actor, user_id: Id, roles: Vec<Role>) -> Result<User> {
        self.set_roles_tx(actor, user_id, roles).await
    }

    async fn log_contact(&self, actor: &Actor, order_id: Id, note: &str) -> Result<ContactNote> {
        self.log_contact_tx(actor, order_id, note).await
    }

    async fn contact_log(&self, order_id: Id) -> Result<Vec<ContactNote>> {
        self.contact_log_q(order_id).await
    }

    async fn ping(&self) -> bool {
        match self.db.read().await {
            Ok(mut tx) => tx.opt("SELECT CAST(1 AS BIGINT) AS one", vec![]).await.is_ok(),
            Err(_) => false,
        }
    }
}

/// Converts a scope to the client id it is limited to (bound as `$n IS NULL OR client_id = $n`).
pub(crate) fn scope_client(scope: Scope) -> Option<Id> {
    match scope {
        Scope::Staff => None,
        Scope::Client(c) => Some(c),
    }
}

pub(crate) fn not_found(entity: &'static str) -> DomainError {
    DomainError::not_found(entity)
}

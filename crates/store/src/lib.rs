//! The `Store` port implemented on SQLite (rusqlite) and PostgreSQL (sqlx).
//!
//! Every use case is one write transaction holding the state change, its audit event and its
//! outbox rows. Rows a use case changes are locked first (`SELECT … FOR UPDATE` on PostgreSQL;
//! SQLite has a single writer connection), then the domain rules in `immovr_core::rules` decide.

mod accounts;
mod audit;
mod billing;
mod catalogue;
mod dashboard;
mod db;
mod documents;
mod history;
mod lists;
mod live;
mod migrations;
mod order_queries;
mod orders;
mod outbox;
mod platform;
mod privacy;
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

pub use db::{Db, Options, background};
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

/// A use case's write transaction: the store's transaction, and what its commit does after
/// (announce the changes, hand the issued documents over). The per-area ports are implemented
/// on it in each module (`quotes`, `orders`, `billing`, …).
pub struct SqlTx {
    tx: db::Tx,
    store: SqlStore,
}

#[async_trait]
impl immovr_app::ports::Tx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        let SqlTx { tx, store } = *self;
        store.commit(tx).await
    }
}

#[async_trait]
impl immovr_app::ports::Database for SqlStore {
    async fn begin(&self) -> Result<Box<dyn immovr_app::ports::Tx>> {
        Ok(Box::new(SqlTx { tx: self.db.write().await?, store: self.clone() }))
    }
}

/// Converts a scope to the client id it is limited to (bound as `$n IS NULL OR client_id = $n`).
pub(crate) fn scope_client(scope: Scope) -> Option<Id> {
    match scope {
        Scope::Staff => None,
        Scope::Client(c) => Some(c),
        // No client has this id: nothing is visible.
        Scope::Nobody => Some(-1),
    }
}

pub(crate) fn not_found(entity: &'static str) -> DomainError {
    DomainError::not_found(entity)
}

//! Quote requests with their attachments, the catalogue, and message threads.

use async_trait::async_trait;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{Attachment, CatalogueItem, Id, Message, QuoteRequest, ThreadKind};
use immovr_core::ports::{CatalogueItemPatch, NewAttachment, NewCatalogueItem};
use immovr_core::{Result, Scope};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// A quote request, checked.
pub struct RequestRow<'a> {
    pub client_id: Id,
    pub property_type: &'a str,
    pub property_address: &'a str,
    pub surface_m2: Option<Decimal>,
    pub rooms: Option<i64>,
    pub wanted: &'a [String],
    pub wished_date: Option<Date>,
    pub notes: Option<&'a str>,
}

#[async_trait]
pub trait RequestRepo: Send {
    /// The codes of the active catalogue items.
    async fn active_codes(&mut self) -> Result<Vec<String>>;
    async fn insert_request(
        &mut self,
        request: &RequestRow<'_>,
        attachments: &[NewAttachment],
        at: Timestamp,
    ) -> Result<QuoteRequest>;
    /// Takes these kept uploads (see [`KeptUploads`]) for a request: how many were still kept.
    async fn claim_kept_uploads(&mut self, storage_keys: &[&str]) -> Result<usize>;
    async fn insert_catalogue_item(&mut self, item: &NewCatalogueItem) -> Result<CatalogueItem>;
    /// `None` when there is no such item.
    async fn update_catalogue_item(&mut self, id: Id, patch: &CatalogueItemPatch) -> Result<Option<CatalogueItem>>;
}

/// A message being posted.
pub struct MessageRow<'a> {
    pub thread_kind: ThreadKind,
    pub thread_id: Id,
    pub client_id: Id,
    pub author_user_id: Option<Id>,
    pub author_name: &'a str,
    pub from_staff: bool,
    pub body: &'a str,
    pub at: Timestamp,
}

#[async_trait]
pub trait MessageRepo: Send {
    /// The client a thread belongs to, if the scope may see the thread.
    async fn thread_client(&mut self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Id>;
    async fn insert_message(&mut self, message: &MessageRow<'_>) -> Result<Message>;
}

/// Reading requests, the catalogue and messages; marking messages read.
#[async_trait]
pub trait RequestQueries: Send + Sync {
    /// Quote requests, newest first. Status: new, quoted, closed; period: received; `q`:
    /// property, address and client.
    async fn quote_requests(&self, scope: Scope, list: &ListQuery) -> Result<Page<QuoteRequest>>;
    async fn quote_request(&self, scope: Scope, id: Id) -> Result<QuoteRequest>;
    /// A request's attachment, if the scope may see the request.
    async fn attachment(&self, scope: Scope, request_id: Id, attachment_id: Id) -> Result<Attachment>;
    async fn catalogue(&self, active_only: bool) -> Result<Vec<CatalogueItem>>;
    async fn messages(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>>;
    /// Every message of a client's threads (quotes it may see, orders), oldest first.
    async fn client_messages(&self, client_id: Id) -> Result<Vec<Message>>;
    /// Marks the other side's messages of a thread as read by this side (staff or the client).
    async fn mark_thread_read(&self, scope: Scope, kind: ThreadKind, thread_id: Id, at: Timestamp) -> Result<()>;
    /// Threads with messages this side has not read: (kind, thread id, unread count).
    async fn unread_threads(&self, scope: Scope) -> Result<Vec<(ThreadKind, Id, i64)>>;
}

/// Files accepted with a form that was refused for another reason, kept a day for the form to
/// come back with them.
#[async_trait]
pub trait KeptUploads: Send + Sync {
    /// Keeps `new` uploads from `at`, and those kept `again` (a form refused once more) a day
    /// from `at` when they are still kept.
    async fn keep_uploads(&self, new: &[&str], again: &[&str], at: Timestamp) -> Result<()>;
    /// Those of these keys that are still kept (not taken by a request, not forgotten).
    async fn still_kept(&self, storage_keys: &[&str]) -> Result<Vec<String>>;
    /// Stops keeping these (removed from the form): those that were still kept.
    async fn unkeep(&self, storage_keys: &[&str]) -> Result<Vec<String>>;
    /// Forgets the uploads kept before `before` and not taken: their keys (files to remove).
    async fn forget_kept_uploads(&self, before: Timestamp) -> Result<Vec<String>>;
}

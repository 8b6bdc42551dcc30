//! A message thread on every quote and order, between the client and the studio.

use crate::idempotency::Outcome;
use immovr_core::model::{Id, Message, ThreadKind};
use immovr_core::notification::{MessageNews, Notification};
use immovr_core::ports::NewMessage;
use immovr_core::{Actor, Result};
use serde_json::json;

use crate::App;
use crate::ports::MessageRow;
use crate::support::{audit, check_paragraph, notify, notify_staff};

impl App {
    /// Posts a message in a thread the actor may see; the other side is told.
    #[tracing::instrument(skip_all, fields(thread = kind.as_str(), thread_id), err(level = "info"))]
    pub async fn post_message(
        &self,
        actor: &Actor,
        kind: ThreadKind,
        thread_id: Id,
        message: NewMessage,
    ) -> Result<Message> {
        let body = check_paragraph("body", &message.body, 10_000)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let client_id = tx.thread_client(actor.scope(), kind, thread_id).await?;
        let from_staff = actor.client_id.is_none();
        let author_name = match actor.user_id {
            Some(uid) => tx.user_now(uid).await?.map(|u| u.name).unwrap_or_else(|| "ImmoVr".to_string()),
            None => "ImmoVr".to_string(),
        };
        let row = MessageRow {
            thread_kind: kind,
            thread_id,
            client_id,
            author_user_id: actor.user_id,
            author_name: &author_name,
            from_staff,
            body: &body,
            at: now,
        };
        let posted = tx.insert_message(&row).await?;
        let detail = json!({"thread": kind.as_str(), "thread_id": thread_id});
        audit(tx.as_mut(), now, actor, "message.posted", ("message", posted.id), detail).await?;
        let news = MessageNews { thread_kind: kind, thread_id, message_id: posted.id, author: author_name };
        if from_staff {
            let client = tx.client_now(client_id).await?;
            notify(tx.as_mut(), now, &client, Notification::MessageReceived(news)).await?;
        } else {
            let company = tx.company().await?;
            notify_staff(tx.as_mut(), now, &company, Notification::ClientMessageReceived(news)).await?;
        }
        self.answer(tx, Outcome::Created, posted).await
    }

    /// A thread's messages, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn messages(&self, actor: &Actor, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>> {
        self.db.messages(actor.scope(), kind, thread_id).await
    }

    /// A thread read: the other side's messages are marked read by the actor's side.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn read_thread(&self, actor: &Actor, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>> {
        let messages = self.db.messages(actor.scope(), kind, thread_id).await?;
        self.db.mark_thread_read(actor.scope(), kind, thread_id, self.now()).await?;
        Ok(messages)
    }

    /// Threads with messages the actor's side has not read: (kind, thread id, how many).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unread_threads(&self, actor: &Actor) -> Result<Vec<(ThreadKind, Id, i64)>> {
        self.db.unread_threads(actor.scope()).await
    }
}

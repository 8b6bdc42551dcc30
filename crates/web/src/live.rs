//! Live updates: the store announces committed changes here; server-sent event streams pass
//! them on to the pages of the client concerned (and to staff). In-process, for one instance;
//! several instances will share them through PostgreSQL LISTEN/NOTIFY.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use immovr_core::model::Id;
use immovr_core::{Change, ChangeFeed, LiveEvent};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

#[derive(Clone)]
pub struct LiveFeed {
    tx: broadcast::Sender<Change>,
    /// Set when the server shuts down: open event streams end, so a graceful shutdown does not
    /// wait for pages that would stay open forever.
    closed: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        LiveFeed { tx: broadcast::channel(1024).0, closed: tokio::sync::watch::channel(false).0 }
    }
}

impl ChangeFeed for LiveFeed {
    fn publish(&self, change: Change) {
        // No subscriber is fine: nobody is looking.
        let _ = self.tx.send(change);
    }
}

impl LiveFeed {
    /// Ends every open event stream (the server is shutting down; pages reconnect elsewhere).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Every committed change, as it comes (background workers).
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// The changes one client may see (`Some(id)`), or every change (staff, `None`).
    pub fn stream(&self, client: Option<Id>) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let stream = BroadcastStream::new(self.tx.subscribe()).filter_map(move |msg| async move {
            let change = match msg {
                Ok(c) => c,
                // A slow page missed some: tell it to refresh anyway.
                Err(_) => return Some(Ok(Event::default().event("change").data("{}"))),
            };
            // A client sees its own changes, and "resync" (changes may have been missed).
            if client.is_some() && change.client_id != client && change.event != LiveEvent::Resync {
                return None;
            }
            let payload = match &change.event {
                LiveEvent::Notified(n) => n.payload(),
                _ => serde_json::json!({}),
            };
            let data = serde_json::json!({"kind": change.kind(), "payload": payload}).to_string();
            Some(Ok(Event::default().event("change").data(data)))
        });
        let mut closed = self.closed.subscribe();
        let stream = stream.take_until(async move {
            let _ = closed.wait_for(|c| *c).await;
        });
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}

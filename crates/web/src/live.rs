//! Live updates: the store announces committed changes here; server-sent event streams pass
//! them on to the pages of the client concerned (and to staff). In-process, for one instance;
//! several instances will share them through PostgreSQL LISTEN/NOTIFY.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use immovr_app::live::LiveFeed;
use immovr_core::LiveEvent;
use immovr_core::model::Id;
use tokio_stream::wrappers::BroadcastStream;

/// The changes one client may see (`Some(id)`), or every change (staff, `None`), as server-sent
/// events; the stream ends when the feed closes (the server shuts down).
pub fn stream(feed: &LiveFeed, client: Option<Id>) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let stream = BroadcastStream::new(feed.subscribe()).filter_map(move |msg| async move {
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
    let feed = feed.clone();
    let stream = stream.take_until(async move { feed.closed().await });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

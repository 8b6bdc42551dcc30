//! Live updates in this process: the store announces each committed change here; the pages'
//! event streams and the workers subscribe. (Across instances, PostgreSQL's LISTEN/NOTIFY brings
//! the other instances' changes here too: see `immovr-store`.)

use immovr_core::{Change, ChangeFeed};
use tokio::sync::broadcast;

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

    /// Resolves once [`LiveFeed::close`] was called.
    pub async fn closed(&self) {
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|c| *c).await;
    }

    /// Every committed change, as it comes.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

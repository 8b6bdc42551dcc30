//! Live updates across instances: the changes each PostgreSQL instance `NOTIFY`s, relayed to
//! this process's pages.

use std::sync::Arc;

use immovr_core::Change;
use immovr_core::ports::ChangeFeed;

use crate::db::SettingsCache;

/// Passes the changes `NOTIFY`ed on `channel` (by any instance) to `feed`; reconnects when the
/// connection drops, and then tells the pages to refresh (changes may have been missed).
/// While it listens, this process may cache the settings: their changes reach it
/// (`cache_invalidated`).
pub(crate) async fn listen(
    pool: sqlx::PgPool,
    channel: String,
    feed: Arc<dyn ChangeFeed>,
    settings: Arc<SettingsCache>,
) {
    let mut first = true;
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "live updates: connecting to PostgreSQL");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        // Closing the pool (the store closes) ends the listening, and gives its connection back.
        listener.ignore_pool_close_event(false);
        if let Err(e) = listener.listen(&channel).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "live updates: LISTEN");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        settings.set_usable(true);
        if !first {
            feed.publish(Change { client_id: None, event: immovr_core::LiveEvent::Resync });
        }
        first = false;
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match serde_json::from_str::<Change>(n.payload()) {
                    Ok(change) if change.event == immovr_core::LiveEvent::CacheInvalidated => settings.invalidate(),
                    Ok(change) => feed.publish(change),
                    Err(e) => tracing::warn!(error = %e, "live updates: unreadable notification"),
                },
                // The connection was lost: listen again (and have pages refresh).
                Ok(None) => break,
                Err(sqlx::Error::PoolClosed) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: receiving");
                    break;
                }
            }
        }
        settings.set_usable(false);
        if pool.is_closed() {
            return;
        }
    }
}

//! The audit sealer: chains the audit events as they commit (see `immovr_core::audit`).

use std::sync::Arc;
use std::time::Duration;

use immovr_app::App;
use immovr_app::live::LiveFeed;

/// Changes committed close together are sealed together.
const GATHER: Duration = Duration::from_millis(200);

/// Seals after commits, and every few seconds (events committed by another process).
pub async fn run(app: Arc<App>, live: LiveFeed) {
    let mut changes = live.subscribe();
    loop {
        if let Err(e) = app.seal_audit().await {
            tracing::warn!(error = %e, "sealing the audit trail");
        }
        match tokio::time::timeout(Duration::from_secs(5), changes.recv()).await {
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return,
            Ok(_) => {
                tokio::time::sleep(GATHER).await;
                while changes.try_recv().is_ok() {}
            }
            Err(_) => {}
        }
    }
}

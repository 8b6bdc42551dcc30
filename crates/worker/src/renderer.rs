//! The background renderer: renders the documents this process issues as soon as they commit
//! (leased to it as they were issued, handed over in-process: no claim, no read, and no wait for
//! the change's notification); at start and every minute, whatever else waits — issued before,
//! by an instance that renders nothing in the background (its emails and downloads render on
//! demand meanwhile), or leased by an instance that stopped.

use std::sync::Arc;
use std::time::Duration;

use immovr_app::Documents;

pub async fn run(documents: Arc<Documents>) {
    const SWEEP: Duration = Duration::from_secs(60);
    documents.render_in_this_process();
    let mut sweep = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= sweep {
            documents.render_pending().await;
            sweep = tokio::time::Instant::now() + SWEEP;
        }
        tokio::select! {
            () = documents.issued() => {
                documents.render_issued().await;
            }
            () = tokio::time::sleep_until(sweep) => {}
        }
    }
}

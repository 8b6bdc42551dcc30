//! Serving the test server, and restarting it: its process stops (its workers aborted wherever
//! they are, their leases left behind) and starts again on the same database, files and address,
//! as immovr does after a restart.

use std::time::Duration;

use crate::TestApp;

impl TestApp {
    /// Stops the server and its workers, then serves again on the same database and address.
    pub async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let addr = self.base.trim_start_matches("http://").to_string();
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(&addr).await {
                Ok(l) => break l,
                // Not free yet: the old listener is closing.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{addr} stays taken: {e}"),
            }
        };
        let store = immovr::open_store(&self.config, self.clock.clone(), self.pg_schema.clone()).await.expect("store");
        let service = immovr::service(&self.config, store.clone(), self.clock.clone()).await.expect("the service");
        self.store.close().await;
        self.store = store;
        self.app = service.state.app.clone();
        self.documents = service.state.app.documents().clone();
        let (tx, server) = serve(listener, service);
        self.server = Some(server);
        self.shutdown = Some(tx);
    }
}

/// Serves `service` on `listener` until the returned sender is used (or dropped).
pub(crate) fn serve(
    listener: tokio::net::TcpListener,
    service: immovr::Service,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        immovr::serve(listener, service, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (tx, server)
}

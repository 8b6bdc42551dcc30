//! Idempotency of the API's POST requests: a request sent again with the same `Idempotency-Key`
//! gets the first answer instead of a second effect.

use immovr_core::Result;
use immovr_core::ports::IdempotencyStart;

use crate::App;

impl App {
    /// Starts a keyed request: go ahead, replay the stored answer, or a conflict (in progress,
    /// or the key used for another request).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_start(&self, owner: &str, key: &str, fingerprint: &str) -> Result<IdempotencyStart> {
        self.db.idempotency_start(owner, key, fingerprint, self.now()).await
    }

    /// Stores the answer of a keyed request.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_complete(&self, owner: &str, key: &str, status: u16, body: &str) -> Result<()> {
        self.db.idempotency_complete(owner, key, status, body).await
    }

    /// Forgets a keyed request that produced no answer worth replaying.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_abandon(&self, owner: &str, key: &str) -> Result<()> {
        self.db.idempotency_abandon(owner, key).await
    }
}

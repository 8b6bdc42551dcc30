//! The audit trail's hash chain: sealing what was committed, verifying what was sealed.

use immovr_core::audit::ChainCheck;
use immovr_core::model::Role;
use immovr_core::{Actor, Result};

use crate::App;

/// Events sealed per transaction.
const BATCH: i64 = 500;

impl App {
    /// Seals every committed audit event not sealed yet (the sealer runs it as changes commit);
    /// how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn seal_audit(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.db.seal_audit(BATCH).await?;
            total += n;
            if (n as i64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Verifies the whole chain (admin; the operator's command acts as the system).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn verify_audit(&self, actor: &Actor) -> Result<ChainCheck> {
        actor.require(Role::Admin)?;
        self.db.verify_audit().await
    }
}

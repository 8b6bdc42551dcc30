//! Idempotency of the API's POST requests: a request sent again with the same `Idempotency-Key`
//! gets the first answer instead of a second effect — also when the first run was cut short by
//! a crash or a client that hung up.
//!
//! A keyed request first claims its key ([`App::idempotency_start`]): a row holding the request's
//! fingerprint, an attempt number and a lease. The use case that answers the request stores its
//! answer in the transaction of its effect ([`App::answer`] reads the key from the task-local
//! scope the web layer sets with [`with_key`]), so the effect and the answer commit together or
//! not at all. Answers that commit nothing (a refusal) are kept after the run
//! ([`App::idempotency_complete`]). A retry while the lease runs is told to wait; after it, the
//! retry claims the key as the next attempt and runs again — safe, since the earlier attempt's
//! effect, had it committed, would have left its answer — and an earlier attempt that finishes
//! late finds its attempt superseded and rolls back.

use std::future::Future;
use std::sync::atomic::{AtomicU16, Ordering};

use immovr_core::ports::IdempotencyStart;
use immovr_core::{DomainError, Result};
use jiff::SignedDuration;
use serde::Serialize;

use crate::App;
use crate::ports::Tx;

/// How long a run holds its key: a retry within it is told to come back; after it, the retry
/// runs again. Far longer than any request takes; short enough for a retry after a crash.
pub const LEASE: SignedDuration = SignedDuration::from_secs(10);

/// A claimed key: whose, which, and the attempt that holds it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub owner: String,
    pub key: String,
    pub attempt: i64,
}

/// How a use case's answer is told over HTTP: a new record, or an update of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Done,
}

impl Outcome {
    pub fn status(self) -> u16 {
        match self {
            Outcome::Created => 201,
            Outcome::Done => 200,
        }
    }
}

struct Scope {
    claim: Claim,
    /// The status of the answer stored with an effect, once one was (0: none yet). The first
    /// answering commit takes the key.
    answered: AtomicU16,
}

tokio::task_local! {
    static KEY: Scope;
}

/// Runs `request` with `claim` as its idempotency key: the use case answering it stores its
/// answer in its own transaction.
pub async fn with_key<F: Future>(claim: Claim, request: F) -> F::Output {
    KEY.scope(Scope { claim, answered: AtomicU16::new(0) }, request).await
}

/// The status of the answer this request stored with its effect, if it did.
pub fn answered_with_effect() -> Option<u16> {
    KEY.try_with(|s| s.answered.load(Ordering::Relaxed)).ok().filter(|&status| status != 0)
}

impl App {
    /// Claims a keyed request: go ahead (as attempt n), replay the stored answer, wait (another
    /// attempt holds the key), or a conflict (the key was used for another request).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_start(&self, owner: &str, key: &str, fingerprint: &str) -> Result<IdempotencyStart> {
        self.db.idempotency_start(owner, key, fingerprint, self.now(), LEASE).await
    }

    /// Keeps the answer of a keyed request that stored none with an effect (a refusal, or a
    /// request that changed nothing); a no-op when the attempt no longer holds the key.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_complete(&self, claim: &Claim, status: u16, body: &str) -> Result<()> {
        self.db.idempotency_complete(&claim.owner, &claim.key, claim.attempt, status, body).await
    }

    /// Gives a key back after a failure worth retrying (a server error): the retry runs again.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn idempotency_abandon(&self, claim: &Claim) -> Result<()> {
        self.db.idempotency_abandon(&claim.owner, &claim.key, claim.attempt).await
    }

    /// Forgets keys older than `age` (their requests will not be retried any more).
    pub async fn forget_idempotency_keys(&self, age: SignedDuration) -> Result<u64> {
        self.db.forget_idempotency_keys(self.now() - age).await
    }

    /// Commits a use case's transaction with its answer: when the request carries an
    /// idempotency key, the answer is stored in the same transaction, so a retry gets it even if
    /// this process dies right after the commit. An attempt whose key was taken over by a later
    /// one (its lease ran out) rolls back instead.
    pub(crate) async fn answer<T: Serialize>(&self, mut tx: Box<dyn Tx>, outcome: Outcome, answer: T) -> Result<T> {
        let key = KEY.try_with(|s| (s.answered.load(Ordering::Relaxed) == 0).then(|| s.claim.clone())).ok().flatten();
        if let Some(claim) = &key {
            let body = serde_json::to_string(&answer).map_err(|e| DomainError::internal_from("answer", e))?;
            if !tx.answer_key(&claim.owner, &claim.key, claim.attempt, outcome.status(), &body).await? {
                return Err(DomainError::IdempotencyInProgress);
            }
        }
        tx.commit().await?;
        if key.is_some() {
            let _ = KEY.try_with(|s| s.answered.store(outcome.status(), Ordering::Relaxed));
        }
        Ok(answer)
    }
}

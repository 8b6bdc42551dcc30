//! What this process caches of the `settings` table, and (PostgreSQL) of who a session or an
//! API token is.

use std::sync::Arc;

use immovr_core::model::{LinkScope, User};
use jiff::Timestamp;

use super::{DbError, Tx, V, args};

/// The rows of `settings` (the company's settings, read by most use cases: six times per flow)
/// as this process last read them, for at most [`MAX_AGE`]. A transaction reads through it
/// unless it wrote settings itself; a commit that wrote settings empties it. Its generation, taken when a transaction
/// begins, keeps a value read by a transaction that began before such a commit out of it.
/// On PostgreSQL other instances may write too: the cache is used only while this process
/// listens to the database's notifications, through which such a commit reaches it
/// ([`SettingsCache::invalidate`] on `cache_invalidated`, [`SettingsCache::set_usable`] as the
/// listener connects and disconnects).
///
/// On PostgreSQL it also keeps who a session or an API token is (looked up on every request:
/// eight round trips per flow), under the same rules: a transaction that changes a user or
/// ends a session ([`Tx::write_principals`]) empties it here and, through its commit's
/// notification, on every instance. Never on SQLite, where that lookup costs no round trip
/// and a command run beside the server (a role changed, a password reset) would not reach it.
pub(crate) struct SettingsCache {
    state: std::sync::Mutex<CacheState>,
    /// The database is shared with other processes that notify (PostgreSQL).
    shared: bool,
}

struct CacheState {
    generation: u64,
    usable: bool,
    values: std::collections::HashMap<String, (std::time::Instant, Option<Arc<str>>)>,
    /// By credential (`s:` or `t:` and its SHA-256): the user, and when a session expires.
    principals: std::collections::HashMap<String, Principal>,
}

/// A credential as cached: when it was read, whose it is, when it ends (a session), and
/// what it is limited to (a session opened by an emailed link).
type Principal = (std::time::Instant, User, Option<Timestamp>, Option<LinkScope>);

/// At most this many credentials are kept (a busy day's sessions); past it, the cache starts
/// again empty rather than grow.
const MAX_PRINCIPALS: usize = 10_000;

/// However a change reaches (or fails to reach) this process — a command run beside the
/// server on the same SQLite file, a LISTEN connection that died without a word — a value is
/// read again after this long.
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

impl SettingsCache {
    pub(super) fn new(usable: bool, shared: bool) -> SettingsCache {
        let state = CacheState { generation: 0, usable, values: Default::default(), principals: Default::default() };
        SettingsCache { state: std::sync::Mutex::new(state), shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn get(&self, key: &str) -> Option<Option<Arc<str>>> {
        let state = self.lock();
        if !state.usable {
            return None;
        }
        state.values.get(key).filter(|(at, _)| at.elapsed() < MAX_AGE).map(|(_, v)| v.clone())
    }

    fn put(&self, generation: u64, key: &str, value: Option<Arc<str>>) {
        let mut state = self.lock();
        if state.usable && state.generation == generation {
            state.values.insert(key.to_string(), (std::time::Instant::now(), value));
        }
    }

    /// Who a credential is (see [`SettingsCache::principal_key`]), if known here.
    pub(crate) fn principal(&self, key: &str) -> Option<(User, Option<Timestamp>, Option<LinkScope>)> {
        let state = self.lock();
        if !self.shared || !state.usable {
            return None;
        }
        state
            .principals
            .get(key)
            .filter(|(at, ..)| at.elapsed() < MAX_AGE)
            .map(|(_, u, e, l)| (u.clone(), *e, l.clone()))
    }

    /// Keeps who a credential is, read by a transaction begun at `generation`.
    pub(crate) fn put_principal(
        &self,
        generation: u64,
        key: String,
        user: User,
        expires_at: Option<Timestamp>,
        link: Option<LinkScope>,
    ) {
        let mut state = self.lock();
        if self.shared && state.usable && state.generation == generation {
            if state.principals.len() >= MAX_PRINCIPALS {
                state.principals.clear();
            }
            state.principals.insert(key, (std::time::Instant::now(), user, expires_at, link));
        }
    }

    /// The key of a session's (`session`) or an API token's credential.
    pub(crate) fn principal_key(session: bool, token_sha256: &str) -> String {
        format!("{}:{token_sha256}", if session { 's' } else { 't' })
    }

    /// Forgets every value (settings or users were written).
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.values.clear();
        state.principals.clear();
    }

    /// Whether changes made elsewhere reach this process; forgets every value either way.
    pub fn set_usable(&self, usable: bool) {
        self.invalidate();
        self.lock().usable = usable;
    }
}

impl Tx {
    /// A row of `settings` (its value), through this process's cache.
    pub async fn setting(&mut self, key: &str) -> Result<Option<String>, DbError> {
        if !self.settings_written
            && let Some(value) = self.settings.get(key)
        {
            return Ok(value.map(|v| v.to_string()));
        }
        let row = self.opt("SELECT value FROM settings WHERE key = $1", args![key]).await?;
        let value = row.map(|r| r.text("value")).transpose().map_err(|e| DbError::Other(e.to_string()))?;
        if !self.settings_written {
            self.settings.put(self.settings_generation, key, value.as_deref().map(Arc::from));
        }
        Ok(value)
    }

    /// Writes `settings` (an `INSERT` or `UPDATE` of that table only).
    pub async fn write_settings(&mut self, sql: &str, args: Vec<V>) -> Result<u64, DbError> {
        self.cached_written();
        self.exec(sql, args).await
    }

    /// Changes a user or ends sessions (an `UPDATE` of `users`, a `DELETE` of `sessions` or
    /// `api_tokens`): who a credential is, as cached, may no longer hold. (Adding one needs
    /// nothing: only credentials found are cached.)
    pub async fn write_principals(&mut self, sql: &str, args: Vec<V>) -> Result<u64, DbError> {
        self.cached_written();
        self.exec(sql, args).await
    }

    /// The cache's generation when this transaction began.
    pub(crate) fn cache_generation(&self) -> u64 {
        self.settings_generation
    }

    /// This transaction changes cached rows: it reads them from the database, its commit
    /// empties this process's cache and its notification the other instances'.
    fn cached_written(&mut self) {
        if !self.settings_written {
            self.settings_written = true;
            self.announce(immovr_core::Change { client_id: None, event: immovr_core::LiveEvent::CacheInvalidated });
        }
    }
}

//! What this process caches of the `settings` table.

use std::sync::Arc;

use super::{DbError, Tx, V, args};

/// The rows of `settings` (the company's settings, read by most use cases: six times per flow)
/// as this process last read them, for at most [`MAX_AGE`]. A transaction reads through it
/// unless it wrote settings itself; a commit that wrote settings empties it. Its generation, taken when a transaction
/// begins, keeps a value read by a transaction that began before such a commit out of it.
/// On PostgreSQL other instances may write too: the cache is used only while this process
/// listens to the database's notifications, through which such a commit reaches it
/// ([`SettingsCache::invalidate`] on `settings_updated`, [`SettingsCache::set_usable`] as the
/// listener connects and disconnects).
pub(crate) struct SettingsCache {
    state: std::sync::Mutex<CacheState>,
}

struct CacheState {
    generation: u64,
    usable: bool,
    values: std::collections::HashMap<String, (std::time::Instant, Option<Arc<str>>)>,
}

/// However a change reaches (or fails to reach) this process — a command run beside the
/// server on the same SQLite file, a LISTEN connection that died without a word — a value is
/// read again after this long.
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

impl SettingsCache {
    pub(super) fn new(usable: bool) -> SettingsCache {
        SettingsCache { state: std::sync::Mutex::new(CacheState { generation: 0, usable, values: Default::default() }) }
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

    /// Forgets every value (settings were written).
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.values.clear();
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
        self.settings_written = true;
        self.exec(sql, args).await
    }
}

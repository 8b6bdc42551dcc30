//! SQLite migrations: the files of `migrations/sqlite`, embedded at build time, applied in order
//! and recorded in `_sqlx_migrations` as sqlx records them (version, description, SHA-384 of the
//! file), so databases migrated by earlier versions — or by `sqlx migrate` — carry on. A file
//! changed after it was applied is an error, not silently skipped. (PostgreSQL: `sqlx::migrate!`.)

use std::collections::HashMap;
use std::time::Instant;

use sha2::{Digest, Sha384};

use crate::db::DbError;

/// (version, description, SQL), in version order.
const SQLITE: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/sqlite_migrations.rs"));

pub(crate) fn sqlite(conn: &mut rusqlite::Connection) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        )",
    )?;
    let mut applied: HashMap<i64, (bool, Vec<u8>)> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT version, success, checksum FROM _sqlx_migrations")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            applied.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
    }
    for (version, description, sql) in SQLITE {
        let checksum = Sha384::digest(sql.as_bytes()).to_vec();
        match applied.get(version) {
            Some((true, c)) if *c == checksum => continue,
            Some((true, _)) => {
                return Err(DbError::Other(format!(
                    "migration {version} ({description}) was changed after it was applied"
                )));
            }
            Some((false, _)) => {
                return Err(DbError::Other(format!(
                    "migration {version} ({description}) failed partway: repair the database"
                )));
            }
            None => {}
        }
        let started = Instant::now();
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?1, ?2, TRUE, ?3, ?4)",
            rusqlite::params![version, description, checksum, started.elapsed().as_nanos() as i64],
        )?;
        tx.commit()?;
        tracing::info!(version, description, "migration applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two folders are kept in step: the same versions and names, so a change to the schema
    /// on one backend cannot be forgotten on the other.
    #[test]
    fn sqlite_and_postgres_migrations_are_the_same_list() {
        let names = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut n: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names("sqlite"), names("postgres"));
        assert_eq!(names("sqlite").len(), SQLITE.len());
        assert!(SQLITE.windows(2).all(|w| w[0].0 < w[1].0), "versions in order");
    }

    #[test]
    fn migrations_apply_once_and_a_changed_file_is_refused() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        sqlite(&mut conn).unwrap();
        sqlite(&mut conn).unwrap();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM _sqlx_migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(n as usize, SQLITE.len());
        conn.execute("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1", []).unwrap();
        assert!(sqlite(&mut conn).is_err());
    }
}

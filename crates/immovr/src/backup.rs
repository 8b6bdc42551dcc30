//! `immovr backup DIR` and `immovr restore DIR`: the database and the file store, together, with
//! a SHA-256 of every byte.
//!
//! A backup folder holds the database (`immovr.db`, a consistent copy of the SQLite file made by
//! `VACUUM INTO`, or `immovr.pgdump`, `pg_dump`'s custom format), `files/` (every file of the
//! store, local or S3), `backup.json` (what it is) and `SHA256SUMS` (written last, in the format
//! `sha256sum -c` reads: a folder without it is an unfinished backup). Both commands run beside a
//! serving instance: the database copy is one read transaction (writers go on), then the files
//! are copied — files are written before the records that name them and never rewritten, so
//! every file the copied records name is there; files stored after the copy began come along
//! unnamed, harmlessly.
//!
//! Restoring checks every SHA-256 before it writes anything, refuses a database that already
//! holds data, writes the files through the configured store (their SHA-256 checked again on the
//! way), then opens the database (applying newer migrations to an older backup) and checks the
//! audit trail's hash chain.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt};
use immovr_app::ports::FileStore;
use immovr_core::{Actor, Clock};
use sha2::{Digest, Sha256};

use crate::Config;

const SUMS: &str = "SHA256SUMS";
const INFO: &str = "backup.json";
const SQLITE_FILE: &str = "immovr.db";
const PG_FILE: &str = "immovr.pgdump";

/// What a backup or a restore did.
#[derive(Debug, Default)]
pub struct Report {
    pub backend: &'static str,
    pub files: u64,
    pub bytes: u64,
}

enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

fn database(config: &Config) -> Database {
    let url = config.database_url();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Database::Postgres(url);
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(&url);
    Database::Sqlite(PathBuf::from(path.split('?').next().unwrap_or(path)))
}

/// The SHA-256 and size of a file.
fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = command.output().with_context(|| format!("running {what} (is it installed and on PATH?)"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Copies the database and every stored file into `dir` (created; it must be empty).
///
/// `pg_schema`: on PostgreSQL, the schema immovr's tables are in when it is not the
/// connection's default one (as [`crate::open_store`] takes it): only that schema is copied.
pub async fn backup(config: &Config, dir: &Path, clock: &dyn Clock, pg_schema: Option<&str>) -> anyhow::Result<Report> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut sums: Vec<(String, String)> = Vec::new();
    let mut report = Report::default();

    // The database first: every file its records name is stored already.
    let db_file = match database(config) {
        Database::Sqlite(path) => {
            report.backend = "sqlite";
            let target = dir.join(SQLITE_FILE);
            let target_text = target.to_str().context("the backup folder's path is not UTF-8")?.to_string();
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let conn = rusqlite::Connection::open_with_flags(
                    &path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .with_context(|| format!("opening {}", path.display()))?;
                conn.busy_timeout(std::time::Duration::from_secs(30))?;
                conn.execute("VACUUM INTO ?1", [&target_text]).context("copying the database (VACUUM INTO)")?;
                Ok(())
            })
            .await??;
            SQLITE_FILE
        }
        Database::Postgres(url) => {
            report.backend = "postgres";
            let target = dir.join(PG_FILE);
            let mut dump = Command::new("pg_dump");
            dump.args(["--format=custom", "--no-owner", "--no-privileges", "--file"]).arg(&target);
            if let Some(schema) = pg_schema {
                dump.arg("--schema").arg(schema);
            }
            run(dump.arg("--dbname").arg(&url), "pg_dump")?;
            PG_FILE
        }
    };
    let (sum, size) = sha256_file(&dir.join(db_file))?;
    sums.push((sum, db_file.to_string()));
    report.bytes += size;

    let files = crate::open_files(config)?;
    let mut listed: Vec<(String, u64)> = files.list().try_collect().await.context("listing the file store")?;
    listed.sort();
    for (key, _) in listed {
        let relative = format!("files/{key}");
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let read = match files.read(&key, None).await {
            Ok(r) => r,
            // Removed since it was listed (an abandoned upload): nothing names it.
            Err(immovr_app::ports::FileError::NotFound) => continue,
            Err(e) => return Err(anyhow::anyhow!("reading {key} from the file store: {e}")),
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut hasher = Sha256::new();
        let mut body = read.body;
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.with_context(|| format!("reading {key} from the file store"))?;
            hasher.update(&chunk);
            out.write_all(&chunk)?;
            size += chunk.len() as u64;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        sums.push((hex::encode(hasher.finalize()), relative));
        report.files += 1;
        report.bytes += size;
    }

    let info = serde_json::json!({
        "format": 1,
        "immovr": env!("CARGO_PKG_VERSION"),
        "backend": report.backend,
        "database": db_file,
        "files": report.files,
        "bytes": report.bytes,
        "created_at": clock.now().to_string(),
    });
    std::fs::write(dir.join(INFO), serde_json::to_vec_pretty(&info)?)?;
    let (sum, _) = sha256_file(&dir.join(INFO))?;
    sums.push((sum, INFO.to_string()));
    // Written last and renamed into place: a folder without it is an unfinished backup.
    let mut text = String::new();
    for (sum, path) in &sums {
        text.push_str(&format!("{sum}  {path}\n"));
    }
    let partial = dir.join(format!("{SUMS}.partial"));
    let mut f = std::fs::File::create(&partial)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&partial, dir.join(SUMS))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(report)
}

/// The backup's manifest, every entry's SHA-256 checked against the bytes in the folder.
fn checked_manifest(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let sums = std::fs::File::open(dir.join(SUMS))
        .with_context(|| format!("{} has no {SUMS}: not a backup, or an unfinished one", dir.display()))?;
    let mut entries = Vec::new();
    for line in std::io::BufReader::new(sums).lines() {
        let line = line?;
        let (sum, path) = line.split_once("  ").with_context(|| format!("{SUMS}: unreadable line {line:?}"))?;
        // Only plain relative paths below the folder: a doctored manifest names nothing else.
        let safe = !path.is_empty()
            && !path.starts_with('/')
            && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
            && !path.contains('\\');
        if !safe || sum.len() != 64 {
            bail!("{SUMS}: refused entry {path:?}");
        }
        let (actual, _) = sha256_file(&dir.join(path)).with_context(|| format!("the backup lacks {path}"))?;
        if actual != sum {
            bail!("the backup is damaged: {path} does not match its SHA-256");
        }
        entries.push((sum.to_string(), path.to_string()));
    }
    Ok(entries)
}

/// Restores a backup made by [`backup`] into the configured database (which must hold no
/// data) and file store; `pg_schema` as for [`backup`] (the same one).
pub async fn restore(
    config: &Config,
    dir: &Path,
    clock: Arc<dyn Clock>,
    pg_schema: Option<&str>,
) -> anyhow::Result<Report> {
    let entries = checked_manifest(dir)?;
    let info: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(INFO))?)?;
    let backend = info["backend"].as_str().unwrap_or_default();
    let mut report = Report::default();
    match database(config) {
        Database::Sqlite(path) => {
            if backend != "sqlite" {
                bail!("this backup is of a {backend} database; the configuration names SQLite");
            }
            report.backend = "sqlite";
            let in_use = [path.clone(), PathBuf::from(format!("{}-wal", path.display()))]
                .iter()
                .any(|p| p.metadata().map(|m| m.len() > 0).unwrap_or(false));
            if in_use {
                bail!("{} already holds a database: restore into a new place, or move it away first", path.display());
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let partial = PathBuf::from(format!("{}.restoring", path.display()));
            std::fs::copy(dir.join(SQLITE_FILE), &partial)?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, &path)?;
        }
        Database::Postgres(url) => {
            if backend != "postgres" {
                bail!("this backup is of a {backend} database; the configuration names PostgreSQL");
            }
            report.backend = "postgres";
            let schema = match pg_schema {
                Some(s) => format!("'{}'", s.replace('\'', "''")),
                None => "current_schema()".into(),
            };
            let tables = run(
                Command::new("psql")
                    .args(["-X", "-tA", "-c"])
                    .arg(format!("SELECT count(*) FROM pg_tables WHERE schemaname = {schema}"))
                    .arg("--dbname")
                    .arg(&url),
                "psql",
            )?;
            if tables.trim() != "0" {
                bail!("the PostgreSQL database already holds tables: restore into an empty database");
            }
            run(
                Command::new("pg_restore")
                    .args(["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", "--dbname"])
                    .arg(&url)
                    .arg(dir.join(PG_FILE)),
                "pg_restore",
            )?;
        }
    }

    let files = crate::open_files(config)?;
    for (sum, path) in &entries {
        let Some(key) = path.strip_prefix("files/") else { continue };
        let file = std::fs::File::open(dir.join(path))?;
        // Read in pieces as the store takes them (a command: a blocking read is fine here).
        let body = futures_util::stream::unfold(file, |mut file| async move {
            let mut buf = vec![0u8; 256 * 1024];
            match file.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(bytes::Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        })
        .boxed();
        let saved = files.save(key, body, u64::MAX).await.map_err(|e| anyhow::anyhow!("storing {key}: {e}"))?;
        if &saved.sha256 != sum {
            bail!("{key} changed while it was restored");
        }
        report.files += 1;
        report.bytes += saved.size;
    }

    // Newer migrations apply to an older backup; the audit trail must be whole.
    let store = crate::open_store(config, clock.clone(), pg_schema.map(str::to_string)).await?;
    let app = crate::application(config, store.clone(), clock, None).await?;
    let check = app.verify_audit(&Actor::system()).await?;
    store.close().await;
    if let Some(b) = check.broken {
        bail!("restored, but the audit trail is broken at #{}: {}", b.seq, b.reason);
    }
    Ok(report)
}

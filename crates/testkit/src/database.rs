//! The database behind the application's back: statements run directly, every row compared,
//! empty places to restore into (tamper-evidence and backup tests).

use immovr::Config;

use crate::{PG_ENV, TestApp};

impl TestApp {
    /// Runs a statement on the database behind the application's back, as someone with access
    /// to the database (not to immovr) would: what tamper-evidence must show.
    pub async fn raw_sql(&self, sql: &str) -> u64 {
        match &self.pg_schema {
            None => {
                let path = self.config.data_dir.join("immovr.db");
                let conn = rusqlite::Connection::open(path).expect("the SQLite file");
                conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                conn.execute(sql, []).expect("the statement") as u64
            }
            Some(schema) => {
                use sqlx::Connection;
                let url = self.config.database_url.clone().expect("a PostgreSQL URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                sqlx::query(&format!("SET search_path TO {schema}")).execute(&mut conn).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.expect("the statement").rows_affected()
            }
        }
    }

    /// The server's configuration and its PostgreSQL schema (none on SQLite).
    pub fn config(&self) -> (&Config, Option<&str>) {
        (&self.config, self.pg_schema.as_deref())
    }

    /// A configuration naming an empty place beside this app's: a new data folder under `dir`
    /// and, on PostgreSQL, a new database (remove it with [`drop_place`]).
    pub async fn empty_place(&self, dir: &std::path::Path) -> Config {
        let mut config = self.config.clone();
        config.data_dir = dir.to_path_buf();
        if let Some(schema) = &self.pg_schema {
            use sqlx::Connection;
            let url = self.config.database_url.clone().expect("a PostgreSQL URL");
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
            let name = format!("{schema}_{}", rand::random::<u32>());
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a new database");
            let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((&url, String::new()));
            let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(base);
            config.database_url = Some(format!("{server}/{name}{query}"));
        }
        config
    }

    /// Every column of every table (as `table.column`) holding `needle` in some row, whatever
    /// the case: where a value still is in the database.
    pub async fn columns_containing(&self, needle: &str) -> std::collections::BTreeSet<String> {
        let mut found = std::collections::BTreeSet::new();
        match &self.pg_schema {
            None => {
                let conn = rusqlite::Connection::open(self.config.data_dir.join("immovr.db")).expect("the SQLite file");
                conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                for table in sqlite_names(&conn, SQLITE_TABLES) {
                    let columns = sqlite_names(&conn, &format!("SELECT name FROM pragma_table_info('{table}')"));
                    for column in columns {
                        let sql = format!(
                            "SELECT COUNT(*) FROM \"{table}\" WHERE instr(lower(CAST(\"{column}\" AS TEXT)), lower(?1)) > 0"
                        );
                        let n: i64 = conn.query_row(&sql, [needle], |r| r.get(0)).unwrap();
                        if n > 0 {
                            found.insert(format!("{table}.{column}"));
                        }
                    }
                }
            }
            Some(schema) => {
                use sqlx::Connection;
                let url = self.config.database_url.clone().expect("a PostgreSQL URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                let columns: Vec<(String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = $1",
                )
                .bind(schema)
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for (table, column) in columns {
                    let sql = format!(
                        "SELECT COUNT(*) FROM \"{schema}\".\"{table}\" WHERE strpos(lower(\"{column}\"::text), lower($1)) > 0"
                    );
                    let n: i64 = sqlx::query_scalar(&sql).bind(needle).fetch_one(&mut conn).await.unwrap();
                    if n > 0 {
                        found.insert(format!("{table}.{column}"));
                    }
                }
            }
        }
        found
    }

    /// Every row of every table of a database, as text, sorted: what two databases compare by.
    pub async fn table_rows(
        config: &Config,
        pg_schema: Option<&str>,
    ) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut tables = std::collections::BTreeMap::new();
        match pg_schema {
            None => {
                use rusqlite::types::ValueRef;
                let conn = rusqlite::Connection::open(config.data_dir.join("immovr.db")).expect("the SQLite file");
                let names = sqlite_names(&conn, SQLITE_TABLES);
                for name in names {
                    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
                    let width = stmt.column_count();
                    let mut rows: Vec<String> = stmt
                        .query_map([], |r| {
                            Ok((0..width)
                                .map(|i| match r.get_ref(i).unwrap() {
                                    ValueRef::Null => "NULL".to_string(),
                                    ValueRef::Integer(n) => n.to_string(),
                                    ValueRef::Real(f) => f.to_string(),
                                    ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                                    ValueRef::Blob(b) => hex::encode(b),
                                })
                                .collect::<Vec<_>>()
                                .join("|"))
                        })
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    rows.sort();
                    tables.insert(name, rows);
                }
            }
            Some(schema) => {
                use sqlx::{Connection, Row};
                let url = config.database_url.clone().expect("a PostgreSQL URL");
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
                let names: Vec<String> =
                    sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = $1")
                        .bind(schema)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                for name in names {
                    let rows = sqlx::query(&format!("SELECT t::text FROM \"{schema}\".\"{name}\" t"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    let mut rows: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
                    rows.sort();
                    tables.insert(name, rows);
                }
            }
        }
        tables
    }
}

/// Removes the database [`TestApp::empty_place`] made (PostgreSQL; nothing on SQLite).
pub async fn drop_place(config: &Config) {
    use sqlx::Connection;
    let (Some(url), Ok(admin_url)) = (&config.database_url, std::env::var(PG_ENV)) else { return };
    let Some(name) = url.split('?').next().and_then(|u| u.rsplit('/').next()) else { return };
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
    }
}

/// The tables of a SQLite database (its own left out).
const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";

/// The first column of a query's rows, as names (tables, columns).
fn sqlite_names(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    conn.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

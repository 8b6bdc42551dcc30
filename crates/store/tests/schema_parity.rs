//! The two migration folders (`migrations/sqlite`, `migrations/postgres`) are kept by hand, one
//! file per version in each: this applies both and compares the schemas they make — tables,
//! columns (type family, nullability, default), primary keys, indexes (columns, uniqueness,
//! partial predicate), foreign keys and the allowed values of CHECK constraints — and fails
//! when they drift.
//!
//! What differs by design and is read as the same:
//! - the identity column (`INTEGER PRIMARY KEY`, SQLite's rowid, against `BIGINT GENERATED …
//!   AS IDENTITY`): both are integers;
//! - SQLite's indexes end with the rowid, so a PostgreSQL index that ends with `id` on a table
//!   whose key is `id` is the same index (PostgreSQL adds it to read a client's or a period's
//!   rows newest first from the index alone); index names are not compared, their content is;
//! - collations (`COLLATE "C"` on PostgreSQL's search terms: byte order, SQLite's default).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

use immovr_store::{Db, Options};
use sqlx::Row as _;

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// name → (type family, not null, default)
    columns: BTreeMap<String, (String, bool, Option<String>)>,
    primary_key: Vec<String>,
    /// (columns, unique, predicate)
    indexes: BTreeSet<(Vec<String>, bool, Option<String>)>,
    /// (column, referenced table, referenced column)
    foreign_keys: BTreeSet<(String, String, String)>,
    /// column → allowed values
    checks: BTreeMap<String, BTreeSet<String>>,
}

type Schema = BTreeMap<String, Table>;

fn family(sql_type: &str) -> String {
    match sql_type.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" | "int" => "integer".into(),
        "text" | "character varying" => "text".into(),
        other => other.into(),
    }
}

/// A default or a predicate, without casts, quotes' types, parentheses and spacing.
fn normalize(expr: &str) -> String {
    let mut s = expr.to_ascii_lowercase();
    for cast in ["::text", "::bigint", "::integer", "::numeric"] {
        s = s.replace(cast, "");
    }
    s.chars().filter(|c| !c.is_whitespace() && *c != '(' && *c != ')').collect()
}

/// The quoted values of a CHECK's list: `kind IN ('a', 'b')` or `kind = ANY (ARRAY['a'::text, …])`.
fn check_values(def: &str) -> Option<(String, BTreeSet<String>)> {
    let body = def.trim_start_matches("CHECK").trim();
    // Only the CHECK's own parenthesised expression: a column defined after it (with a quoted
    // DEFAULT) is not part of it.
    let mut depth = 0;
    let end = body
        .char_indices()
        .find(|&(_, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth == 0 && c == ')'
        })
        .map_or(body.len(), |(i, _)| i + 1);
    let body = &body[..end];
    let column: String =
        body.trim_start_matches('(').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if column.is_empty() {
        return None;
    }
    let values: BTreeSet<String> = body.split('\'').skip(1).step_by(2).map(str::to_string).collect();
    Some((column, values))
}

/// SQLite's indexes end with the rowid; make that visible, so that they compare with
/// PostgreSQL's `(…, id)` ones.
fn with_row_id(mut columns: Vec<String>, unique: bool, table_has_id_key: bool) -> Vec<String> {
    if !unique && table_has_id_key && columns.last().map(String::as_str) != Some("id") {
        columns.push("id".into());
    }
    columns
}

fn sqlite_schema(path: &std::path::Path) -> Schema {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut schema = Schema::new();
    let tables: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in tables {
        let mut t = Table::default();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{name}\")")).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let column: String = r.get(1).unwrap();
            let ty: String = r.get(2).unwrap();
            let not_null: bool = r.get::<_, i64>(3).unwrap() != 0;
            let default: Option<String> = r.get(4).unwrap();
            let pk_pos: i64 = r.get(5).unwrap();
            if pk_pos > 0 {
                pk.push((pk_pos, column.clone()));
            }
            // A primary key column is never null, whether or not it says so.
            t.columns.insert(column, (family(&ty), not_null || pk_pos > 0, default.map(|d| normalize(&d))));
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        let id_key = t.primary_key == ["id"];
        let indexes: Vec<(String, bool, String, bool)> = conn
            .prepare(&format!("PRAGMA index_list(\"{name}\")"))
            .unwrap()
            .query_map([], |r| Ok((r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?, r.get::<_, i64>(4)? != 0)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<String> = conn
                .prepare(&format!("PRAGMA index_info(\"{index}\")"))
                .unwrap()
                .query_map([], |r| r.get(2))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let predicate = partial.then(|| {
                let sql: String =
                    conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [&index], |r| r.get(0)).unwrap();
                normalize(sql.split_once(" WHERE ").map(|(_, w)| w).unwrap_or(""))
            });
            t.indexes.insert((with_row_id(columns, unique, id_key), unique, predicate));
        }
        let mut stmt = conn.prepare(&format!("PRAGMA foreign_key_list(\"{name}\")")).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            t.foreign_keys.insert((r.get(3).unwrap(), r.get(2).unwrap(), r.get(4).unwrap()));
        }
        // CHECKs, from the table's definition (ALTER TABLE … ADD COLUMN appends to it).
        for part in sql.split("CHECK").skip(1) {
            if let Some((column, values)) = check_values(&format!("CHECK{part}").replace(" IN ", " ")) {
                t.checks.insert(column, values);
            }
        }
        schema.insert(name, t);
    }
    schema
}

async fn postgres_schema(url: &str, schema_name: &str) -> Schema {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text, \
         is_identity::text FROM information_schema.columns WHERE table_schema = $1 AND table_name <> '_sqlx_migrations'",
    )
    .bind(schema_name)
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in columns {
        let table: String = r.get(0);
        let identity = r.get::<String, _>(5) == "YES";
        let default: Option<String> = r.get(4);
        schema.entry(table).or_default().columns.insert(
            r.get(1),
            (
                family(&r.get::<String, _>(2)),
                r.get::<String, _>(3) == "NO",
                if identity { None } else { default.map(|d| normalize(&d)) },
            ),
        );
    }
    let constraints = sqlx::query(
        "SELECT c.conrelid::regclass::text, c.contype::text, pg_get_constraintdef(c.oid), \
         ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), \
         ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) \
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), \
         c.confrelid::regclass::text \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1",
    )
    .bind(schema_name)
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in constraints {
        let table: String = r.get(0);
        let Some(t) = schema.get_mut(unqualified(&table)) else { continue };
        let columns: Vec<String> = r.get(3);
        match r.get::<String, _>(1).as_str() {
            "p" => t.primary_key = columns,
            "f" => {
                let to: Vec<String> = r.get(4);
                let to_table: String = r.get(5);
                t.foreign_keys.insert((columns[0].clone(), unqualified(&to_table).to_string(), to[0].clone()));
            }
            "c" => {
                if let Some((column, values)) = check_values(&r.get::<String, _>(2)) {
                    t.checks.insert(column, values);
                }
            }
            _ => {} // unique constraints are compared as the indexes they make
        }
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text, i.indisunique, i.indisprimary, pg_get_expr(i.indpred, i.indrelid), \
         ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o) \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = $1 AND t.relname <> '_sqlx_migrations'",
    )
    .bind(schema_name)
    .fetch_all(&pool)
    .await
    .unwrap();
    for r in indexes {
        let table: String = r.get(0);
        let (unique, primary): (bool, bool) = (r.get(1), r.get(2));
        if primary {
            continue;
        }
        let predicate: Option<String> = r.get(3);
        let t = schema.get_mut(&table).unwrap();
        let id_key = t.primary_key == ["id"];
        t.indexes.insert((with_row_id(r.get(4), unique, id_key), unique, predicate.map(|p| normalize(&p))));
    }
    sqlx::query(&format!("DROP SCHEMA \"{schema_name}\" CASCADE")).execute(&pool).await.unwrap();
    pool.close().await;
    schema
}

#[tokio::test]
async fn the_sqlite_and_postgresql_migrations_make_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parity.db");
    let lite =
        Db::connect(&Options { url: format!("sqlite://{}", path.display()), max_connections: 2, pg_schema: None })
            .await
            .unwrap();
    lite.migrate().await.unwrap();
    lite.close().await;
    let sqlite = sqlite_schema(&path);
    assert!(sqlite.len() > 20, "{} tables", sqlite.len());
    assert!(sqlite["quotes"].checks["status"].contains("superseded"), "CHECKs read: {:?}", sqlite["quotes"].checks);

    let Ok(url) = std::env::var("IMMOVR_TEST_DATABASE_URL") else {
        let _ = writeln!(std::io::stderr(), "\n!!! migration parity SKIPPED: IMMOVR_TEST_DATABASE_URL is not set !!!");
        return;
    };
    let schema_name = format!("parity_{:016x}", rand_suffix());
    let pg = Db::connect(&Options { url: url.clone(), max_connections: 2, pg_schema: Some(schema_name.clone()) })
        .await
        .unwrap();
    pg.migrate().await.unwrap();
    pg.close().await;
    let postgres = postgres_schema(&url, &schema_name).await;

    let names = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&sqlite), names(&postgres), "the same tables");
    let mut drift = Vec::new();
    for (name, lite) in &sqlite {
        let pg = &postgres[name];
        if lite != pg {
            drift.push(format!("table {name}:\n  sqlite:     {lite:?}\n  postgresql: {pg:?}"));
        }
    }
    assert!(drift.is_empty(), "the migrations drifted apart:\n{}", drift.join("\n"));
}

/// `schema.table` (regclass outside the search path) → `table`.
fn unqualified(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim_matches('"')
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

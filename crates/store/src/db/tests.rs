//! The SQLite connections' rules.

use super::*;

/// A read may run on the writer connection (warm cache) but stays a read, and leaves the
/// connection writable for the next write; a read while the writer is busy goes elsewhere.
#[tokio::test]
async fn a_read_on_the_writer_cannot_write_and_leaves_it_writable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = Db::connect(&Options { url, max_connections: 2, pg_schema: None }).await.unwrap();
    let mut w = db.write().await.unwrap();
    w.exec("CREATE TABLE t (v INTEGER)", vec![]).await.unwrap();
    w.commit().await.unwrap();

    let mut r = db.read().await.unwrap();
    assert!(r.exec("INSERT INTO t (v) VALUES (1)", vec![]).await.is_err(), "a read must not write");
    drop(r);
    let mut w = db.write().await.unwrap();
    w.exec("INSERT INTO t (v) VALUES (2)", vec![]).await.unwrap();
    // Meanwhile a read still answers (from a reader connection), without waiting.
    let mut r = tokio::time::timeout(Duration::from_secs(1), db.read()).await.expect("no wait").unwrap();
    assert_eq!(r.one("SELECT COUNT(*) AS n FROM t", vec![]).await.unwrap().i64("n").unwrap(), 0);
    drop(r);
    w.commit().await.unwrap();
    let mut r = db.read().await.unwrap();
    assert_eq!(r.one("SELECT SUM(v) AS n FROM t", vec![]).await.unwrap().i64("n").unwrap(), 2);
}

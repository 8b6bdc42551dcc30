//! The connections' rules: SQLite's writer and readers, PostgreSQL's pipelining.

use super::*;

/// A PostgreSQL database in a schema of its own (`prefix`, made unique), with at most
/// `connections` connections; `None`, said loudly, without `IMMOVR_TEST_DATABASE_URL`.
pub(crate) async fn postgres(prefix: &str, connections: u32) -> Option<(Db, String)> {
    let Ok(url) = std::env::var("IMMOVR_TEST_DATABASE_URL") else {
        // Past the harness's capture, so it is seen (CI sets the variable).
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "\n!!! PostgreSQL test SKIPPED: IMMOVR_TEST_DATABASE_URL is not set !!!");
        return None;
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("{prefix}_{}_{nanos}", std::process::id());
    let options = Options { url, max_connections: connections, pg_schema: Some(schema.clone()) };
    Some((Db::connect(&options).await.unwrap(), schema))
}

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

/// PostgreSQL's pipelining (see `pg`): a statement sent later fails the transaction where it
/// shows, at the next statement or the commit; a transaction dropped halfway — its request
/// cancelled after its `BEGIN` went out — is rolled back, and its connection comes back to the
/// pool without it. Needs `IMMOVR_TEST_DATABASE_URL`, like the rest of the PostgreSQL suite.
#[tokio::test]
async fn postgres_pipelining_keeps_each_transaction_whole() {
    // One connection: whatever a transaction leaves on it, the next one meets.
    let Some((db, schema)) = postgres("t_pipeline", 1).await else { return };
    let mut w = db.write().await.unwrap();
    w.exec("CREATE TABLE t (v BIGINT PRIMARY KEY)", vec![]).await.unwrap();
    w.commit().await.unwrap();
    async fn values(db: &Db) -> Vec<i64> {
        let mut r = db.read().await.unwrap();
        // No transaction left open on the connection: VACUUM runs only outside one.
        r.exec("VACUUM t", vec![]).await.expect("a transaction was left open on the connection");
        let rows = r.all("SELECT v FROM t ORDER BY v", vec![]).await.unwrap();
        rows.iter().map(|row| row.i64("v").unwrap()).collect()
    }

    // Sent with the commit: the duplicate fails it, and nothing of it stays.
    let mut w = db.write().await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![1]).await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![1]).await.unwrap();
    assert!(matches!(w.commit().await, Err(DbError::Unique(_))));
    assert_eq!(values(&db).await, Vec::<i64>::new());

    // Sent with the next statement: its failure is that statement's.
    let mut w = db.write().await.unwrap();
    w.exec("INSERT INTO t (v) VALUES ($1)", args![2]).await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![2]).await.unwrap();
    assert!(matches!(w.all("SELECT v FROM t", vec![]).await, Err(DbError::Unique(_))));
    drop(w);
    assert_eq!(values(&db).await, Vec::<i64>::new());

    // Dropped after its first statement went out (a client that hung up): rolled back.
    let mut w = db.write().await.unwrap();
    // Polled once — which sends it — then dropped before its answer.
    let sent = futures_util::FutureExt::now_or_never(w.exec("INSERT INTO t (v) VALUES ($1)", args![3]));
    assert!(sent.is_none(), "the statement was cut short");
    drop(w);
    assert_eq!(values(&db).await, Vec::<i64>::new());

    // Dropped before anything went out: nothing to undo.
    let mut w = db.write().await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![4]).await.unwrap();
    drop(w);
    assert_eq!(values(&db).await, Vec::<i64>::new());

    // And a whole one: statements, later ones and the commit, in their order.
    let mut w = db.write().await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![5]).await.unwrap();
    assert_eq!(w.exec("UPDATE t SET v = v + 1 WHERE v = $1", args![5]).await.unwrap(), 1);
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![7]).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(values(&db).await, vec![6, 7]);

    // Refused before anything went out (a parameter missing): the transaction has failed, and
    // nothing after it runs — not even outside a transaction.
    let mut w = db.write().await.unwrap();
    w.exec_later("INSERT INTO t (v) VALUES ($1)", args![8]).await.unwrap();
    assert!(w.exec("INSERT INTO t (v) VALUES ($1)", vec![]).await.is_err(), "a parameter is missing");
    assert!(w.exec("INSERT INTO t (v) VALUES ($1)", args![9]).await.is_err(), "the transaction failed");
    assert!(w.commit().await.is_err());
    assert_eq!(values(&db).await, vec![6, 7]);
    db.drop_schema(&schema).await;
}

/// Reads sent together (`Tx::all_together`) or later (`Tx::all_later`) run where they stand in
/// the transaction's order, on both databases: a read behind a write sees it, a read queued
/// before a write does not, and a read behind a locking read sees what the lock waited for.
#[tokio::test]
async fn reads_sent_together_or_later_keep_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = Db::connect(&Options { url, max_connections: 2, pg_schema: None }).await.unwrap();
    reads_keep_their_place(&db).await;
    // Three connections: the lock's holder, its waiter, and one to watch them.
    let Some((db, schema)) = postgres("t_later", 3).await else { return };
    reads_keep_their_place(&db).await;

    // Behind a locking read, in the same round trip: the second read runs once the lock is
    // granted, and sees what the transaction holding it committed meanwhile.
    let mut holder = db.write().await.unwrap();
    holder.exec("UPDATE t SET v = v WHERE v = $1", args![1]).await.unwrap();
    let db2 = db.clone();
    let waiter = tokio::spawn(async move {
        let mut w = db2.write().await.unwrap();
        let [locked, after] = w
            .all_together([
                ("SELECT v FROM t WHERE v = $1 FOR UPDATE", args![1]),
                ("SELECT COUNT(*) AS n FROM t", vec![]),
            ])
            .await
            .unwrap();
        w.commit().await.unwrap();
        (locked.len(), after[0].i64("n").unwrap())
    });
    // Wait until the waiter's locking read is really blocked on the server: only then can the
    // holder's insert come before the waiter's second read.
    let mut blocked = false;
    for _ in 0..200 {
        let mut r = db.read().await.unwrap();
        let n = r
            .one(
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE 'SELECT v FROM t WHERE v = $1 FOR UPDATE%'",
                vec![],
            )
            .await
            .unwrap()
            .i64("n")
            .unwrap();
        drop(r);
        if n > 0 {
            blocked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(blocked && !waiter.is_finished(), "the locking read waits for the lock");
    holder.exec("INSERT INTO t (v) VALUES ($1)", args![100]).await.unwrap();
    holder.commit().await.unwrap();
    let (locked, count) = waiter.await.unwrap();
    assert_eq!(locked, 1);
    assert_eq!(count, 4, "the read behind the lock sees what was committed while it waited");
    db.drop_schema(&schema).await;
}

async fn reads_keep_their_place(db: &Db) {
    let mut w = db.write().await.unwrap();
    w.exec("CREATE TABLE t (v BIGINT PRIMARY KEY)", vec![]).await.unwrap();
    w.exec("INSERT INTO t (v) VALUES ($1)", args![1]).await.unwrap();
    w.commit().await.unwrap();

    let mut w = db.write().await.unwrap();
    // Together: the count is read after the insert.
    let [inserted, count] = w
        .all_together([
            ("INSERT INTO t (v) VALUES ($1) RETURNING v", args![2]),
            ("SELECT COUNT(*) AS n FROM t", vec![]),
        ])
        .await
        .unwrap();
    assert_eq!(inserted[0].i64("v").unwrap(), 2);
    assert_eq!(count[0].i64("n").unwrap(), 2);
    // Later: read where it stands, before the insert that follows it.
    let before = w.all_later("SELECT MAX(v) AS m FROM t", vec![]).await.unwrap();
    w.exec("INSERT INTO t (v) VALUES ($1)", args![3]).await.unwrap();
    let after = w.all_later("SELECT MAX(v) AS m FROM t", vec![]).await.unwrap();
    assert_eq!(w.take(before).await.unwrap()[0].i64("m").unwrap(), 2);
    // Not sent yet: taking it sends it.
    assert_eq!(w.take(after).await.unwrap()[0].i64("m").unwrap(), 3);
    w.commit().await.unwrap();

    // A later read that fails fails the transaction, where it shows at the latest.
    let mut w = db.write().await.unwrap();
    let dup = w.all_later("INSERT INTO t (v) VALUES ($1) RETURNING v", args![3]).await;
    let failed = match dup {
        Err(e) => Err(e),
        Ok(later) => match w.exec("INSERT INTO t (v) VALUES ($1)", args![4]).await {
            Err(e) => Err(e),
            Ok(_) => w.take(later).await.map(drop),
        },
    };
    assert!(matches!(failed, Err(DbError::Unique(_))), "{failed:?}");
    drop(w);
    let mut r = db.read().await.unwrap();
    assert_eq!(r.one("SELECT COUNT(*) AS n FROM t", vec![]).await.unwrap().i64("n").unwrap(), 3);
}

//! The binary as an operator uses it: migrate, add a staff user, create a token, serve, answer
//! with that token, and stop cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn immovr(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_immovr"));
    c.env_remove("DATABASE_URL").env("IMMOVR_DATA_DIR", data).env("RUST_LOG", "warn");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn get(port: u16, path: &str, token: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// A server stopped however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn operator_commands_and_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let out = immovr(&data).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(data.join("immovr.db").exists());

    let out = immovr(&data)
        .args(["user", "add", "--email", "Ops@Studio.example", "--name", "Ops", "--role", "sales,accounting"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ops@studio.example") && stdout.contains("password: "), "{stdout}");
    let dup = immovr(&data)
        .args(["user", "add", "--email", "ops@studio.example", "--name", "Ops", "--role", "sales"])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    let bad_role = immovr(&data)
        .args(["user", "add", "--email", "x@studio.example", "--name", "X", "--role", "boss"])
        .output()
        .unwrap();
    assert!(!bad_role.status.success());

    let out = immovr(&data).args(["token", "create", "--email", "ops@studio.example"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("imvt_"), "{token}");

    let port = free_port();
    let mut server = immovr(&data)
        .arg("serve")
        .env("IMMOVR_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ready = get(port, "/readyz", "");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    let clients = get(port, "/api/v1/clients", &token);
    assert!(
        clients.starts_with("HTTP/1.1 200") && clients.ends_with(r#"{"items":[],"next_cursor":null}"#),
        "{clients}"
    );
    let denied = get(port, "/api/v1/audit", &token);
    assert!(denied.starts_with("HTTP/1.1 403"), "sales+accounting is not admin: {denied}");

    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let logs: Vec<String> = BufReader::new(server.stderr.take().unwrap()).lines().map_while(Result::ok).collect();
    assert!(logs.iter().any(|l| l.contains("shutting down")), "{logs:?}");

    // The retention policy: listed without a change, then applied (nothing is old enough).
    let out = immovr(&data).args(["retention", "--dry-run"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said} {}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("prospects would be erased: 0 []") && said.contains("36 months"), "{said}");
    let out = immovr(&data).args(["retention"]).env("IMMOVR_RETENTION_ACCOUNTING_YEARS", "5").output().unwrap();
    assert!(!out.status.success(), "a period shorter than the law's is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("invoices are kept 10 years at least"));
    let out = immovr(&data).args(["retention"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("former clients erased: 0"), "{out:?}");

    // The audit trail: intact, then edited behind immovr's back.
    let out = immovr(&data).args(["audit", "verify"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("audit trail intact"),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(data.join("immovr.db")).unwrap();
    let id: i64 = db.query_row("SELECT id FROM audit_events WHERE seq = 1", [], |r| r.get(0)).unwrap();
    db.execute("UPDATE audit_events SET actor = 'someone else' WHERE id = ?1", [id]).unwrap();
    let out = immovr(&data).args(["audit", "verify"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a broken chain is an error");
    assert!(said.contains(&format!("broken at #1 (audit event id {id})")), "{said}");
}

/// SQLite shared by the server and the operator's commands: while the server takes a steady
/// stream of writes, `user add` and `token create` run again and again. Writers wait for each
/// other (`BEGIN IMMEDIATE`, a busy timeout): no command fails, no request gets a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_the_server_share_the_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = immovr(&data)
        .args(["user", "add", "--email", "load@studio.example", "--name", "Load", "--role", "admin"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = immovr(&data).args(["token", "create", "--email", "load@studio.example"]).output().unwrap();
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();

    let port = free_port();
    let server = immovr(&data)
        .arg("serve")
        .env("IMMOVR_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _server = KillOnDrop(server);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The load: clients created and quotes drafted, four at a time, until the commands are done.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let http = reqwest::Client::new();
    let mut load = Vec::new();
    for worker in 0..4 {
        let (http, token, done) = (http.clone(), token.clone(), done.clone());
        let base = format!("http://127.0.0.1:{port}/api/v1");
        load.push(tokio::spawn(async move {
            let (mut sent, mut server_errors) = (0, Vec::new());
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let client = serde_json::json!({"client": {"kind": "person", "name": "Charge",
                    "email": format!("load-{worker}-{n}@client.example")}});
                let res = http.post(format!("{base}/clients")).bearer_auth(&token).json(&client).send().await.unwrap();
                let status = res.status();
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                if status.is_server_error() {
                    server_errors.push(body.to_string());
                    continue;
                }
                let quote = serde_json::json!({"client_id": body["id"], "title": "Charge", "lines": [{"description": "Rendu",
                    "quantity": "1", "unit": "image", "unit_price": "100", "vat_rate": "20"}]});
                let res = http.post(format!("{base}/quotes")).bearer_auth(&token).json(&quote).send().await.unwrap();
                if res.status().is_server_error() {
                    server_errors.push(res.text().await.unwrap_or_default());
                }
                sent += 2;
            }
            (sent, server_errors)
        }));
    }

    let mut failures = Vec::new();
    let commands = tokio::task::spawn_blocking(move || {
        for i in 0..20 {
            let email = format!("ops{i}@studio.example");
            let add = immovr(&data)
                .args(["user", "add", "--email", &email, "--name", "Ops", "--role", "sales"])
                .output()
                .unwrap();
            if !add.status.success() {
                failures.push(format!("user add: {}", String::from_utf8_lossy(&add.stderr)));
            }
            let token = immovr(&data).args(["token", "create", "--email", &email]).output().unwrap();
            if !token.status.success() {
                failures.push(format!("token create: {}", String::from_utf8_lossy(&token.stderr)));
            }
        }
        failures
    });
    let failures = commands.await.unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);

    // And a writer that holds the lock for a while (another process's long transaction): the
    // command and the server wait for it, then succeed.
    let db = rusqlite::Connection::open(dir.path().join("data/immovr.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let waiting = Instant::now();
    let data = dir.path().join("data");
    let command = std::thread::spawn(move || {
        immovr(&data).args(["token", "create", "--email", "ops0@studio.example"]).output().unwrap()
    });
    let request = http
        .post(format!("http://127.0.0.1:{port}/api/v1/clients"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"client": {"kind": "person", "name": "Patient", "email": "patient@client.example"}}))
        .send();
    let release = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        db.execute_batch("COMMIT").unwrap();
    };
    let (response, ()) = tokio::join!(request, release);
    let response = response.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED, "{:?}", response.text().await);
    let out = command.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(waiting.elapsed() >= Duration::from_millis(1500), "both waited for the lock");
    let mut requests = 0;
    for worker in load {
        let (sent, server_errors) = worker.await.unwrap();
        assert!(server_errors.is_empty(), "server errors under a second process: {server_errors:?}");
        requests += sent;
    }
    assert!(failures.is_empty(), "commands failed while the server wrote: {failures:?}");
    assert!(requests > 40, "the server was under load meanwhile ({requests} writes)");
}

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
}

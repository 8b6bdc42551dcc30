//! moto's S3-compatible server, for the file-store tests.

use std::io::Write as _;

/// A local S3-compatible server for the file-store tests: moto's server, from
/// `IMMOVR_TEST_MOTO` (the `moto_server` program; `scripts/test` installs it). Stopped on drop.
pub struct S3Server {
    pub endpoint: String,
    child: std::process::Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const MOTO_ENV: &str = "IMMOVR_TEST_MOTO";

/// Starts the S3 server with one bucket, or says loudly why the S3 test is skipped.
pub async fn s3_server(bucket: &str) -> Option<S3Server> {
    let Ok(program) = std::env::var(MOTO_ENV) else {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! S3 test SKIPPED: {MOTO_ENV} is not set (scripts/test installs moto's S3 server) !!!"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = std::process::Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto_server");
    let server = S3Server { endpoint: format!("http://127.0.0.1:{port}"), child };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.put(format!("{}/{bucket}", server.endpoint)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Some(server);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the S3 server did not start");
}

//! A small SMTP server for the tests: it speaks enough of RFC 5321 (EHLO, STARTTLS, AUTH PLAIN,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT) for lettre to deliver real messages over TCP, keeps every
//! message it accepts with its envelope, and can be stopped and started again on the same port
//! (to check that nothing is lost or sent twice when the mail server goes away). With
//! `start_tls`, it offers STARTTLS with a certificate from a test authority (`ca_pem`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// A message as received: envelope and raw bytes (RFC 5322).
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The user of `AUTH PLAIN`, if the client authenticated.
    pub user: Option<String>,
    /// Whether the message came over TLS (after STARTTLS).
    pub tls: bool,
    pub data: Vec<u8>,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A certificate authority made for the test, and the server's certificate for 127.0.0.1.
struct TestTls {
    ca_pem: String,
    acceptor: TlsAcceptor,
}

fn test_tls() -> TestTls {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .unwrap();
    TestTls { ca_pem: ca.pem(), acceptor: TlsAcceptor::from(Arc::new(config)) }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    server: Option<tokio::task::JoinHandle<()>>,
    tls: Option<Arc<TestTls>>,
}

impl SmtpSink {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP sink");
        let addr = listener.local_addr().unwrap();
        let mut sink = SmtpSink { addr, received: Arc::default(), server: None, tls: None };
        sink.serve(listener);
        sink
    }

    /// Starts with STARTTLS offered (and its certificate signed by a test authority).
    pub async fn start_tls() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP sink");
        let addr = listener.local_addr().unwrap();
        let mut sink = SmtpSink { addr, received: Arc::default(), server: None, tls: Some(Arc::new(test_tls())) };
        sink.serve(listener);
        sink
    }

    /// The test authority's certificate (PEM), for the client to trust.
    pub fn ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|t| t.ca_pem.clone())
    }

    /// `smtp://user:pass@127.0.0.1:port`: plain SMTP with authentication.
    pub fn url(&self) -> String {
        format!("smtp://immovr:sink-password@{}", self.addr)
    }

    fn serve(&mut self, listener: TcpListener) {
        let received = self.received.clone();
        let tls = self.tls.clone();
        self.server = Some(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            // Dropping the JoinSet (when this task is aborted) closes every open connection.
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(session(stream, received.clone(), tls.clone()));
            }
        }));
    }

    /// Stops listening and drops the open connections: the mail server is down.
    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
            let _ = s.await;
        }
    }

    /// Starts again on the same port.
    pub async fn restart(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebinding the SMTP sink on {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}

async fn session(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>, tls: Option<Arc<TestTls>>) {
    // Replies go out at once (no Nagle delay waiting for the client's delayed acknowledgement).
    let _ = stream.set_nodelay(true);
    let mut io: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(stream));
    let mut secure = false;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut user = None;
    if io.write_all(b"220 immovr-test-sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match io.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            if tls.is_some() && !secure {
                b"250-immovr-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
            } else {
                b"250-immovr-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN\r\n"
            }
        } else if upper == "STARTTLS" && !secure && tls.is_some() {
            if io.write_all(b"220 2.0.0 Ready to start TLS\r\n").await.is_err() {
                return;
            }
            let acceptor = tls.as_ref().unwrap().acceptor.clone();
            match acceptor.accept(io.into_inner()).await {
                Ok(s) => io = BufReader::new(Box::new(s)),
                Err(_) => return,
            }
            secure = true;
            // RFC 3207: the client starts over with EHLO.
            from.clear();
            to.clear();
            user = None;
            continue;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("AUTH PLAIN") {
            let token = command.split_whitespace().nth(2).unwrap_or("");
            let decoded = base64::engine::general_purpose::STANDARD.decode(token).unwrap_or_default();
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            if parts.len() == 3 && parts[2] == b"sink-password" {
                user = Some(String::from_utf8_lossy(parts[1]).to_string());
                b"235 2.7.0 Authentication successful\r\n"
            } else {
                b"535 5.7.8 Authentication credentials invalid\r\n"
            }
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(['<', '>']).split_whitespace().next().unwrap_or("").to_string();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if io.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                return;
            }
            let mut data = Vec::new();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match io.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if buf == b".\r\n" {
                    break;
                }
                // Dot-stuffing (RFC 5321 §4.5.2).
                let content = if buf.starts_with(b"..") { &buf[1..] } else { &buf[..] };
                data.extend_from_slice(content);
            }
            let message = Received { from: from.clone(), to: to.clone(), user: user.clone(), tls: secure, data };
            received.lock().unwrap().push(message);
            b"250 OK: queued\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = io.write_all(b"221 Bye\r\n").await;
            let _ = io.flush().await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if io.write_all(reply).await.is_err() || io.flush().await.is_err() {
            return;
        }
    }
}

//! Where emails go: an SMTP server (lettre, with TLS or STARTTLS and authentication as the URL
//! says), or `.eml` files in a folder (the default: the demo needs no mail server).

use std::path::{Path, PathBuf};

use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::NotifyError;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Transport {
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS), or
    /// `smtp://host:25` (plain, local relays and tests). `extra_ca_pem`: an authority to trust
    /// besides the system's (a relay with a private certificate authority).
    pub fn smtp(url: &str, extra_ca_pem: Option<&[u8]>) -> Result<Transport, NotifyError> {
        let err = |e: &dyn std::fmt::Display| NotifyError::Send(format!("SMTP URL: {e}"));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| err(&e))?;
        if let Some(pem) = extra_ca_pem {
            let parsed = url::Url::parse(url).map_err(|e| err(&e))?;
            let host = parsed.host_str().ok_or_else(|| err(&"no host"))?.trim_matches(['[', ']']).to_string();
            let cert = Certificate::from_pem(pem).map_err(|e| NotifyError::Send(format!("smtp_ca_file: {e}")))?;
            let params = TlsParameters::builder(host)
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(|e| NotifyError::Send(format!("TLS: {e}")))?;
            let mode = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_string());
            let tls = match (parsed.scheme(), mode.as_deref()) {
                ("smtps", _) => Tls::Wrapper(params),
                (_, Some("required")) => Tls::Required(params),
                (_, Some("opportunistic")) => Tls::Opportunistic(params),
                _ => return Err(err(&"a certificate authority needs smtps:// or ?tls=required")),
            };
            builder = builder.tls(tls);
        }
        Ok(Transport::Smtp(builder.timeout(Some(std::time::Duration::from_secs(30))).build()))
    }

    pub fn files(dir: PathBuf) -> Transport {
        Transport::Files(dir)
    }

    /// Sends one message. `name` names the file of the `.eml` transport (the same message
    /// sent again overwrites its file).
    pub async fn send(&self, message: &Message, name: &str) -> Result<(), NotifyError> {
        match self {
            Transport::Smtp(_) => self.send_formatted(message.envelope(), &message.formatted()).await,
            Transport::Files(dir) => {
                let (dir, name, bytes) = (dir.clone(), name.to_string(), message.formatted());
                tokio::task::spawn_blocking(move || Transport::write_eml(&dir, &name, &bytes))
                    .await
                    .map_err(|e| NotifyError::Send(e.to_string()))?
            }
        }
    }

    /// The folder of the `.eml` transport, to write a message in with [`Transport::write_eml`]
    /// on the caller's thread (the email worker's, at a lower priority than requests).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Transport::Files(dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// Writes a formatted message as `name.eml` in `dir`, whole or not at all (written aside,
    /// then renamed).
    pub fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), NotifyError> {
        let err = |e: std::io::Error| NotifyError::Send(e.to_string());
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).map_err(err)?;
        std::fs::rename(&tmp, dir.join(format!("{name}.eml"))).map_err(err)
    }

    /// Sends a message composed and formatted beforehand (see [`Transport::folder`] for files).
    pub async fn send_formatted(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), NotifyError> {
        match self {
            Transport::Smtp(t) => {
                t.send_raw(envelope, bytes).await.map(|_| ()).map_err(|e| NotifyError::Send(e.to_string()))
            }
            Transport::Files(_) => Err(NotifyError::Send("a folder of emails is written with write_eml".into())),
        }
    }
}

//! Where emails go: an SMTP server (lettre, with TLS or STARTTLS and authentication as the URL
//! says), or `.eml` files in a folder (the default: the demo needs no mail server).

use std::path::PathBuf;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::NotifyError;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Transport {
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS), or
    /// `smtp://host:25` (plain, local relays and tests).
    pub fn smtp(url: &str) -> Result<Transport, NotifyError> {
        let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| NotifyError::Send(format!("SMTP URL: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Transport::Smtp(t))
    }

    pub fn files(dir: PathBuf) -> Transport {
        Transport::Files(dir)
    }

    /// Sends one message. `name` names the file of the `.eml` transport (the same message
    /// sent again overwrites its file).
    pub async fn send(&self, message: &Message, name: &str) -> Result<(), NotifyError> {
        match self {
            Transport::Smtp(t) => {
                t.send(message.clone()).await.map(|_| ()).map_err(|e| NotifyError::Send(e.to_string()))
            }
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| NotifyError::Send(e.to_string()))?;
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, message.formatted()).await.map_err(|e| NotifyError::Send(e.to_string()))?;
                tokio::fs::rename(&tmp, dir.join(format!("{name}.eml")))
                    .await
                    .map_err(|e| NotifyError::Send(e.to_string()))
            }
        }
    }
}

//! The transmission worker: submits the invoices and credit notes queued for the studio's
//! approved platform (PA) as soon as they commit, and reads the platform's acknowledgements
//! every minute, and makes each ended period's e-reporting (see `immovr_app::platform` and
//! `immovr_app::ereporting`). Idle when no platform is configured.

use std::sync::Arc;
use std::time::Duration;

use immovr_app::App;
use immovr_app::live::LiveFeed;

/// How often the platform's acknowledgements are read.
const FOLLOW_EVERY: Duration = Duration::from_secs(60);

pub struct Transmitter {
    pub app: Arc<App>,
    /// First retry delay; doubled at each attempt (capped at six hours).
    pub retry_base: Duration,
    pub max_attempts: i64,
}

impl Transmitter {
    pub async fn run(self: Arc<Self>, live: LiveFeed) {
        if self.app.platform_name().is_none() {
            return;
        }
        let mut changes = live.subscribe();
        let mut followed: Option<std::time::Instant> = None;
        // The last day the e-reporting was made for: a period ends at most once a day.
        let mut reported: Option<jiff::civil::Date> = None;
        loop {
            while self.app.transmit_due(self.retry_base, self.max_attempts).await
                >= immovr_app::platform::BATCH as usize
            {}
            if followed.is_none_or(|t| t.elapsed() >= FOLLOW_EVERY) {
                match self.app.follow_platform().await {
                    Ok(n) if n > 0 => tracing::info!(acknowledged = n, "platform acknowledgements read"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reading the platform's acknowledgements"),
                }
                // An ended period's e-reporting, once a day (tried again next minute on error).
                let today = self.app.today();
                if reported != Some(today) {
                    match self.app.ereport_due().await {
                        Ok(made) => {
                            if !made.is_empty() {
                                tracing::info!(reports = made.len(), "e-reporting queued");
                            }
                            reported = Some(today);
                        }
                        Err(e) => tracing::warn!(error = %e, "making the e-reporting"),
                    }
                }
                followed = Some(std::time::Instant::now());
            }
            let change = tokio::time::timeout(Duration::from_secs(2), changes.recv()).await;
            if let Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) = change {
                return;
            }
        }
    }
}

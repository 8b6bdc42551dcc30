//! immovr's application layer: the use cases of the quote-to-cash journey. Each is one method of
//! [`App`], grouped by area (`quotes`, `orders`, `billing`, `accounts`, `auth`, `requests`,
//! `messages`, `outbox`, `settings`, `uploads`): it checks who asks and what, applies
//! `immovr_core::rules`, calls the ports it needs (`ports`) and commits once — the change, its
//! audit event and its notifications together. The web layer (API and pages) and the workers call
//! them, never the adapters.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod documents;
pub mod ereporting;
pub mod idempotency;
pub mod legal;
pub mod live;
pub mod messages;
pub mod orders;
pub mod outbox;
pub mod platform;
pub mod ports;
pub mod privacy;
pub mod quotes;
pub mod requests;
pub mod retention;
pub mod settings;
mod support;
pub mod tokens;
pub mod uploads;
pub mod withdrawal;

use std::sync::Arc;

use immovr_core::ports::today;
use immovr_core::{Clock, Result};
use jiff::Timestamp;
use jiff::civil::Date;

pub use documents::{Documents, Pdf};
use ports::{Database, Tx};

/// The application: its ports, wired once by the binary. Shared as `Arc<App>`.
pub struct App {
    db: Arc<dyn Database>,
    files: Arc<dyn ports::FileStore>,
    clock: Arc<dyn Clock>,
    executor: Arc<dyn ports::Executor>,
    documents: Arc<Documents>,
    /// Password hashing and checking: at most one per core at a time.
    hashing: Arc<tokio::sync::Semaphore>,
    /// How long a login session lasts.
    session_hours: i64,
    /// The studio's approved e-invoicing platform, when one is configured.
    platform: Option<Arc<dyn ports::InvoicePlatform>>,
    /// Writes the reform's lifecycle messages and e-reporting reports.
    reform: Arc<dyn ports::ReformWriter>,
    /// The platform's registration number (e-reporting's sender), when known.
    platform_registration: Option<String>,
}

/// The adapters an [`App`] runs on.
pub struct Adapters {
    pub db: Arc<dyn Database>,
    pub files: Arc<dyn ports::FileStore>,
    pub renderer: Arc<dyn ports::DocumentRenderer>,
    pub executor: Arc<dyn ports::Executor>,
    pub clock: Arc<dyn Clock>,
    pub session_hours: i64,
    pub platform: Option<Arc<dyn ports::InvoicePlatform>>,
    pub reform: Arc<dyn ports::ReformWriter>,
    pub platform_registration: Option<String>,
}

impl App {
    pub fn new(a: Adapters) -> App {
        let documents =
            Arc::new(Documents::new(a.renderer, a.db.clone(), a.files.clone(), a.clock.clone(), a.executor.clone()));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        App {
            db: a.db,
            files: a.files,
            clock: a.clock,
            executor: a.executor,
            documents,
            hashing: Arc::new(tokio::sync::Semaphore::new(cores)),
            session_hours: a.session_hours,
            platform: a.platform,
            reform: a.reform,
            platform_registration: a.platform_registration,
        }
    }

    /// The same application seen through another clock (the demo seeds past events with it).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        App {
            db: self.db.clone(),
            files: self.files.clone(),
            clock,
            executor: self.executor.clone(),
            documents: self.documents.clone(),
            hashing: self.hashing.clone(),
            session_hours: self.session_hours,
            platform: self.platform.clone(),
            reform: self.reform.clone(),
            platform_registration: self.platform_registration.clone(),
        }
    }

    pub fn files(&self) -> &Arc<dyn ports::FileStore> {
        &self.files
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Where CPU work runs (rendering, composing emails).
    pub fn executor(&self) -> &Arc<dyn ports::Executor> {
        &self.executor
    }

    /// Issued documents' PDFs, rendered once.
    pub fn documents(&self) -> &Arc<Documents> {
        &self.documents
    }

    /// True when the database answers.
    pub async fn ready(&self) -> bool {
        self.db.ping().await
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Today in the studio's time zone (validity, due dates, numbering years).
    pub fn today(&self) -> Date {
        today(self.clock.as_ref())
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        self.db.begin().await
    }
}

//! Wiring: configuration → store → web app → server. The CLI (`main.rs`) and the test kit use it.

pub mod backup;
pub mod config;
pub mod demo;

use std::net::SocketAddr;
use std::sync::Arc;

use immovr_app::live::LiveFeed;
use immovr_app::{Adapters, App};
use immovr_core::{Actor, Clock};
use immovr_documents::Renderer;
use immovr_files::Files;
use immovr_notify::{Composer, Transport};
use immovr_store::{Options, SqlStore};
use immovr_web::{AppState, Limits};
use immovr_worker::{Mailer, Threads};
use tokio::net::TcpListener;

pub use config::Config;

/// Opens the database (creating the data folder for SQLite) and applies migrations.
pub async fn open_store(config: &Config, clock: Arc<dyn Clock>, pg_schema: Option<String>) -> anyhow::Result<SqlStore> {
    let url = config.database_url();
    if !url.starts_with("postgres") {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let opts = Options { url, max_connections: config.max_connections, pg_schema };
    // The operator reads this: the detail an internal error keeps from HTTP answers (a
    // migration changed after it was applied, a server that refuses the connection…).
    let store = SqlStore::open(&opts, clock).await.map_err(|e| match e {
        immovr_core::DomainError::Internal(detail) => anyhow::anyhow!("opening the database: {detail}"),
        other => anyhow::anyhow!("opening the database: {other}"),
    })?;
    Ok(store)
}

/// The application on this store: the file store, the renderer and the CPU threads the
/// configuration names; its committed changes announced on `live` when given (a server's pages
/// and workers). The company settings of the configuration, if any, are applied.
pub async fn application(
    config: &Config,
    store: SqlStore,
    clock: Arc<dyn Clock>,
    live: Option<&LiveFeed>,
) -> anyhow::Result<Arc<App>> {
    let store = match live {
        Some(live) => store.with_feed(Arc::new(live.clone())),
        None => store,
    };
    let app = Arc::new(App::new(Adapters {
        db: Arc::new(store),
        files: Arc::new(open_files(config)?),
        renderer: Arc::new(renderer(config)?),
        executor: Arc::new(Threads::start()),
        clock,
        session_hours: config.session_hours,
        platform: platform(config)?,
        reform: Arc::new(immovr_documents::Reform),
        platform_registration: config.platform_registration.clone().filter(|r| !r.trim().is_empty()),
    }));
    if let Some(company) = &config.company {
        app.set_company(&Actor::system(), company.clone()).await?;
    }
    Ok(app)
}

/// The studio's approved e-invoicing platform, when the configuration names one.
pub fn platform(config: &Config) -> anyhow::Result<Option<Arc<dyn immovr_app::ports::InvoicePlatform>>> {
    let Some(base_url) = &config.platform_url else { return Ok(None) };
    let secret =
        config.platform_client_secret.clone().ok_or_else(|| anyhow::anyhow!("platform_client_secret is missing"))?;
    let service = immovr_platform::FlowService::new(immovr_platform::PlatformConfig {
        base_url: base_url.clone(),
        token_url: config.platform_token_url.clone(),
        client_id: config.platform_client_id.clone().unwrap_or_default(),
        client_secret: secret,
    })
    .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(Arc::new(service)))
}

/// The file store the configuration names: an S3-compatible bucket, or `<data_dir>/files`.
pub fn open_files(config: &Config) -> anyhow::Result<Files> {
    Ok(match &config.s3_bucket {
        Some(bucket) => {
            let keys = config.s3_access_key_id.as_deref().zip(config.s3_secret_access_key.as_deref());
            Files::s3(bucket, config.s3_endpoint.as_deref(), &config.s3_region, config.s3_allow_http, keys)?
        }
        None => Files::local(&config.data_dir.join("files"))?,
    })
}

/// The document renderer: the studio's style and fonts when it has some, else the shipped ones.
pub fn renderer(config: &Config) -> anyhow::Result<Renderer> {
    Ok(match &config.templates_dir() {
        Some(dir) => Renderer::from_dir(dir).map_err(|e| anyhow::anyhow!("templates in {}: {e}", dir.display()))?,
        None => Renderer::new(),
    })
}

/// The email worker: SMTP when `smtp_url` is set, else `.eml` files in `<data_dir>/outbox`.
pub fn mailer(config: &Config, app: Arc<App>) -> anyhow::Result<Mailer> {
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.listen));
    let from = match &config.mail_from {
        Some(f) => f.clone(),
        None => {
            let c = config.company.clone().unwrap_or_else(immovr_store::default_company);
            format!("{} <{}>", c.trade_name.replace(['<', '>', '"', ','], ""), c.email)
        }
    };
    let templates = config.templates_dir();
    let composer = Composer::new(&public_url, &from, templates).map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
    let transport = match &config.smtp_url {
        Some(url) => {
            let ca = match &config.smtp_ca_file {
                Some(path) => {
                    Some(std::fs::read(path).map_err(|e| anyhow::anyhow!("smtp_ca_file {}: {e}", path.display()))?)
                }
                None => None,
            };
            Transport::smtp(url, ca.as_deref()).map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?
        }
        None => Transport::files(config.data_dir.join("outbox")),
    };
    Ok(Mailer {
        app,
        composer: Arc::new(composer),
        transport,
        retry_base: std::time::Duration::from_secs(config.mail_retry_seconds),
        max_attempts: config.mail_max_attempts.max(1),
        retention: config.retention(),
    })
}

/// The whole service: the web layer's state, and the background workers to run beside it.
pub struct Service {
    pub state: AppState,
    pub mailer: Arc<Mailer>,
    /// Run the renderer and the email worker in this process.
    pub run_workers: bool,
}

/// Wires the adapters into the application, and the application into the web layer and the
/// workers; the store announces its committed changes on the live feed.
pub async fn service(config: &Config, store: SqlStore, clock: Arc<dyn Clock>) -> anyhow::Result<Service> {
    let live = LiveFeed::default();
    let app = application(config, store, clock, Some(&live)).await?;
    let mailer = Arc::new(mailer(config, app.clone())?);
    let state = AppState {
        app,
        secure_cookies: config.secure_cookies,
        trust_proxy_headers: config.trust_proxy_headers,
        live,
        max_upload_bytes: config.max_upload_bytes,
        limits: Arc::new(Limits::new(config.signups_per_hour)),
        platform_webhook_secret: config.platform_webhook_secret.clone().filter(|s| s.len() >= 16),
    };
    Ok(Service { state, mailer, run_workers: config.run_workers })
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Service { state, mailer, run_workers } = service;
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    let mut workers = Vec::new();
    if run_workers {
        // Background work: on SQLite its reads leave the writer connection to the requests.
        use immovr_store::background;
        workers.push(tokio::spawn(background(immovr_worker::renderer::run(state.app.documents().clone()))));
        // Transmissions retry like emails.
        let transmitter = Arc::new(immovr_worker::Transmitter {
            app: state.app.clone(),
            retry_base: mailer.retry_base,
            max_attempts: mailer.max_attempts,
        });
        workers.push(tokio::spawn(background(mailer.run(state.live.clone()))));
        workers.push(tokio::spawn(background(immovr_worker::sealer::run(state.app.clone(), state.live.clone()))));
        workers.push(tokio::spawn(background(transmitter.run(state.live.clone()))));
    }
    let app = immovr_web::app(state);
    // Responses go out in several writes (headers, then a streamed body): without TCP_NODELAY,
    // Nagle's algorithm holds the last one until the client's delayed ACK, 40 ms later.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    for worker in workers {
        worker.abort();
    }
    served
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a SIGTERM that arrives as the server starts is a graceful shutdown too,
/// never the signal's default (the process killed mid-request).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let (mut terminate, mut interrupt) = signals;
            let term = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

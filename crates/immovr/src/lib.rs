//! Wiring: configuration → store → web app → server. The CLI (`main.rs`) and the test kit use it.

pub mod config;
pub mod demo;

use std::net::SocketAddr;
use std::sync::Arc;

use immovr_core::{Actor, Clock, Store};
use immovr_documents::Renderer;
use immovr_notify::{Composer, Transport};
use immovr_store::{Options, SqlStore};
use immovr_web::documents::Documents;
use immovr_web::files::Files;
use immovr_web::live::LiveFeed;
use immovr_web::mailer::Mailer;
use immovr_web::{AppState, Limits};
use tokio::net::TcpListener;

pub use config::Config;

/// Opens the database (creating the data folder for SQLite), applies migrations and the company
/// settings from the configuration.
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
    if let Some(company) = &config.company {
        store.set_company(&Actor::system(), company.clone()).await?;
    }
    Ok(store)
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
pub fn mailer(
    config: &Config,
    store: immovr_core::DynStore,
    documents: Arc<Documents>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Mailer> {
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
        store,
        documents,
        composer: Arc::new(composer),
        transport,
        clock,
        retry_base: std::time::Duration::from_secs(config.mail_retry_seconds),
        max_attempts: config.mail_max_attempts.max(1),
    })
}

/// The web layer's state; the store announces its committed changes on the live feed.
pub fn app_state(config: &Config, store: SqlStore, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let live = LiveFeed::default();
    let files = open_files(config)?;
    let store: immovr_core::DynStore = Arc::new(store.with_feed(Arc::new(live.clone())));
    let documents = Arc::new(Documents::new(renderer(config)?, store.clone(), files.clone(), clock.clone()));
    let mailer = Arc::new(mailer(config, store.clone(), documents.clone(), clock.clone())?);
    Ok(AppState {
        store,
        documents,
        mailer,
        clock,
        secure_cookies: config.secure_cookies,
        trust_proxy_headers: config.trust_proxy_headers,
        session_hours: config.session_hours,
        live,
        files,
        max_upload_bytes: config.max_upload_bytes,
        limits: Arc::new(Limits::default()),
        run_workers: config.run_workers,
    })
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    let mut workers = Vec::new();
    if state.run_workers {
        workers.push(tokio::spawn(state.documents.clone().run()));
        workers.push(tokio::spawn(state.mailer.clone().run(state.live.clone())));
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

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

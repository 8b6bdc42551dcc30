//! The `immovr` command: `serve`, `demo`, `migrate`, `user add`, `token create`, `audit verify`,
//! `backup`, `restore`, `preview`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use immovr::{Config, demo};
use immovr_app::auth::API_TOKEN_PREFIX;
use immovr_app::tokens::new_token;
use immovr_core::auth::token_sha256;
use immovr_core::model::Role;
use immovr_core::{Actor, Clock, SystemClock};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's options (`mi_option_t` in mimalloc.h, v3: the version the crate builds).
unsafe extern "C" {
    fn mi_option_set(option: i32, value: std::ffi::c_long);
}
const MI_OPTION_ARENA_EAGER_COMMIT: i32 = 4;
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Memory freed goes back to the system at once: arenas committed as they are used rather than
/// up front, and free pages decommitted without the 10 ms delay. Measured from outside (see
/// BENCHMARKS.md): RSS peak over 800 flows with 8 workers 115 → 42 MiB, the CPU per flow no
/// higher. (`MIMALLOC_*` variables set in the environment still apply.) Run as an ELF
/// constructor, before the Rust runtime's first allocation creates mimalloc's first arena:
/// set at the start of `main`, the first arena was already committed (peak 75 MiB).
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

extern "C" fn tune_allocator() {
    for (option, variable, value) in [
        (MI_OPTION_ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT", 0),
        (MI_OPTION_PURGE_DELAY, "MIMALLOC_PURGE_DELAY", 0),
    ] {
        if std::env::var_os(variable).is_none() {
            // SAFETY: a plain setter of a global option, called before any other thread runs.
            unsafe { mi_option_set(option, value) };
        }
    }
}

#[derive(Parser)]
#[command(name = "immovr", version, about = "Client portal and back office for a visualisation studio")]
struct Cli {
    /// Configuration file (default: ./immovr.toml if it exists).
    #[arg(long, global = true, env = "IMMOVR_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Seed the ImmoVr demo data (once) and run the server.
    Demo {
        /// Also generate years of history: 1.0 is ten years of a busy studio (20,000 clients,
        /// 100,000 quotes, 60,000 orders and invoices…); 0.01 a hundredth of it.
        #[arg(long)]
        scale: Option<f64>,
        /// Seed (and generate) only; do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for staff accounts.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Copy the database and every stored file into a new folder, with a SHA-256 of each
    /// (`SHA256SUMS`, as `sha256sum -c` reads it). Runs beside a serving instance. PostgreSQL
    /// needs `pg_dump` (of the server's major version or newer) on PATH.
    Backup {
        /// The folder to create (it must be empty).
        dir: PathBuf,
    },
    /// Restore a backup into the configured database, which must be empty (a new SQLite file,
    /// an empty PostgreSQL database: `pg_restore` and `psql` on PATH), and file store. Every
    /// SHA-256 is checked before anything is written, and the audit trail after.
    Restore {
        /// A folder written by `immovr backup`.
        dir: PathBuf,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Apply the retention policy now (the server applies it daily): erase prospects and former
    /// clients past their period, remove the expired documents of erased clients, forget old
    /// technical records. With --dry-run, list what it would do and change nothing.
    Retention {
        #[arg(long)]
        dry_run: bool,
    },
    /// Render one sample of each document (quote, accepted quote, purchase order, invoice,
    /// credit note) with the studio's style (`templates_dir/document.toml`) into a folder, to
    /// check its colours and typeface.
    Preview {
        /// Where to write the PDFs.
        #[arg(default_value = "preview")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff member. Without --password, one is generated and printed.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: admin, sales, production, accounting.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        #[arg(long, env = "IMMOVR_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal what awaits its seal, then check the whole hash chain of the audit trail: exits
    /// with an error naming the first broken link when an event was changed, removed or
    /// reordered in the database.
    Verify,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a staff member; it is shown once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    // Logs go to stderr: stdout carries command output (a new token, a generated password).
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_format == "json" { builder.json().init() } else { builder.init() }
}

fn main() -> anyhow::Result<()> {
    // Blocking threads serve file reads and writes; a burst of them need not become hundreds of
    // threads, each keeping its own allocator cache.
    tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(16).build()?.block_on(cli())
}

async fn cli() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("reading the configuration")?;
    init_logs(&config);
    for unknown in Config::unknown_env() {
        tracing::warn!("IMMOVR_{unknown} is not a known setting; ignored");
    }
    if let Command::Preview { out } = &cli.command {
        let renderer = immovr::renderer(&config)?;
        std::fs::create_dir_all(out)?;
        for (name, snapshot) in immovr_documents::samples::all() {
            let pdf = renderer.render(&snapshot, None).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let path = out.join(format!("{name}.pdf"));
            std::fs::write(&path, pdf)?;
            println!("{}", path.display());
        }
        return Ok(());
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Before the database is opened: a restore needs it empty, a backup copies it as it is.
    match &cli.command {
        Command::Backup { dir } => {
            let r = immovr::backup::backup(&config, dir, clock.as_ref(), None).await?;
            println!(
                "backup of the {} database and {} files ({} bytes) in {}",
                r.backend,
                r.files,
                r.bytes,
                dir.display()
            );
            return Ok(());
        }
        Command::Restore { dir } => {
            let r = immovr::backup::restore(&config, dir, clock, None).await?;
            println!(
                "restored the {} database and {} files ({} bytes); every SHA-256 checked, audit trail intact",
                r.backend, r.files, r.bytes
            );
            return Ok(());
        }
        _ => {}
    }
    tracing::info!(database = %config.database_url_redacted(), "opening the database");
    let store = immovr::open_store(&config, clock.clone(), None).await?;
    match cli.command {
        Command::Migrate => println!("migrations applied ({})", store.backend()),
        Command::Serve => run(&config, store.clone(), clock).await?,
        Command::Demo { scale, no_serve } => {
            let app = immovr::application(&config, store.clone(), clock.clone(), None).await?;
            let fresh = !app.account_exists(demo::ADMIN_EMAIL).await?;
            if fresh && let Some(scale) = scale {
                let started = std::time::Instant::now();
                let r = demo::history(&store, &app, scale).await?;
                println!(
                    "history generated in {:.1} s: {} clients, {} quote requests, {} quotes, {} purchase orders, {} orders, \
                     {} invoices, {} payments, {} credit notes, {} documents, {} audit events, {} emails, {} search terms",
                    started.elapsed().as_secs_f64(),
                    r.clients,
                    r.requests,
                    r.quotes,
                    r.purchase_orders,
                    r.orders,
                    r.invoices,
                    r.payments,
                    r.credit_notes,
                    r.documents,
                    r.audit_events,
                    r.emails,
                    r.search_terms
                );
            } else if scale.is_some() {
                tracing::warn!("the demo is there already: no history generated");
            }
            if demo::seed(&app).await? {
                tracing::info!("demo data created");
            }
            if !no_serve {
                demo::print_credentials(&format!("http://{}", config.listen));
                run(&config, store.clone(), clock).await?;
            }
        }
        Command::User { command: UserCommand::Add { email, name, role, password } } => {
            let roles = role
                .iter()
                .map(|r| {
                    Role::ALL
                        .iter()
                        .copied()
                        .find(|k| k.as_str() == r.trim())
                        .with_context(|| format!("unknown role {r:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let app = immovr::application(&config, store.clone(), clock.clone(), None).await?;
            let (user, generated) = app.add_staff_member(&Actor::system(), email, name, roles, password).await?;
            println!("staff user {} created (id {})", user.email, user.id);
            if let Some(password) = generated {
                println!("password: {password}");
            }
        }
        Command::Token { command: TokenCommand::Create { email, name } } => {
            let app = immovr::application(&config, store.clone(), clock.clone(), None).await?;
            let user = app.staff_user_by_email(&email).await?.context("no account with this email")?;
            let token = new_token(API_TOKEN_PREFIX);
            app.create_api_token(&Actor::system(), user.id, &name, &token_sha256(&token)).await?;
            println!("{token}");
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let app = immovr::application(&config, store.clone(), clock.clone(), None).await?;
            let sealed = app.seal_audit().await?;
            let check = app.verify_audit(&Actor::system()).await?;
            store.close().await;
            match check.broken {
                None => println!(
                    "audit trail intact: {} events chained ({sealed} sealed now, {} awaiting their seal)",
                    check.sealed, check.unsealed
                ),
                Some(b) => {
                    let event = b.event_id.map(|id| format!(" (audit event id {id})")).unwrap_or_default();
                    anyhow::bail!("audit trail broken at #{}{event}: {}", b.seq, b.reason);
                }
            }
            return Ok(());
        }
        Command::Retention { dry_run } => {
            let app = immovr::application(&config, store.clone(), clock.clone(), None).await?;
            let policy = config.retention();
            let run = match dry_run {
                true => app.retention_due(&Actor::system(), &policy).await,
                false => app.apply_retention(&Actor::system(), &policy).await,
            };
            store.close().await;
            let run = run?;
            let (would, ids) = (if dry_run { "would be " } else { "" }, |v: &[i64]| format!("{v:?}"));
            println!(
                "retention (prospects {} months, clients {} months, accounting {} years, technical {} days):",
                policy.prospect_months, policy.client_months, policy.accounting_years, policy.log_days
            );
            println!("  prospects {would}erased: {} {}", run.prospects.len(), ids(&run.prospects));
            println!("  former clients {would}erased: {} {}", run.clients.len(), ids(&run.clients));
            println!("  kept, business still open: {} {}", run.held.len(), ids(&run.held));
            println!("  documents of erased clients {would}removed: {}", run.documents);
            println!("  technical records {would}forgotten: {}", run.technical);
            return Ok(());
        }
        Command::Preview { .. } | Command::Backup { .. } | Command::Restore { .. } => {
            unreachable!("handled before opening the database")
        }
    }
    store.close().await;
    Ok(())
}

async fn run(config: &Config, store: immovr_store::SqlStore, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, backend = store.backend(), "immovr is serving");
    let service = immovr::service(config, store.clone(), clock).await?;
    immovr::serve(listener, service, immovr::shutdown_signal()).await?;
    Ok(())
}

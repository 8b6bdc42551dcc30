//! Configuration, layered: embedded defaults, then `immovr.toml` (or the file `--config` names),
//! then `IMMOVR_*` environment variables, then `DATABASE_URL`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use immovr_core::model::CompanySettings;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Where the SQLite database, files and the email outbox live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; default: SQLite at `<data_dir>/immovr.db`.
    pub database_url: Option<String>,
    /// Database connections (PostgreSQL pool, or SQLite readers).
    pub max_connections: u32,
    /// Mark cookies `Secure`: set when the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-For`: only behind a reverse proxy you run.
    pub trust_proxy_headers: bool,
    /// Login session lifetime.
    pub session_hours: i64,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Largest delivered file accepted in one upload, in bytes.
    pub max_upload_bytes: u64,
    /// Keep files in this S3-compatible bucket instead of `<data_dir>/files`.
    pub s3_bucket: Option<String>,
    /// S3 endpoint for non-AWS stores (MinIO, Garage, Scaleway, OVH…).
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Allow a plain-HTTP endpoint (local test stores only).
    pub s3_allow_http: bool,
    /// S3 credentials; when absent, the `AWS_*` environment variables are used.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Where links in emails point: the site's public address. Default: `http://<listen>`.
    pub public_url: Option<String>,
    /// Send emails through this SMTP server: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS). Default: `.eml` files in `<data_dir>/outbox`.
    pub smtp_url: Option<String>,
    /// A certificate authority (PEM file) to trust for the SMTP server, besides the system's.
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender of emails, e.g. `ImmoVr <studio@example.fr>`. Default: the company's name and email.
    pub mail_from: Option<String>,
    /// First delay before sending a failed email again, in seconds; doubled at each attempt.
    pub mail_retry_seconds: u64,
    /// Attempts before an email is parked as failed (staff may send it again).
    pub mail_max_attempts: i64,
    /// A studio's own templates: `emails/`, `document.toml` (document colours and typeface) and
    /// `fonts/`. Default:
    /// `<data_dir>/templates` when that folder exists, else the shipped ones.
    pub templates_dir: Option<PathBuf>,
    /// Run the background workers (document renderer, email worker) in this process. An instance
    /// that only serves pages may leave them to others (PostgreSQL); with SQLite, keep one.
    pub run_workers: bool,
    /// Company settings to apply at start (otherwise those in the database, editable by admins).
    pub company: Option<CompanySettings>,
    /// Sign-ups accepted per hour from one client address.
    pub signups_per_hour: u32,
    /// The studio's approved e-invoicing platform (PA), its AFNOR XP Z12-013 Flow Service
    /// (`https://api.flow.example/flow-service`). Unset: invoices are not transmitted.
    pub platform_url: Option<String>,
    /// Its token URL (OAuth 2 client credentials). Unset: `platform_client_secret` is the
    /// bearer token itself.
    pub platform_token_url: Option<String>,
    pub platform_client_id: Option<String>,
    pub platform_client_secret: Option<String>,
    /// A secret the platform's webhook calls carry (`/api/v1/platform/webhook/<secret>`); unset:
    /// no webhook, the worker searches the platform's updates every minute.
    pub platform_webhook_secret: Option<String>,
    /// The platform's registration number with the tax administration (its "matricule", four
    /// characters): e-reporting reports name their sender by it. Unset: no e-reporting.
    pub platform_registration: Option<String>,
    /// Retention (applied daily, `immovr retention` lists it): a prospect without an accepted
    /// quote is erased this many months after its last contact …
    pub retention_prospect_months: i64,
    /// … a client this many months after the end of the relationship (nothing left open) …
    pub retention_client_months: i64,
    /// … the invoices, credit notes and acceptance evidence of an erased client are removed
    /// after this many years (10 at least) …
    pub retention_accounting_years: i64,
    /// … and ended sessions and links, and sent emails, after this many days.
    pub retention_log_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            max_connections: 8,
            secure_cookies: false,
            trust_proxy_headers: false,
            session_hours: 72,
            log_format: "text".into(),
            max_upload_bytes: 4 * 1024 * 1024 * 1024,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_allow_http: false,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            templates_dir: None,
            public_url: None,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: None,
            mail_retry_seconds: 30,
            mail_max_attempts: 8,
            run_workers: true,
            company: None,
            signups_per_hour: 10,
            platform_url: None,
            platform_token_url: None,
            platform_client_id: None,
            platform_client_secret: None,
            platform_webhook_secret: None,
            platform_registration: None,
            retention_prospect_months: 36,
            retention_client_months: 36,
            retention_accounting_years: 10,
            retention_log_days: 365,
        }
    }
}

const ENV_SETTINGS: &[&str] = &[
    "listen",
    "signups_per_hour",
    "data_dir",
    "max_connections",
    "secure_cookies",
    "trust_proxy_headers",
    "session_hours",
    "log_format",
    "max_upload_bytes",
    "s3_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_allow_http",
    "s3_access_key_id",
    "s3_secret_access_key",
    "templates_dir",
    "public_url",
    "smtp_url",
    "smtp_ca_file",
    "mail_from",
    "mail_retry_seconds",
    "mail_max_attempts",
    "run_workers",
    "platform_url",
    "platform_token_url",
    "platform_client_id",
    "platform_client_secret",
    "platform_webhook_secret",
    "platform_registration",
    "retention_prospect_months",
    "retention_client_months",
    "retention_accounting_years",
    "retention_log_days",
];

/// `IMMOVR_*` variables read elsewhere (the CLI), besides the settings above.
const OTHER_ENV: &[&str] = &["CONFIG", "PASSWORD", "DATABASE_URL"];

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let file = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("immovr.toml"));
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // Only known settings: other IMMOVR_* variables (test settings, typos) are warned about.
            .merge(Env::prefixed("IMMOVR_").only(ENV_SETTINGS))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .extract()
            .map_err(Box::new)
    }

    /// What a configuration file's text gives over the embedded defaults, without the
    /// environment: how `load` reads the file (and what the fuzzer feeds).
    pub fn from_toml(text: &str) -> Result<Config, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)).extract().map_err(Box::new)
    }

    /// `IMMOVR_*` variables that configure nothing: probably typos.
    pub fn unknown_env() -> Vec<String> {
        std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("IMMOVR_").map(str::to_string))
            .filter(|k| {
                !ENV_SETTINGS.contains(&k.to_lowercase().as_str())
                    && !OTHER_ENV.contains(&k.as_str())
                    && !k.starts_with("TEST_")
            })
            .collect()
    }

    /// The folder of the studio's own templates, if there is one.
    pub fn templates_dir(&self) -> Option<PathBuf> {
        self.templates_dir.clone().or_else(|| Some(self.data_dir.join("templates")).filter(|d| d.is_dir()))
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("immovr.db").display()),
        }
    }

    /// The retention policy these settings give.
    pub fn retention(&self) -> immovr_core::model::RetentionPolicy {
        immovr_core::model::RetentionPolicy {
            prospect_months: self.retention_prospect_months,
            client_months: self.retention_client_months,
            accounting_years: self.retention_accounting_years,
            log_days: self.retention_log_days,
        }
    }

    /// The database URL with any password hidden, for logs.
    pub fn database_url_redacted(&self) -> String {
        let url = self.database_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &url[s + 3..at];
                match creds.find(':') {
                    Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                    None => url,
                }
            }
            _ => url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API
    fn environment_overrides_file_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("immovr.toml", "listen = \"0.0.0.0:9000\"\nsession_hours = 12\n")?;
            jail.set_env("IMMOVR_SESSION_HOURS", "24");
            jail.set_env("IMMOVR_TEST_SOMETHING", "ignored");
            jail.set_env("DATABASE_URL", "postgres://u:p@h/db");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "0.0.0.0:9000");
            assert_eq!(c.session_hours, 24);
            assert_eq!(c.data_dir, PathBuf::from("./data"));
            assert_eq!(c.database_url(), "postgres://u:p@h/db");
            jail.create_file("immovr.toml", "lisen = \"typo\"\n")?;
            assert!(Config::load(None).is_err(), "unknown keys in the file are errors");
            Ok(())
        });
    }

    #[test]
    fn a_file_is_read_over_the_defaults_or_refused() {
        let c = Config::from_toml("session_hours = 12\n[company]\n").map(|c| c.session_hours);
        assert!(c.is_err(), "an incomplete company table is refused");
        assert_eq!(Config::from_toml("session_hours = 12").unwrap().session_hours, 12);
        assert!(Config::from_toml("session_hours = \"douze\"").is_err());
        assert!(Config::from_toml("listen = [").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let c = Config { database_url: Some("postgres://immovr:s3cret@db:5432/immovr".into()), ..Config::default() };
        assert_eq!(c.database_url_redacted(), "postgres://immovr:***@db:5432/immovr");
        assert_eq!(Config::default().database_url(), "sqlite://./data/immovr.db");
    }
}

//! Notifications by email. An outbox row (queued in the transaction of the change it reports)
//! becomes a multipart text + HTML message in the recipient's language, from templates a studio
//! can override, with its documents attached and, for the on-site shoot, a calendar invitation;
//! it is sent over SMTP (lettre: TLS, STARTTLS, authentication) or written as an `.eml` file.
//! The Message-ID is derived from the outbox row, so sending again after a crash sends the same
//! message, not a second one.

mod calendar;
mod embedded;
mod transport;

use std::path::PathBuf;

use immovr_core::links;
use immovr_core::model::{CompanySettings, Language, OutboxMessage};
use immovr_core::notification::Notification;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart, SinglePart};
use minijinja::{Environment, State, Value, context};
use rust_decimal::Decimal;
use serde_json::Value as Json;

pub use calendar::shoot_invitation;
pub use transport::Transport;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("template {0}: {1}")]
    Template(String, String),
    #[error("address: {0}")]
    Address(String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("sending: {0}")]
    Send(String),
}

/// A file attached to an email.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Composes emails from outbox rows.
pub struct Composer {
    env: Environment<'static>,
    base_url: String,
    from: Mailbox,
}

fn lang_of(state: &State) -> Language {
    match state.lookup("lang").and_then(|v| v.as_str().map(str::to_string)).as_deref() {
        Some("en") => Language::En,
        _ => Language::Fr,
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    if let Some(s) = v.as_str() {
        return s.parse().ok();
    }
    v.to_string().parse().ok()
}

/// `{{ amount|money }}`: "1 234,50 €" in French, "€1,234.50" in English.
fn money_filter(state: &State, v: Value) -> String {
    match decimal(&v) {
        Some(d) => immovr_core::money::format_eur(d, lang_of(state)),
        None => v.to_string(),
    }
}

/// `{{ date|date }}`: "15/07/2026" or "15 July 2026".
fn date_filter(state: &State, v: Value) -> String {
    let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match text.get(..10).and_then(|d| d.parse::<jiff::civil::Date>().ok()) {
        Some(d) => immovr_core::money::format_date(d, lang_of(state)),
        None => text,
    }
}

/// `{{ time|time }}`: "09:30" (hours and minutes of a stored time of day).
fn time_filter(v: Value) -> String {
    let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    text.get(..5).map(str::to_string).unwrap_or(text)
}

fn float_filter(v: Value) -> f64 {
    decimal(&v).and_then(|d| d.to_string().parse().ok()).unwrap_or(0.0)
}

/// Where an email's link leads: the page its notification names, on the site's address.
pub fn link(notification: &Notification, base_url: &str) -> String {
    links::absolute(base_url, &notification.path())
}

fn address_line(a: &immovr_core::model::Address) -> String {
    format!("{}{}, {} {}", a.line1, a.line2.as_ref().map(|l| format!(", {l}")).unwrap_or_default(), a.postcode, a.city)
}

/// A text body cut into paragraphs of lines; a line that is only a URL becomes a button.
fn blocks(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<Value> = p
                .lines()
                .map(str::trim)
                .map(|l| {
                    if !l.contains(char::is_whitespace) && (l.starts_with("http://") || l.starts_with("https://")) {
                        // Escaped here, minimally, so the address stays readable in the source.
                        let escaped =
                            l.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
                        context! { link => Value::from_safe_string(escaped) }
                    } else {
                        context! { text => l.to_string() }
                    }
                })
                .collect();
            context! { lines }
        })
        .collect()
}

impl Composer {
    /// `templates_dir`: a folder whose `emails/` files replace the shipped ones of the same name.
    pub fn new(base_url: &str, from: &str, templates_dir: Option<PathBuf>) -> Result<Composer, NotifyError> {
        let from: Mailbox = from.parse().map_err(|e| NotifyError::Address(format!("{from}: {e}")))?;
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &templates_dir {
                let path = dir.join("emails").join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => return Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()));
                    }
                }
            }
            Ok(embedded::TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string()))
        });
        env.add_filter("money", money_filter);
        env.add_filter("date", date_filter);
        env.add_filter("time", time_filter);
        env.add_filter("float", float_filter);
        Ok(Composer { env, base_url: base_url.trim_end_matches('/').to_string(), from })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn render(&self, name: &str, ctx: &Value) -> Result<String, NotifyError> {
        let t = self.env.get_template(name).map_err(|e| NotifyError::Template(name.into(), e.to_string()))?;
        t.render(ctx).map_err(|e| NotifyError::Template(name.into(), e.to_string()))
    }

    /// The subject and the text body of an outbox row, linking to the page its notification
    /// names.
    pub fn text(&self, m: &OutboxMessage, company: &CompanySettings) -> Result<(String, String), NotifyError> {
        let notification = m.notification().map_err(|e| NotifyError::Build(e.to_string()))?;
        self.text_at(m, company, &link(&notification, &self.base_url))
    }

    /// The subject and the text body of an outbox row, linking to `url`.
    pub fn text_at(
        &self,
        m: &OutboxMessage,
        company: &CompanySettings,
        url: &str,
    ) -> Result<(String, String), NotifyError> {
        let lang = m.language.as_str();
        let mut vars = match &m.payload {
            Json::Object(o) => o.clone(),
            _ => Default::default(),
        };
        let notification = m.notification().map_err(|e| NotifyError::Build(e.to_string()))?;
        vars.insert("url".into(), Json::String(url.to_string()));
        vars.insert("lang".into(), Json::String(lang.into()));
        vars.insert("calendar".into(), Json::Bool(calendar::invites(&notification)));
        let mut c = serde_json::to_value(company).unwrap_or_default();
        c["address"] = Json::String(address_line(&company.address));
        c["cheque_address"] = Json::String(address_line(&company.cheque_address));
        vars.insert("company".into(), c);
        let ctx = Value::from(minijinja::value::Serde(&vars));
        let rendered = self.render(&format!("{}.{lang}.txt", m.kind), &ctx)?;
        let (subject, body) = rendered
            .strip_prefix("Subject:")
            .and_then(|r| r.split_once('\n'))
            .ok_or_else(|| NotifyError::Template(m.kind.clone(), "the first line must be `Subject: …`".into()))?;
        let footer = self.render(&format!("footer.{lang}.txt"), &ctx)?;
        Ok((subject.trim().to_string(), format!("{}\n\n{}\n", body.trim(), footer.trim())))
    }

    /// The Message-ID of an outbox row: the same row always gives the same id.
    pub fn message_id(&self, m: &OutboxMessage) -> String {
        format!("<outbox.{}.{}@{}>", m.id, m.created_at.as_second(), self.from.email.domain())
    }

    /// The whole message, linking to the page its notification names.
    pub fn compose(
        &self,
        m: &OutboxMessage,
        company: &CompanySettings,
        attachments: &[Attachment],
    ) -> Result<Message, NotifyError> {
        let notification = m.notification().map_err(|e| NotifyError::Build(e.to_string()))?;
        self.compose_at(m, company, attachments, &link(&notification, &self.base_url))
    }

    /// The whole message, linking to `url` (a signed link to the document, for a client).
    pub fn compose_at(
        &self,
        m: &OutboxMessage,
        company: &CompanySettings,
        attachments: &[Attachment],
        url: &str,
    ) -> Result<Message, NotifyError> {
        let (subject, text) = self.text_at(m, company, url)?;
        let lang = m.language.as_str();
        let (body, footer) =
            text.rsplit_once("\n\n—").map(|(b, f)| (b, format!("—{f}"))).unwrap_or((&text, String::new()));
        let button = if m.language == Language::Fr { "Ouvrir" } else { "Open" };
        let html = self.render(
            "layout.html",
            &context! {
                lang, subject => &subject, blocks => blocks(body), button,
                footer => footer.lines().filter(|l| !l.trim().is_empty() && l.trim() != "—").map(str::to_string).collect::<Vec<String>>(),
                company => context! { trade_name => &company.trade_name },
            },
        )?;
        let to: Mailbox = m.recipient.parse().map_err(|e| NotifyError::Address(format!("{}: {e}", m.recipient)))?;
        let reply_to: Option<Mailbox> = company.email.parse().ok();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id(m)))
            .date(
                std::time::SystemTime::UNIX_EPOCH
                    + std::time::Duration::from_secs(m.created_at.as_second().max(0) as u64),
            );
        if let Some(r) = reply_to {
            builder = builder.reply_to(r);
        }
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
            .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
        let message = if attachments.is_empty() {
            builder.multipart(alternative)
        } else {
            let mut mixed = MultiPart::mixed().multipart(alternative);
            for a in attachments {
                let ct = ContentType::parse(&a.content_type).map_err(|e| NotifyError::Build(e.to_string()))?;
                mixed = mixed.singlepart(MailAttachment::new(a.filename.clone()).body(a.bytes.clone(), ct));
            }
            builder.multipart(mixed)
        };
        message.map_err(|e| NotifyError::Build(e.to_string()))
    }
}

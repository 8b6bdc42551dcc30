//! Accounts (staff and client logins, sessions, API tokens) and clients.

use immovr_core::auth::normalize_email;
use immovr_core::model::*;
use immovr_core::notification::{LinkNews, Notification};
use immovr_core::ports::*;
use immovr_core::{Context, DomainError, Result};
use jiff::Timestamp;
use serde_json::json;

use crate::db::{Row, SettingsCache, Tx, args};
use crate::requests::{insert_attachments, insert_request};
use crate::search::{self, Kind};
use crate::support::{audit, check_opt_text, check_text, enqueue};
use crate::{SqlStore, not_found, scope_client};

pub(crate) fn user_from_row(r: &Row) -> Result<User> {
    let roles = r.text("roles")?.split(',').filter(|s| !s.is_empty()).map(Role::parse).collect::<Result<Vec<_>>>()?;
    Ok(User {
        id: r.i64("id")?,
        email: r.text("email")?,
        name: r.text("name")?,
        roles,
        client_id: r.opt_i64("client_id")?,
        language: Language::parse(&r.text("language")?)?,
    })
}

pub(crate) fn client_from_row(r: &Row) -> Result<Client> {
    let billing_address =
        r.opt_text("billing_address")?.map(|t| serde_json::from_str(&t).context("a billing address")).transpose()?;
    Ok(Client {
        id: r.i64("id")?,
        kind: ClientKind::parse(&r.text("kind")?)?,
        name: r.text("name")?,
        email: r.text("email")?,
        phone: r.opt_text("phone")?,
        company_name: r.opt_text("company_name")?,
        siren: r.opt_text("siren")?,
        siret: r.opt_text("siret")?,
        vat_number: r.opt_text("vat_number")?,
        billing_address,
        language: Language::parse(&r.text("language")?)?,
        notify_email: r.bool("notify_email")?,
        created_at: r.ts("created_at")?,
    })
}

fn digits(field: &str, value: Option<String>, len: usize) -> Result<Option<String>> {
    match value.map(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.len() == len && v.chars().all(|c| c.is_ascii_digit()) => Ok(Some(v)),
        Some(_) => Err(DomainError::validation(field, format!("must be {len} digits"))),
    }
}

fn validate_address(a: &Option<Address>) -> Result<()> {
    if let Some(a) = a {
        check_text("billing_address.line1", &a.line1, 200)?;
        check_text("billing_address.postcode", &a.postcode, 20)?;
        check_text("billing_address.city", &a.city, 100)?;
        if a.country.len() != 2 || !a.country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(DomainError::validation("billing_address.country", "ISO 3166-1 alpha-2 code, e.g. FR"));
        }
    }
    Ok(())
}

impl SqlStore {
    pub(crate) async fn create_staff_user_tx(&self, actor: &Actor, user: NewStaffUser) -> Result<User> {
        let email = normalize_email(&user.email)?;
        let name = check_text("name", &user.name, 200)?;
        if user.roles.is_empty() {
            return Err(DomainError::validation("roles", "at least one role"));
        }
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        let now = self.now();
        let mut tx = self.db.write().await?;
        let id = tx
            .insert(
                "INSERT INTO users (email, name, password_hash, roles, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![&email, &name, &user.password_hash, roles.join(","), now],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
        audit(&mut tx, now, actor, "user.created", ("user", id), json!({"email": email, "roles": roles})).await?;
        let row = tx.one("SELECT * FROM users WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        user_from_row(&row)
    }

    pub(crate) async fn user_credentials_q(&self, email: &str) -> Result<Option<(User, String)>> {
        let Ok(email) = normalize_email(email) else {
            return Ok(None);
        };
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT * FROM users WHERE email = $1", args![email]).await?;
        match row {
            Some(r) => match r.opt_text("password_hash")? {
                Some(hash) => Ok(Some((user_from_row(&r)?, hash))),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    pub(crate) async fn create_session_tx(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        tx.exec(
            "INSERT INTO sessions (token_sha256, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
            args![token_sha256, user_id, expires_at, now],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub(crate) async fn session_user_q(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>> {
        let cache = self.db.settings_cache();
        let key = SettingsCache::principal_key(true, token_sha256);
        if let Some((user, expires_at)) = cache.principal(&key) {
            return Ok(expires_at.is_some_and(|e| e > now).then_some(user));
        }
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT u.*, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = $1",
                args![token_sha256],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let (user, expires_at) = (user_from_row(&r)?, r.ts("expires_at")?);
        cache.put_principal(tx.cache_generation(), key, user.clone(), Some(expires_at));
        Ok((expires_at > now).then_some(user))
    }

    pub(crate) async fn delete_session_tx(&self, token_sha256: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.write_principals("DELETE FROM sessions WHERE token_sha256 = $1", args![token_sha256]).await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub(crate) async fn create_api_token_tx(
        &self,
        actor: &Actor,
        user_id: Id,
        name: &str,
        token_sha256: &str,
    ) -> Result<Id> {
        let name = check_text("name", name, 100)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let user = tx
            .opt("SELECT client_id FROM users WHERE id = $1", args![user_id])
            .await?
            .ok_or_else(|| not_found("user"))?;
        if user.opt_i64("client_id")?.is_some() {
            return Err(DomainError::validation("user", "API tokens are for staff accounts"));
        }
        let id = tx
            .insert(
                "INSERT INTO api_tokens (user_id, name, token_sha256, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                args![user_id, &name, token_sha256, now],
            )
            .await?;
        audit(&mut tx, now, actor, "api_token.created", ("user", user_id), json!({"token_id": id, "name": name}))
            .await?;
        self.commit(tx).await?;
        Ok(id)
    }

    pub(crate) async fn api_token_user_q(&self, token_sha256: &str) -> Result<Option<User>> {
        let cache = self.db.settings_cache();
        let key = SettingsCache::principal_key(false, token_sha256);
        if let Some((user, _)) = cache.principal(&key) {
            return Ok(Some(user));
        }
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_sha256 = $1 AND t.revoked = 0",
                args![token_sha256],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let user = user_from_row(&r)?;
        cache.put_principal(tx.cache_generation(), key, user.clone(), None);
        Ok(Some(user))
    }

    pub(crate) async fn register_client_tx(
        &self,
        actor: &Actor,
        c: NewClient,
        password_hash: Option<String>,
    ) -> Result<Client> {
        let c = checked_client(c)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let id = insert_client(&mut tx, now, actor, &c, password_hash).await?;
        let row = tx.one("SELECT * FROM clients WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        client_from_row(&row)
    }

    pub(crate) async fn register_client_with_request_tx(
        &self,
        actor: &Actor,
        c: NewClient,
        password_hash: String,
        r: NewQuoteRequest,
        attachments: Vec<NewAttachment>,
    ) -> Result<User> {
        let c = checked_client(c)?;
        let r = self.checked_request(r)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let client_id = insert_client(&mut tx, now, actor, &c, Some(password_hash)).await?;
        let request_id = insert_request(&mut tx, now, actor, client_id, &r).await?;
        insert_attachments(&mut tx, now, request_id, &attachments).await?;
        let user = tx.one("SELECT * FROM users WHERE client_id = $1", args![client_id]).await?;
        self.commit(tx).await?;
        user_from_row(&user)
    }

    pub(crate) async fn client_q(&self, scope: Scope, id: Id) -> Result<Client> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt("SELECT * FROM clients WHERE id = $1 AND ($2 IS NULL OR id = $2)", args![id, scope_client(scope)])
            .await?;
        client_from_row(&row.ok_or_else(|| not_found("client"))?)
    }

    pub(crate) async fn staff_users_q(&self) -> Result<Vec<User>> {
        let mut tx = self.db.read().await?;
        let rows = tx.all("SELECT * FROM users WHERE client_id IS NULL ORDER BY id", vec![]).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub(crate) async fn set_roles_tx(&self, actor: &Actor, user_id: Id, roles: Vec<Role>) -> Result<User> {
        if roles.is_empty() {
            return Err(DomainError::validation("roles", "at least one role"));
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let now = self.now();
        let mut tx = self.db.write().await?;
        let changed = tx
            .write_principals(
                "UPDATE users SET roles = $2 WHERE id = $1 AND client_id IS NULL",
                args![user_id, names.join(",")],
            )
            .await?;
        if changed == 0 {
            return Err(not_found("user"));
        }
        audit(&mut tx, now, actor, "user.roles_changed", ("user", user_id), json!({"roles": names})).await?;
        let row = tx.one("SELECT * FROM users WHERE id = $1", args![user_id]).await?;
        self.commit(tx).await?;
        user_from_row(&row)
    }

    pub(crate) async fn create_login_link_tx(
        &self,
        email: &str,
        purpose: LinkPurpose,
        token_sha256: &str,
        url_path: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        let Ok(email) = normalize_email(email) else { return Ok(()) };
        let now = self.now();
        let mut tx = self.db.write().await?;
        let Some(user) = tx.opt("SELECT * FROM users WHERE email = $1", args![&email]).await? else { return Ok(()) };
        let user = user_from_row(&user)?;
        tx.exec(
            "INSERT INTO login_links (token_sha256, user_id, purpose, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
            args![token_sha256, user.id, purpose.as_str(), expires_at, now],
        )
        .await?;
        let actor = Actor { label: format!("link request {email}"), ..Actor::system() };
        audit(&mut tx, now, &actor, &format!("{}.requested", purpose.as_str()), ("user", user.id), json!({})).await?;
        let news = LinkNews { url_path: url_path.to_string(), expires_at, name: user.name.clone() };
        let notification = match purpose {
            LinkPurpose::MagicLink => Notification::MagicLink(news),
            LinkPurpose::PasswordReset => Notification::PasswordReset(news),
        };
        enqueue(&mut tx, now, &email, user.language, &notification).await?;
        self.commit(tx).await
    }

    pub(crate) async fn consume_login_link_tx(
        &self,
        token_sha256: &str,
        purpose: LinkPurpose,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let mut tx = self.db.write().await?;
        let link = tx
            .opt(
                &format!("SELECT user_id, expires_at FROM login_links WHERE token_sha256 = $1 AND purpose = $2 AND used_at IS NULL{}", tx.for_update()),
                args![token_sha256, purpose.as_str()],
            )
            .await?;
        let Some(link) = link else { return Ok(None) };
        if link.ts("expires_at")? <= now {
            return Ok(None);
        }
        // Conditional update: of two concurrent uses, one wins.
        let used = tx
            .exec(
                "UPDATE login_links SET used_at = $2 WHERE token_sha256 = $1 AND used_at IS NULL",
                args![token_sha256, now],
            )
            .await?;
        if used != 1 {
            return Ok(None);
        }
        let user = user_from_row(&tx.one("SELECT * FROM users WHERE id = $1", args![link.i64("user_id")?]).await?)?;
        let actor = Actor::for_user(&user);
        audit(&mut tx, now, &actor, &format!("{}.used", purpose.as_str()), ("user", user.id), json!({})).await?;
        self.commit(tx).await?;
        Ok(Some(user))
    }

    pub(crate) async fn set_password_tx(&self, actor: &Actor, user_id: Id, password_hash: String) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let changed = tx
            .write_principals("UPDATE users SET password_hash = $2 WHERE id = $1", args![user_id, password_hash])
            .await?;
        if changed == 0 {
            return Err(not_found("user"));
        }
        tx.write_principals("DELETE FROM sessions WHERE user_id = $1", args![user_id]).await?;
        audit(&mut tx, now, actor, "user.password_changed", ("user", user_id), json!({})).await?;
        self.commit(tx).await
    }

    pub(crate) async fn update_profile_tx(&self, actor: &Actor, client_id: Id, p: ProfileUpdate) -> Result<Client> {
        let name = check_text("name", &p.name, 200)?;
        let company_name = check_opt_text("company_name", p.company_name, 200)?;
        let siren = digits("siren", p.siren, 9)?;
        let siret = digits("siret", p.siret, 14)?;
        let vat_number = p.vat_number.map(|v| v.replace(' ', "").to_uppercase()).filter(|v| !v.is_empty());
        if let Some(v) = &vat_number
            && (v.len() < 4 || v.len() > 16 || !v.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err(DomainError::validation("vat_number", "an intra-EU VAT number such as FR12345678901"));
        }
        let phone = check_opt_text("phone", p.phone, 40)?;
        validate_address(&p.billing_address)?;
        let address = p.billing_address.as_ref().map(|a| serde_json::to_string(a).expect("address serialises"));
        let now = self.now();
        let mut tx = self.db.write().await?;
        let kind = tx
            .opt("SELECT kind FROM clients WHERE id = $1", args![client_id])
            .await?
            .ok_or_else(|| not_found("client"))?;
        if kind.text("kind")? == "company" && company_name.is_none() {
            return Err(DomainError::validation("company_name", "required for a company"));
        }
        tx.exec(
            "UPDATE clients SET name = $2, phone = $3, company_name = $4, siren = $5, siret = $6, vat_number = $7, billing_address = $8, \
             language = $9, notify_email = $10 WHERE id = $1",
            args![client_id, &name, phone, &company_name, siren, siret, vat_number, address, p.language.as_str(), p.notify_email],
        )
        .await?;
        tx.write_principals(
            "UPDATE users SET name = $2, language = $3 WHERE client_id = $1",
            args![client_id, &name, p.language.as_str()],
        )
        .await?;
        audit(&mut tx, now, actor, "client.updated", ("client", client_id), json!({})).await?;
        let row = tx.one("SELECT * FROM clients WHERE id = $1", args![client_id]).await?;
        let email = row.text("email")?;
        let texts = [name.as_str(), company_name.as_deref().unwrap_or(""), email.as_str()];
        search::index(&mut tx, Kind::Client, client_id, texts, true).await?;
        self.commit(tx).await?;
        client_from_row(&row)
    }
}

struct CheckedClient {
    kind: ClientKind,
    email: String,
    name: String,
    phone: Option<String>,
    company_name: Option<String>,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    address: Option<String>,
    language: Language,
}

fn checked_client(c: NewClient) -> Result<CheckedClient> {
    let email = normalize_email(&c.email)?;
    let name = check_text("name", &c.name, 200)?;
    let company_name = check_opt_text("company_name", c.company_name, 200)?;
    if c.kind == ClientKind::Company && company_name.is_none() {
        return Err(DomainError::validation("company_name", "required for a company"));
    }
    let siren = digits("siren", c.siren, 9)?;
    let siret = digits("siret", c.siret, 14)?;
    if let (Some(siren), Some(siret)) = (&siren, &siret)
        && !siret.starts_with(siren.as_str())
    {
        return Err(DomainError::validation("siret", "must start with the SIREN"));
    }
    let vat_number = c.vat_number.map(|v| v.replace(' ', "").to_uppercase()).filter(|v| !v.is_empty());
    if let Some(v) = &vat_number
        && (v.len() < 4
            || v.len() > 16
            || !v.chars().take(2).all(|ch| ch.is_ascii_uppercase())
            || !v.chars().all(|ch| ch.is_ascii_alphanumeric()))
    {
        return Err(DomainError::validation("vat_number", "an intra-EU VAT number such as FR12345678901"));
    }
    let phone = check_opt_text("phone", c.phone, 40)?;
    validate_address(&c.billing_address)?;
    let address = c.billing_address.as_ref().map(|a| serde_json::to_string(a).expect("address serialises"));
    Ok(CheckedClient {
        kind: c.kind,
        email,
        name,
        phone,
        company_name,
        siren,
        siret,
        vat_number,
        address,
        language: c.language,
    })
}

async fn insert_client(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    c: &CheckedClient,
    password_hash: Option<String>,
) -> Result<Id> {
    let taken = tx.opt("SELECT id FROM users WHERE email = $1", args![&c.email]).await?;
    if taken.is_some() {
        return Err(DomainError::EmailTaken);
    }
    let id = tx
        .insert(
            "INSERT INTO clients (kind, name, email, phone, company_name, siren, siret, vat_number, billing_address, language, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            args![
                c.kind.as_str(),
                &c.name,
                &c.email,
                &c.phone,
                &c.company_name,
                &c.siren,
                &c.siret,
                &c.vat_number,
                &c.address,
                c.language.as_str(),
                now
            ],
        )
        .await
        .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
    if let Some(hash) = password_hash {
        tx.exec(
            "INSERT INTO users (email, name, password_hash, client_id, language, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![&c.email, &c.name, hash, id, c.language.as_str(), now],
        )
        .await
        .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
    }
    let texts = [c.name.as_str(), c.company_name.as_deref().unwrap_or(""), c.email.as_str()];
    search::index(tx, Kind::Client, id, texts, false).await?;
    audit(tx, now, actor, "client.created", ("client", id), json!({"email": c.email, "kind": c.kind.as_str()})).await?;
    Ok(id)
}

//! Accounts (staff and client logins, sessions, API tokens, single-use links, second factors)
//! and clients: the SQL of the account use cases (see `immovr_app::accounts` and
//! `immovr_app::auth`) and of reading clients and staff.

use async_trait::async_trait;
use immovr_app::ports::{AccountQueries, AccountRepo, ClientRow, LinkPurpose, ProfileRow, Sessions};
use immovr_core::auth::normalize_email;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::ports::Scope;
use immovr_core::{Context, DomainError, Result};
use jiff::Timestamp;

use crate::db::{Row, SettingsCache, args};
use crate::search::{self, Kind};
use crate::{SqlStore, SqlTx, not_found, scope_client};

/// The `settings` row of the key that signs the links of emails.
const LINK_KEY: &str = "links.key";

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
        erasure_requested_at: r.opt_ts("erasure_requested_at")?,
        erased_at: r.opt_ts("erased_at")?,
    })
}

fn address_json(a: Option<&Address>) -> Result<Option<String>> {
    a.map(|a| serde_json::to_string(a).context("an address")).transpose()
}

#[async_trait]
impl AccountRepo for SqlTx {
    async fn insert_staff_user(
        &mut self,
        email: &str,
        name: &str,
        hash: &str,
        roles: &[Role],
        at: Timestamp,
    ) -> Result<User> {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let row = self
            .tx
            .one(
                "INSERT INTO users (email, name, password_hash, roles, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
                args![email, name, hash, roles.join(","), at],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
        user_from_row(&row)
    }

    async fn email_taken(&mut self, email: &str) -> Result<bool> {
        Ok(self.tx.opt("SELECT id FROM users WHERE email = $1", args![email]).await?.is_some())
    }

    async fn insert_client(&mut self, c: &ClientRow<'_>, at: Timestamp) -> Result<Client> {
        let address = address_json(c.billing_address)?;
        let row = self
            .tx
            .one(
                "INSERT INTO clients (kind, name, email, phone, company_name, siren, siret, vat_number, billing_address, language, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
                args![c.kind.as_str(), c.name, c.email, c.phone, c.company_name, c.siren, c.siret, c.vat_number, address, c.language.as_str(), at],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
        let client = client_from_row(&row)?;
        let texts = [c.name, c.company_name.unwrap_or(""), c.email];
        search::index(&mut self.tx, Kind::Client, client.id, texts, false).await?;
        Ok(client)
    }

    async fn insert_client_login(&mut self, c: &Client, hash: &str, at: Timestamp) -> Result<User> {
        let row = self
            .tx
            .one(
                "INSERT INTO users (email, name, password_hash, client_id, language, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                args![&c.email, &c.name, hash, c.id, c.language.as_str(), at],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::EmailTaken))?;
        user_from_row(&row)
    }

    async fn client_now(&mut self, id: Id) -> Result<Client> {
        let row = self.tx.opt("SELECT * FROM clients WHERE id = $1", args![id]).await?;
        client_from_row(&row.ok_or_else(|| not_found("client"))?)
    }

    async fn update_client(&mut self, id: Id, p: &ProfileRow<'_>) -> Result<Client> {
        let address = address_json(p.billing_address)?;
        let row = self
            .tx
            .opt(
                "UPDATE clients SET name = $2, phone = $3, company_name = $4, siren = $5, siret = $6, vat_number = $7, billing_address = $8, \
                 language = $9, notify_email = $10 WHERE id = $1 RETURNING *",
                args![id, p.name, p.phone, p.company_name, p.siren, p.siret, p.vat_number, address, p.language.as_str(), p.notify_email],
            )
            .await?
            .ok_or_else(|| not_found("client"))?;
        self.tx
            .write_principals(
                "UPDATE users SET name = $2, language = $3 WHERE client_id = $1",
                args![id, p.name, p.language.as_str()],
            )
            .await?;
        let client = client_from_row(&row)?;
        let texts = [p.name, p.company_name.unwrap_or(""), client.email.as_str()];
        search::index(&mut self.tx, Kind::Client, id, texts, true).await?;
        Ok(client)
    }

    async fn user_now(&mut self, id: Id) -> Result<Option<User>> {
        let row = self.tx.opt("SELECT * FROM users WHERE id = $1", args![id]).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email(&mut self, email: &str) -> Result<Option<User>> {
        let row = self.tx.opt("SELECT * FROM users WHERE email = $1", args![email]).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn set_roles(&mut self, user_id: Id, roles: &[Role]) -> Result<Option<User>> {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let changed = self
            .tx
            .write_principals(
                "UPDATE users SET roles = $2 WHERE id = $1 AND client_id IS NULL",
                args![user_id, names.join(",")],
            )
            .await?;
        if changed == 0 {
            return Ok(None);
        }
        self.user_now(user_id).await
    }

    async fn set_password(&mut self, user_id: Id, hash: &str, now: Timestamp) -> Result<bool> {
        let changed =
            self.tx.write_principals("UPDATE users SET password_hash = $2 WHERE id = $1", args![user_id, hash]).await?;
        if changed == 0 {
            return Ok(false);
        }
        // A new password ends every session and voids the links already emailed.
        self.sign_out_everywhere(user_id).await?;
        self.tx
            .exec("UPDATE login_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL", args![user_id, now])
            .await?;
        Ok(true)
    }

    async fn upgrade_password_hash(&mut self, user_id: Id, old: &str, new: &str) -> Result<bool> {
        let sql = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";
        Ok(self.tx.write_principals(sql, args![user_id, old, new]).await? > 0)
    }

    async fn set_totp(&mut self, user_id: Id, secret: Option<&str>) -> Result<()> {
        self.tx
            .write_principals(
                "UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1",
                args![user_id, secret],
            )
            .await?;
        Ok(())
    }

    async fn insert_api_token(&mut self, user_id: Id, name: &str, token_sha256: &str, at: Timestamp) -> Result<Id> {
        Ok(self
            .tx
            .insert(
                "INSERT INTO api_tokens (user_id, name, token_sha256, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                args![user_id, name, token_sha256, at],
            )
            .await?)
    }

    async fn insert_login_link(
        &mut self,
        token_sha256: &str,
        user_id: Id,
        purpose: LinkPurpose,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO login_links (token_sha256, user_id, purpose, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
                args![token_sha256, user_id, purpose.as_str(), expires_at, at],
            )
            .await?;
        Ok(())
    }

    async fn use_login_link(&mut self, token_sha256: &str, purpose: LinkPurpose, now: Timestamp) -> Result<Option<Id>> {
        let sql = format!(
            "SELECT user_id, expires_at FROM login_links WHERE token_sha256 = $1 AND purpose = $2 AND used_at IS NULL{}",
            self.tx.for_update()
        );
        let Some(link) = self.tx.opt(&sql, args![token_sha256, purpose.as_str()]).await? else { return Ok(None) };
        if link.ts("expires_at")? <= now {
            return Ok(None);
        }
        // Conditional update: of two concurrent uses, one wins.
        let used = self
            .tx
            .exec(
                "UPDATE login_links SET used_at = $2 WHERE token_sha256 = $1 AND used_at IS NULL",
                args![token_sha256, now],
            )
            .await?;
        if used != 1 {
            return Ok(None);
        }
        link.i64("user_id").map(Some)
    }

    async fn insert_pending_signup(
        &mut self,
        token_sha256: &str,
        email: &str,
        details: &str,
        password_hash: &str,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO pending_signups (token_sha256, email, details, password_hash, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![token_sha256, email, details, password_hash, expires_at, at],
            )
            .await?;
        Ok(())
    }

    async fn record_consent(&mut self, client_id: Id, c: &Consent) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO consents (client_id, kind, version, language, shown_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![client_id, &c.kind, c.version, c.language.as_str(), c.shown_at, c.recorded_at],
            )
            .await?;
        Ok(())
    }

    async fn sign_out_everywhere(&mut self, user_id: Id) -> Result<()> {
        self.tx.write_principals("DELETE FROM sessions WHERE user_id = $1", args![user_id]).await?;
        self.tx.write_principals("UPDATE users SET link_epoch = link_epoch + 1 WHERE id = $1", args![user_id]).await?;
        Ok(())
    }

    async fn take_pending_signup(&mut self, token_sha256: &str, now: Timestamp) -> Result<Option<(String, String)>> {
        let sql = format!(
            "SELECT details, password_hash, expires_at FROM pending_signups WHERE token_sha256 = $1 AND used_at IS NULL{}",
            self.tx.for_update()
        );
        let Some(row) = self.tx.opt(&sql, args![token_sha256]).await? else { return Ok(None) };
        if row.ts("expires_at")? <= now {
            return Ok(None);
        }
        let used = self
            .tx
            .exec(
                "UPDATE pending_signups SET used_at = $2 WHERE token_sha256 = $1 AND used_at IS NULL",
                args![token_sha256, now],
            )
            .await?;
        if used != 1 {
            return Ok(None);
        }
        Ok(Some((row.text("details")?, row.text("password_hash")?)))
    }
}

#[async_trait]
impl Sessions for SqlStore {
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>> {
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

    async fn forget_pending_signups(&self, before: Timestamp) -> Result<Vec<String>> {
        let mut tx = self.db.write().await?;
        let unconfirmed = tx
            .all("SELECT details FROM pending_signups WHERE expires_at < $1 AND used_at IS NULL", args![before])
            .await?
            .iter()
            .map(|r| r.text("details"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tx.exec("DELETE FROM pending_signups WHERE expires_at < $1", args![before]).await?;
        self.commit(tx).await?;
        Ok(unconfirmed)
    }

    async fn create_session(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()> {
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

    async fn create_link_session(
        &self,
        user_id: Id,
        epoch: i64,
        token_sha256: &str,
        expires_at: Timestamp,
        link: &LinkScope,
    ) -> Result<bool> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let created = tx
            .exec(
                "INSERT INTO sessions (token_sha256, user_id, expires_at, created_at, scope, link_sent_at) \
                 SELECT $1, id, $3, $4, $5, $6 FROM users WHERE id = $2 AND link_epoch = $7",
                args![token_sha256, user_id, expires_at, now, link.path.clone(), link.sent_at, epoch],
            )
            .await?;
        self.commit(tx).await?;
        Ok(created == 1)
    }

    async fn session_user(&self, token_sha256: &str, now: Timestamp) -> Result<Option<(User, Option<LinkScope>)>> {
        let cache = self.db.settings_cache();
        let key = SettingsCache::principal_key(true, token_sha256);
        if let Some((user, expires_at, link)) = cache.principal(&key) {
            return Ok(expires_at.is_some_and(|e| e > now).then_some((user, link)));
        }
        let mut tx = self.db.read().await?;
        let row = tx
            .opt(
                "SELECT u.*, s.expires_at, s.scope, s.link_sent_at FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_sha256 = $1",
                args![token_sha256],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let (user, expires_at) = (user_from_row(&r)?, r.ts("expires_at")?);
        let link = match (r.opt_text("scope")?, r.opt_ts("link_sent_at")?) {
            (Some(path), Some(sent_at)) => Some(LinkScope { path, sent_at }),
            _ => None,
        };
        cache.put_principal(tx.cache_generation(), key, user.clone(), Some(expires_at), link.clone());
        Ok((expires_at > now).then_some((user, link)))
    }

    async fn link_key(&self, new_key: &str) -> Result<String> {
        let mut tx = self.db.read().await?;
        if let Some(key) = tx.setting(LINK_KEY).await? {
            return Ok(key);
        }
        drop(tx);
        let mut tx = self.db.write().await?;
        tx.write_settings(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            args![LINK_KEY, new_key],
        )
        .await?;
        // Another instance may have made it first: the one stored is the key.
        let key = tx.opt("SELECT value FROM settings WHERE key = $1", args![LINK_KEY]).await?;
        let key = key.ok_or_else(|| DomainError::internal("the links' key was not stored"))?.text("value")?;
        self.commit(tx).await?;
        Ok(key)
    }

    async fn link_holders(&self, emails: &[&str]) -> Result<Vec<(String, Id, i64)>> {
        if emails.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=emails.len()).map(|i| format!("${i}")).collect();
        let args = emails.iter().map(|e| e.to_string().into()).collect();
        let sql = format!(
            "SELECT email, id, link_epoch FROM users WHERE client_id IS NOT NULL AND email IN ({})",
            list.join(", ")
        );
        let mut tx = self.db.read().await?;
        let rows = tx.all(&sql, args).await?;
        rows.iter().map(|r| Ok((r.text("email")?, r.i64("id")?, r.i64("link_epoch")?))).collect()
    }

    async fn link_holder(&self, user_id: Id) -> Result<Option<(User, i64, bool)>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT * FROM users WHERE id = $1 AND client_id IS NOT NULL", args![user_id]).await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some((user_from_row(&r)?, r.i64("link_epoch")?, r.opt_text("totp_secret")?.is_some())))
    }

    async fn delete_session(&self, token_sha256: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.write_principals("DELETE FROM sessions WHERE token_sha256 = $1", args![token_sha256]).await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>> {
        let cache = self.db.settings_cache();
        let key = SettingsCache::principal_key(false, token_sha256);
        if let Some((user, ..)) = cache.principal(&key) {
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
        cache.put_principal(tx.cache_generation(), key, user.clone(), None, None);
        Ok(Some(user))
    }

    async fn totp_secret(&self, user_id: Id) -> Result<Option<String>> {
        let mut tx = self.db.read().await?;
        let row = tx.opt("SELECT totp_secret FROM users WHERE id = $1", args![user_id]).await?;
        Ok(row.map(|r| r.opt_text("totp_secret")).transpose()?.flatten())
    }

    async fn use_totp_step(&self, user_id: Id, step: i64) -> Result<bool> {
        let mut tx = self.db.write().await?;
        let used = tx
            .exec(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                args![user_id, step],
            )
            .await?;
        self.commit(tx).await?;
        Ok(used == 1)
    }

    async fn begin_second_factor(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "INSERT INTO totp_pending (token_sha256, user_id, expires_at) VALUES ($1, $2, $3)",
            args![token_sha256, user_id, expires_at],
        )
        .await?;
        self.commit(tx).await
    }

    async fn take_second_factor(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>> {
        let mut tx = self.db.write().await?;
        // Used once, whatever the code typed next (a wrong code starts a new wait); of two
        // concurrent uses, only one gets the row back.
        let row = tx
            .opt("DELETE FROM totp_pending WHERE token_sha256 = $1 RETURNING user_id, expires_at", args![token_sha256])
            .await?;
        let Some(row) = row else {
            self.commit(tx).await?;
            return Ok(None);
        };
        if row.ts("expires_at")? <= now {
            self.commit(tx).await?;
            return Ok(None);
        }
        let user = tx.one("SELECT * FROM users WHERE id = $1", args![row.i64("user_id")?]).await?;
        self.commit(tx).await?;
        user_from_row(&user).map(Some)
    }
}

#[async_trait]
impl AccountQueries for SqlStore {
    async fn client(&self, scope: Scope, id: Id) -> Result<Client> {
        let mut tx = self.db.read().await?;
        let row = tx
            .opt("SELECT * FROM clients WHERE id = $1 AND ($2 IS NULL OR id = $2)", args![id, scope_client(scope)])
            .await?;
        client_from_row(&row.ok_or_else(|| not_found("client"))?)
    }

    async fn clients(&self, list: &ListQuery) -> Result<Page<Client>> {
        self.clients_page(list).await
    }

    async fn client_names(&self, ids: &[Id]) -> Result<Vec<(Id, String)>> {
        self.client_names_q(ids).await
    }

    async fn consents(&self, client_id: Id) -> Result<Vec<Consent>> {
        let mut tx = self.db.read().await?;
        let rows = tx.all("SELECT * FROM consents WHERE client_id = $1 ORDER BY id", args![client_id]).await?;
        rows.iter()
            .map(|r| {
                Ok(Consent {
                    kind: r.text("kind")?,
                    version: r.i64("version")?,
                    language: Language::parse(&r.text("language")?)?,
                    shown_at: r.ts("shown_at")?,
                    recorded_at: r.ts("recorded_at")?,
                })
            })
            .collect()
    }

    async fn staff_users(&self) -> Result<Vec<User>> {
        let mut tx = self.db.read().await?;
        let rows = tx.all("SELECT * FROM users WHERE client_id IS NULL ORDER BY id", vec![]).await?;
        rows.iter().map(user_from_row).collect()
    }
}

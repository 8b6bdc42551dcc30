//! Authentication, for the API and the pages alike: passwords (argon2id, at most one hash per
//! core at a time), sessions, API tokens, single-use links by email (sign-in, password reset),
//! the optional second factor (TOTP, RFC 6238) and sign-up.

use immovr_core::auth::{dummy_hash, hash_password, normalize_email, token_sha256, upgraded_hash, verify_password};
use immovr_core::links;
use immovr_core::model::{Consent, LegalKind, LinkScope, User};
use immovr_core::notification::{LinkNews, Notification};
use immovr_core::ports::{NewAttachment, NewClient, NewQuoteRequest};
use immovr_core::{Actor, Checks, Context, DomainError, Result};
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use totp_rs::{Builder, Secret};

use crate::App;
use crate::accounts::CheckedClient;
use crate::ports::LinkPurpose;
use crate::ports::Tx;
use crate::support::audit;
use crate::tokens::new_token;

/// How long an emailed sign-up confirmation stays good.
const SIGNUP_HOURS: i64 = 24;

/// A sign-up kept until its address is confirmed, as it was sent.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingSignUp {
    client: NewClient,
    request: Option<NewQuoteRequest>,
    attachments: Vec<NewAttachment>,
    /// The privacy policy the form presented (kept with the account once confirmed).
    #[serde(default)]
    privacy: Option<Consent>,
}

/// Session tokens start with this (API tokens with `imvt_`), so a leaked one is recognisable.
pub const SESSION_TOKEN_PREFIX: &str = "imvs_";
pub const API_TOKEN_PREFIX: &str = "imvt_";

/// An open session: the token (given once), when it ends, and whose it is.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

/// A sign-up confirmed: the sign-in, and whether its quote request was recorded.
pub struct Confirmed {
    pub sign_in: SignIn,
    pub request: bool,
}

/// A password checked.
pub enum SignIn {
    /// Signed in.
    Session(NewSession),
    /// The password was right; the account's second factor is awaited under this token (five
    /// minutes; see [`App::second_factor`]).
    CodeNeeded { token: String, user: User },
}

/// The time step (30 s) whose code `code` is, among the current one and its neighbours, for
/// the base32 `secret` at `now`.
pub fn totp_step(secret: &str, code: &str, now: Timestamp) -> Option<i64> {
    let secret = Secret::try_from_base32(secret).ok()?;
    let totp = Builder::new().with_secret(secret).build().ok()?;
    let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let step = now.as_second().max(0) / 30;
    (step - 1..=step + 1).find(|s| totp.generate(*s as u64 * 30).to_string() == code)
}

/// A new TOTP secret (base32) and the `otpauth://` address authenticator apps read.
pub fn new_totp_secret(issuer: &str, account: &str) -> (String, String) {
    let bytes: [u8; 20] = rand::random();
    let secret = Secret::from(bytes).to_base32();
    let label: String = format!("{issuer}:{account}")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let uri = format!("otpauth://totp/{label}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30");
    (secret, uri)
}

impl App {
    /// Hashes a password off the async threads, at most one per core at once (argon2id holds a
    /// 9 MiB block for tens of milliseconds: a burst of sign-ups waits its turn).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hash_password(&self, password: String) -> Result<String> {
        self.hashing(move || hash_password(&password)).await?
    }

    async fn hashing<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.hashing.acquire().await.context("waiting to hash a password")?;
        tokio::task::spawn_blocking(f).await.context("hashing a password")
    }

    /// Checks an email and a password; the same answer, in the same time, whether or not the
    /// account exists. An account with a second factor then waits for its code.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn sign_in(&self, email: &str, password: String) -> Result<SignIn> {
        let found = self.db.user_credentials(email).await?;
        let hash = found.as_ref().map(|(_, h)| h.clone());
        // Verified even for unknown emails, so the answer time does not reveal which exist (the
        // dummy hash is made at its first use: on the hashing thread too); a hash made with
        // older settings is made again with the current ones.
        let (ok, upgraded) = self
            .hashing(move || {
                let hash = match &hash {
                    Some(h) => h.as_str(),
                    None => dummy_hash(),
                };
                let ok = verify_password(&password, hash);
                (ok, if ok { upgraded_hash(&password, hash) } else { None })
            })
            .await?;
        match found {
            Some((user, old)) if ok => {
                if let Some(new) = upgraded
                    && let Err(e) = self.upgrade_password_hash(&user, &old, &new).await
                {
                    // The old hash still works: the next sign-in tries again.
                    tracing::warn!(user_id = user.id, error = %e, "storing a password's upgraded hash");
                }
                self.after_password(user).await
            }
            _ => Err(DomainError::BadCredentials),
        }
    }

    async fn upgrade_password_hash(&self, user: &User, old: &str, new: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        if tx.upgrade_password_hash(user.id, old, new).await? {
            // The settings it is made with (`m=…,t=…,p=…`), not the hash.
            let detail = json!({"settings": new.split('$').nth(3).unwrap_or_default()});
            audit(tx.as_mut(), now, &Actor::for_user(user), "user.password_rehashed", ("user", user.id), detail)
                .await?;
        }
        tx.commit().await
    }

    /// Checks an email, a password and, for an account with a second factor, its code, at once
    /// (the API); `second_factor_required` when the code is missing or wrong.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sign_in_with_code(&self, email: &str, password: String, code: Option<&str>) -> Result<NewSession> {
        match self.sign_in(email, password).await? {
            SignIn::Session(s) => Ok(s),
            SignIn::CodeNeeded { token, user } => {
                let secret = self.db.totp_secret(user.id).await?.unwrap_or_default();
                // The wait just started is not needed: the code came with the password.
                self.db.take_second_factor(&token_sha256(&token), self.now()).await?;
                if !self.fresh_code(user.id, &secret, code.unwrap_or("")).await? {
                    return Err(DomainError::SecondFactorRequired);
                }
                self.open_session(&user).await
            }
        }
    }

    /// Whether `code` is a good code of the user's second factor that was not used yet (a code
    /// is good once: one seen on a shoulder or in a log cannot be played again).
    async fn fresh_code(&self, user_id: immovr_core::model::Id, secret: &str, code: &str) -> Result<bool> {
        match totp_step(secret, code, self.now()) {
            Some(step) => self.db.use_totp_step(user_id, step).await,
            None => Ok(false),
        }
    }

    /// A session, or the wait for the second factor (an emailed link replaces the password,
    /// never the second factor).
    async fn after_password(&self, user: User) -> Result<SignIn> {
        if self.db.totp_secret(user.id).await?.is_some() {
            let token = new_token("");
            let expires = self.now().checked_add(5.minutes()).context("the second factor's wait")?;
            self.db.begin_second_factor(user.id, &token_sha256(&token), expires).await?;
            return Ok(SignIn::CodeNeeded { token, user });
        }
        Ok(SignIn::Session(self.open_session(&user).await?))
    }

    /// The second factor's code, for the login waiting under `token`: a session, or `None` when
    /// the wait is over (expired or used: a wrong code starts a new one, given back in `Err`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn second_factor(
        &self,
        token: &str,
        code: &str,
    ) -> Result<Option<std::result::Result<NewSession, SignIn>>> {
        let now = self.now();
        let Some(user) = self.db.take_second_factor(&token_sha256(token), now).await? else { return Ok(None) };
        let secret = self.db.totp_secret(user.id).await?.unwrap_or_default();
        if self.fresh_code(user.id, &secret, code).await? {
            return Ok(Some(Ok(self.open_session(&user).await?)));
        }
        // A wrong code: a fresh wait.
        Ok(Some(Err(self.after_password(user).await?)))
    }

    /// Opens a session for `user`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_session(&self, user: &User) -> Result<NewSession> {
        let token = new_token(SESSION_TOKEN_PREFIX);
        let expires_at = self.now().checked_add(self.session_hours.hours()).context("a session's end")?;
        self.db.create_session(user.id, &token_sha256(&token), expires_at).await?;
        Ok(NewSession { token, expires_at, user: user.clone() })
    }

    pub fn session_hours(&self) -> i64 {
        self.session_hours
    }

    /// Ends a session (logout); an unknown token is no error.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close_session(&self, token: &str) -> Result<()> {
        self.db.delete_session(&token_sha256(token)).await
    }

    /// Whose credential this is: an API token (`imvt_…`) or a session token. A session opened
    /// by an email's link is no credential here: it reaches its document's pages only (see
    /// [`App::authenticate_page`]).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(&self, token: &str) -> Result<Option<User>> {
        let hash = token_sha256(token);
        if token.starts_with(API_TOKEN_PREFIX) {
            self.db.api_token_user(&hash).await
        } else if token.starts_with(SESSION_TOKEN_PREFIX) {
            Ok(self.db.session_user(&hash, self.now()).await?.and_then(|(user, link)| link.is_none().then_some(user)))
        } else {
            Ok(None)
        }
    }

    /// Whose session this is, for a page: the user, and what the session is limited to when an
    /// email's link opened it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate_page(&self, token: &str) -> Result<Option<(User, Option<LinkScope>)>> {
        if !token.starts_with(SESSION_TOKEN_PREFIX) {
            return Ok(None);
        }
        self.db.session_user(&token_sha256(token), self.now()).await
    }

    /// Checks a sign-up's every field (the client, the password, the request), with the
    /// refusals its page found already: every refusal at once, nothing recorded.
    pub fn check_sign_up_form(
        &self,
        checks: Checks,
        client: &NewClient,
        password: &str,
        request: Option<&NewQuoteRequest>,
    ) -> Result<()> {
        self.check_sign_up(checks, client, password, request).map(|_| ())
    }

    fn check_sign_up(
        &self,
        mut checks: Checks,
        client: &NewClient,
        password: &str,
        request: Option<&NewQuoteRequest>,
    ) -> Result<CheckedClient> {
        let checked = CheckedClient::checked(&mut checks, client.clone());
        checks.check(immovr_core::auth::check_password(password));
        if let Some(r) = request {
            self.check_request(&mut checks, r.clone());
        }
        checks.done().map(|()| checked)
    }

    /// A sign-up, with the first quote request and its stored attachments when the pages send
    /// one: checked, then kept until its address is confirmed by the emailed link (see
    /// [`App::confirm_sign_up`]), which creates the account. The answer is the same, after the
    /// same work (the password is hashed either way), whether or not the address has an
    /// account: when it has one, its owner is emailed a sign-in link instead, and this sign-up
    /// is dropped (its attachments removed) — the sign-up tells nobody who has an account.
    pub async fn sign_up(
        &self,
        client: NewClient,
        password: String,
        request: Option<(NewQuoteRequest, Vec<NewAttachment>)>,
    ) -> Result<()> {
        self.sign_up_shown(client, password, request, None).await
    }

    /// [`App::sign_up`] from a form that presented version `privacy_shown` of the privacy policy
    /// (recorded with the account when it is a version that exists; the one in force otherwise).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn sign_up_shown(
        &self,
        client: NewClient,
        password: String,
        request: Option<(NewQuoteRequest, Vec<NewAttachment>)>,
        privacy_shown: Option<i64>,
    ) -> Result<()> {
        let checked = self.check_sign_up(Checks::new(), &client, &password, request.as_ref().map(|(r, _)| r))?;
        let hash = self.hash_password(password).await?;
        let email = checked.email().to_string();
        let token = new_token("");
        let now = self.now();
        let mut tx = self.begin().await?;
        let existing = tx.user_by_email(&email).await?;
        let (request, mut attachments) = match request {
            Some((r, a)) => (Some(r), a),
            None => (None, Vec::new()),
        };
        // Files kept from a refused try are this sign-up's now (removed with it if unconfirmed).
        crate::uploads::claim_kept(tx.as_mut(), &mut attachments).await?;
        let actor = Actor { label: format!("signup {email}"), ..Actor::anonymous() };
        match &existing {
            Some(user) => {
                let expires_at = now.checked_add(15.minutes()).context("a link's end")?;
                tx.insert_login_link(&token_sha256(&token), user.id, LinkPurpose::MagicLink, expires_at, now).await?;
                audit(tx.as_mut(), now, &actor, "signup.existing_account", ("user", user.id), json!({})).await?;
                let news = LinkNews { url_path: links::magic_link(&token), expires_at, name: user.name.clone() };
                tx.enqueue(&email, user.language, &Notification::SignupExisting(news), now).await?;
            }
            None => {
                let expires_at = now.checked_add(SIGNUP_HOURS.hours()).context("a sign-up's end")?;
                // The policy the form presented (the one in force when it does not say), in the
                // form's language.
                let versions = tx.legal_texts(LegalKind::Privacy).await?;
                let version = match privacy_shown {
                    Some(v) if v == 0 || versions.iter().any(|t| t.version == v) => v,
                    _ => versions.last().map_or(0, |t| t.version),
                };
                let privacy = Consent {
                    kind: "privacy_policy".into(),
                    version,
                    language: checked.language(),
                    shown_at: now,
                    recorded_at: now,
                };
                let pending =
                    PendingSignUp { client, request, attachments: attachments.clone(), privacy: Some(privacy) };
                let details = serde_json::to_string(&pending).context("keeping a sign-up")?;
                tx.insert_pending_signup(&token_sha256(&token), &email, &details, &hash, expires_at, now).await?;
                // Recorded like the other branch (the same work, so the same time): nothing
                // exists yet, so the event names no record.
                audit(tx.as_mut(), now, &actor, "signup.pending", ("signup", 0), json!({})).await?;
                let news =
                    LinkNews { url_path: links::signup_confirm(&token), expires_at, name: checked.name().into() };
                tx.enqueue(&email, checked.language(), &Notification::SignupConfirm(news), now).await?;
            }
        }
        tx.commit().await?;
        if existing.is_some() {
            self.discard_attachments(&attachments).await;
        }
        Ok(())
    }

    /// Opens an emailed sign-up confirmation: the client, its login and its request are created
    /// in one transaction, and the new account is signed in. `None` when the link is unknown,
    /// used or expired. When the address got an account meanwhile (confirmed twice, or signed up
    /// twice), its owner proved the address as an emailed sign-in link would: signed in there.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn confirm_sign_up(&self, token: &str) -> Result<Option<Confirmed>> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some((details, hash)) = tx.take_pending_signup(&token_sha256(token), now).await? else {
            return Ok(None);
        };
        let pending: PendingSignUp = serde_json::from_str(&details).context("reading a kept sign-up")?;
        let client = CheckedClient::new(pending.client)?;
        let actor = Actor { label: format!("signup {}", client.email()), ..Actor::anonymous() };
        let mut request_recorded = false;
        let (user, dropped) = match tx.user_by_email(client.email()).await? {
            Some(user) => (user, pending.attachments),
            None => {
                let (created, login) = self.insert_client(tx.as_mut(), &actor, &client, Some(&hash)).await?;
                if let Some(privacy) = &pending.privacy {
                    tx.record_consent(created.id, &Consent { recorded_at: now, ..privacy.clone() }).await?;
                }
                if let Some(request) = pending.request {
                    let request = self.checked_request(request)?;
                    self.insert_request(tx.as_mut(), &actor, created.id, &request, &pending.attachments).await?;
                    request_recorded = true;
                }
                (login.ok_or_else(|| DomainError::internal("a client signed up without a login"))?, Vec::new())
            }
        };
        tx.commit().await?;
        self.discard_attachments(&dropped).await;
        Ok(Some(Confirmed { sign_in: self.after_password(user).await?, request: request_recorded }))
    }

    /// Forgets the sign-ups that ended a day ago or more, and the files of those never confirmed.
    pub async fn forget_pending_signups(&self) -> Result<usize> {
        let before = self.now().checked_sub(24.hours()).context("a day ago")?;
        let unconfirmed = self.db.forget_pending_signups(before).await?;
        for details in &unconfirmed {
            if let Ok(p) = serde_json::from_str::<PendingSignUp>(details) {
                self.discard_attachments(&p.attachments).await;
            }
        }
        Ok(unconfirmed.len())
    }

    /// Emails a single-use link to the account with this email (sign-in: 15 minutes; password
    /// reset: an hour). Unknown emails do nothing and answer the same, so the form does not reveal
    /// who has an account.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn request_link(&self, email: &str, purpose: LinkPurpose) -> Result<()> {
        let Ok(email) = normalize_email(email) else { return Ok(()) };
        let token = new_token("");
        let (url_path, minutes) = match purpose {
            LinkPurpose::MagicLink => (links::magic_link(&token), 15),
            LinkPurpose::PasswordReset => (links::password_reset(&token), 60),
        };
        let now = self.now();
        let expires_at = now.checked_add(minutes.minutes()).context("a link's end")?;
        let mut tx = self.begin().await?;
        let Some(user) = tx.user_by_email(&email).await? else { return Ok(()) };
        tx.insert_login_link(&token_sha256(&token), user.id, purpose, expires_at, now).await?;
        let actor = Actor { label: format!("link request {email}"), ..Actor::anonymous() };
        audit(tx.as_mut(), now, &actor, &format!("{}.requested", purpose.as_str()), ("user", user.id), json!({}))
            .await?;
        let news = LinkNews { url_path, expires_at, name: user.name.clone() };
        let notification = match purpose {
            LinkPurpose::MagicLink => Notification::MagicLink(news),
            LinkPurpose::PasswordReset => Notification::PasswordReset(news),
        };
        tx.enqueue(&email, user.language, &notification, now).await?;
        tx.commit().await
    }

    /// [`App::request_link`] in the background: whoever asks gets the same answer at once,
    /// before anything is looked up, so neither its content nor its time tells whether the
    /// account exists (the email, when there is one, goes to its owner).
    pub fn request_link_in_background(self: &std::sync::Arc<Self>, email: String, purpose: LinkPurpose) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.request_link(&email, purpose).await {
                tracing::warn!(error = %e, "sending an emailed link");
            }
        });
    }

    /// Uses a link once, in `tx`: its account, if the link exists, has this purpose, is unused
    /// and unexpired.
    async fn use_link_in(&self, tx: &mut dyn Tx, token: &str, purpose: LinkPurpose) -> Result<Option<User>> {
        let now = self.now();
        let Some(user_id) = tx.use_login_link(&token_sha256(token), purpose, now).await? else { return Ok(None) };
        let user = tx.user_now(user_id).await?.ok_or_else(|| DomainError::not_found("user"))?;
        let actor = Actor::for_user(&user);
        audit(tx, now, &actor, &format!("{}.used", purpose.as_str()), ("user", user.id), json!({})).await?;
        Ok(Some(user))
    }

    async fn use_link(&self, token: &str, purpose: LinkPurpose) -> Result<Option<User>> {
        let mut tx = self.begin().await?;
        let user = self.use_link_in(tx.as_mut(), token, purpose).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Signs in with an emailed link; `None` when the link is unknown, used or expired.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn sign_in_with_link(&self, token: &str) -> Result<Option<SignIn>> {
        match self.use_link(token, LinkPurpose::MagicLink).await? {
            Some(user) => Ok(Some(self.after_password(user).await?)),
            None => Ok(None),
        }
    }

    /// Sets a new password with an emailed reset link (used only once the new password is
    /// acceptable), in one transaction; every session of the account ends and every other link
    /// it was sent is spent. False when the link is unknown, used or expired.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn reset_password(&self, token: &str, password: String) -> Result<bool> {
        let hash = self.hash_password(password).await?;
        let mut tx = self.begin().await?;
        let Some(user) = self.use_link_in(tx.as_mut(), token, LinkPurpose::PasswordReset).await? else {
            return Ok(false);
        };
        self.set_password_in(tx.as_mut(), &Actor::for_user(&user), user.id, &hash).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A signed-in user changes its password, giving the current one; every session ends.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn change_password(&self, actor: &Actor, user: &User, current: String, new: String) -> Result<()> {
        let (_, hash) = self.db.user_credentials(&user.email).await?.ok_or(DomainError::BadCredentials)?;
        let checked = self
            .hashing(move || if verify_password(&current, &hash) { hash_password(&new).map(Some) } else { Ok(None) })
            .await??;
        let new_hash = checked.ok_or(DomainError::BadCredentials)?;
        self.set_password_hash(actor, user.id, &new_hash).await
    }

    async fn set_password_hash(&self, actor: &Actor, user_id: immovr_core::model::Id, hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        self.set_password_in(tx.as_mut(), actor, user_id, hash).await?;
        tx.commit().await
    }

    async fn set_password_in(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        user_id: immovr_core::model::Id,
        hash: &str,
    ) -> Result<()> {
        let now = self.now();
        if !tx.set_password(user_id, hash, now).await? {
            return Err(DomainError::not_found("user"));
        }
        audit(tx, now, actor, "user.password_changed", ("user", user_id), json!({})).await
    }

    /// Whether an account (staff or client) has this email.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn account_exists(&self, email: &str) -> Result<bool> {
        Ok(self.db.user_credentials(email).await?.is_some())
    }

    /// The staff account with this email (the command line names accounts by email).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn staff_user_by_email(&self, email: &str) -> Result<Option<User>> {
        Ok(self.db.user_credentials(email).await?.map(|(u, _)| u).filter(User::is_staff))
    }

    /// Whether a staff member turned the second factor on.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn has_second_factor(&self, user: &User) -> Result<bool> {
        Ok(self.db.totp_secret(user.id).await?.is_some())
    }

    /// Turns the second factor on, with the secret the staff member's app now shows codes of
    /// (`code` proves it).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn enable_second_factor(&self, actor: &Actor, user: &User, secret: &str, code: &str) -> Result<()> {
        if !user.is_staff() || actor.user_id != Some(user.id) {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        let Some(step) = totp_step(secret, code, self.now()) else {
            return Err(DomainError::validation("code", "wrong code"));
        };
        self.set_totp(actor, user, Some(secret)).await?;
        // The code that proved the secret is spent.
        self.db.use_totp_step(user.id, step).await.map(|_| ())
    }

    /// Turns the second factor off (a current code proves the staff member still has it).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn disable_second_factor(&self, actor: &Actor, user: &User, code: &str) -> Result<()> {
        let secret = self.db.totp_secret(user.id).await?.unwrap_or_default();
        if !self.fresh_code(user.id, &secret, code).await? {
            return Err(DomainError::validation("code", "wrong code"));
        }
        self.set_totp(actor, user, None).await
    }

    async fn set_totp(&self, actor: &Actor, user: &User, secret: Option<&str>) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.set_totp(user.id, secret).await?;
        let action = if secret.is_some() { "user.totp_enabled" } else { "user.totp_disabled" };
        audit(tx.as_mut(), now, actor, action, ("user", user.id), json!({})).await?;
        tx.commit().await
    }
}

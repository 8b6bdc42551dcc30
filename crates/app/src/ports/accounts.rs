//! Accounts (staff and client logins, sessions, API tokens, single-use links, second factors)
//! and clients.

use async_trait::async_trait;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{Address, Client, ClientKind, Consent, Id, Language, LinkScope, Role, User};
use immovr_core::{Result, Scope};
use jiff::Timestamp;

/// A client's details, checked.
pub struct ClientRow<'a> {
    pub kind: ClientKind,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub siren: Option<&'a str>,
    pub siret: Option<&'a str>,
    pub vat_number: Option<&'a str>,
    pub billing_address: Option<&'a Address>,
    pub language: Language,
}

/// What a client changes about itself, checked.
pub struct ProfileRow<'a> {
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub siren: Option<&'a str>,
    pub siret: Option<&'a str>,
    pub vat_number: Option<&'a str>,
    pub billing_address: Option<&'a Address>,
    pub language: Language,
    pub notify_email: bool,
}

/// What a single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    MagicLink,
    PasswordReset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::MagicLink => "magic_link",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

#[async_trait]
pub trait AccountRepo: Send {
    /// An error when the email has an account already.
    async fn insert_staff_user(
        &mut self,
        email: &str,
        name: &str,
        password_hash: &str,
        roles: &[Role],
        at: Timestamp,
    ) -> Result<User>;
    async fn email_taken(&mut self, email: &str) -> Result<bool>;
    /// A client (found by its words); an error when the email has an account already.
    async fn insert_client(&mut self, client: &ClientRow<'_>, at: Timestamp) -> Result<Client>;
    /// The login of a client.
    async fn insert_client_login(&mut self, client: &Client, password_hash: &str, at: Timestamp) -> Result<User>;
    async fn client_now(&mut self, id: Id) -> Result<Client>;
    /// Updates a client and the name and language of its login.
    async fn update_client(&mut self, id: Id, profile: &ProfileRow<'_>) -> Result<Client>;
    async fn user_now(&mut self, id: Id) -> Result<Option<User>>;
    async fn user_by_email(&mut self, email: &str) -> Result<Option<User>>;
    /// A staff member's roles; `None` when there is no such staff member.
    async fn set_roles(&mut self, user_id: Id, roles: &[Role]) -> Result<Option<User>>;
    /// Sets a password: every session of the account ends and every emailed link it has not
    /// used yet is spent. False when there is no such user.
    async fn set_password(&mut self, user_id: Id, password_hash: &str, now: Timestamp) -> Result<bool>;
    /// Replaces a password's hash by one of the same password made with other settings, if it
    /// is still `old` (the password did not change meanwhile); sessions and links stay. Whether
    /// it was replaced.
    async fn upgrade_password_hash(&mut self, user_id: Id, old: &str, new: &str) -> Result<bool>;
    async fn set_totp(&mut self, user_id: Id, secret: Option<&str>) -> Result<()>;
    async fn insert_api_token(&mut self, user_id: Id, name: &str, token_sha256: &str, at: Timestamp) -> Result<Id>;
    async fn insert_login_link(
        &mut self,
        token_sha256: &str,
        user_id: Id,
        purpose: LinkPurpose,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()>;
    /// Uses a link once: its user, if it exists, has this purpose, is unused and unexpired (of
    /// two concurrent uses, one wins).
    async fn use_login_link(&mut self, token_sha256: &str, purpose: LinkPurpose, now: Timestamp) -> Result<Option<Id>>;
    /// Keeps a sign-up (`details`: JSON) until its address is confirmed.
    async fn insert_pending_signup(
        &mut self,
        token_sha256: &str,
        email: &str,
        details: &str,
        password_hash: &str,
        expires_at: Timestamp,
        at: Timestamp,
    ) -> Result<()>;
    /// Keeps what a client was shown (the privacy policy at sign-up).
    async fn record_consent(&mut self, client_id: Id, consent: &Consent) -> Result<()>;
    /// Ends every session of the user and voids every link already emailed to them.
    async fn sign_out_everywhere(&mut self, user_id: Id) -> Result<()>;
    /// Takes a pending sign-up once: its details and password hash, if it exists, is unused
    /// and unexpired (of two concurrent uses, one wins).
    async fn take_pending_signup(&mut self, token_sha256: &str, now: Timestamp) -> Result<Option<(String, String)>>;
}

/// Sessions, tokens and second factors: each a single statement, outside use cases'
/// transactions; who a credential is may be cached (see `immovr-store`).
#[async_trait]
pub trait Sessions: Send + Sync {
    /// The user and its password hash.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>>;
    /// Deletes the pending sign-ups that ended before `before`; the details of those never
    /// confirmed (their attachments are to be removed).
    async fn forget_pending_signups(&self, before: Timestamp) -> Result<Vec<String>>;
    /// A full session (one opened by an email's link: see `create_link_session`).
    async fn create_session(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()>;
    /// A session opened by an email's link, if the account's link epoch is still `epoch` (one
    /// statement: a "sign out everywhere" that commits first voids it); false otherwise.
    async fn create_link_session(
        &self,
        user_id: Id,
        epoch: i64,
        token_sha256: &str,
        expires_at: Timestamp,
        link: &LinkScope,
    ) -> Result<bool>;
    /// Whose session this is (unexpired), and what it is limited to when a link opened it.
    async fn session_user(&self, token_sha256: &str, now: Timestamp) -> Result<Option<(User, Option<LinkScope>)>>;
    /// The key that signs the links of emails; `new_key` is stored when there is none yet.
    async fn link_key(&self, new_key: &str) -> Result<String>;
    /// The client accounts among these addresses: (email, user id, link epoch).
    async fn link_holders(&self, emails: &[&str]) -> Result<Vec<(String, Id, i64)>>;
    /// A client account, its link epoch, and whether it has a second factor.
    async fn link_holder(&self, user_id: Id) -> Result<Option<(User, i64, bool)>>;
    async fn delete_session(&self, token_sha256: &str) -> Result<()>;
    async fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>>;
    /// The TOTP secret (base32) of a user who turned the second factor on.
    async fn totp_secret(&self, user_id: Id) -> Result<Option<String>>;
    /// Records that the user's code of this time step was used; false when it (or a later
    /// one) already was.
    async fn use_totp_step(&self, user_id: Id, step: i64) -> Result<bool>;
    /// A password was right; the login now waits for its code.
    async fn begin_second_factor(&self, user_id: Id, token_sha256: &str, expires_at: Timestamp) -> Result<()>;
    /// The user whose login waits under this token (unexpired); the token is used up.
    async fn take_second_factor(&self, token_sha256: &str, now: Timestamp) -> Result<Option<User>>;
}

/// Reading clients and staff.
#[async_trait]
pub trait AccountQueries: Send + Sync {
    async fn client(&self, scope: Scope, id: Id) -> Result<Client>;
    /// Clients, newest first; `q` searches names, company and email.
    async fn clients(&self, list: &ListQuery) -> Result<Page<Client>>;
    /// The display names of these clients (the rows of a list page name their client).
    async fn client_names(&self, ids: &[Id]) -> Result<Vec<(Id, String)>>;
    async fn staff_users(&self) -> Result<Vec<User>>;
    /// What the client was shown, oldest first.
    async fn consents(&self, client_id: Id) -> Result<Vec<Consent>>;
}

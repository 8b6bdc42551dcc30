//! Links to a document sent by email: each email to a client about a quote, an order or an
//! invoice opens that document's page directly, without signing in.
//!
//! A link is `/acces/{user}.{page}.{sent}.{epoch}.{mac}`: the client's account, the document's
//! page (`d42`, `c7`, `f4`: see [`DocumentPage::code`]), when the email was queued (seconds),
//! the account's link epoch, and an HMAC-SHA256 of all four under a key kept in `settings`. It
//! is signed when the email is composed (nothing to store; the same row always gives the same
//! link, so an email sent again after a crash is the same message), holds [`LINK_DAYS`] days
//! after the email was queued, and stops holding when the client signs out everywhere or sets a
//! new password (both move the epoch on).
//!
//! Opening one starts a session limited to that page and the pages under it (its PDFs, its
//! answer, its messages) — a forwarded email opens one document, not the account — for at most
//! a login session's length. Accepting from it goes through the same signature step as a full
//! session, and the acceptance keeps when the link's email was queued. An account with a second
//! factor is sent to the sign-in page instead (a link replaces the password, never the second
//! factor), and comes back to the document after it.

use std::collections::HashMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use immovr_core::links::{self, DocumentPage};
use immovr_core::model::{Id, LinkScope, OutboxMessage, User};
use immovr_core::{Actor, Context, Notification, Result};
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use sha2::Sha256;

use crate::App;
use crate::auth::NewSession;
use crate::auth::SESSION_TOKEN_PREFIX;
use crate::support::audit;
use crate::tokens::new_token;

/// How long an email's link opens its document.
pub const LINK_DAYS: i64 = 30;

/// What a document's link is good for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub user_id: Id,
    pub page: DocumentPage,
    pub sent_at: Timestamp,
    pub epoch: i64,
}

/// The HMAC-SHA256 of `message` for one `purpose` (a link, kept files…) under `key`: what one
/// purpose signs never passes for another's.
fn mac(key: &str, purpose: &str, message: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    m.update(purpose.as_bytes());
    m.update(b"\0");
    m.update(message.as_bytes());
    m
}

const LINK_PURPOSE: &str = "immovr document link v1";

/// `message` followed by its signature for `purpose` (`message` must not hold a `.` after
/// which the signature could be confused: base64url and dotted numbers are fine).
pub(crate) fn signed(key: &str, purpose: &str, message: &str) -> String {
    let tag = mac(key, purpose, message).finalize().into_bytes();
    format!("{message}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag))
}

/// The message of a [`signed`] token, if `key` signed it for `purpose` (constant time).
pub(crate) fn verified<'a>(key: &str, purpose: &str, token: &'a str) -> Option<&'a str> {
    let (message, tag) = token.rsplit_once('.')?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(key, purpose, message).verify_slice(&tag).ok()?;
    Some(message)
}

impl LinkClaims {
    /// The link's token, signed with `key`.
    pub fn sign(&self, key: &str) -> String {
        let message = format!("{}.{}.{}.{}", self.user_id, self.page.code(), self.sent_at.as_second(), self.epoch);
        signed(key, LINK_PURPOSE, &message)
    }

    /// What a token claims, if `key` signed it (compared in constant time); its age and epoch
    /// are the caller's to check.
    pub fn verify(key: &str, token: &str) -> Option<LinkClaims> {
        let message = verified(key, LINK_PURPOSE, token)?;
        let mut parts = message.split('.');
        let number = |p: Option<&str>| p.and_then(|p| p.parse::<i64>().ok());
        let claims = LinkClaims {
            user_id: number(parts.next())?,
            page: DocumentPage::parse(parts.next()?)?,
            sent_at: Timestamp::from_second(number(parts.next())?).ok()?,
            epoch: number(parts.next())?,
        };
        parts.next().is_none().then_some(claims)
    }

    /// When it stops opening its page.
    pub fn expires_at(&self) -> Timestamp {
        self.sent_at.checked_add((LINK_DAYS * 24).hours()).unwrap_or(self.sent_at)
    }
}

/// Signs the links of a batch of emails (the key and the recipients' accounts read once).
pub struct LinkSigner {
    key: String,
    /// By address: the client account and its link epoch.
    holders: HashMap<String, (Id, i64)>,
}

impl LinkSigner {
    /// The path an email's link opens: a signed link to its document for a client's email
    /// about one, `None` for the others (the studio's news and account emails link as they
    /// always did).
    pub fn path(&self, m: &OutboxMessage, notification: &Notification) -> Option<String> {
        let page = notification.document_page()?;
        let (user_id, epoch) = *self.holders.get(&m.recipient)?;
        let claims = LinkClaims { user_id, page, sent_at: m.created_at, epoch };
        Some(format!("{}{}", links::document_access(&claims.sign(&self.key)), notification.fragment()))
    }
}

/// What an email's link opened.
pub enum LinkOpened {
    /// A session limited to the document's page, which it opens.
    Session(NewSession, LinkScope),
    /// Its account is signed in here already: the page opens in that session.
    SignedIn { path: String },
    /// The account has a second factor: sign in, then the page opens.
    SignIn { path: String },
    /// Another account is signed in here: it stays so, and the link opens nothing.
    OtherAccount,
}

impl App {
    /// The key that signs the links of emails (and the files a refused form keeps), made on
    /// first use and kept in the database (every instance signs and checks with the same one).
    pub(crate) async fn link_key(&self) -> Result<String> {
        self.db.link_key(&new_token("")).await
    }

    /// A signer for the links of these emails.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn link_signer(&self, emails: &[OutboxMessage]) -> Result<LinkSigner> {
        let mut recipients: Vec<&str> = emails.iter().map(|m| m.recipient.as_str()).collect();
        recipients.sort_unstable();
        recipients.dedup();
        let holders = self.db.link_holders(&recipients).await?;
        Ok(LinkSigner {
            key: self.link_key().await?,
            holders: holders.into_iter().map(|(email, id, epoch)| (email, (id, epoch))).collect(),
        })
    }

    /// Opens an email's link, in a browser where `signed_in` is signed in (a full session):
    /// `None` when it is not one of ours, has expired, or was voided (signed out everywhere, new
    /// password, account gone).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn open_link(&self, token: &str, signed_in: Option<&User>) -> Result<Option<LinkOpened>> {
        let Some(claims) = LinkClaims::verify(&self.link_key().await?, token) else { return Ok(None) };
        let now = self.now();
        if claims.expires_at() <= now || claims.sent_at > now + 5.minutes() {
            return Ok(None);
        }
        let Some((user, epoch, second_factor)) = self.db.link_holder(claims.user_id).await? else { return Ok(None) };
        if epoch != claims.epoch {
            return Ok(None);
        }
        let path = claims.page.path();
        match signed_in {
            Some(u) if u.id == user.id => return Ok(Some(LinkOpened::SignedIn { path })),
            Some(_) => return Ok(Some(LinkOpened::OtherAccount)),
            None if second_factor => return Ok(Some(LinkOpened::SignIn { path })),
            None => {}
        }
        let token = new_token(SESSION_TOKEN_PREFIX);
        let session_end = now.checked_add(self.session_hours().hours()).context("a session's end")?;
        let expires_at = session_end.min(claims.expires_at());
        let scope = LinkScope { path, sent_at: claims.sent_at };
        let hash = immovr_core::auth::token_sha256(&token);
        if !self.db.create_link_session(user.id, claims.epoch, &hash, expires_at, &scope).await? {
            return Ok(None);
        }
        Ok(Some(LinkOpened::Session(NewSession { token, expires_at, user }, scope)))
    }

    /// Ends every session of the signed-in user, here and on every device, and voids every link
    /// already emailed to them.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<()> {
        let user_id = actor.user_id.ok_or(immovr_core::DomainError::Unauthenticated)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.sign_out_everywhere(user_id).await?;
        audit(tx.as_mut(), now, actor, "account.signed_out_everywhere", ("user", user_id), json!({})).await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> LinkClaims {
        LinkClaims {
            user_id: 12,
            page: DocumentPage::Quote(42),
            sent_at: Timestamp::from_second(1_790_000_000).unwrap(),
            epoch: 3,
        }
    }

    #[test]
    fn a_link_reads_back_under_its_key_only() {
        let token = claims().sign("key one");
        assert!(token.starts_with("12.d42.1790000000.3."), "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)), "URL-safe: {token}");
        assert_eq!(LinkClaims::verify("key one", &token), Some(claims()));
        assert_eq!(LinkClaims::verify("key two", &token), None);
    }

    #[test]
    fn a_changed_claim_or_tag_is_refused() {
        let token = claims().sign("k");
        let (message, tag) = token.rsplit_once('.').unwrap();
        for forged in [
            message.replacen("12.", "13.", 1),
            message.replace(".d42.", ".d43."),
            message.replace(".d42.", ".f42."),
            message.replace(".3", ".4"),
            message.replace("1790000000", "1890000000"),
        ] {
            assert_eq!(LinkClaims::verify("k", &format!("{forged}.{tag}")), None, "{forged}");
        }
        assert_eq!(LinkClaims::verify("k", message), None);
        assert_eq!(LinkClaims::verify("k", &format!("{message}.{}", &tag[1..])), None);
        assert_eq!(LinkClaims::verify("k", &format!("{token}.x")), None);
        assert_eq!(LinkClaims::verify("k", ""), None);
        assert_eq!(claims().expires_at().as_second() - claims().sent_at.as_second(), LINK_DAYS * 86_400);
    }
}

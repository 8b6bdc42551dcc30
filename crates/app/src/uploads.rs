//! Files that come in: a request's attachments (plans, photos), an order's final files, the
//! studio's logo. Each is streamed to the file store under a key immovr chooses, checked, then
//! recorded; a file whose recording fails is removed again.

use immovr_core::model::{Id, Order};
use immovr_core::ports::{NewAttachment, NewDeliverable};
use immovr_core::{Actor, DomainError, Result, Scope};

use base64::Engine;

use crate::App;
use crate::ports::{ByteStream, FileError, clean_filename, sniff};

/// Largest attachment of a quote request.
pub const MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;
/// Attachments of one quote request at most.
pub const MAX_ATTACHMENTS: usize = 10;
/// Largest logo.
pub const MAX_LOGO_BYTES: u64 = 2 * 1024 * 1024;

/// How long the files of a refused form are kept for it to come back.
const KEPT_HOURS: i64 = 24;

const KEPT_PURPOSE: &str = "immovr kept uploads v1";

/// The files a refused form received, kept: the token the form carries back, and the files (to
/// show them).
#[derive(Debug, Clone)]
pub struct KeptFiles {
    pub token: String,
    pub files: Vec<NewAttachment>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    at: i64,
    files: Vec<NewAttachment>,
}

/// Takes the kept files among `attachments` for the request `tx` records: refused when one was
/// taken already (a form's token sent twice), so a file belongs to one request.
pub(crate) async fn claim_kept(tx: &mut dyn crate::ports::Tx, attachments: &mut [NewAttachment]) -> Result<()> {
    let keys: Vec<&str> = attachments.iter().filter(|a| a.kept).map(|a| a.storage_key.as_str()).collect();
    if keys.is_empty() {
        return Ok(());
    }
    if tx.claim_kept_uploads(&keys).await? != keys.len() {
        return Err(DomainError::validation(
            "attachments",
            "the files received earlier were sent already: attach them again",
        ));
    }
    attachments.iter_mut().for_each(|a| a.kept = false);
    Ok(())
}

fn file_error(field: &str, filename: &str, e: FileError) -> DomainError {
    match e {
        FileError::TooLarge(limit) => {
            DomainError::validation(field, format!("{filename}: larger than {} MB", limit / 1_000_000))
        }
        FileError::Body(e) => DomainError::validation(field, format!("upload interrupted: {e}")),
        other => DomainError::internal_from("the file store", other),
    }
}

/// A media type as a client declares it (`type/subtype`, parameters allowed), in lower case.
fn media_type(value: &str) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    let essence = v.split(';').next().unwrap_or("").trim();
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    let valid = v.len() <= 100
        && v.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s));
    if valid { Ok(v) } else { Err(DomainError::validation("content_type", "a media type such as application/zip")) }
}

impl App {
    /// Keeps one attachment of a quote request that is being written (recorded with the request,
    /// see `create_quote_request`): only PDF, JPEG, PNG, WebP or HEIC, recognised by content.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn save_attachment(&self, original_name: &str, body: ByteStream<'_>) -> Result<NewAttachment> {
        self.save_checked_file("requests", "attachments", original_name, body).await
    }

    /// Keeps the signed document of an acceptance received offline (see
    /// `record_offline_acceptance`): a scan or a photo, or an email printed to PDF.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn save_evidence(&self, original_name: &str, body: ByteStream<'_>) -> Result<NewAttachment> {
        self.save_checked_file("acceptances", "evidence", original_name, body).await
    }

    async fn save_checked_file(
        &self,
        folder: &str,
        field: &str,
        original_name: &str,
        body: ByteStream<'_>,
    ) -> Result<NewAttachment> {
        let filename = clean_filename(original_name);
        let key = format!("{folder}/{}/{}", crate::tokens::random_key(16), filename);
        let saved =
            self.files().save(&key, body, MAX_ATTACHMENT_BYTES).await.map_err(|e| file_error(field, &filename, e))?;
        match sniff(&saved.head) {
            Some(content_type) => Ok(NewAttachment {
                filename,
                content_type: content_type.into(),
                size_bytes: saved.size as i64,
                sha256: saved.sha256,
                storage_key: key,
                kept: false,
            }),
            None => {
                self.files().delete(&key).await;
                Err(DomainError::validation(field, format!("{filename}: only PDF, JPEG, PNG, WebP or HEIC files")))
            }
        }
    }

    /// Keeps the files a refused form received (the request's plans and photos), for a day: the
    /// form comes back with the returned token instead of the files. Nothing else of the form
    /// is kept.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn keep_attachments(&self, files: Vec<NewAttachment>) -> Result<KeptFiles> {
        let now = self.now();
        // A file that came back kept is kept a day more, if no request took it meanwhile (then
        // it is that request's, never kept again).
        let keys =
            |kept: bool| files.iter().filter(|f| f.kept == kept).map(|f| f.storage_key.as_str()).collect::<Vec<_>>();
        self.db.keep_uploads(&keys(false), &keys(true), now).await?;
        let files: Vec<NewAttachment> = files.into_iter().map(|f| NewAttachment { kept: true, ..f }).collect();
        let kept = Kept { at: now.as_second(), files };
        let json = serde_json::to_vec(&kept).map_err(DomainError::internal)?;
        let message = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let token = crate::access::signed(&self.link_key().await?, KEPT_PURPOSE, &message);
        Ok(KeptFiles { token, files: kept.files })
    }

    /// The files a form's token keeps (see [`App::keep_attachments`]) and that are still kept:
    /// `Err` lists none, when the token is not one immovr signed or is older than a day; the
    /// refusal beside the files says that some were taken by a request already (a token sent
    /// twice) or forgotten.
    /// Each file comes with its place in the token's list (the form's "remove" boxes name it).
    pub async fn kept_attachments(&self, token: &str) -> Result<(Vec<(usize, NewAttachment)>, Option<DomainError>)> {
        let gone = || {
            DomainError::validation("attachments", "the files received earlier are no longer kept: attach them again")
        };
        let message = crate::access::verified(&self.link_key().await?, KEPT_PURPOSE, token).ok_or_else(gone)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(message).map_err(|_| gone())?;
        let kept: Kept = serde_json::from_slice(&json).map_err(|_| gone())?;
        if self.now().as_second() - kept.at > KEPT_HOURS * 3600 {
            return Err(gone());
        }
        let keys: Vec<&str> = kept.files.iter().map(|f| f.storage_key.as_str()).collect();
        let still = self.db.still_kept(&keys).await?;
        let count = kept.files.len();
        let files: Vec<(usize, NewAttachment)> = kept
            .files
            .into_iter()
            .enumerate()
            .filter(|(_, f)| still.contains(&f.storage_key))
            .map(|(i, f)| (i, NewAttachment { kept: true, ..f }))
            .collect();
        let refusal = (files.len() < count).then(|| {
            DomainError::validation("attachments", "the files received earlier were sent already: attach them again")
        });
        Ok((files, refusal))
    }

    /// Removes files kept for a form that the client took out of it (only those still kept:
    /// a file a request took is that request's).
    pub async fn drop_kept(&self, files: &[NewAttachment]) -> Result<()> {
        let keys: Vec<&str> = files.iter().filter(|f| f.kept).map(|f| f.storage_key.as_str()).collect();
        for key in self.db.unkeep(&keys).await? {
            self.files().delete(&key).await;
        }
        Ok(())
    }

    /// Removes the files kept for refused forms that never came back (a day on).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn forget_kept_uploads(&self) -> Result<usize> {
        let before = self.now() - jiff::SignedDuration::from_hours(KEPT_HOURS);
        let keys = self.db.forget_kept_uploads(before).await?;
        for key in &keys {
            self.files().delete(key).await;
        }
        Ok(keys.len())
    }

    /// Removes attachments saved for a request that was not recorded after all.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn discard_attachments(&self, files: &[NewAttachment]) {
        for f in files {
            self.files().delete(&f.storage_key).await;
        }
    }

    /// Uploads one of an order's final files (staff) and records it as a deliverable. The order
    /// must still take files: that is checked before a byte is taken.
    #[tracing::instrument(skip_all, fields(order_id), err(level = "info"))]
    pub async fn upload_deliverable(
        &self,
        actor: &Actor,
        order_id: Id,
        filename: &str,
        content_type: &str,
        body: ByteStream<'_>,
        limit: u64,
    ) -> Result<Order> {
        actor.require(immovr_core::model::Role::Production)?;
        immovr_core::rules::check_order_open(self.db.order_status(Scope::Staff, order_id).await?)?;
        let filename = clean_filename(filename);
        let content_type = media_type(content_type)?;
        let key = format!("orders/{order_id}/{}-{filename}", crate::tokens::random_key(12));
        let saved = self.files().save(&key, body, limit).await.map_err(|e| match e {
            FileError::TooLarge(limit) => DomainError::FileTooLarge { limit },
            other => file_error("file", &filename, other),
        })?;
        let file = NewDeliverable {
            filename,
            content_type,
            size_bytes: saved.size as i64,
            sha256: saved.sha256,
            storage_key: key.clone(),
        };
        match self.record_deliverable(actor, order_id, file).await {
            Ok(order) => Ok(order),
            Err(e) => {
                self.files().delete(&key).await;
                Err(e)
            }
        }
    }

    /// Replaces the studio's logo (admin): an image (PNG, JPEG, WebP), printed on every document.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn set_logo(&self, actor: &Actor, body: ByteStream<'_>) -> Result<()> {
        actor.require(immovr_core::model::Role::Admin)?;
        let key = format!("settings/logo-{}", crate::tokens::random_key(12));
        let saved = self.files().save(&key, body, MAX_LOGO_BYTES).await.map_err(|e| file_error("logo", "logo", e))?;
        let Some(content_type) = sniff(&saved.head).filter(|t| t.starts_with("image/") && *t != "image/heic") else {
            self.files().delete(&key).await;
            return Err(DomainError::validation("logo", "a PNG, JPEG or WebP image"));
        };
        if let Err(e) = self.record_logo(actor, &key, content_type).await {
            self.files().delete(&key).await;
            return Err(e);
        }
        Ok(())
    }
}

//! Issued documents' PDFs. The store freezes a document's content when it is issued; here it is
//! rendered once (on a blocking thread), written to the file store with its SHA-256, and
//! from then on served byte-identical. A background task renders new documents as soon as they
//! are issued; a download or an email that comes first renders it on the spot — rendering is
//! deterministic, so whoever renders first, the bytes are the same.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use immovr_core::model::{DocumentFile, DocumentKind, DocumentRecord, Id};
use immovr_core::ports::Scope;
use immovr_core::{Clock, DomainError, DynStore, Result};
use immovr_documents::{Logo, Renderer};
use sha2::{Digest, Sha256};

use crate::files::Files;
use crate::live::LiveFeed;

pub struct Documents {
    renderer: Arc<Renderer>,
    store: DynStore,
    files: Files,
    clock: Arc<dyn Clock>,
}

/// A rendered document, ready to serve or attach.
pub struct Pdf {
    pub file: DocumentFile,
    pub file_name: String,
}

impl Documents {
    pub fn new(renderer: Renderer, store: DynStore, files: Files, clock: Arc<dyn Clock>) -> Documents {
        Documents { renderer: Arc::new(renderer), store, files, clock }
    }

    /// The PDF of an issued document, rendered and stored now if it was not yet.
    pub async fn ensure(&self, doc: &DocumentRecord) -> Result<Pdf> {
        let file_name = immovr_documents::render::file_name(doc.kind, &doc.number, doc.snapshot.language);
        if let Some(file) = &doc.file {
            return Ok(Pdf { file: file.clone(), file_name });
        }
        let logo = match (&doc.snapshot.company.logo_key, &doc.snapshot.company.logo_content_type) {
            (Some(key), Some(content_type)) => match self.files.get(key).await {
                Ok(bytes) => Some(Logo { bytes, content_type: content_type.clone() }),
                Err(e) => {
                    tracing::warn!(error = %e, "logo {key} unreadable: document {} rendered without it", doc.number);
                    None
                }
            },
            _ => None,
        };
        let renderer = self.renderer.clone();
        let snapshot = doc.snapshot.clone();
        let pdf = tokio::task::spawn_blocking(move || renderer.render(&snapshot, logo.as_ref()))
            .await
            .map_err(DomainError::internal)?
            .map_err(|e| DomainError::internal(format!("rendering {} {}: {e}", doc.kind.as_str(), doc.number)))?;
        let sha256 = hex::encode(Sha256::digest(&pdf));
        let key = format!("documents/{}/{}-{}.pdf", doc.kind.as_str(), doc.id, sha256.get(..16).unwrap_or(""));
        let size = pdf.len() as i64;
        self.files.put(&key, pdf).await.map_err(DomainError::internal)?;
        let file = self
            .store
            .set_document_file(doc.id, DocumentFile { key: key.clone(), sha256, size }, self.clock.now())
            .await?;
        if file.key != key {
            // Someone else recorded it first: theirs is in force.
            self.files.delete(&key).await;
        }
        Ok(Pdf { file, file_name })
    }

    /// The bytes of a document's PDF (email attachments).
    pub async fn bytes(&self, doc: &DocumentRecord) -> Result<(Pdf, Vec<u8>)> {
        let pdf = self.ensure(doc).await?;
        let bytes = self.files.get(&pdf.file.key).await.map_err(DomainError::internal)?;
        Ok((pdf, bytes))
    }

    /// Serves the document of this kind for this record, if the scope may see it.
    pub async fn serve(
        &self,
        scope: Scope,
        kind: DocumentKind,
        entity_id: Id,
        headers: &HeaderMap,
    ) -> Result<Response> {
        let doc =
            self.store.document(scope, kind, entity_id).await?.ok_or_else(|| DomainError::not_found("document"))?;
        let pdf = self.ensure(&doc).await?;
        let etag = format!("\"{}\"", pdf.file.sha256);
        if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag || v == "*") {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        let mut response = self.files.serve(&pdf.file.key, headers, &pdf.file_name, "application/pdf").await;
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        // The whole file's SHA-256 (RFC 9530), as recorded when it was issued.
        if let Ok(raw) = hex::decode(&pdf.file.sha256) {
            use base64::Engine;
            let v = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(raw));
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert("repr-digest", v);
            }
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
        Ok(response)
    }

    /// Renders every issued document that has no PDF yet; returns how many.
    pub async fn render_pending(&self) -> usize {
        let mut done = 0;
        loop {
            let docs = match self.store.unrendered_documents(20).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "listing documents to render");
                    return done;
                }
            };
            if docs.is_empty() {
                return done;
            }
            let before = done;
            for doc in &docs {
                match self.ensure(doc).await {
                    Ok(_) => done += 1,
                    Err(e) => tracing::error!(error = %e, "document {} not rendered", doc.number),
                }
            }
            if done == before {
                return done; // all failed: try again on the next change
            }
        }
    }

    /// Renders documents as they are issued: at start, then after each committed change.
    pub async fn run(self: Arc<Self>, live: LiveFeed) {
        let mut changes = live.subscribe();
        loop {
            self.render_pending().await;
            match tokio::time::timeout(Duration::from_secs(60), changes.recv()).await {
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return,
                _ => {
                    // Take whatever else arrived meanwhile: one pass renders it all.
                    while changes.try_recv().is_ok() {}
                }
            }
        }
    }
}

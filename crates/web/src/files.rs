//! The file store: request attachments and delivered files, written as streams (never whole in
//! memory) through `object_store` — a local folder by default — with their size and SHA-256
//! computed on the way; read back with HTTP range requests for large downloads.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMultipartOptions, WriteMultipart};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Saved {
    pub size: u64,
    pub sha256: String,
    /// The first bytes, to recognise the file's type.
    pub head: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("upload interrupted: {0}")]
    Body(String),
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
}

impl Files {
    /// Files kept under a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> std::io::Result<Files> {
        std::fs::create_dir_all(dir)?;
        // Durable like a bucket: a write returns once the file and its directory entry are on
        // disk (the database records a file only after that).
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?.with_fsync(true);
        Ok(Files { store: Arc::new(fs) })
    }

    /// Files kept in an S3-compatible bucket. Credentials: `keys`, or the usual `AWS_*`
    /// environment variables (access key, secret key, session token).
    pub fn s3(
        bucket: &str,
        endpoint: Option<&str>,
        region: &str,
        allow_http: bool,
        keys: Option<(&str, &str)>,
    ) -> Result<Files, object_store::Error> {
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(region)
            .with_allow_http(allow_http);
        if let Some(e) = endpoint {
            builder = builder.with_endpoint(e);
        }
        if let Some((id, secret)) = keys {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret);
        }
        Ok(Files { store: Arc::new(builder.build()?) })
    }

    /// Streams `body` to `key`, refusing (and removing) it past `limit` bytes.
    pub async fn save<S, E>(&self, key: &str, body: S, limit: u64) -> Result<Saved, FileError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let path = Path::from(key);
        let upload = self.store.put_multipart_opts(&path, PutMultipartOptions::default()).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut head = Vec::with_capacity(16);
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(FileError::Body(e.to_string()));
                }
            };
            size += chunk.len() as u64;
            if size > limit {
                let _ = writer.abort().await;
                return Err(FileError::TooLarge(limit));
            }
            if head.len() < 16 {
                head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len())]);
            }
            hasher.update(&chunk);
            writer.wait_for_capacity(8).await?;
            writer.put(chunk);
        }
        writer.finish().await?;
        Ok(Saved { size, sha256: hex::encode(hasher.finalize()), head })
    }

    /// Writes a small file whole (a rendered document).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError> {
        self.store.put(&Path::from(key), bytes.into()).await?;
        Ok(())
    }

    /// Reads a small file whole (a logo, a document to attach to an email).
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, FileError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?.to_vec())
    }

    pub async fn delete(&self, key: &str) {
        let path = Path::from(key);
        let mut stream = self.store.delete_stream(futures_util::stream::once(async move { Ok(path) }).boxed());
        while let Some(r) = stream.next().await {
            if let Err(e) = r {
                tracing::warn!(error = %e, "deleting {key}");
            }
        }
    }

    /// Serves a stored file as a download, honouring a single `Range: bytes=…` request.
    pub async fn serve(&self, key: &str, request_headers: &HeaderMap, filename: &str, content_type: &str) -> Response {
        let range = request_headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(parse_range);
        let options = match range {
            Some(Some(r)) => GetOptions { range: Some(r), ..Default::default() },
            Some(None) => return range_not_satisfiable(None),
            None => GetOptions::default(),
        };
        let partial = options.range.is_some();
        let result = match self.store.get_opts(&Path::from(key), options).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return StatusCode::NOT_FOUND.into_response(),
            Err(e) if partial && e.to_string().to_lowercase().contains("range") => return range_not_satisfiable(None),
            Err(e) => {
                tracing::error!(error = %e, "reading {key}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let total = result.meta.size;
        let span = result.range.clone();
        let mut response = Response::new(Body::from_stream(result.into_stream()));
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(span.end - span.start));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        let ascii: String =
            filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
        let encoded: String = filename
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        if partial {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let v = format!("bytes {}-{}/{total}", span.start, span.end.saturating_sub(1));
            response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&v).expect("ascii"));
        }
        response
    }
}

fn range_not_satisfiable(total: Option<u64>) -> Response {
    let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    if let Some(t) = total {
        r.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&format!("bytes */{t}")).expect("ascii"));
    }
    r
}

/// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; `None` for what we cannot satisfy.
fn parse_range(value: &str) -> Option<GetRange> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // several ranges: not supported
    }
    let (a, b) = spec.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => n.parse::<u64>().ok().filter(|n| *n > 0).map(GetRange::Suffix),
        (a, "") => a.parse::<u64>().ok().map(GetRange::Offset),
        (a, b) => {
            let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
            (a <= b).then_some(GetRange::Bounded(a..b.checked_add(1)?))
        }
    }
}

/// Recognises the accepted attachment types from their first bytes (not from their name).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x25, 0x50, 0x44, 0x46, ..] => Some("application/pdf"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [_, _, _, _, b'f', b't', b'y', b'p', b'h', b'e', b'i', b'c', ..] => Some("image/heic"),
        _ => None,
    }
}

/// A safe file name: no path, no control characters, at most 200 characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { "fichier".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_parsed() {
        assert!(matches!(parse_range("bytes=0-99"), Some(GetRange::Bounded(r)) if r == (0..100)));
        assert!(matches!(parse_range("bytes=100-"), Some(GetRange::Offset(100))));
        assert!(matches!(parse_range("bytes=-10"), Some(GetRange::Suffix(10))));
        assert!(parse_range("bytes=5-1").is_none());
        assert!(parse_range("bytes=0-1,5-6").is_none());
        assert!(parse_range("items=0-1").is_none());
    }

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\plans\\plan RDC.pdf"), "plan RDC.pdf");
        assert_eq!(clean_filename(".."), "fichier");
    }
}

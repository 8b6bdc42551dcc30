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
    /// The same files, written without waiting for the disk: for files that can be made again
    /// from the database (rendered documents). The same store where writes cost the same.
    rebuildable: Arc<dyn ObjectStore>,
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
        let rebuildable = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Files { store: Arc::new(fs), rebuildable: Arc::new(rebuildable) })
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
        let store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        Ok(Files { store: store.clone(), rebuildable: store })
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

    /// Writes a small file whole, durably.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError> {
        self.store.put(&Path::from(key), bytes.into()).await?;
        Ok(())
    }

    /// Writes a small file whole that can be made again from the database (a rendered
    /// document): locally without syncing it (two `fsync`s, file and folder, a few ms on a busy
    /// disk). After a crash it may be missing or incomplete; whoever reads it checks it against
    /// its recorded SHA-256 and makes it again.
    pub async fn put_rebuildable(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError> {
        self.rebuildable.put(&Path::from(key), bytes.into()).await?;
        Ok(())
    }

    /// Reads a small file whole (a logo, a document to attach to an email).
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, FileError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?.to_vec())
    }

    /// [`Files::get`], `None` when there is no such file.
    pub async fn get_opt(&self, key: &str) -> Result<Option<Vec<u8>>, FileError> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
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
        let response = Response::new(Body::from_stream(result.into_stream()));
        download_headers(response, filename, content_type, span, total, partial)
    }

    /// Serves a small file held in memory (a checked rendered document) like [`Files::serve`].
    pub fn serve_bytes(bytes: Vec<u8>, request_headers: &HeaderMap, filename: &str, content_type: &str) -> Response {
        let total = bytes.len() as u64;
        let range = request_headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(parse_range);
        let span = match range {
            None => None,
            Some(None) => return range_not_satisfiable(None),
            Some(Some(r)) => {
                let span = match r {
                    GetRange::Bounded(r) => r.start..r.end.min(total),
                    GetRange::Offset(o) => o..total,
                    GetRange::Suffix(n) => total.saturating_sub(n)..total,
                };
                if span.start >= total || span.start >= span.end {
                    return range_not_satisfiable(Some(total));
                }
                Some(span)
            }
        };
        let (body, partial) = match &span {
            Some(s) => (Body::from(bytes[s.start as usize..s.end as usize].to_vec()), true),
            None => (Body::from(bytes), false),
        };
        let span = span.unwrap_or(0..total);
        download_headers(Response::new(body), filename, content_type, span, total, partial)
    }
}

/// A download's headers: type, length, name; for a range (`partial`), 206 and its
/// `Content-Range`.
fn download_headers(
    mut response: Response,
    filename: &str,
    content_type: &str,
    span: std::ops::Range<u64>,
    total: u64,
    partial: bool,
) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let ascii: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(span.end - span.start));
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let v = format!("bytes {}-{}/{total}", span.start, span.end.saturating_sub(1));
        response.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&v).expect("ascii"));
    }
    response
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
    fn bytes_in_memory_serve_ranges_like_files() {
        let whole = b"%PDF-1.7 body".to_vec();
        let mut headers = HeaderMap::new();
        let r = Files::serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "13");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-3"));
        let r = Files::serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes 0-3/13");
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "4");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=-4"));
        let r = Files::serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes 9-12/13");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=20-"));
        let r = Files::serve_bytes(whole, &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes */13");
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

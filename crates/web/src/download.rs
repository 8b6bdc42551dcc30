//! Downloads: a stored file or a rendered document as an HTTP response, honouring a single
//! `Range: bytes=…` request (large delivered files resume).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use immovr_app::App;
use immovr_app::ports::{ByteRange, FileError};

/// Serves a stored file as a download.
pub async fn serve_file(
    app: &App,
    key: &str,
    request_headers: &HeaderMap,
    filename: &str,
    content_type: &str,
) -> Response {
    let range = match request_headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(parse_range) {
        Some(Some(r)) => Some(r),
        Some(None) => return range_not_satisfiable(None),
        None => None,
    };
    let partial = range.is_some();
    let read = match app.files().read(key, range).await {
        Ok(r) => r,
        Err(FileError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(FileError::RangeNotSatisfiable) => return range_not_satisfiable(None),
        Err(e) => {
            tracing::error!(error = %e, "reading {key}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let response = Response::new(Body::from_stream(read.body));
    download_headers(response, filename, content_type, read.span, read.total, partial)
}

/// Serves an issued document's PDF, if the scope may see it, rendered now if it was not yet:
/// byte-identical every time (its ETag and `Repr-Digest` carry the SHA-256 recorded when it was
/// first rendered), `304` when the caller has it already.
pub async fn serve_document(
    app: &App,
    scope: immovr_core::Scope,
    kind: immovr_core::model::DocumentKind,
    entity_id: immovr_core::model::Id,
    headers: &HeaderMap,
) -> immovr_core::Result<Response> {
    let (doc, pdf) = app.documents().rendered(scope, kind, entity_id).await?;
    let etag = format!("\"{}\"", pdf.file.sha256);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag || v == "*") {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let (bytes, sha256) = app.documents().load(&doc, &pdf.file).await?;
    let mut response = serve_bytes(bytes, headers, &pdf.file_name, "application/pdf");
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
        h.insert(header::ETAG, v);
    }
    // The whole file's SHA-256 (RFC 9530).
    if let Ok(raw) = hex::decode(&sha256) {
        use base64::Engine;
        let v = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(raw));
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert("repr-digest", v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    Ok(response)
}

/// Serves a small file held in memory (a checked rendered document) like [`serve_file`].
pub fn serve_bytes(bytes: Vec<u8>, request_headers: &HeaderMap, filename: &str, content_type: &str) -> Response {
    let total = bytes.len() as u64;
    let span = match request_headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(parse_range) {
        None => None,
        Some(None) => return range_not_satisfiable(None),
        Some(Some(r)) => match r.span(total) {
            Some(span) => Some(span),
            None => return range_not_satisfiable(Some(total)),
        },
    };
    let (body, partial) = match &span {
        Some(s) => (Body::from(bytes[s.start as usize..s.end as usize].to_vec()), true),
        None => (Body::from(bytes), false),
    };
    let span = span.unwrap_or(0..total);
    download_headers(Response::new(body), filename, content_type, span, total, partial)
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
fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // several ranges: not supported
    }
    let (a, b) = spec.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => n.parse::<u64>().ok().filter(|n| *n > 0).map(ByteRange::Suffix),
        (a, "") => a.parse::<u64>().ok().map(ByteRange::Offset),
        (a, b) => {
            let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
            (a <= b).then_some(ByteRange::Bounded(a..b.checked_add(1)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_parsed() {
        assert_eq!(parse_range("bytes=0-99"), Some(ByteRange::Bounded(0..100)));
        assert_eq!(parse_range("bytes=100-"), Some(ByteRange::Offset(100)));
        assert_eq!(parse_range("bytes=-10"), Some(ByteRange::Suffix(10)));
        assert!(parse_range("bytes=5-1").is_none());
        assert!(parse_range("bytes=0-1,5-6").is_none());
        assert!(parse_range("items=0-1").is_none());
    }

    #[test]
    fn bytes_in_memory_serve_ranges_like_files() {
        let whole = b"%PDF-1.7 body".to_vec();
        let mut headers = HeaderMap::new();
        let r = serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "13");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-3"));
        let r = serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes 0-3/13");
        assert_eq!(r.headers()[header::CONTENT_LENGTH], "4");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=-4"));
        let r = serve_bytes(whole.clone(), &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes 9-12/13");
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=20-"));
        let r = serve_bytes(whole, &headers, "F-1.pdf", "application/pdf");
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(r.headers()[header::CONTENT_RANGE], "bytes */13");
    }
}

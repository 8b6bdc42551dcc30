//! The file store: request attachments, delivered files, the logo and rendered documents, kept
//! under keys immovr chooses (never the caller). Implemented by `immovr-files` (a local folder or
//! an S3-compatible bucket).

use std::ops::Range;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

/// A body read or written piece by piece (never whole in memory).
pub type ByteStream<'a> = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send + 'a>>;

/// What was written.
#[derive(Debug, Clone)]
pub struct Saved {
    pub size: u64,
    pub sha256: String,
    /// The first bytes, to recognise the file's type.
    pub head: Vec<u8>,
}

/// Part of a file: `bytes=a-b` (`Bounded(a..b+1)`), `bytes=a-` (`Offset`), `bytes=-n` (`Suffix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    Bounded(Range<u64>),
    Offset(u64),
    Suffix(u64),
}

impl ByteRange {
    /// The bytes it covers in a file of `total` bytes; `None` when it covers none of them.
    pub fn span(&self, total: u64) -> Option<Range<u64>> {
        let span = match self {
            ByteRange::Bounded(r) => r.start..r.end.min(total),
            ByteRange::Offset(o) => *o..total,
            ByteRange::Suffix(n) => total.saturating_sub(*n)..total,
        };
        (span.start < total && span.start < span.end).then_some(span)
    }
}

/// A file being read: its whole size, the bytes that come, and them.
pub struct FileRead {
    pub total: u64,
    pub span: Range<u64>,
    pub body: ByteStream<'static>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("upload interrupted: {0}")]
    Body(String),
    #[error("no such file")]
    NotFound,
    #[error("the range asked for is outside the file")]
    RangeNotSatisfiable,
    #[error("file store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Streams `body` to `key`, refusing (and removing) it past `limit` bytes; durable when it
    /// returns.
    async fn save(&self, key: &str, body: ByteStream<'_>, limit: u64) -> Result<Saved, FileError>;
    /// Writes a small file whole, durably.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError>;
    /// Writes a small file that can be made again from the database (a rendered document)
    /// without waiting for the disk: after a crash it may be missing or cut short, and whoever
    /// reads it checks it against its recorded SHA-256.
    async fn put_rebuildable(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError>;
    /// Reads a small file whole; `None` when there is no such file.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FileError>;
    /// Opens a file to stream it, or part of it.
    async fn read(&self, key: &str, range: Option<ByteRange>) -> Result<FileRead, FileError>;
    /// Removes a file (a failure is logged: an orphan file harms nobody).
    async fn delete(&self, key: &str);
    /// Removes a file that must go (erased personal data): done when it returns `Ok`, also
    /// when there was no such file.
    async fn remove(&self, key: &str) -> Result<(), FileError>;
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
    let cleaned: String =
        base.chars().filter(|&c| !c.is_control() && !immovr_core::text::is_format_control(c)).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { "fichier".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\plans\\plan RDC.pdf"), "plan RDC.pdf");
        assert_eq!(clean_filename(".."), "fichier");
        assert_eq!(clean_filename("facture\u{202E}fdp.exe\u{0}"), "facturefdp.exe");
    }

    #[test]
    fn a_range_covers_part_of_a_file() {
        assert_eq!(ByteRange::Bounded(0..4).span(13), Some(0..4));
        assert_eq!(ByteRange::Suffix(4).span(13), Some(9..13));
        assert_eq!(ByteRange::Offset(20).span(13), None);
        assert_eq!(ByteRange::Bounded(5..100).span(13), Some(5..13));
    }
}

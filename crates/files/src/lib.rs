//! The file store: request attachments, delivered files, the logo and rendered documents,
//! written as streams (never whole in memory) through `object_store` — a local folder by
//! default, or an S3-compatible bucket — with their size and SHA-256 computed on the way.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use immovr_app::ports::{ByteRange, ByteStream, FileError, FileRead, FileStore, Saved};
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

fn store_error(e: object_store::Error) -> FileError {
    match e {
        object_store::Error::NotFound { .. } => FileError::NotFound,
        other => FileError::Store(Box::new(other)),
    }
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

    /// Every stored file's key and size, in no particular order (backups).
    pub fn list(&self) -> futures_util::stream::BoxStream<'_, Result<(String, u64), FileError>> {
        self.store.list(None).map_ok(|meta| (meta.location.to_string(), meta.size)).map_err(store_error).boxed()
    }
}

#[async_trait]
impl FileStore for Files {
    async fn save(&self, key: &str, body: ByteStream<'_>, limit: u64) -> Result<Saved, FileError> {
        let path = Path::from(key);
        let upload = self.store.put_multipart_opts(&path, PutMultipartOptions::default()).await.map_err(store_error)?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut head = Vec::with_capacity(16);
        let mut body = body;
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
            writer.wait_for_capacity(8).await.map_err(store_error)?;
            writer.put(chunk);
        }
        writer.finish().await.map_err(store_error)?;
        Ok(Saved { size, sha256: hex::encode(hasher.finalize()), head })
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError> {
        self.store.put(&Path::from(key), bytes.into()).await.map_err(store_error)?;
        Ok(())
    }

    async fn put_rebuildable(&self, key: &str, bytes: Vec<u8>) -> Result<(), FileError> {
        // Locally without syncing it (two `fsync`s, file and folder, a few ms on a busy disk).
        self.rebuildable.put(&Path::from(key), bytes.into()).await.map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FileError> {
        match self.store.get(&Path::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(store_error)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn read(&self, key: &str, range: Option<ByteRange>) -> Result<FileRead, FileError> {
        let partial = range.is_some();
        let options = GetOptions {
            range: range.map(|r| match r {
                ByteRange::Bounded(r) => GetRange::Bounded(r),
                ByteRange::Offset(o) => GetRange::Offset(o),
                ByteRange::Suffix(n) => GetRange::Suffix(n),
            }),
            ..Default::default()
        };
        let result = match self.store.get_opts(&Path::from(key), options).await {
            Ok(r) => r,
            Err(e) if partial && e.to_string().to_lowercase().contains("range") => {
                return Err(FileError::RangeNotSatisfiable);
            }
            Err(e) => return Err(store_error(e)),
        };
        let total = result.meta.size;
        let span = result.range.clone();
        let body = result.into_stream().map_err(std::io::Error::other).boxed();
        Ok(FileRead { total, span, body })
    }

    async fn delete(&self, key: &str) {
        let path = Path::from(key);
        let mut stream = self.store.delete_stream(futures_util::stream::once(async move { Ok(path) }).boxed());
        while let Some(r) = stream.next().await {
            if let Err(e) = r {
                tracing::warn!(error = %e, "deleting {key}");
            }
        }
    }

    async fn remove(&self, key: &str) -> Result<(), FileError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_saved_with_its_hash_read_back_in_part_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::local(dir.path()).unwrap();
        let body: ByteStream =
            futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"%PDF-1.7 ")), Ok("body".into())]).boxed();
        let saved = files.save("a/b.pdf", body, 100).await.unwrap();
        assert_eq!(saved.size, 13);
        assert_eq!(saved.sha256, hex::encode(Sha256::digest(b"%PDF-1.7 body")));
        assert_eq!(&saved.head[..4], b"%PDF");
        let part = files.read("a/b.pdf", Some(ByteRange::Suffix(4))).await.unwrap();
        assert_eq!((part.total, part.span.clone()), (13, 9..13));
        let bytes: Vec<bytes::Bytes> = part.body.try_collect().await.unwrap();
        assert_eq!(bytes.concat(), b"body");
        files.put("c.txt", b"c".to_vec()).await.unwrap();
        let mut listed: Vec<(String, u64)> = files.list().try_collect().await.unwrap();
        listed.sort();
        assert_eq!(listed, [("a/b.pdf".to_string(), 13), ("c.txt".to_string(), 1)]);
        let big: ByteStream = futures_util::stream::iter([Ok(bytes::Bytes::from(vec![0u8; 20]))]).boxed();
        assert!(matches!(files.save("big", big, 10).await, Err(FileError::TooLarge(10))));
        files.delete("a/b.pdf").await;
        assert!(files.get("a/b.pdf").await.unwrap().is_none());
        assert!(matches!(files.read("a/b.pdf", None).await, Err(FileError::NotFound)));
    }
}

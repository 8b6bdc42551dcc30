//! A client's export (GDPR art. 15 and 20) as a ZIP archive, streamed as it is written: its
//! records (`donnees.json`), its request attachments, delivered files, signed acceptances and
//! issued documents. Nothing is held whole in memory but a document's PDF; a failure midway
//! ends the response in error, never as an archive that looks complete.

use std::sync::Arc;

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::{AsyncWriteExt, StreamExt};
use immovr_app::App;
use immovr_app::accounts::{ClientExport, ExportFile};
use immovr_app::ports::FileError;
use immovr_core::Scope;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The archive, as a download.
pub fn client_archive(app: Arc<App>, scope: Scope, export: ClientExport) -> Response {
    let (writer, reader) = tokio::io::duplex(64 * 1024);
    let (done, outcome) = tokio::sync::oneshot::channel::<bool>();
    tokio::spawn(async move {
        let written = write(&app, scope, export, writer).await;
        if let Err(e) = &written {
            tracing::warn!(error = %e, "writing a client's export (or its reader left)");
        }
        let _ = done.send(written.is_ok());
    });
    // The archive's bytes, then an error if it could not be finished.
    let end = futures_util::stream::once(async move {
        match outcome.await {
            Ok(true) => None,
            _ => Some(Err(std::io::Error::other("the export could not be completed"))),
        }
    })
    .filter_map(|e| async move { e });
    let body = tokio_util::io::ReaderStream::new(reader).chain(end);
    let mut response = Response::new(Body::from_stream(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"immovr-mes-donnees.zip\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn write(app: &App, scope: Scope, export: ClientExport, out: tokio::io::DuplexStream) -> Result<(), Failure> {
    let mut zip = ZipFileWriter::with_tokio(out);
    let json = serde_json::to_vec_pretty(&export.json)?;
    zip.write_entry_whole(ZipEntryBuilder::new("donnees.json".into(), Compression::Deflate), &json).await?;
    let mut missing = Vec::new();
    for file in export.files {
        match file {
            ExportFile::Stored { path, key } => {
                let read = match app.files().read(&key, None).await {
                    Ok(r) => r,
                    Err(FileError::NotFound) => {
                        missing.push(path);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut entry = zip.write_entry_stream(ZipEntryBuilder::new(path.into(), Compression::Stored)).await?;
                let mut body = read.body;
                while let Some(chunk) = body.next().await {
                    entry.write_all(&chunk?).await?;
                }
                entry.close().await?;
            }
            ExportFile::Document(kind, id) => {
                let (doc, pdf) = app.documents().rendered(scope, kind, id).await?;
                let (bytes, _) = app.documents().load(&doc, &pdf.file).await?;
                let name = format!("documents/{}", pdf.file_name);
                zip.write_entry_whole(ZipEntryBuilder::new(name.into(), Compression::Stored), &bytes).await?;
            }
        }
    }
    if !missing.is_empty() {
        let note =
            format!("Fichiers introuvables dans le stockage / files missing from the store:\n{}\n", missing.join("\n"));
        zip.write_entry_whole(ZipEntryBuilder::new("manquants.txt".into(), Compression::Deflate), note.as_bytes())
            .await?;
    }
    zip.close().await?;
    Ok(())
}

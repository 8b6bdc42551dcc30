//! Backups: `immovr backup` taken while the server serves (and writes), restored into an empty
//! place — every record, document and file identical, the SHA-256 of every file checked, a
//! damaged backup and an occupied target refused.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use immovr_testkit::drop_place;
use sha2::{Digest, Sha256};

use super::*;

/// Every file under `root`: its path below it and its SHA-256.
fn file_sums(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, hex::encode(Sha256::digest(std::fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

both!(
    a_backup_taken_while_serving_restores_every_record_document_and_file,
    with | c | c.run_workers = false,
    async |app: &TestApp| {
        let (config, schema) = app.config();
        // A journey with an uploaded file and every document of it.
        let (client_id, client) = app.signup("Sauvegarde").await;
        let q =
            app.sent_quote(client_id, &[("Visite virtuelle", "1", "390", "20"), ("Plan 2D", "2", "80", "20")]).await;
        let po =
            app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await.body["purchase_order"]
                ["id"]
                .as_i64()
                .unwrap();
        let order =
            app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
                .as_i64()
                .unwrap();
        let delivered: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(app.upload(order, "rendus.zip", &delivered).await.status, StatusCode::CREATED);
        let invoice = app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]
            ["id"]
            .as_i64()
            .unwrap();
        let pdf_paths = [
            format!("/api/v1/quotes/{q}/pdf"),
            format!("/api/v1/quotes/{q}/accepted-pdf"),
            format!("/api/v1/purchase-orders/{po}/pdf"),
            format!("/api/v1/invoices/{invoice}/pdf"),
        ];
        let mut pdfs = Vec::new();
        for path in &pdf_paths {
            let res = app.http.get(format!("{}{path}", app.base)).bearer_auth(&app.admin).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            pdfs.push(res.bytes().await.unwrap());
        }
        app.documents.render_pending().await;

        // A backup while clients are created and quotes drafted, two at a time.
        let scratch = tempfile::tempdir().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let mut load = Vec::new();
        for worker in 0..2 {
            let (http, base, token, done) = (app.http.clone(), app.base.clone(), app.admin.clone(), done.clone());
            load.push(tokio::spawn(async move {
                let mut written = 0;
                while !done.load(Ordering::Relaxed) {
                    let res = http
                        .post(format!("{base}/api/v1/clients"))
                        .bearer_auth(&token)
                        .json(&json!({"client": {"kind": "person", "name": "Pendant la sauvegarde",
                        "email": format!("pendant-{worker}-{written}@client.example")}}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
                    written += 1;
                }
                written
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let under_load =
            immovr::backup::backup(config, &scratch.path().join("under-load"), app.clock.as_ref(), schema).await;
        done.store(true, Ordering::Relaxed);
        let mut written = 0;
        for worker in load {
            written += worker.await.unwrap();
        }
        let report = under_load.expect("a backup while the server writes");
        assert!(written > 0 && report.files >= 5, "{written} writes, {report:?}");
        assert!(scratch.path().join("under-load/SHA256SUMS").exists());

        // The server still serving, idle: a backup, restored into an empty place.
        app.app.seal_audit().await.unwrap();
        let backup = scratch.path().join("quiet");
        immovr::backup::backup(config, &backup, app.clock.as_ref(), schema).await.expect("a backup");
        let live_rows = TestApp::table_rows(config, schema).await;
        let target = app.empty_place(&scratch.path().join("restored")).await;
        let restored = immovr::backup::restore(&target, &backup, app.clock.clone(), schema).await;
        let restored_rows = TestApp::table_rows(&target, schema).await;
        let restored_files = file_sums(&target.data_dir.join("files"));
        let live_files = file_sums(&app.files_root());

        // A damaged backup is refused before anything is written; so is an occupied target.
        let again = immovr::backup::restore(&target, &backup, app.clock.clone(), schema).await;
        let damaged_target = app.empty_place(&scratch.path().join("damaged")).await;
        // Any stored file will do: each is checked.
        let victim = backup.join("files").join(live_files.keys().next().unwrap());
        let mut bytes = std::fs::read(&victim).unwrap();
        bytes[10] ^= 0xFF;
        std::fs::write(&victim, bytes).unwrap();
        let damaged = immovr::backup::restore(&damaged_target, &backup, app.clock.clone(), schema).await;
        let damaged_rows =
            if schema.is_some() { TestApp::table_rows(&damaged_target, schema).await } else { BTreeMap::new() };
        let damaged_db = damaged_target.data_dir.join("immovr.db").exists();

        // The restored copy serves the same documents, byte for byte, and takes new records.
        let (served, restored_pdfs, new_client) = if restored.is_ok() {
            let store = immovr::open_store(&target, app.clock.clone(), schema.map(str::to_string)).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let service = immovr::service(&target, store.clone(), app.clock.clone()).await.unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(immovr::serve(listener, service, async {
                let _ = stopped.await;
            }));
            let mut out = Vec::new();
            for path in &pdf_paths {
                let res = app.http.get(format!("{base}{path}")).bearer_auth(&app.admin).send().await.unwrap();
                out.push((res.status(), res.bytes().await.unwrap()));
            }
            let created = app
                .http
                .post(format!("{base}/api/v1/clients"))
                .bearer_auth(&app.admin)
                .json(&json!({"client": {"kind": "person", "name": "Après", "email": "apres@client.example"}}))
                .send()
                .await
                .unwrap()
                .status();
            let _ = stop.send(());
            server.await.unwrap().unwrap();
            store.close().await;
            (true, out, created)
        } else {
            (false, Vec::new(), StatusCode::INTERNAL_SERVER_ERROR)
        };
        drop_place(&target).await;
        drop_place(&damaged_target).await;

        let report = restored.expect("the restore");
        assert!(served);
        assert_eq!(report.files as usize, live_files.len(), "{report:?}");
        assert_eq!(restored_files, live_files, "every file, SHA-256 for SHA-256");
        assert!(live_files.len() >= 5, "the uploaded file and the documents: {live_files:?}");
        assert_eq!(restored_rows.len(), live_rows.len(), "the same tables");
        for (table, rows) in &live_rows {
            assert_eq!(restored_rows.get(table), Some(rows), "table {table} restored row for row");
        }
        assert_eq!(live_rows["clients"].len(), 1 + written, "the clients written during the first backup are there");
        for ((status, bytes), original) in restored_pdfs.iter().zip(&pdfs) {
            assert_eq!(*status, StatusCode::OK);
            assert_eq!(bytes, original, "the same document, byte for byte");
        }
        assert_eq!(new_client, StatusCode::CREATED, "the restored database goes on (its sequences too)");
        let refused = again.expect_err("a target that holds data is refused").to_string();
        assert!(refused.contains("already holds"), "{refused}");
        let damaged = damaged.expect_err("a damaged backup is refused").to_string();
        assert!(damaged.contains("damaged") && damaged.contains("SHA-256"), "{damaged}");
        assert!(!damaged_db && damaged_rows.is_empty(), "nothing written from a damaged backup");
    }
);

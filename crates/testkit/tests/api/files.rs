//! Files: delivered files streamed up through the API and down with range requests; request
//! attachments checked by size and content; nobody else's files reachable.

use immovr_testkit::reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

use super::*;

async fn order_for(app: &TestApp, name: &str) -> (i64, String, i64) {
    let (client_id, client) = app.signup(name).await;
    let q = app.sent_quote(client_id, &[("Rendu 3D", "1", "450", "20")]).await;
    let po = app.post(&client, &format!("/api/v1/quotes/{q}/accept"), TestApp::signature()).await.body["purchase_order"]["id"].clone();
    let order =
        app.post(&app.admin, &format!("/api/v1/purchase-orders/{po}/validate"), json!({})).await.body["order_id"]
            .as_i64()
            .unwrap();
    (client_id, client, order)
}

async fn get_bytes(
    app: &TestApp,
    token: &str,
    path: &str,
    range: Option<&str>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut req = app.http.get(format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_range = res.headers().get("content-range").map(|v| v.to_str().unwrap().to_string());
    (status, content_range, res.bytes().await.unwrap().to_vec())
}

both!(delivered_files_stream_up_and_down_with_ranges, async |app: &TestApp| {
    let (_, client, order) = order_for(app, "Fichiers").await;
    let content: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let up = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/visite 360 – final.zip", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/zip")
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::CREATED);
    let order_json: Value = up.json().await.unwrap();
    let file = &order_json["deliverables"][0];
    assert_eq!(file["size_bytes"], 3 * 1024 * 1024);
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(&content)));
    assert_eq!(file["filename"], "visite 360 – final.zip");
    let file_id = file["id"].as_i64().unwrap();
    let path = format!("/api/v1/orders/{order}/deliverables/{file_id}");

    let (s, _, whole) = get_bytes(app, &client, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(whole == content, "the download is the upload, byte for byte");
    let (s, range, part) = get_bytes(app, &client, &path, Some("bytes=1000-1999")).await;
    assert_eq!((s, range.as_deref()), (StatusCode::PARTIAL_CONTENT, Some("bytes 1000-1999/3145728")));
    assert_eq!(part, &content[1000..2000]);
    let (s, _, tail) = get_bytes(app, &client, &path, Some("bytes=-10")).await;
    assert_eq!((s, tail.as_slice()), (StatusCode::PARTIAL_CONTENT, &content[content.len() - 10..]));
    let (s, _, rest) = get_bytes(app, &client, &path, Some("bytes=3145700-")).await;
    assert_eq!((s, rest.len()), (StatusCode::PARTIAL_CONTENT, 28));
    let (s, _, _) = get_bytes(app, &client, &path, Some("bytes=9999999-")).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);

    // The portal link, with the session cookie; and nobody else's.
    let (_, other, _) = order_for(app, "Voisin").await;
    assert_eq!(get_bytes(app, &other, &path, None).await.0, StatusCode::NOT_FOUND);
    let (browser, _, _) = app.browser_login("fichiers@client.example", "client-password").await;
    let res = browser
        .get(format!("{}/compte/commandes/{order}/fichiers/{file_id}", app.base))
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), &content[..10]);

    // Too large: refused, nothing recorded; the production role is required.
    let big = vec![0u8; (immovr_testkit::TEST_MAX_UPLOAD + 1) as usize];
    let res = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/big.bin", app.base))
        .bearer_auth(&app.admin)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.get(&app.admin, &format!("/api/v1/orders/{order}")).await.body["deliverables"].as_array().unwrap().len(),
        1
    );
    let sales = app.staff("ventes@studio.example", &[immovr_core::model::Role::Sales]).await;
    let res = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/x.bin", app.base))
        .bearer_auth(&sales)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Once delivered, the order takes no more files.
    assert_eq!(
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.status,
        StatusCode::OK
    );
    let res = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/late.bin", app.base))
        .bearer_auth(&app.admin)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
});

both!(request_attachments_are_checked_and_private, async |app: &TestApp| {
    let (_, _) = app.signup("Plans").await;
    let (browser, csrf, _) = app.browser_login("plans@client.example", "client-password").await;
    let pdf = b"%PDF-1.7\n% plan du rez-de-chaussee\n".to_vec();
    let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64][..]].concat();
    let form = |files: Vec<(&str, Vec<u8>)>| {
        let mut f = Form::new()
            .text("csrf", csrf.clone())
            .text("property_type", "Maison")
            .text("property_address", "9 rue des Plans, Lyon");
        for (name, bytes) in files {
            f = f.part("attachments", Part::bytes(bytes).file_name(name.to_string()));
        }
        f
    };
    let post = |f: Form| browser.post(format!("{}/compte/demandes", app.base)).multipart(f).send();

    let bad =
        post(form(vec![("plan.pdf", pdf.clone()), ("virus.pdf", b"MZ\x90\x00 not a pdf".to_vec())])).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("virus.pdf"), "the error names the refused file");
    // The server refuses an oversized upload before reading it all and closes that connection:
    // it is sent from a session of its own, so the next requests do not pick that connection.
    let (uploader, uploader_csrf, _) = app.browser_login("plans@client.example", "client-password").await;
    let huge = [&b"%PDF"[..], &vec![0u8; 26 * 1024 * 1024][..]].concat();
    let big_form = Form::new()
        .text("csrf", uploader_csrf)
        .text("property_type", "Maison")
        .text("property_address", "9 rue des Plans, Lyon")
        .part("attachments", Part::bytes(huge).file_name("huge.pdf"));
    let big = uploader.post(format!("{}/compte/demandes", app.base)).multipart(big_form).send().await.unwrap();
    assert_eq!(big.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.list(&app.admin, "/api/v1/quote-requests").await.is_empty(), "nothing recorded");
    let files_dir = app.files_root().join("requests");
    let left = std::fs::read_dir(&files_dir)
        .map(|d| {
            d.flatten().filter(|e| std::fs::read_dir(e.path()).map(|mut x| x.next().is_some()).unwrap_or(false)).count()
        })
        .unwrap_or(0);
    // Refused files leave nothing behind; the good plan sent beside the program is kept for the
    // next try (a day: see `kept.rs`).
    assert_eq!(left, 1, "only the good plan is kept");

    let ok = post(form(vec![("plan RDC.pdf", pdf.clone()), ("façade.png", png.clone())])).await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let requests = app.get(&app.admin, "/api/v1/quote-requests").await;
    let request = &requests.body["items"][0];
    let files = request["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["filename"].as_str(), files[0]["content_type"].as_str()),
        (Some("plan RDC.pdf"), Some("application/pdf"))
    );
    assert_eq!(files[1]["content_type"], "image/png");
    assert!(files[0].get("storage_key").is_none(), "storage keys stay internal");
    let (rid, fid) = (request["id"].as_i64().unwrap(), files[0]["id"].as_i64().unwrap());
    let (s, _, bytes) =
        get_bytes(app, &app.admin, &format!("/api/v1/quote-requests/{rid}/attachments/{fid}"), None).await;
    assert_eq!((s, bytes), (StatusCode::OK, pdf.clone()));
    let mine = browser.get(format!("{}/compte/demandes/{rid}/pieces/{fid}", app.base)).send().await.unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    let (_, stranger) = app.signup("Curieux").await;
    let (s, _, _) = get_bytes(app, &stranger, &format!("/api/v1/quote-requests/{rid}/attachments/{fid}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

#[tokio::test]
async fn files_can_live_in_an_s3_bucket() {
    let Some(s3) = immovr_testkit::s3_server("immovr-files").await else { return };
    let endpoint = s3.endpoint.clone();
    let app = immovr_testkit::spawn_app_with(immovr_testkit::Backend::Sqlite, |c| {
        c.s3_bucket = Some("immovr-files".into());
        c.s3_endpoint = Some(endpoint);
        c.s3_allow_http = true;
        c.s3_access_key_id = Some("test".into());
        c.s3_secret_access_key = Some("test".into());
    })
    .await
    .unwrap();
    let (client_id, client, order) = order_for(&app, "Nuage").await;
    // Larger than one multipart part (5 MiB), so the upload really is multipart.
    let content: Vec<u8> = (0..7 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let up = app
        .http
        .put(format!("{}/api/v1/orders/{order}/files/nuage.bin", app.base))
        .bearer_auth(&app.admin)
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::CREATED);
    let body: Value = up.json().await.unwrap();
    let file_id = body["deliverables"][0]["id"].as_i64().unwrap();
    assert_eq!(body["deliverables"][0]["sha256"], hex::encode(Sha256::digest(&content)));
    let path = format!("/api/v1/orders/{order}/deliverables/{file_id}");
    let (s, _, whole) = get_bytes(&app, &client, &path, None).await;
    assert!(s == StatusCode::OK && whole == content);
    let (s, range, part) = get_bytes(&app, &client, &path, Some("bytes=6000000-6000099")).await;
    assert_eq!((s, range.as_deref()), (StatusCode::PARTIAL_CONTENT, Some("bytes 6000000-6000099/7340032")));
    assert_eq!(part, &content[6_000_000..6_000_100]);
    assert!(!app.files_root().join("orders").exists(), "nothing written locally");

    // The client's data erased (delivered, paid): its file is gone from the bucket too.
    let bucket = immovr_files::Files::s3(
        "immovr-files",
        Some(&s3.endpoint),
        &app.config().0.s3_region,
        true,
        Some(("test", "test")),
    )
    .unwrap();
    let keys = async || -> Vec<String> {
        use futures_util::StreamExt;
        bucket.list().map(|f| f.unwrap().0).collect().await
    };
    assert!(keys().await.iter().any(|k| k.ends_with("-nuage.bin")), "{:?}", keys().await);
    let invoice =
        app.post(&app.admin, &format!("/api/v1/orders/{order}/deliver"), json!({})).await.body["invoice"]["id"]
            .as_i64()
            .unwrap();
    let pay = json!({"method": "transfer", "amount": "540.00", "date": "2026-06-15", "reference": "VIR"});
    assert_eq!(
        app.post(&app.admin, &format!("/api/v1/invoices/{invoice}/payments"), pay).await.status,
        StatusCode::CREATED
    );
    let erased = app.post(&app.admin, &format!("/api/v1/clients/{client_id}/erasure"), json!({})).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert!(!keys().await.iter().any(|k| k.ends_with("-nuage.bin")), "{:?}", keys().await);
    app.stop().await;
    drop(s3);
}

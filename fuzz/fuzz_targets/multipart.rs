//! Multipart uploads as the pages receive them (sign-up and quote requests with plans and
//! photos): the body read by the server's own extractor, field by field, each file named by
//! `clean_filename` and typed by `sniff` from its first bytes, as the upload form reader does.
//! Nothing panics; a cleaned name is safe to show and store.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use immovr_app::ports::{clean_filename, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let request = Request::builder()
            .method("POST")
            .header("content-type", "multipart/form-data; boundary=immovr")
            .body(Body::from(data.to_vec()))
            .unwrap();
        let Ok(mut multipart) = Multipart::from_request(request, &()).await else { return };
        while let Ok(Some(field)) = multipart.next_field().await {
            let _ = field.name().map(str::to_string);
            match field.file_name().map(str::to_string) {
                Some(original) => {
                    let name = clean_filename(&original);
                    assert!(!name.is_empty() && name.chars().count() <= 200, "{original:?}");
                    assert!(!name.contains(['/', '\\']) && !name.starts_with('.'), "{original:?} → {name:?}");
                    assert!(!name.chars().any(|c| c.is_control()), "{original:?} → {name:?}");
                    let Ok(bytes) = field.bytes().await else { break };
                    let _ = sniff(&bytes[..bytes.len().min(16)]);
                }
                None => {
                    if field.text().await.is_err() {
                        break;
                    }
                }
            }
        }
    });
});

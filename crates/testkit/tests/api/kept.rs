//! No file lost to a refusal: a request form refused for any reason (a bad file among good ones,
//! a field) keeps the good files; the form shown again lists them and carries them back as a
//! signed token, so the client does not send them twice; a token is good for one request, can
//! drop a file, cannot be forged, and the files of a form that never comes back are removed a
//! day later.

use immovr_testkit::reqwest::{Client, multipart};

use super::*;

const PDF: &[u8] = b"%PDF-1.7\n% a plan\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n a photo";

struct Answer {
    status: StatusCode,
    location: String,
    html: String,
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    html[at + name.len() + 15..].split('"').next().unwrap().to_string()
}

/// Posts the request form: its fields, then its files (name, bytes).
async fn send(app: &TestApp, b: &Client, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Answer {
    let mut form = multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part("attachments", multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    let r = b.post(format!("{}/compte/demandes", app.base)).multipart(form).send().await.unwrap();
    let status = r.status();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    Answer { status, location, html: r.text().await.unwrap() }
}

fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { count(&p) } else { 1 }).sum::<usize>())
            .unwrap_or(0)
    }
    count(&app.files_root().join("requests"))
}

both!(a_refused_request_keeps_its_good_files_for_the_next_try, async |app: &TestApp| {
    app.client_login("Gardé").await;
    let (b, csrf, _) = app.browser_login("gard@client.example", "client-password").await;
    let typed = [("csrf", csrf.as_str()), ("property_type", "Maison"), ("property_address", "3 rue Claire, Lyon")];

    // A program between a plan and a photo, and a surface that is no number: refused, the plan
    // and the photo kept (the file after the refused one is read too).
    let mut fields = typed.to_vec();
    fields.push(("surface", "grand"));
    let files: [(&str, &[u8]); 3] = [("plan.pdf", PDF), ("virus.exe", b"MZ\x90\x00"), ("salon.png", PNG)];
    let refused = send(app, &b, &fields, &files).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("virus.exe : seuls les fichiers PDF"), "{}", refused.html);
    assert!(refused.html.contains("Fichiers déjà reçus"), "{}", refused.html);
    assert!(refused.html.contains("plan.pdf") && refused.html.contains("salon.png"));
    assert_eq!(stored_files(app), 2, "the program is not stored");
    let kept = hidden(&refused.html, "kept");

    // A forged or altered token is refused, and changes nothing.
    let mut forged = fields.clone();
    let altered = kept.replacen('A', "B", 1);
    forged.retain(|(k, _)| *k != "surface");
    forged.push(("kept", &altered));
    let answer = send(app, &b, &forged, &[]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("ne sont plus conservés"), "{}", answer.html);
    assert!(app.list(&app.admin, "/api/v1/quote-requests").await.is_empty());

    // Corrected, with the token and without the photo (dropped), and a new photo: recorded.
    let mut fixed = typed.to_vec();
    fixed.push(("kept", &kept));
    fixed.push(("drop", "1"));
    let answer = send(app, &b, &fixed, &[("cuisine.png", PNG)]).await;
    assert_eq!(
        (answer.status, answer.location.as_str()),
        (StatusCode::SEE_OTHER, "/compte/demandes?ok=1"),
        "{}",
        answer.html
    );
    let requests = app.list(&app.admin, "/api/v1/quote-requests").await;
    let names: Vec<&str> =
        requests[0]["attachments"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap()).collect();
    assert_eq!(names, ["plan.pdf", "cuisine.png"]);
    assert_eq!(stored_files(app), 2, "the dropped photo is removed");

    // The same token again: its files belong to the first request.
    let answer = send(app, &b, &fixed, &[]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("ont déjà été envoyés"), "{}", answer.html);
    assert_eq!(app.list(&app.admin, "/api/v1/quote-requests").await.len(), 1);

    // A form that never comes back: its files are removed a day later, the others stay.
    let abandoned = send(app, &b, &fields, &[("terrasse.png", PNG)]).await;
    assert_eq!(abandoned.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_files(app), 3);
    app.clock.advance_minutes(25 * 60);
    assert_eq!(app.app.forget_kept_uploads().await.unwrap(), 1);
    assert_eq!(stored_files(app), 2, "the recorded request's files stay");
    let late = [
        ("csrf", csrf.as_str()),
        ("property_type", "Maison"),
        ("property_address", "3 rue Claire, Lyon"),
        ("kept", ""),
    ];
    let mut late = late.to_vec();
    let token = hidden(&abandoned.html, "kept");
    late.retain(|(k, _)| *k != "kept");
    late.push(("kept", &token));
    let answer = send(app, &b, &late, &[]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "a day on, the token has expired");
});

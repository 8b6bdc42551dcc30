//! What a client was shown and when: the privacy policy presented with the sign-up form is
//! recorded with the account, by version, shown in Mon Compte and in the data export; an account
//! the studio created says that no sign-up was recorded.

use immovr_core::Actor;
use immovr_core::model::LegalKind;

use super::*;

both!(the_privacy_policy_shown_at_sign_up_is_kept_with_the_account, async |app: &TestApp| {
    app.signup("Avant").await;
    app.app.publish_legal_text(&Actor::system(), LegalKind::Privacy, "Notre politique, version une.").await.unwrap();
    app.signup("Apres").await;
    for (email, version) in [("avant@client.example", 0), ("apres@client.example", 1)] {
        let (b, _, _) = app.browser_login(email, "client-password").await;
        let profile = b.get(format!("{}/compte/profil", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(
            profile
                .contains("Politique de confidentialité présentée avec votre formulaire d’inscription le 15/06/2026"),
            "{profile}"
        );
        assert!(profile.contains(&format!("href=\"/confidentialite/v/{version}\"")), "{email}: {profile}");
        let export = b.get(format!("{}/compte/donnees", app.base)).send().await.unwrap();
        assert_eq!(export.headers()["content-type"], "application/zip");
        let entries = TestApp::unzip(&export.bytes().await.unwrap());
        assert_eq!(entries[0].0, "donnees.json");
        let export: Value = serde_json::from_slice(&entries[0].1).unwrap();
        assert_eq!(export["consents"][0]["kind"], "privacy_policy");
        assert_eq!(export["consents"][0]["version"], version, "{export}");
        assert_eq!(export["consents"][0]["language"], "fr");
    }
    // The version shown stays readable as it was.
    let v1 = app.http.get(format!("{}/confidentialite/v/1", app.base)).send().await.unwrap();
    assert_eq!(v1.status(), StatusCode::OK);
    assert!(v1.text().await.unwrap().contains("Notre politique, version une."));
    // An account the studio created: nothing recorded, and it says so.
    app.client_login("Studio").await;
    let (b, _, _) = app.browser_login("studio@client.example", "client-password").await;
    let profile = b.get(format!("{}/compte/profil", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("aucune inscription en ligne"), "{profile}");
});

both!(the_version_recorded_is_the_one_the_form_presented, async |app: &TestApp| {
    let b = immovr_testkit::reqwest::Client::builder()
        .cookie_store(true)
        .redirect(immovr_testkit::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = b.get(format!("{}/inscription", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("name=\"privacy_version\" value=\"0\"") && form.contains("href=\"/confidentialite/v/0\""));
    let at = form.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = form[at..].split('"').next().unwrap().to_string();
    // A new policy is published while the visitor fills the form in.
    app.app.publish_legal_text(&Actor::system(), LegalKind::Privacy, "Une politique plus récente.").await.unwrap();
    let mut multipart = immovr_testkit::reqwest::multipart::Form::new();
    for (k, v) in [
        ("csrf", csrf.as_str()),
        ("privacy_version", "0"),
        ("property_type", "Maison"),
        ("property_address", "1 rue A, 69001 Lyon"),
        ("kind", "person"),
        ("name", "Paul Durand"),
        ("email", "paul@client.example"),
        ("line1", "1 rue A"),
        ("postcode", "69001"),
        ("city", "Lyon"),
        ("password", "un-mot-de-passe-solide"),
    ] {
        multipart = multipart.text(k.to_string(), v.to_string());
    }
    let sent = b.post(format!("{}/inscription", app.base)).multipart(multipart).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{}", sent.text().await.unwrap());
    let token = app.emailed_link("signup_confirm", "paul@client.example").await;
    let token = token.rsplit('/').next().unwrap().to_string();
    let confirmed = b.get(format!("{}/inscription/confirmer/{token}", app.base)).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let archive = b.get(format!("{}/compte/donnees", app.base)).send().await.unwrap().bytes().await.unwrap();
    let export: Value = serde_json::from_slice(&TestApp::unzip(&archive)[0].1).unwrap();
    assert_eq!(export["consents"][0]["version"], 0, "the version presented, not the newer one: {export}");
});

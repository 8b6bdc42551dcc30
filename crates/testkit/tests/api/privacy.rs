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
        let export: Value = export.json().await.unwrap();
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

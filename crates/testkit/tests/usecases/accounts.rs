//! Accounts: sign-up, sign-in (same answer for an unknown email), sessions, single-use links,
//! password changes and resets (every session ends), roles, the client's profile and export.

use super::*;

fn person(email: &str) -> NewClient {
    NewClient {
        kind: ClientKind::Person,
        name: "Jeanne Martin".into(),
        email: email.into(),
        phone: None,
        company_name: None,
        siren: None,
        siret: None,
        vat_number: None,
        billing_address: None,
        language: Language::Fr,
    }
}

use_cases!(sign_up_then_sign_in_and_out, async |u: &TestUseCases| {
    // A sign-up creates nothing until its address is confirmed by the emailed link.
    u.app.sign_up(person("Jeanne@Client.example"), "un mot de passe".into(), None).await.unwrap();
    assert!(!u.app.account_exists("jeanne@client.example").await.unwrap(), "nothing yet");
    let confirm = u.link("signup_confirm", "jeanne@client.example").await;
    let session = u.confirmed(&confirm).await;
    assert_eq!(session.user.email, "jeanne@client.example", "emails are normalised");
    assert!(session.token.starts_with(immovr_app::auth::SESSION_TOKEN_PREFIX));
    assert_eq!(u.app.authenticate(&session.token).await.unwrap().map(|u| u.id), Some(session.user.id));
    assert!(u.app.confirm_sign_up(&confirm).await.unwrap().is_none(), "a confirmation works once");

    // Signing up again with that address answers the same; its owner is emailed a sign-in
    // link, and nothing of the second sign-up (its password) is kept.
    let again = u.app.sign_up(person("jeanne@client.example"), "un autre mot de passe".into(), None).await;
    assert!(again.is_ok(), "the same answer: {again:?}");
    let magic = u.link("signup_existing", "jeanne@client.example").await;
    assert!(matches!(u.app.sign_in_with_link(&magic).await.unwrap(), Some(immovr_app::auth::SignIn::Session(_))));
    let other = u.app.sign_in("jeanne@client.example", "un autre mot de passe".into()).await;
    assert!(matches!(other, Err(DomainError::BadCredentials)), "the account's password is unchanged");

    let short = u.app.sign_up(person("court@client.example"), "court".into(), None).await;
    assert!(matches!(short, Err(DomainError::Validation { field, .. }) if field == "password"));
    assert!(u.queued().await.iter().all(|m| m.recipient != "court@client.example"), "nothing sent");

    // A confirmation not opened within a day is no longer good, and is forgotten.
    u.app.sign_up(person("tard@client.example"), "un mot de passe".into(), None).await.unwrap();
    let late = u.link("signup_confirm", "tard@client.example").await;
    u.clock.advance_minutes(25 * 60);
    assert!(u.app.confirm_sign_up(&late).await.unwrap().is_none());
    u.clock.advance_minutes(24 * 60);
    assert!(u.app.forget_pending_signups().await.unwrap() >= 1);
    assert!(!u.app.account_exists("tard@client.example").await.unwrap());

    let wrong = u.app.sign_in("jeanne@client.example", "pas le bon".into()).await;
    assert!(matches!(wrong, Err(DomainError::BadCredentials)));
    let unknown = u.app.sign_in("personne@client.example", "un mot de passe".into()).await;
    assert!(matches!(unknown, Err(DomainError::BadCredentials)), "the same answer");
    let Ok(immovr_app::auth::SignIn::Session(again)) =
        u.app.sign_in("jeanne@client.example", "un mot de passe".into()).await
    else {
        panic!("a session")
    };
    u.app.close_session(&again.token).await.unwrap();
    assert!(u.app.authenticate(&again.token).await.unwrap().is_none());
    assert!(u.app.authenticate(&session.token).await.unwrap().is_some(), "other sessions stay");
    // A session ends with its time.
    u.clock.advance_days(4);
    assert!(u.app.authenticate(&session.token).await.unwrap().is_none());
});

use_cases!(a_reset_link_works_once_and_ends_every_session, async |u: &TestUseCases| {
    let session = u.signed_up(person("oubli@client.example"), "premier mot de passe").await;
    u.app.request_link("inconnu@client.example", immovr_app::ports::LinkPurpose::PasswordReset).await.unwrap();
    assert!(u.queued().await.iter().all(|m| m.kind != "password_reset"), "nothing sent for an unknown email");
    // A sign-in link asked for earlier, still unused.
    u.app.request_link("oubli@client.example", immovr_app::ports::LinkPurpose::MagicLink).await.unwrap();
    let email = u.queued().await.into_iter().find(|m| m.kind == "magic_link").unwrap();
    let Notification::MagicLink(magic) = email.notification().unwrap() else { panic!("a sign-in link") };
    let magic = magic.url_path.rsplit('/').next().unwrap().to_string();
    u.app.request_link("oubli@client.example", immovr_app::ports::LinkPurpose::PasswordReset).await.unwrap();
    let email = u.queued().await.into_iter().find(|m| m.kind == "password_reset").unwrap();
    let Notification::PasswordReset(link) = email.notification().unwrap() else { panic!("a reset link") };
    let token = link.url_path.rsplit('/').next().unwrap().to_string();
    assert!(link.url_path.starts_with("/reinitialiser/"));
    let short = u.app.reset_password(&token, "court".into()).await;
    assert!(matches!(short, Err(DomainError::Validation { .. })), "the link survives a refused password");
    assert!(u.app.reset_password(&token, "second mot de passe".into()).await.unwrap());
    assert!(!u.app.reset_password(&token, "troisième mot de passe".into()).await.unwrap(), "used once");
    assert!(u.app.authenticate(&session.token).await.unwrap().is_none(), "sessions closed");
    assert!(u.app.sign_in("oubli@client.example", "second mot de passe".into()).await.is_ok());
    assert!(u.app.sign_in_with_link(&magic).await.unwrap().is_none(), "the reset spent the earlier sign-in link");
    let journal = u.journal().await;
    assert!(journal.iter().any(|a| a == "password_reset.used") && journal.iter().any(|a| a == "user.password_changed"));
});

use_cases!(staff_accounts_and_roles_are_the_admins, async |u: &TestUseCases| {
    let (zoe, generated) = u
        .app
        .add_staff_member(&u.studio(), "zoe@studio.example".into(), "Zoé".into(), vec![Role::Production], None)
        .await
        .unwrap();
    let password = generated.expect("a generated password");
    assert!(u.app.sign_in("zoe@studio.example", password).await.is_ok());
    let zoe_actor = Actor::for_user(&zoe);
    let refused = u.app.set_roles(&zoe_actor, zoe.id, vec![Role::Admin]).await;
    assert!(matches!(refused, Err(DomainError::Forbidden { role: "admin" })), "no one grants herself a role");
    assert!(matches!(u.app.set_roles(&u.studio(), zoe.id, vec![]).await, Err(DomainError::Validation { .. })));
    let zoe = u.app.set_roles(&u.studio(), zoe.id, vec![Role::Production, Role::Accounting]).await.unwrap();
    assert_eq!(zoe.roles, [Role::Production, Role::Accounting]);
    let (client, _) = u.client("Pas staff").await;
    let user = u.signed_up(person("cli@client.example"), "mot de passe client").await.user;
    assert!(u.app.set_roles(&u.studio(), user.id, vec![Role::Sales]).await.is_err(), "a client's login gets no role");
    assert!(u.app.create_api_token(&u.studio(), user.id, "x", "0".repeat(64).as_str()).await.is_err());
    assert!(u.app.staff_users(&Actor::for_user(&user)).await.is_err());
    let _ = client;
});

use_cases!(a_client_updates_its_profile_and_exports_its_data, async |u: &TestUseCases| {
    let (client, actor) = u.client("Profil").await;
    let (_, other) = u.client("Voisin").await;
    let update = ProfileUpdate {
        name: "Profil Renommé".into(),
        phone: Some("+33 6 00 00 00 02".into()),
        company_name: None,
        siren: Some("123456782".into()),
        siret: None,
        vat_number: None,
        billing_address: None,
        language: Language::En,
        notify_email: true,
    };
    let refused = u.app.update_profile(&actor, client.id, update.clone()).await;
    assert!(
        matches!(refused, Err(DomainError::Validation { field, .. }) if field == "company_name"),
        "a company keeps its name"
    );
    let update = ProfileUpdate { company_name: Some("Profil SAS".into()), ..update };
    assert!(matches!(u.app.update_profile(&other, client.id, update.clone()).await, Err(DomainError::NotFound { .. })));
    let updated = u.app.update_profile(&actor, client.id, update).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.language), ("Profil Renommé", Language::En));
    let q = sent_quote(u, client.id, vec![line("Visite", "1", "390.00", "20")]).await;
    u.app.post_message(&actor, ThreadKind::Quote, q.id, NewMessage { body: "Bonjour".into() }).await.unwrap();
    let export = u.app.export_archive(&actor, client.id).await.unwrap().json;
    assert_eq!(export["client"]["name"], "Profil Renommé");
    assert_eq!(export["quotes"].as_array().unwrap().len(), 1);
    assert_eq!(export["messages"][0]["body"], "Bonjour");
    assert!(u.app.export_archive(&other, client.id).await.is_err(), "nobody else's");
});

use_cases!(a_password_hashed_with_older_settings_is_hashed_again_at_sign_in, async |u: &TestUseCases| {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    use immovr_app::ports::Sessions;
    // An account made before: argon2id's default settings (19 MiB, 2 passes).
    let salt = SaltString::generate(&mut OsRng);
    let old = argon2::Argon2::default().hash_password(b"ancien mot de passe", &salt).unwrap().to_string();
    assert!(old.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let staff = NewStaffUser {
        email: "ancien@studio.example".into(),
        name: "Ancien".into(),
        roles: vec![Role::Sales],
        password_hash: old.clone(),
    };
    u.app.create_staff_user(&u.studio(), staff).await.unwrap();
    assert!(matches!(
        u.app.sign_in("ancien@studio.example", "pas le bon mot de passe".into()).await,
        Err(DomainError::BadCredentials)
    ));
    let stored = || async { u.store.user_credentials("ancien@studio.example").await.unwrap().unwrap().1 };
    assert_eq!(stored().await, old, "a wrong password changes nothing");
    let immovr_app::auth::SignIn::Session(first) =
        u.app.sign_in("ancien@studio.example", "ancien mot de passe".into()).await.unwrap()
    else {
        panic!("a session")
    };
    let new = stored().await;
    assert!(new.starts_with("$argon2id$v=19$m=9216,t=4,p=1$"), "hashed again: {new}");
    assert!(u.app.authenticate(&first.token).await.unwrap().is_some(), "its session stays");
    assert!(u.app.sign_in("ancien@studio.example", "ancien mot de passe".into()).await.is_ok());
    assert_eq!(stored().await, new, "once");
    let rehashed = u.journal().await.iter().filter(|a| *a == "user.password_rehashed").count();
    assert_eq!(rehashed, 1);
});

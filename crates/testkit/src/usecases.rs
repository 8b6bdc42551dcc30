//! The application alone, without HTTP: [`TestUseCases`].

use std::sync::Arc;

use immovr_core::Actor;
use immovr_store::SqlStore;

use crate::{Backend, PG_ENV, TestClock, test_config};

/// The application alone on a fresh database: no HTTP, no background workers. Use cases are
/// called directly; emails stay queued (see [`TestUseCases::queued`]); documents render when
/// asked for.
pub struct TestUseCases {
    pub app: Arc<immovr_app::App>,
    pub store: SqlStore,
    pub clock: Arc<TestClock>,
    pub backend: Backend,
    pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

/// The application on a fresh database, or `None` when PostgreSQL is asked for but not set.
pub async fn use_cases(backend: Backend) -> Option<TestUseCases> {
    let (config, pg_schema, dir) = test_config(backend)?;
    let clock = Arc::new(TestClock::new("2026-06-15T08:00:00Z".parse().unwrap()));
    let store = immovr::open_store(&config, clock.clone(), pg_schema.clone()).await.expect("open store");
    let app = immovr::application(&config, store.clone(), clock.clone(), None).await.expect("the application");
    Some(TestUseCases { app, store, clock, backend, pg_schema, _dir: dir })
}

impl TestUseCases {
    /// The studio acting on its own authority (every role).
    pub fn studio(&self) -> Actor {
        Actor::system()
    }

    /// A new client, created by the studio with a login; gives it and the actor it acts as.
    pub async fn client(&self, name: &str) -> (immovr_core::model::Client, Actor) {
        let email = format!("{}@client.example", name.to_lowercase().replace(' ', "-"));
        let new = immovr_core::ports::NewClient {
            kind: immovr_core::model::ClientKind::Company,
            name: name.into(),
            email,
            phone: None,
            company_name: Some(format!("{name} SARL")),
            siren: None,
            siret: None,
            vat_number: None,
            billing_address: None,
            language: immovr_core::model::Language::Fr,
        };
        let client = self.app.create_client(&self.studio(), new, None).await.expect("a client");
        let actor = Actor {
            label: format!("client:{} {}", client.id, client.email),
            client_id: Some(client.id),
            ip: Some("192.0.2.7".into()),
            user_agent: Some("use case tests".into()),
            ..Actor::anonymous()
        };
        (client, actor)
    }

    /// The emails queued (and not sent: no worker runs), oldest first.
    pub async fn queued(&self) -> Vec<immovr_core::model::OutboxMessage> {
        let all = immovr_core::listing::every(immovr_core::listing::ListQuery::first(), async |q| {
            self.app.emails(&self.studio(), &q).await
        })
        .await
        .expect("the outbox");
        all.into_iter().rev().collect()
    }

    /// The token of the newest emailed link of this kind (`signup_confirm`, `magic_link`…) to
    /// this address.
    pub async fn link(&self, kind: &str, email: &str) -> String {
        crate::emailed_link(&self.app, kind, email).await
    }

    /// Confirms a sign-up with its link's token; the new session.
    pub async fn confirmed(&self, token: &str) -> immovr_app::auth::NewSession {
        match self.app.confirm_sign_up(token).await.expect("the confirmation").map(|c| c.sign_in) {
            Some(immovr_app::auth::SignIn::Session(s)) => s,
            _ => panic!("no session from the confirmation"),
        }
    }

    /// Signs up and confirms at once; the new session.
    pub async fn signed_up(
        &self,
        client: immovr_core::ports::NewClient,
        password: &str,
    ) -> immovr_app::auth::NewSession {
        let email = client.email.to_lowercase();
        self.app.sign_up(client, password.into(), None).await.expect("the sign-up");
        let token = self.link("signup_confirm", &email).await;
        self.confirmed(&token).await
    }

    /// The audit trail's actions, oldest first.
    pub async fn journal(&self) -> Vec<String> {
        let filter = immovr_core::ports::AuditFilter {
            entity_kind: None,
            entity_id: None,
            list: immovr_core::listing::ListQuery { limit: 200, ..Default::default() },
        };
        let page = self.app.audit_events(&self.studio(), &filter).await.expect("the journal");
        page.items.into_iter().rev().map(|e| e.action).collect()
    }

    /// Closes the database and drops the test's PostgreSQL schema.
    pub async fn stop(self) {
        self.store.close().await;
        if let (Some(schema), Ok(url)) = (&self.pg_schema, std::env::var(PG_ENV))
            && let Ok(admin) =
                immovr_store::Db::connect(&immovr_store::Options { url, max_connections: 1, pg_schema: None }).await
        {
            admin.drop_schema(schema).await;
            admin.close().await;
        }
    }
}

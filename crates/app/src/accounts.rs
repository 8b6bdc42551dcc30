//! Clients (created by staff, or signing up with their first request) and staff accounts: the
//! checks a client's details pass, roles, API tokens, the client's profile and data export.

use crate::idempotency::Outcome;
use immovr_core::auth::normalize_email;
use immovr_core::listing::{ListQuery, Page, every};
use immovr_core::model::{Address, Client, ClientKind, Consent, Id, Role, User};
use immovr_core::ports::{NewClient, NewStaffUser, ProfileUpdate};
use immovr_core::{Actor, Checks, DomainError, Result, Scope, identifiers};
use serde_json::json;

use crate::App;
use crate::ports::{ClientRow, ProfileRow};

/// A client's export: its records (JSON) and its files.
pub struct ClientExport {
    pub json: serde_json::Value,
    pub files: Vec<ExportFile>,
}

/// A client's records that hold files: requests, quotes, orders.
type Holding = (Vec<immovr_core::model::QuoteRequest>, Vec<immovr_core::model::Quote>, Vec<immovr_core::model::Order>);

/// A file of an export, and where it is read from.
pub enum ExportFile {
    /// A file of the file store, by key, and its path in the archive.
    Stored { path: String, key: String },
    /// An issued document's PDF (the archive names it by its file name).
    Document(immovr_core::model::DocumentKind, Id),
}
use crate::support::{audit, check_opt_text, check_text};

/// What a client says of itself besides its name and email, checked: company, identifiers
/// (SIREN and SIRET with their Luhn digit, the SIRET of that SIREN, the VAT number with its
/// key and of that SIREN), phone and billing address.
struct Identity {
    company_name: Option<String>,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    phone: Option<String>,
    address: Option<Address>,
}

impl Identity {
    /// Checks every field, keeping each refusal in `checks`.
    fn check(
        checks: &mut Checks,
        company_name: Option<String>,
        siren: Option<String>,
        siret: Option<String>,
        vat_number: Option<String>,
        phone: Option<String>,
        address: Option<Address>,
    ) -> Identity {
        let present = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let company_name = checks.check(check_opt_text("company_name", company_name, 200));
        let siren = checks.check(present(siren).map(|v| identifiers::siren("siren", &v)).transpose());
        let siret = checks.check(present(siret).map(|v| identifiers::siret("siret", &v)).transpose());
        if let (Some(siren), Some(siret)) = (&siren, &siret)
            && !siret.starts_with(siren.as_str())
        {
            checks.refuse("siret", "must start with the SIREN");
        }
        let vat_number =
            checks.check(present(vat_number).map(|v| identifiers::vat_number("vat_number", &v)).transpose());
        if let (Some(vat), Some(siren)) = (&vat_number, &siren)
            && !identifiers::vat_number_of(vat, siren)
        {
            checks.refuse("vat_number", "is not the VAT number of this SIREN");
        }
        let phone = checks.check(present(phone).map(|v| identifiers::phone("phone", &v)).transpose());
        let address = address.map(|a| checked_address(checks, "billing_address", a));
        Identity { company_name, siren, siret, vat_number, phone, address }
    }
}

/// A postal address: its lines, the country's postcode format, an ISO 3166 country; each
/// refusal kept in `checks`.
pub(crate) fn checked_address(checks: &mut Checks, field: &str, a: Address) -> Address {
    let country = checks.check(identifiers::country(&format!("{field}.country"), &a.country));
    let postcode = match checks.refused(&format!("{field}.country")) {
        true => a.postcode,
        false => checks.check(identifiers::postcode(&format!("{field}.postcode"), &a.postcode, &country)),
    };
    Address {
        line1: checks.check(check_text(&format!("{field}.line1"), &a.line1, 200)),
        line2: checks.check(check_opt_text(&format!("{field}.line2"), a.line2, 200)),
        postcode,
        city: checks.check(check_text(&format!("{field}.city"), &a.city, 100)),
        country,
    }
}

/// A client's details, checked.
pub(crate) struct CheckedClient {
    kind: ClientKind,
    email: String,
    name: String,
    phone: Option<String>,
    company_name: Option<String>,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    address: Option<Address>,
    language: immovr_core::model::Language,
}

impl CheckedClient {
    pub(crate) fn new(c: NewClient) -> Result<CheckedClient> {
        let mut checks = Checks::new();
        let client = CheckedClient::checked(&mut checks, c);
        checks.done().map(|()| client)
    }

    /// [`CheckedClient::new`], keeping each refusal in `checks` (with the rest of a form).
    pub(crate) fn checked(checks: &mut Checks, c: NewClient) -> CheckedClient {
        let name = checks.check(check_text("name", &c.name, 200));
        let email = checks.check(normalize_email(&c.email));
        let id = Identity::check(checks, c.company_name, c.siren, c.siret, c.vat_number, c.phone, c.billing_address);
        if c.kind == ClientKind::Company && id.company_name.is_none() && !checks.refused("company_name") {
            checks.refuse("company_name", "required for a company");
        }
        CheckedClient {
            kind: c.kind,
            email,
            name,
            phone: id.phone,
            company_name: id.company_name,
            siren: id.siren,
            siret: id.siret,
            vat_number: id.vat_number,
            address: id.address,
            language: c.language,
        }
    }

    pub(crate) fn email(&self) -> &str {
        &self.email
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn language(&self) -> immovr_core::model::Language {
        self.language
    }

    pub(crate) fn row(&self) -> ClientRow<'_> {
        ClientRow {
            kind: self.kind,
            name: &self.name,
            email: &self.email,
            phone: self.phone.as_deref(),
            company_name: self.company_name.as_deref(),
            siren: self.siren.as_deref(),
            siret: self.siret.as_deref(),
            vat_number: self.vat_number.as_deref(),
            billing_address: self.address.as_ref(),
            language: self.language,
        }
    }
}

impl App {
    /// Records a client (with its login when given a password hash), in the caller's
    /// transaction; an email with an account already is refused.
    pub(crate) async fn insert_client(
        &self,
        tx: &mut dyn crate::ports::Tx,
        actor: &Actor,
        client: &CheckedClient,
        password_hash: Option<&str>,
    ) -> Result<(Client, Option<User>)> {
        let now = self.now();
        if tx.email_taken(client.email()).await? {
            return Err(DomainError::EmailTaken);
        }
        let created = tx.insert_client(&client.row(), now).await?;
        let login = match password_hash {
            Some(hash) => Some(tx.insert_client_login(&created, hash, now).await?),
            None => None,
        };
        let detail = json!({"email": created.email, "kind": created.kind.as_str()});
        audit(tx, now, actor, "client.created", ("client", created.id), detail).await?;
        Ok((created, login))
    }

    /// A client record created by staff (sales), with a login when `password` is given.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_client(&self, actor: &Actor, client: NewClient, password: Option<String>) -> Result<Client> {
        actor.require(Role::Sales)?;
        let client = CheckedClient::new(client)?;
        let hash = match password {
            Some(p) => Some(self.hash_password(p).await?),
            None => None,
        };
        let mut tx = self.begin().await?;
        let (created, _) = self.insert_client(tx.as_mut(), actor, &client, hash.as_deref()).await?;
        self.answer(tx, Outcome::Created, created).await
    }

    /// A client updates its details (name, phone, company, identifiers, address, language,
    /// whether to be emailed).
    #[tracing::instrument(skip_all, fields(client_id), err(level = "info"))]
    pub async fn update_profile(&self, actor: &Actor, client_id: Id, p: ProfileUpdate) -> Result<Client> {
        if actor.scope() != Scope::Client(client_id) && actor.require(Role::Sales).is_err() {
            return Err(DomainError::not_found("client"));
        }
        let mut checks = Checks::new();
        let name = checks.check(check_text("name", &p.name, 200));
        let id =
            Identity::check(&mut checks, p.company_name, p.siren, p.siret, p.vat_number, p.phone, p.billing_address);
        let now = self.now();
        let mut tx = self.begin().await?;
        let current = tx.client_now(client_id).await?;
        if current.kind == ClientKind::Company && id.company_name.is_none() && !checks.refused("company_name") {
            checks.refuse("company_name", "required for a company");
        }
        checks.done()?;
        let row = ProfileRow {
            name: &name,
            phone: id.phone.as_deref(),
            company_name: id.company_name.as_deref(),
            siren: id.siren.as_deref(),
            siret: id.siret.as_deref(),
            vat_number: id.vat_number.as_deref(),
            billing_address: id.address.as_ref(),
            language: p.language,
            notify_email: p.notify_email,
        };
        let client = tx.update_client(client_id, &row).await?;
        audit(tx.as_mut(), now, actor, "client.updated", ("client", client_id), json!({})).await?;
        self.answer(tx, Outcome::Done, client).await
    }

    /// A staff account (admin; the command line acts as the system), with the password given or
    /// a generated one, given back to be shown once (the person changes it with a reset link).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_staff_member(
        &self,
        actor: &Actor,
        email: String,
        name: String,
        roles: Vec<Role>,
        password: Option<String>,
    ) -> Result<(User, Option<String>)> {
        actor.require(Role::Admin)?;
        let (password, generated) = match password {
            Some(p) => (p, false),
            None => (crate::tokens::random_key(20), true),
        };
        let password_hash = self.hash_password(password.clone()).await?;
        let user = self.create_staff_user(actor, NewStaffUser { email, name, roles, password_hash }).await?;
        Ok((user, generated.then_some(password)))
    }

    /// A staff account with a password hash (admin; the command line acts as the system).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_staff_user(&self, actor: &Actor, user: NewStaffUser) -> Result<User> {
        actor.require(Role::Admin)?;
        let email = normalize_email(&user.email)?;
        let name = check_text("name", &user.name, 200)?;
        if user.roles.is_empty() {
            return Err(DomainError::validation("roles", "at least one role"));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let created = tx.insert_staff_user(&email, &name, &user.password_hash, &user.roles, now).await?;
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        audit(tx.as_mut(), now, actor, "user.created", ("user", created.id), json!({"email": email, "roles": roles}))
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a staff member's roles (admin; at least one).
    #[tracing::instrument(skip_all, fields(user_id), err(level = "info"))]
    pub async fn set_roles(&self, actor: &Actor, user_id: Id, roles: Vec<Role>) -> Result<User> {
        actor.require(Role::Admin)?;
        if roles.is_empty() {
            return Err(DomainError::validation("roles", "at least one role"));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let user = tx.set_roles(user_id, &roles).await?.ok_or_else(|| DomainError::not_found("user"))?;
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        audit(tx.as_mut(), now, actor, "user.roles_changed", ("user", user_id), json!({"roles": names})).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// An API token for a staff member (admin); stored as its SHA-256, given once.
    #[tracing::instrument(skip_all, fields(user_id), err(level = "info"))]
    pub async fn create_api_token(&self, actor: &Actor, user_id: Id, name: &str, token_sha256: &str) -> Result<Id> {
        actor.require(Role::Admin)?;
        let name = check_text("name", name, 100)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let user = tx.user_now(user_id).await?.ok_or_else(|| DomainError::not_found("user"))?;
        if user.client_id.is_some() {
            return Err(DomainError::validation("user", "API tokens are for staff accounts"));
        }
        let id = tx.insert_api_token(user_id, &name, token_sha256, now).await?;
        audit(tx.as_mut(), now, actor, "api_token.created", ("user", user_id), json!({"token_id": id, "name": name}))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn client(&self, actor: &Actor, id: Id) -> Result<Client> {
        self.db.client(actor.scope(), id).await
    }

    /// Clients, newest first (staff).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn clients(&self, actor: &Actor, list: &ListQuery) -> Result<Page<Client>> {
        if actor.scope() != Scope::Staff {
            return Err(DomainError::Forbidden { role: "staff" });
        }
        self.db.clients(list).await
    }

    /// The display names of these clients (staff lists name their rows' clients).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn client_names(&self, ids: &[Id]) -> Result<Vec<(Id, String)>> {
        self.db.client_names(ids).await
    }

    /// Staff accounts (admin).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn staff_users(&self, actor: &Actor) -> Result<Vec<User>> {
        actor.require(Role::Admin)?;
        self.db.staff_users().await
    }

    /// What a client was shown (the privacy policy at sign-up): the client's own, or staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn consents(&self, actor: &Actor, client_id: Id) -> Result<Vec<Consent>> {
        match actor.scope() {
            Scope::Staff => {}
            Scope::Client(own) if own == client_id => {}
            _ => return Err(DomainError::not_found("client")),
        }
        self.db.consents(client_id).await
    }

    /// Everything the studio holds about a client: its records as one JSON document, and its
    /// files — request attachments, delivered files, signed acceptances, issued documents —
    /// for one archive (GDPR art. 15 and 20).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn export_archive(&self, actor: &Actor, client_id: Id) -> Result<ClientExport> {
        let (json, (requests, quotes, orders)) = self.client_records(actor, client_id).await?;
        let named = |folder: &str, id: Id, file: &immovr_core::model::Attachment| ExportFile::Stored {
            path: format!("{folder}/{id}-{}-{}", file.id, crate::ports::clean_filename(&file.filename)),
            key: file.storage_key.clone(),
        };
        let mut files = Vec::new();
        for r in &requests {
            files.extend(r.attachments.iter().map(|a| named("demandes", r.id, a)));
        }
        for o in &orders {
            for d in &o.deliverables {
                let path = format!("livraisons/{}-{}-{}", o.id, d.id, crate::ports::clean_filename(&d.filename));
                files.push(ExportFile::Stored { path, key: d.storage_key.clone() });
            }
        }
        for q in &quotes {
            files.extend(q.acceptance.as_ref().and_then(|a| a.evidence.as_ref()).map(|e| named("accords", q.id, e)));
        }
        for (kind, id) in self.db.client_documents(client_id).await? {
            files.push(ExportFile::Document(kind, id));
        }
        Ok(ClientExport { json, files })
    }

    /// The client's records as one JSON document, and those with files.
    async fn client_records(&self, actor: &Actor, client_id: Id) -> Result<(serde_json::Value, Holding)> {
        let scope = Scope::Client(client_id);
        if actor.scope() != scope {
            return Err(DomainError::not_found("client"));
        }
        let client = self.db.client(scope, client_id).await?;
        let requests = every(ListQuery::first(), async |q| self.db.quote_requests(scope, &q).await).await?;
        let quotes = every(ListQuery::first(), async |q| self.db.quotes(scope, &q).await).await?;
        let purchase_orders = every(ListQuery::first(), async |q| self.db.purchase_orders(scope, &q).await).await?;
        let orders = every(ListQuery::first(), async |q| self.db.orders(scope, &q).await).await?;
        let invoices = every(ListQuery::first(), async |q| self.db.invoices(scope, &q).await).await?;
        let messages = self.db.client_messages(client_id).await?;
        let consents = self.db.consents(client_id).await?;
        let json = json!({
            "exported_at": self.now(),
            "client": client,
            "consents": consents,
            "quote_requests": requests,
            "quotes": quotes,
            "purchase_orders": purchase_orders,
            "orders": orders,
            "invoices": invoices,
            "messages": messages,
        });
        Ok((json, (requests, quotes, orders)))
    }
}

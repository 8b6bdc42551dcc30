//! Pieces every use case shares: company settings, numbering, document lines, audit events,
//! outbox rows; and the small cross-cutting use cases (messages, audit log, idempotency).

use immovr_core::model::*;
use immovr_core::money::{Line, Totals, totals};
use immovr_core::notification::{MessageNews, Notification};
use immovr_core::ports::*;
use immovr_core::rules::{document_number, number_series};
use immovr_core::{Change, Context, DomainError, Result};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::accounts::client_from_row;
use crate::db::{Row, Table, Tx, V, args};

/// The audit log: appended by use cases, never read back in their transaction.
pub(crate) static AUDIT_EVENTS: Table = Table {
    name: "audit_events",
    columns: &[
        ("at", false),
        ("actor", false),
        ("action", false),
        ("entity_kind", false),
        ("entity_id", true),
        ("detail", false),
    ],
    skip_existing: false,
    returns_id: false,
};

/// Notifications queued in the transaction of the change they report.
pub(crate) static OUTBOX: Table = Table {
    name: "outbox",
    columns: &[
        ("kind", false),
        ("recipient", false),
        ("language", false),
        ("payload", false),
        ("created_at", false),
        ("next_attempt_at", false),
    ],
    skip_existing: false,
    returns_id: false,
};
use crate::{SqlStore, not_found, scope_client};

pub(crate) async fn company(tx: &mut Tx) -> Result<CompanySettings> {
    let value = tx.setting("company").await?.ok_or_else(|| DomainError::internal("company settings missing"))?;
    serde_json::from_str(&value).context("the company settings")
}

/// Takes the next number of a series (prefix + year of `date`), inside the caller's transaction:
/// the counter row stays locked until commit, and a rollback gives the number back.
pub(crate) async fn next_number(tx: &mut Tx, prefix: &str, date: jiff::civil::Date) -> Result<String> {
    let series = number_series(prefix, date.year());
    let row = tx
        .one(
            "INSERT INTO counters (series, value) VALUES ($1, 1) \
             ON CONFLICT (series) DO UPDATE SET value = counters.value + 1 RETURNING value",
            args![series],
        )
        .await?;
    Ok(document_number(prefix, date.year(), row.i64("value")?))
}

pub(crate) async fn audit(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    action: &str,
    entity: (&str, Id),
    detail: Value,
) -> Result<()> {
    let mut detail = detail;
    if let (Some(obj), Some(ip)) = (detail.as_object_mut(), &actor.ip) {
        obj.insert("ip".into(), json!(ip));
    }
    tx.append(&AUDIT_EVENTS, args![now, &actor.label, action, entity.0, entity.1, detail.to_string()]).await?;
    Ok(())
}

/// Queues a notification in the caller's transaction; it is sent only if that commits.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    now: Timestamp,
    recipient: &str,
    language: Language,
    notification: &Notification,
) -> Result<()> {
    let payload = notification.payload().to_string();
    tx.append(&OUTBOX, args![notification.kind(), recipient, language.as_str(), payload, now, now]).await?;
    Ok(())
}

/// Queues a notification to a client (its contact email and language).
pub(crate) async fn notify_client(
    tx: &mut Tx,
    now: Timestamp,
    client_id: Id,
    notification: Notification,
) -> Result<()> {
    let row = tx.one("SELECT email, language FROM clients WHERE id = $1", args![client_id]).await?;
    let language = Language::parse(&row.text("language")?)?;
    notify_client_at(tx, now, client_id, (&row.text("email")?, language), notification).await
}

/// `notify_client` when the caller already holds the client's email and language (read in
/// this transaction, e.g. by `issue_document`).
pub(crate) async fn notify_client_at(
    tx: &mut Tx,
    now: Timestamp,
    client_id: Id,
    (email, language): (&str, Language),
    notification: Notification,
) -> Result<()> {
    enqueue(tx, now, email, language, &notification).await?;
    tx.announce(Change::notified(Some(client_id), notification));
    Ok(())
}

/// Queues a notification to the studio team (the company's email address).
pub(crate) async fn notify_staff(tx: &mut Tx, now: Timestamp, notification: Notification) -> Result<()> {
    let company = company(tx).await?;
    notify_staff_at(tx, now, &company.email, notification).await
}

/// `notify_staff` when the caller already holds the company settings.
pub(crate) async fn notify_staff_at(
    tx: &mut Tx,
    now: Timestamp,
    email: &str,
    notification: Notification,
) -> Result<()> {
    enqueue(tx, now, email, Language::Fr, &notification).await?;
    tx.announce(Change::notified(None, notification));
    Ok(())
}

pub(crate) async fn load_lines(tx: &mut Tx, kind: &str, id: Id) -> Result<Vec<Line>> {
    let rows = tx
        .all(
            "SELECT position, code, description, quantity, unit, unit_price, discount, vat_rate, total_excl_vat \
             FROM document_lines WHERE doc_kind = $1 AND doc_id = $2 ORDER BY position",
            args![kind, id],
        )
        .await?;
    rows.iter().map(line_from_row).collect()
}

pub(crate) fn line_from_row(r: &Row) -> Result<Line> {
    Ok(Line {
        position: r.i64("position")?,
        code: r.opt_text("code")?,
        description: r.text("description")?,
        quantity: r.dec("quantity")?,
        unit: r.text("unit")?,
        unit_price: r.dec("unit_price")?,
        discount: r.dec("discount")?,
        vat_rate: r.dec("vat_rate")?,
        total_excl_vat: r.dec("total_excl_vat")?,
    })
}

/// On PostgreSQL, `, COALESCE((SELECT json_agg(c ORDER BY order) FROM table c WHERE cond), '[]') AS
/// alias`: a record's children read in the statement that reads it (one round trip instead of
/// two; [`Row::from_json_rows`] reads them back). Nothing on SQLite, where a second statement
/// costs no round trip. Only for children that cannot change while the caller waits for the
/// record's lock (a document's lines): the column is read from the statement's snapshot, taken
/// before that wait.
pub(crate) fn children_column(tx: &Tx, table: &str, cond: &str, order: &str, alias: &str) -> String {
    if !tx.round_trips() {
        return String::new();
    }
    format!(", COALESCE((SELECT json_agg(c ORDER BY {order}) FROM {table} c WHERE {cond}), '[]')::text AS {alias}")
}

/// [`children_column`] for the lines of the document of `kind` (a constant) whose id is `id`
/// (a column of the statement).
pub(crate) fn lines_column(tx: &Tx, kind: &'static str, id: &str) -> String {
    children_column(
        tx,
        "document_lines",
        &format!("c.doc_kind = '{kind}' AND c.doc_id = {id}"),
        "c.position",
        "lines_rows",
    )
}

/// [`children_column`] for the client whose id is `id` (a column of the statement): what a
/// document's snapshot and a notification need, read with the record locked. (A client's row is
/// never locked by a use case on a record of theirs: read a moment earlier, it is what it was.)
pub(crate) fn client_column(tx: &Tx, id: &str) -> String {
    children_column(tx, "clients", &format!("c.id = {id}"), "c.id", "client_rows")
}

/// The client `id`: from the row when it was read with [`client_column`], else read.
pub(crate) async fn client_of_row(tx: &mut Tx, row: &Row, id: Id) -> Result<Client> {
    if row.has("client_rows") {
        let rows = Row::from_json_rows(&row.text("client_rows")?)?;
        return client_from_row(rows.first().ok_or_else(|| DomainError::internal("client missing"))?);
    }
    client_from_row(&tx.one("SELECT * FROM clients WHERE id = $1", args![id]).await?)
}

/// The lines of `kind` `id`: from the row when it was read with [`lines_column`], else read.
pub(crate) async fn lines_of_row(tx: &mut Tx, row: &Row, kind: &str, id: Id) -> Result<Vec<Line>> {
    if row.has("lines_rows") {
        return Row::from_json_rows(&row.text("lines_rows")?)?.iter().map(line_from_row).collect();
    }
    load_lines(tx, kind, id).await
}

/// Replaces a document's lines (a draft being edited).
pub(crate) async fn save_lines(tx: &mut Tx, kind: &str, id: Id, lines: &[Line]) -> Result<()> {
    tx.exec("DELETE FROM document_lines WHERE doc_kind = $1 AND doc_id = $2", args![kind, id]).await?;
    insert_lines(tx, kind, id, lines).await
}

/// A new document's lines, when nothing reads them back in the transaction that writes them (its
/// record is built from the lines at hand): appended, on PostgreSQL written at commit with the
/// audit events (one statement fewer per document).
static DOCUMENT_LINES: Table = Table {
    name: "document_lines",
    columns: &[
        ("doc_kind", false),
        ("doc_id", true),
        ("position", true),
        ("code", false),
        ("description", false),
        ("quantity", false),
        ("unit", false),
        ("unit_price", false),
        ("discount", false),
        ("vat_rate", false),
        ("total_excl_vat", false),
    ],
    skip_existing: false,
    returns_id: false,
};

/// Appends a new document's lines (see [`DOCUMENT_LINES`]): only where the transaction does not
/// read them back.
pub(crate) async fn append_lines(tx: &mut Tx, kind: &str, id: Id, lines: &[Line]) -> Result<()> {
    for l in lines {
        tx.append(&DOCUMENT_LINES, line_values(kind, id, l)).await?;
    }
    Ok(())
}

/// A line's values, in the order of [`DOCUMENT_LINES`]'s columns.
fn line_values(kind: &str, id: Id, l: &Line) -> Vec<V> {
    args![
        kind,
        id,
        l.position,
        &l.code,
        &l.description,
        l.quantity,
        &l.unit,
        l.unit_price,
        l.discount,
        l.vat_rate,
        l.total_excl_vat
    ]
}

/// Writes a new document's lines in one statement (one round trip, whatever their number).
pub(crate) async fn insert_lines(tx: &mut Tx, kind: &str, id: Id, lines: &[Line]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let columns: Vec<&str> = DOCUMENT_LINES.columns.iter().map(|c| c.0).collect();
    let mut sql = format!("INSERT INTO document_lines ({}) VALUES ", columns.join(", "));
    let width = columns.len();
    let mut values = Vec::with_capacity(lines.len() * width);
    for (i, l) in lines.iter().enumerate() {
        let params: Vec<String> = (1..=width).map(|k| format!("${}", i * width + k)).collect();
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
        values.extend(line_values(kind, id, l));
    }
    tx.exec(&sql, values).await?;
    Ok(())
}

/// Checks that stored totals match the lines (they are written together; a mismatch is corruption).
pub(crate) fn lines_and_totals(lines: Vec<Line>, row: &Row) -> Result<(Vec<Line>, Totals)> {
    let t = totals(&lines);
    if t.total_incl_vat != row.dec("total_incl_vat")? {
        return Err(DomainError::internal("stored totals differ from the lines"));
    }
    Ok((lines, t))
}

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::validation(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(DomainError::validation(field, format!("at most {max} characters")));
    }
    Ok(v.to_string())
}

pub(crate) fn check_opt_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => check_text(field, v, max).map(Some),
    }
}

/// The client a thread belongs to, if the scope may see it.
async fn thread_client(tx: &mut Tx, scope: Scope, kind: ThreadKind, id: Id) -> Result<Id> {
    let sql = match kind {
        // Clients never see drafts, nor their threads.
        ThreadKind::Quote => {
            "SELECT client_id FROM quotes WHERE id = $1 AND ($2 IS NULL OR (client_id = $2 AND status <> 'draft'))"
        }
        ThreadKind::Order => "SELECT client_id FROM orders WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
    };
    let row = tx.opt(sql, args![id, scope_client(scope)]).await?;
    row.ok_or_else(|| not_found(kind.as_str()))?.i64("client_id")
}

fn message_from_row(r: &Row) -> Result<Message> {
    Ok(Message {
        id: r.i64("id")?,
        thread_kind: ThreadKind::parse(&r.text("thread_kind")?)?,
        thread_id: r.i64("thread_id")?,
        author_name: r.text("author_name")?,
        from_staff: r.bool("from_staff")?,
        body: r.text("body")?,
        created_at: r.ts("created_at")?,
    })
}

impl SqlStore {
    pub(crate) async fn ensure_company(&self) -> Result<()> {
        let mut tx = self.db.write().await?;
        let value = serde_json::to_string(&default_company()).context("the company settings")?;
        tx.write_settings(
            "INSERT INTO settings (key, value) VALUES ('company', $1) ON CONFLICT (key) DO NOTHING",
            args![value],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub(crate) async fn set_company_settings(&self, actor: &Actor, settings: CompanySettings) -> Result<()> {
        validate_company(&settings)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let value = serde_json::to_string(&settings).context("the company settings")?;
        tx.write_settings("UPDATE settings SET value = $1 WHERE key = 'company'", args![value]).await?;
        audit(&mut tx, now, actor, "settings.updated", ("settings", 0), json!({"legal_name": settings.legal_name}))
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub(crate) async fn post_message_tx(
        &self,
        actor: &Actor,
        kind: ThreadKind,
        thread_id: Id,
        message: NewMessage,
    ) -> Result<Message> {
        let body = check_text("body", &message.body, 10_000)?;
        let now = self.now();
        let mut tx = self.db.write().await?;
        let client_id = thread_client(&mut tx, actor.scope(), kind, thread_id).await?;
        let from_staff = actor.client_id.is_none();
        let author_name = match actor.user_id {
            Some(uid) => tx.one("SELECT name FROM users WHERE id = $1", args![uid]).await?.text("name")?,
            None => "ImmoVr".to_string(),
        };
        let id = tx
            .insert(
                "INSERT INTO messages (thread_kind, thread_id, client_id, author_user_id, author_name, from_staff, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                args![kind.as_str(), thread_id, client_id, actor.user_id, &author_name, from_staff, &body, now],
            )
            .await?;
        audit(
            &mut tx,
            now,
            actor,
            "message.posted",
            ("message", id),
            json!({"thread": kind.as_str(), "thread_id": thread_id}),
        )
        .await?;
        let news = MessageNews { thread_kind: kind, thread_id, message_id: id, author: author_name };
        if from_staff {
            notify_client(&mut tx, now, client_id, Notification::MessageReceived(news)).await?;
        } else {
            notify_staff(&mut tx, now, Notification::ClientMessageReceived(news)).await?;
        }
        let row = tx.one("SELECT * FROM messages WHERE id = $1", args![id]).await?;
        self.commit(tx).await?;
        message_from_row(&row)
    }

    pub(crate) async fn messages_q(&self, scope: Scope, kind: ThreadKind, thread_id: Id) -> Result<Vec<Message>> {
        let mut tx = self.db.read().await?;
        thread_client(&mut tx, scope, kind, thread_id).await?;
        let rows = tx
            .all(
                "SELECT * FROM messages WHERE thread_kind = $1 AND thread_id = $2 ORDER BY id",
                args![kind.as_str(), thread_id],
            )
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    pub(crate) async fn idempotency_start_tx(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyStart> {
        let mut tx = self.db.write().await?;
        let inserted = tx
            .exec(
                "INSERT INTO idempotency_keys (owner, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner, key) DO NOTHING",
                args![owner, key, fingerprint, now],
            )
            .await?;
        let outcome = if inserted == 1 {
            IdempotencyStart::Started
        } else {
            let row = tx
                .one(
                    "SELECT fingerprint, status, body FROM idempotency_keys WHERE owner = $1 AND key = $2",
                    args![owner, key],
                )
                .await?;
            if row.text("fingerprint")? != fingerprint {
                return Err(DomainError::IdempotencyKeyReused);
            }
            match row.opt_i64("status")? {
                None => return Err(DomainError::IdempotencyInProgress),
                Some(status) => {
                    IdempotencyStart::Replay { status: status as u16, body: row.opt_text("body")?.unwrap_or_default() }
                }
            }
        };
        self.commit(tx).await?;
        Ok(outcome)
    }

    pub(crate) async fn idempotency_complete_tx(&self, owner: &str, key: &str, status: u16, body: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec(
            "UPDATE idempotency_keys SET status = $3, body = $4 WHERE owner = $1 AND key = $2",
            args![owner, key, status as i64, body],
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub(crate) async fn idempotency_abandon_tx(&self, owner: &str, key: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec("DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND status IS NULL", args![owner, key])
            .await?;
        self.commit(tx).await?;
        Ok(())
    }
}

fn validate_company(c: &CompanySettings) -> Result<()> {
    check_text("legal_name", &c.legal_name, 200)?;
    check_text("email", &c.email, 254)?;
    for (field, prefix) in [
        ("quote_prefix", &c.quote_prefix),
        ("purchase_order_prefix", &c.purchase_order_prefix),
        ("invoice_prefix", &c.invoice_prefix),
        ("credit_note_prefix", &c.credit_note_prefix),
    ] {
        if prefix.is_empty() || prefix.len() > 10 || !prefix.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(DomainError::validation(field, "1 to 10 letters or digits"));
        }
    }
    if c.vat_rates.is_empty() || !c.vat_rates.contains(&c.default_vat_rate) {
        return Err(DomainError::validation("vat_rates", "must include the default rate"));
    }
    if !(1..=365).contains(&c.quote_validity_days) || !(0..=60).contains(&c.payment_terms_days) {
        return Err(DomainError::validation("quote_validity_days", "validity 1–365 days, payment terms 0–60 days"));
    }
    if c.stage_template.is_empty() {
        return Err(DomainError::validation("stage_template", "at least one stage"));
    }
    Ok(())
}

/// Settings a fresh database starts with: the ImmoVr demo studio, marked as demo (placeholder
/// identifiers and bank details) until an administrator replaces them.
pub fn default_company() -> CompanySettings {
    use rust_decimal::dec;
    let address = Address {
        line1: "12 rue de la Démo".into(),
        line2: None,
        postcode: "75011".into(),
        city: "Paris".into(),
        country: "FR".into(),
    };
    let stage =
        |code: &str, fr: &str, en: &str| StageTemplate { code: code.into(), label_fr: fr.into(), label_en: en.into() };
    CompanySettings {
        trade_name: "ImmoVr".into(),
        legal_name: "Virtuelli".into(),
        legal_form: "SAS".into(),
        share_capital: "10 000 €".into(),
        siren: "000000000".into(),
        siret: "00000000000000".into(),
        rcs: "RCS Paris 000 000 000 (démo)".into(),
        vat_number: "FR00000000000".into(),
        address: address.clone(),
        email: "studio@immovr.example".into(),
        phone: "+33 1 00 00 00 00".into(),
        iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bic: "AGRIFRPPXXX".into(),
        account_holder: "Virtuelli SAS (compte de démonstration)".into(),
        cheque_payee: "Virtuelli".into(),
        cheque_address: address,
        quote_prefix: "D".into(),
        purchase_order_prefix: "BC".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        vat_rates: vec![dec!(20), dec!(10), dec!(5.5), dec!(0)],
        default_vat_rate: dec!(20),
        quote_validity_days: 30,
        payment_terms_days: 30,
        late_payment_wording:
            "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal (art. L441-10 du Code de commerce)."
                .into(),
        quote_reminder_days: 3,
        overdue_reminder_days: vec![1, 15, 30],
        auto_validate_purchase_orders: false,
        stage_template: vec![
            stage("contact", "Prise de contact", "Contact"),
            stage("planning", "Planification", "Planning"),
            stage("shoot", "Prise de vue sur site", "On-site shoot"),
            stage("production", "Production", "Production"),
            stage("review", "Relecture client", "Client review"),
            stage("delivery", "Livraison", "Delivery"),
        ],
        demo: true,
        logo_key: None,
        logo_content_type: None,
    }
}

pub(crate) fn outbox_from_row(r: &Row) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.i64("id")?,
        kind: r.text("kind")?,
        recipient: r.text("recipient")?,
        language: Language::parse(&r.text("language")?)?,
        payload: serde_json::from_str(&r.text("payload")?).context("a notification's payload")?,
        status: r.text("status")?,
        attempts: r.i64("attempts")?,
        last_error: r.opt_text("last_error")?,
        next_attempt_at: r.opt_ts("next_attempt_at")?,
        sent_at: r.opt_ts("sent_at")?,
        created_at: r.ts("created_at")?,
    })
}

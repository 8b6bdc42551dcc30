//! What every use case writes beside its change (audit events, outbox rows, issued documents,
//! numbers) and reads (the company settings): `immovr_app::ports::Journal`; and the helpers the
//! modules share (document lines, children read with their record).

use async_trait::async_trait;
use immovr_app::ports::{AuditRecord, Gathering, Journal, TakeNumber};
use immovr_core::model::*;
use immovr_core::money::{Line, Totals, totals};
use immovr_core::{Change, Context, DomainError, Notification, Result};
use jiff::Timestamp;

use crate::accounts::client_from_row;
use crate::db::{Row, Table, Tx, V, args};
use crate::{SqlStore, SqlTx};

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
        ("personal", false),
        ("personal_salt", false),
        ("personal_digest", false),
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

pub(crate) async fn company(tx: &mut Tx) -> Result<CompanySettings> {
    let value = tx.setting("company").await?.ok_or_else(|| DomainError::internal("company settings missing"))?;
    serde_json::from_str(&value).context("the company settings")
}

/// Takes the next value of a series (see `Journal::next_in_series`).
pub(crate) const NEXT_IN_SERIES: &str = "INSERT INTO counters (series, value) VALUES ($1, 1) \
     ON CONFLICT (series) DO UPDATE SET value = counters.value + 1 RETURNING value";

/// [`NEXT_IN_SERIES`] for a quote that has no number yet ($2): no row otherwise.
const NEXT_IF_UNNUMBERED: &str = "INSERT INTO counters (series, value) \
     SELECT $1, 1 WHERE EXISTS (SELECT 1 FROM quotes WHERE id = $2 AND number IS NULL) \
     ON CONFLICT (series) DO UPDATE SET value = counters.value + 1 RETURNING value";

/// The statement that takes a number with a lock (see [`TakeNumber`]), to run right after the
/// locking read of `id`'s record.
pub(crate) fn take_number(take: TakeNumber<'_>, id: Id) -> Option<(&'static str, Vec<V>)> {
    match take {
        TakeNumber::No => None,
        TakeNumber::Next(series) => Some((NEXT_IN_SERIES, args![series])),
        TakeNumber::IfUnnumbered(series) => Some((NEXT_IF_UNNUMBERED, args![series, id])),
    }
}

/// The value [`take_number`]'s statement took, if it took one.
pub(crate) fn number_taken(rows: &[Row]) -> Result<Option<i64>> {
    rows.first().map(|r| r.i64("value")).transpose()
}

#[async_trait]
impl Journal for SqlTx {
    async fn company(&mut self) -> Result<CompanySettings> {
        company(&mut self.tx).await
    }

    async fn set_company(&mut self, settings: &CompanySettings) -> Result<()> {
        let value = serde_json::to_string(settings).context("the company settings")?;
        self.tx.write_settings("UPDATE settings SET value = $1 WHERE key = 'company'", args![value]).await?;
        Ok(())
    }

    async fn legal_texts(&mut self, kind: LegalKind) -> Result<Vec<LegalText>> {
        match self.tx.setting(&format!("legal.{}", kind.as_str())).await? {
            Some(value) => serde_json::from_str(&value).context("the legal texts"),
            None => Ok(Vec::new()),
        }
    }

    async fn set_legal_texts(&mut self, kind: LegalKind, texts: &[LegalText]) -> Result<()> {
        let value = serde_json::to_string(texts).context("the legal texts")?;
        self.tx
            .write_settings(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                args![format!("legal.{}", kind.as_str()), value],
            )
            .await?;
        Ok(())
    }

    async fn next_in_series(&mut self, series: &str) -> Result<i64> {
        // The counter row stays locked until commit, and a rollback gives the number back.
        let row = self.tx.one(NEXT_IN_SERIES, args![series]).await?;
        row.i64("value")
    }

    async fn audit(&mut self, e: AuditRecord<'_>) -> Result<()> {
        let (personal, salt, digest) = match e.personal {
            Some(p) => (Some(p.json), Some(p.salt), Some(p.digest)),
            None => (None, None, None),
        };
        let values =
            args![e.at, e.actor, e.action, e.entity_kind, e.entity_id, e.detail.to_string(), personal, salt, digest];
        self.tx.append(&AUDIT_EVENTS, values).await?;
        Ok(())
    }

    async fn enqueue(&mut self, recipient: &str, language: Language, n: &Notification, at: Timestamp) -> Result<()> {
        let payload = n.payload().to_string();
        self.tx.append(&OUTBOX, args![n.kind(), recipient, language.as_str(), payload, at, at]).await?;
        Ok(())
    }

    async fn gathering(&mut self, key: &str, not_before: Timestamp) -> Result<Option<(Id, Notification)>> {
        let sql = format!(
            "SELECT id, kind, payload FROM outbox WHERE digest_key = $1 AND status = 'pending' AND attempts = 0 \
             AND next_attempt_at > $2 ORDER BY id DESC LIMIT 1{}",
            self.tx.for_update()
        );
        let Some(row) = self.tx.opt(&sql, args![key, not_before]).await? else { return Ok(None) };
        let payload: serde_json::Value =
            serde_json::from_str(&row.text("payload")?).context("a gathering notification's payload")?;
        Ok(Some((row.i64("id")?, Notification::from_parts(&row.text("kind")?, &payload)?)))
    }

    async fn enqueue_gathering(&mut self, g: Gathering<'_>) -> Result<()> {
        let payload = g.notification.payload().to_string();
        self.tx
            .exec(
                "INSERT INTO outbox (kind, recipient, language, payload, created_at, next_attempt_at, digest_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![g.notification.kind(), g.recipient, g.language.as_str(), payload, g.at, g.due, g.key],
            )
            .await?;
        Ok(())
    }

    async fn regather(&mut self, id: Id, n: &Notification) -> Result<()> {
        let payload = n.payload().to_string();
        self.tx.exec("UPDATE outbox SET payload = $2 WHERE id = $1", args![id, payload]).await?;
        Ok(())
    }

    fn announce(&mut self, change: Change) {
        self.tx.announce(change);
    }

    async fn answer_key(&mut self, owner: &str, key: &str, attempt: i64, status: u16, body: &str) -> Result<bool> {
        let updated = self
            .tx
            .exec(
                "UPDATE idempotency_keys SET status = $4, body = $5 \
                 WHERE owner = $1 AND key = $2 AND attempt = $3 AND status IS NULL",
                args![owner, key, attempt, status as i64, body],
            )
            .await?;
        Ok(updated == 1)
    }

    async fn issue_document(&mut self, snapshot: &DocumentSnapshot, entity_id: Id, client_id: Id) -> Result<()> {
        crate::documents::issue_document(&mut self.tx, snapshot, entity_id, client_id).await
    }
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
        vat_number: "FR12000000000".into(),
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
            stage(ON_SITE_STAGE, "Prise de vue sur site", "On-site shoot"),
            stage("production", "Production", "Production"),
            stage("review", "Relecture client", "Client review"),
            stage("delivery", "Livraison", "Delivery"),
        ],
        demo: true,
        logo_key: None,
        logo_content_type: None,
        einvoicing: Default::default(),
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

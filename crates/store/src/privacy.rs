//! Erasure of a client's personal data (GDPR art. 17), in one transaction, and the queue of the
//! files it lets go.
//!
//! What goes: the client's and its login's name, email, phone, company details and address
//! (replaced by `Client #id` and an address under `.invalid`), its password, second factor,
//! sessions, API tokens and links; its messages; the contact log and the places and notes of
//! its orders' stages; its requests' addresses and notes; the notes, comments and signatures of
//! quotes it never accepted, their titles and PDFs; its request attachments and delivered files
//! (queued for removal from the file store); the emails about it in the outbox; the answers kept
//! for retried requests that show it; and the personal part of every journal event that names
//! it (the hash chain covers a salted digest of that part, which stays).
//!
//! What stays, as issued, for its legal retention: invoices and credit notes, their payments,
//! their PDFs and snapshots (the buyer's name and address included); accepted quotes with their
//! acceptance evidence (signer, time, address, user agent, PDFs, the signed scan), their purchase
//! orders and orders (numbers, totals, states, stages).

use async_trait::async_trait;
use immovr_app::ports::{FileRemovals, PrivacyRepo, RetentionQueries};
use immovr_core::model::{ErasureReport, Id};
use immovr_core::{DomainError, Result};
use jiff::Timestamp;

use crate::db::{V, args};
use crate::search::{self, Kind};
use crate::{SqlStore, SqlTx, not_found};

/// Values shorter than this are not searched for in free texts (they would match anything).
const SHORTEST_SEARCHED: usize = 5;

/// `LIKE` operand that finds `value` anywhere, its wildcards escaped (with `ESCAPE '\'`).
fn containing(value: &str) -> String {
    format!("%{}%", escape_like(value))
}

/// The kinds of the studio's news (emails to the studio about a client).
const STUDIO_NEWS: &str = "('quote_request_received', 'quote_accepted', 'quote_refused', 'client_message_received', \
     'erasure_requested', 'withdrawal_received')";

/// A text as a whole JSON string value, as stored JSON writes it (`"value"`).
fn json_value(v: &str) -> String {
    serde_json::Value::from(v).to_string()
}

/// `LIKE`'s wildcards (and its escape) escaped, for `ESCAPE '\'`.
fn escape_like(v: &str) -> String {
    v.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// `(lower(col) LIKE $n ESCAPE '\' OR …)`: a JSON value among `values` (whole JSON strings, see
/// [`json_value`]) is one of `col`'s (`…:"value"…`), whatever the case; false without one.
fn any_value(col: &str, values: &[String], first: usize) -> (String, Vec<V>) {
    if values.is_empty() {
        return ("(1 = 0)".into(), vec![]);
    }
    let clauses: Vec<String> =
        (0..values.len()).map(|i| format!("lower({col}) LIKE ${} ESCAPE '\\'", first + i)).collect();
    let patterns = values.iter().map(|v| V::from(format!("%:{}%", escape_like(&v.to_lowercase())))).collect();
    (format!("({})", clauses.join(" OR ")), patterns)
}

/// `(col LIKE $n ESCAPE '\' OR …)` over the values, numbered from `first`; false without one.
fn any_contains(col: &str, values: &[String], first: usize) -> (String, Vec<V>) {
    if values.is_empty() {
        return ("(1 = 0)".into(), vec![]);
    }
    any_contains_patterns(col, values.iter().map(|v| containing(v)).collect(), first)
}

/// `(col LIKE $n ESCAPE '\' OR …)` over `LIKE` patterns as they are.
fn any_contains_patterns(col: &str, patterns: Vec<String>, first: usize) -> (String, Vec<V>) {
    let clauses: Vec<String> = (0..patterns.len()).map(|i| format!("{col} LIKE ${} ESCAPE '\\'", first + i)).collect();
    (format!("({})", clauses.join(" OR ")), patterns.into_iter().map(V::from).collect())
}

#[async_trait]
impl PrivacyRepo for SqlTx {
    async fn request_erasure(&mut self, client_id: Id, at: Timestamp) -> Result<bool> {
        let n = self
            .tx
            .exec(
                "UPDATE clients SET erasure_requested_at = $2 WHERE id = $1 AND erasure_requested_at IS NULL \
                 AND erased_at IS NULL",
                args![client_id, at],
            )
            .await?;
        Ok(n == 1)
    }

    async fn open_business(&mut self, client_id: Id) -> Result<bool> {
        // The client row locked as it is read: an acceptance or a new quote (which share it)
        // waits for the erasure, or the erasure for them, and then sees what they opened.
        let sql = format!(
            "SELECT CAST(CASE WHEN {OPEN_BUSINESS} THEN 1 ELSE 0 END AS BIGINT) AS open FROM clients c \
             WHERE c.id = $1{}",
            self.tx.for_update()
        );
        let row = self.tx.opt(&sql, args![client_id]).await?.ok_or_else(|| not_found("client"))?;
        Ok(row.i64("open")? == 1)
    }

    async fn erase_client(&mut self, c: Id, at: Timestamp) -> Result<ErasureReport> {
        let sql = format!("SELECT * FROM clients WHERE id = $1{}", self.tx.for_update());
        let row = self.tx.opt(&sql, args![c]).await?.ok_or_else(|| not_found("client"))?;
        if row.opt_text("erased_at")?.is_some() {
            return Err(DomainError::ClientErased);
        }
        let mut report = ErasureReport { client_id: c, erased_at: Some(at), ..Default::default() };
        // Its addresses, and the values that name it as whole JSON values (`"…":"value"`) in
        // journal parts and kept answers: never a mere substring, which would catch others.
        let mut emails: Vec<String> = vec![row.text("email")?.to_lowercase()];
        let login = self.tx.opt("SELECT id, email FROM users WHERE client_id = $1", args![c]).await?;
        if let Some(u) = &login {
            emails.push(u.text("email")?.to_lowercase());
        }
        emails.dedup();
        let mut values: Vec<String> = emails.clone();
        values.push(row.text("name")?);
        values.extend(row.opt_text("phone")?);
        values.retain(|v| v.chars().count() >= SHORTEST_SEARCHED);
        let values: Vec<String> = values.iter().map(|v| json_value(v)).collect();

        // Files, queued in one statement: request attachments, delivered files, PDFs of quotes
        // never accepted.
        report.files = self
            .tx
            .exec(
                "INSERT INTO file_removals (storage_key, queued_at) SELECT k, $2 FROM (\
                 SELECT a.storage_key AS k FROM attachments a JOIN quote_requests r ON r.id = a.request_id \
                 WHERE r.client_id = $1 \
                 UNION SELECT d.storage_key FROM deliverables d JOIN orders o ON o.id = d.order_id WHERE o.client_id = $1 \
                 UNION SELECT d.file_key FROM documents d JOIN quotes q ON q.id = d.entity_id \
                 WHERE d.client_id = $1 AND d.kind = 'quote' AND q.status <> 'accepted' AND d.file_key IS NOT NULL\
                 ) AS files WHERE true ON CONFLICT (storage_key) DO NOTHING",
                args![c, at],
            )
            .await?;
        self.tx
            .exec(
                "DELETE FROM attachments WHERE request_id IN (SELECT id FROM quote_requests WHERE client_id = $1)",
                args![c],
            )
            .await?;
        self.tx
            .exec("DELETE FROM deliverables WHERE order_id IN (SELECT id FROM orders WHERE client_id = $1)", args![c])
            .await?;
        self.tx
            .exec(
                "DELETE FROM documents WHERE client_id = $1 AND kind = 'quote' \
                 AND entity_id IN (SELECT id FROM quotes WHERE client_id = $1 AND status <> 'accepted')",
                args![c],
            )
            .await?;

        // Threads, the team's notes about it, the places of its shoots.
        report.messages = self.tx.exec("DELETE FROM messages WHERE client_id = $1", args![c]).await?;
        self.tx
            .exec("DELETE FROM contact_log WHERE order_id IN (SELECT id FROM orders WHERE client_id = $1)", args![c])
            .await?;
        self.tx
            .exec(
                "UPDATE stages SET place = NULL, notes = NULL WHERE order_id IN (SELECT id FROM orders WHERE client_id = $1)",
                args![c],
            )
            .await?;

        // Requests: the property's address and the notes go, the kind of property stays.
        let requests =
            self.tx.all("SELECT id, property_type FROM quote_requests WHERE client_id = $1", args![c]).await?;
        self.tx
            .exec("UPDATE quote_requests SET property_address = '', notes = NULL WHERE client_id = $1", args![c])
            .await?;
        for r in &requests {
            let kind = r.text("property_type")?;
            search::index(&mut self.tx, Kind::Request, r.i64("id")?, [kind.as_str()], true).await?;
        }
        // Quotes never accepted: their free texts and any signature go; accepted ones are the
        // contract, kept whole.
        let unaccepted = self
            .tx
            .all("SELECT id, number FROM quotes WHERE client_id = $1 AND status <> 'accepted'", args![c])
            .await?;
        self.tx
            .exec(
                "UPDATE quotes SET title = '', notes = NULL, refusal_comment = NULL, signer_name = NULL, accept_ip = NULL, \
                 accept_user_agent = NULL WHERE client_id = $1 AND status <> 'accepted'",
                args![c],
            )
            .await?;
        // Their lines' free texts too; and those still open close (nobody is left to answer them).
        self.tx
            .exec(
                "UPDATE document_lines SET description = '' WHERE doc_kind = 'quote' \
                 AND doc_id IN (SELECT id FROM quotes WHERE client_id = $1 AND status <> 'accepted')",
                args![c],
            )
            .await?;
        self.tx
            .exec(
                "UPDATE quotes SET status = 'refused', refusal_kind = 'decline', refused_at = $2 \
                 WHERE client_id = $1 AND status IN ('draft', 'sent')",
                args![c, at],
            )
            .await?;
        for q in &unaccepted {
            let number = q.opt_text("number")?.unwrap_or_default();
            search::index(&mut self.tx, Kind::Quote, q.i64("id")?, [number.as_str()], true).await?;
        }
        report.acceptances_kept = self
            .tx
            .one("SELECT COUNT(*) AS n FROM quotes WHERE client_id = $1 AND status = 'accepted'", args![c])
            .await?
            .i64("n")? as u64;
        report.invoices_kept = self
            .tx
            .one(
                "SELECT (SELECT COUNT(*) FROM invoices WHERE client_id = $1) + \
                 (SELECT COUNT(*) FROM credit_notes WHERE client_id = $1) AS n",
                args![c],
            )
            .await?
            .i64("n")? as u64;

        // Emails to its addresses, sent or not; the studio's news about it, by what they name:
        // it (a request, an erasure asked), one of its quotes (a refusal carries its comment),
        // or its name as a message's author.
        for email in &emails {
            report.emails +=
                self.tx.exec("DELETE FROM outbox WHERE lower(recipient) = $1", args![email.as_str()]).await?;
            self.tx.exec("DELETE FROM pending_signups WHERE lower(email) = $1", args![email.as_str()]).await?;
        }
        let quotes = self.tx.all("SELECT id FROM quotes WHERE client_id = $1", args![c]).await?;
        let ids = quotes.iter().map(|q| q.i64("id")).collect::<std::result::Result<Vec<_>, _>>()?;
        let mut naming = vec![format!("%\"client_id\":{c},%"), format!("%\"client_id\":{c}}}%")];
        naming.push(format!("%\"author\":{}%", escape_like(&json_value(&row.text("name")?))));
        for chunk in ids.chunks(100) {
            let mut patterns = naming.clone();
            patterns.extend(
                chunk.iter().flat_map(|id| [format!("%\"quote_id\":{id},%"), format!("%\"quote_id\":{id}}}%")]),
            );
            let (about, params) = any_contains_patterns("payload", patterns, 1);
            let sql = format!("DELETE FROM outbox WHERE kind IN {STUDIO_NEWS} AND {about}");
            report.emails += self.tx.exec(&sql, params).await?;
        }
        if ids.is_empty() {
            let (about, params) = any_contains_patterns("payload", naming, 1);
            let sql = format!("DELETE FROM outbox WHERE kind IN {STUDIO_NEWS} AND {about}");
            report.emails += self.tx.exec(&sql, params).await?;
        }
        // Answers kept for retried requests (a day at most) that show its address or name.
        if !values.is_empty() {
            let (showing, params) = any_value("body", &values, 1);
            self.tx.exec(&format!("DELETE FROM idempotency_keys WHERE {showing}"), params).await?;
        }

        // The journal: the personal parts of what it did, of what was done to its records
        // (its delivered files' names), and those naming it go; their digests stay in the
        // chain. Its acceptances stay whole: the evidence the law keeps (see `expire_records`).
        let (naming, mut params) = any_value("personal", &values, 3);
        params.insert(0, V::from(format!("client:{c}")));
        report.journal_events = self
            .tx
            .exec(
                &format!(
                    "UPDATE audit_events SET personal = NULL, personal_salt = NULL \
                     WHERE personal IS NOT NULL AND action <> 'quote.accepted' AND (actor = $1 OR {naming} \
                     OR (action = 'deliverable.added' AND entity_kind = 'order' \
                         AND entity_id IN (SELECT id FROM orders WHERE client_id = $2)))"
                ),
                {
                    params.insert(1, V::from(c));
                    params
                },
            )
            .await?;
        if !values.is_empty() {
            // (Their actor labels carried the email: "client:7 name@…".)
            let (actor, mut params) = any_contains("actor", &emails, 1);
            let (detail, more) = any_value("detail", &values, 1 + emails.len());
            params.extend(more);
            report.journal_events_kept_whole = self
                .tx
                .one(
                    &format!(
                        "SELECT COUNT(*) AS n FROM audit_events WHERE personal_digest IS NULL AND ({actor} OR {detail})"
                    ),
                    params,
                )
                .await?
                .i64("n")? as u64;
        }

        // The login: no password, no factor, no session, token or link; the client's details.
        let (name, email) = (format!("Client #{c}"), format!("client-{c}@erased.invalid"));
        if let Some(u) = &login {
            let uid = u.i64("id")?;
            self.tx
                .write_principals(
                    "UPDATE users SET email = $2, name = $3, password_hash = NULL, totp_secret = NULL, \
                     link_epoch = link_epoch + 1 WHERE id = $1",
                    args![uid, email.as_str(), name.as_str()],
                )
                .await?;
            self.tx.write_principals("DELETE FROM sessions WHERE user_id = $1", args![uid]).await?;
            self.tx.write_principals("DELETE FROM api_tokens WHERE user_id = $1", args![uid]).await?;
            self.tx.exec("DELETE FROM login_links WHERE user_id = $1", args![uid]).await?;
            self.tx.exec("DELETE FROM totp_pending WHERE user_id = $1", args![uid]).await?;
        }
        self.tx
            .exec(
                "UPDATE clients SET name = $2, email = $3, phone = NULL, company_name = NULL, siren = NULL, siret = NULL, \
                 vat_number = NULL, billing_address = NULL, notify_email = 0, erased_at = $4, \
                 erasure_requested_at = COALESCE(erasure_requested_at, $4) WHERE id = $1",
                args![c, name.as_str(), email.as_str(), at],
            )
            .await?;
        search::index(&mut self.tx, Kind::Client, c, [name.as_str(), email.as_str()], true).await?;
        Ok(report)
    }

    async fn expire_records(&mut self, before: Timestamp, at: Timestamp) -> Result<u64> {
        let day = before.to_zoned(immovr_core::ports::studio_timezone()).date();
        self.tx
            .exec(
                &format!(
                    "INSERT INTO file_removals (storage_key, queued_at) SELECT d.file_key, $2 FROM documents d \
                     WHERE d.issued_at < $1 AND d.file_key IS NOT NULL AND d.client_id IN ({ERASED}) \
                     ON CONFLICT (storage_key) DO NOTHING"
                ),
                args![before, at],
            )
            .await?;
        self.tx
            .exec(
                &format!(
                    "INSERT INTO file_removals (storage_key, queued_at) SELECT q.accept_evidence_key, $2 FROM quotes q \
                     WHERE q.accepted_at < $1 AND q.accept_evidence_key IS NOT NULL AND q.client_id IN ({ERASED}) \
                     ON CONFLICT (storage_key) DO NOTHING"
                ),
                args![before, at],
            )
            .await?;
        let documents = self
            .tx
            .exec(&format!("DELETE FROM documents WHERE issued_at < $1 AND client_id IN ({ERASED})"), args![before])
            .await?;
        self.tx
            .exec(
                &format!(
                    "UPDATE quotes SET signer_name = NULL, accept_ip = NULL, accept_user_agent = NULL, \
                     accept_evidence_key = NULL, accept_evidence_filename = NULL \
                     WHERE accepted_at < $1 AND client_id IN ({ERASED}) AND signer_name IS NOT NULL"
                ),
                args![before],
            )
            .await?;
        // The acceptances' journal parts (signer, address, user agent) kept with the evidence.
        self.tx
            .exec(
                &format!(
                    "UPDATE audit_events SET personal = NULL, personal_salt = NULL WHERE action = 'quote.accepted' \
                     AND entity_kind = 'quote' AND personal IS NOT NULL AND entity_id IN \
                     (SELECT id FROM quotes WHERE accepted_at < $1 AND client_id IN ({ERASED}))"
                ),
                args![before],
            )
            .await?;
        self.tx
            .exec(
                &format!(
                    "UPDATE invoices SET property_address = NULL WHERE issue_date < $1 AND client_id IN ({ERASED}) \
                     AND property_address IS NOT NULL"
                ),
                args![day],
            )
            .await?;
        self.tx
            .exec(
                &format!(
                    "UPDATE payments SET reference = NULL, cheque_number = NULL, bank = NULL WHERE invoice_id IN \
                     (SELECT id FROM invoices WHERE issue_date < $1 AND client_id IN ({ERASED}))"
                ),
                args![day],
            )
            .await?;
        Ok(documents)
    }

    async fn forget_technical(&mut self, now: Timestamp, before: Timestamp) -> Result<u64> {
        let mut n = self.tx.write_principals("DELETE FROM sessions WHERE expires_at < $1", args![now]).await?;
        n += self.tx.exec("DELETE FROM login_links WHERE expires_at < $1", args![now]).await?;
        n += self.tx.exec("DELETE FROM totp_pending WHERE expires_at < $1", args![now]).await?;
        n += self.tx.exec(&format!("DELETE {OLD_EMAILS}"), args![before]).await?;
        Ok(n)
    }
}

/// Whether client `c` has business still open: a purchase order to validate, an order in
/// progress, an invoice not settled (an erasure waits for them).
const OPEN_BUSINESS: &str = "(EXISTS (SELECT 1 FROM purchase_orders p WHERE p.client_id = c.id AND p.status = 'pending') \
     OR EXISTS (SELECT 1 FROM orders o WHERE o.client_id = c.id AND o.status IN ('registered', 'in_progress')) \
     OR EXISTS (SELECT 1 FROM invoices i WHERE i.client_id = c.id AND i.status IN ('issued', 'partially_paid')))";

/// The ids of the erased clients (a sub-select).
const ERASED: &str = "SELECT id FROM clients WHERE erased_at IS NOT NULL";

/// Emails sent, or parked as failed, before `$1`.
const OLD_EMAILS: &str = "FROM outbox WHERE status <> 'pending' AND created_at < $1";

#[async_trait]
impl RetentionQueries for SqlStore {
    async fn inactive_clients(
        &self,
        prospects: bool,
        before: Timestamp,
        after: Id,
        limit: i64,
    ) -> Result<Vec<(Id, bool)>> {
        let day = before.to_zoned(immovr_core::ports::studio_timezone()).date();
        let accepted = if prospects { "NOT EXISTS" } else { "EXISTS" };
        let sql = format!(
            "SELECT c.id, CAST(CASE WHEN {OPEN_BUSINESS} THEN 1 ELSE 0 END AS BIGINT) AS open FROM clients c \
             WHERE c.erased_at IS NULL AND c.id > $3 AND c.created_at < $1 \
             AND {accepted} (SELECT 1 FROM quotes q WHERE q.client_id = c.id AND q.status = 'accepted') \
             AND NOT EXISTS (SELECT 1 FROM quote_requests r WHERE r.client_id = c.id AND r.created_at >= $1) \
             AND NOT EXISTS (SELECT 1 FROM quotes q WHERE q.client_id = c.id AND (q.created_at >= $1 \
                 OR q.sent_at >= $1 OR q.accepted_at >= $1 OR q.refused_at >= $1)) \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.client_id = c.id AND m.created_at >= $1) \
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.client_id = c.id AND (o.created_at >= $1 OR o.delivered_at >= $1)) \
             AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.client_id = c.id AND i.issue_date >= $2) \
             AND NOT EXISTS (SELECT 1 FROM payments p JOIN invoices i ON i.id = p.invoice_id \
                 WHERE i.client_id = c.id AND p.date >= $2) \
             AND NOT EXISTS (SELECT 1 FROM users u JOIN sessions s ON s.user_id = u.id \
                 WHERE u.client_id = c.id AND s.created_at >= $1) \
             ORDER BY c.id LIMIT $4"
        );
        let mut tx = self.db.read_long().await?;
        let rows = tx.all(&sql, args![before, day, after, limit]).await?;
        rows.iter().map(|r| Ok((r.i64("id")?, r.i64("open")? != 0))).collect()
    }

    async fn expired_documents(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.db.read_long().await?;
        let sql = format!("SELECT COUNT(*) AS n FROM documents WHERE issued_at < $1 AND client_id IN ({ERASED})");
        Ok(tx.one(&sql, args![before]).await?.i64("n")? as u64)
    }

    async fn expired_technical(&self, now: Timestamp, before: Timestamp) -> Result<u64> {
        let mut tx = self.db.read_long().await?;
        let mut n = 0;
        for table in ["sessions", "login_links", "totp_pending"] {
            let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE expires_at < $1");
            n += tx.one(&sql, args![now]).await?.i64("n")?;
        }
        n += tx.one(&format!("SELECT COUNT(*) AS n {OLD_EMAILS}"), args![before]).await?.i64("n")?;
        Ok(n as u64)
    }
}

#[async_trait]
impl FileRemovals for SqlStore {
    async fn pending_removals(&self, limit: i64) -> Result<Vec<String>> {
        let mut tx = self.db.read().await?;
        let rows = tx
            .all("SELECT storage_key FROM file_removals ORDER BY queued_at, storage_key LIMIT $1", args![limit])
            .await?;
        rows.iter().map(|r| r.text("storage_key")).collect()
    }

    async fn removal_done(&self, key: &str) -> Result<()> {
        let mut tx = self.db.write().await?;
        tx.exec("DELETE FROM file_removals WHERE storage_key = $1", args![key]).await?;
        self.commit(tx).await
    }
}

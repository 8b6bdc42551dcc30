//! Quotes and their versions: the SQL of the quote use cases (see `immovr_app::quotes`) and of
//! reading quotes.

use async_trait::async_trait;
use immovr_app::ports::{ExpiringQuote, LockedQuote, QuoteFields, QuoteLock, QuoteQueries, QuoteRepo, TakeNumber};
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::*;
use immovr_core::money::Line;
use immovr_core::ports::Scope;
use immovr_core::rules::effective_quote_status;
use immovr_core::{DomainError, Result};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::db::{Row, Tx, V, args};
use crate::orders::po_from_parts;
use crate::search::{self, Kind};
use crate::support::{
    append_lines, client_column, client_of_row, insert_lines, lines_and_totals, lines_column, lines_of_row, load_lines,
    number_taken, save_lines, take_number,
};
use crate::{SqlStore, SqlTx, not_found, scope_client};

pub(crate) fn quote_from_row(r: &Row, lines: Vec<immovr_core::money::Line>, today: Date) -> Result<Quote> {
    let (lines, totals) = lines_and_totals(lines, r)?;
    let stored = QuoteStatus::parse(&r.text("status")?)?;
    let valid_until = r.date("valid_until")?;
    let acceptance = match r.opt_ts("accepted_at")? {
        Some(accepted_at) => Some(Acceptance {
            signer_name: r.text("signer_name")?,
            consent: r.bool("consent")?,
            terms_accepted: r.bool("terms_accepted")?,
            accepted_at,
            ip: r.opt_text("accept_ip")?,
            user_agent: r.opt_text("accept_user_agent")?,
            content_sha256: r.text("content_sha256")?,
            channel: match r.opt_text("accept_channel")? {
                Some(c) => AcceptanceChannel::parse(&c)?,
                None => AcceptanceChannel::Online,
            },
            signed_on: r.opt_date("accept_signed_on")?,
            recorded_by: r.opt_text("accept_recorded_by")?,
            evidence: match r.opt_text("accept_evidence_key")? {
                Some(storage_key) => Some(Attachment {
                    id: r.i64("id")?,
                    filename: r.text("accept_evidence_filename")?,
                    content_type: r.text("accept_evidence_content_type")?,
                    size_bytes: r.i64("accept_evidence_size")?,
                    sha256: r.text("accept_evidence_sha256")?,
                    storage_key,
                }),
                None => None,
            },
            terms_version: r.opt_i64("accept_terms_version")?,
            link_sent_at: r.opt_ts("accept_link_sent_at")?,
            early_start: r.opt_i64("accept_early_start")?.is_some_and(|v| v != 0),
        }),
        None => None,
    };
    let refusal = match r.opt_ts("refused_at")? {
        Some(refused_at) => Some(Refusal {
            kind: RefusalKind::parse(&r.text("refusal_kind")?)?,
            comment: r.opt_text("refusal_comment")?,
            refused_at,
        }),
        None => None,
    };
    Ok(Quote {
        id: r.i64("id")?,
        number: r.opt_text("number")?,
        version: r.i64("version")?,
        family_id: r.i64("family_id")?,
        client_id: r.i64("client_id")?,
        request_id: r.opt_i64("request_id")?,
        status: effective_quote_status(stored, valid_until, today),
        title: r.text("title")?,
        notes: r.opt_text("notes")?,
        valid_until,
        sent_at: r.opt_ts("sent_at")?,
        lines,
        totals,
        acceptance,
        refusal,
        created_at: r.ts("created_at")?,
    })
}

/// How many versions of the family `$3` are accepted (at most one).
const FAMILY_ACCEPTED: &str =
    "(SELECT COUNT(*) FROM quotes a WHERE a.family_id = $3 AND a.status = 'accepted') AS accepted";

/// Client scope never shows drafts: they are the studio's work in progress.
const QUOTE_SCOPE: &str = "($2 IS NULL OR (client_id = $2 AND status <> 'draft'))";

impl SqlStore {
    /// Loads the quote version `id` to change it, locked together with the first version of
    /// its family (PostgreSQL; SQLite has one writer). Sending a version and accepting another
    /// both lock the family's first version, so one waits for the other: a version is never
    /// sent beside an accepted one. One statement, `FOR UPDATE OF f, q`: PostgreSQL locks the
    /// rows in that order (the family first, then the version), as every such statement does,
    /// so two of them cannot deadlock; a statement after it sees what the one it waited for
    /// committed.
    ///
    /// `sent`: the caller only goes on with a sent quote, whose lines no longer change; they
    /// are then read in the same statement (see `children_column`). Otherwise (sending a draft)
    /// they are read after the lock — an edit may have changed them while this waited — with
    /// whether another version of the family is accepted.
    async fn lock_quote_in_family(
        &self,
        tx: &mut Tx,
        scope: Scope,
        id: Id,
        sent: bool,
        take: TakeNumber<'_>,
    ) -> Result<LockedQuote> {
        let round_trips = tx.round_trips();
        // Read after the lock (the family's acceptances may change until then), and the number
        // taken after it: on PostgreSQL sent with the locking read, in the same round trip.
        let mut after = None;
        let mut taken = None;
        let take = take_number(take, id);
        let (row, client) = if tx.for_update().is_empty() {
            let sql = format!("SELECT * FROM quotes WHERE id = $1 AND {QUOTE_SCOPE}");
            let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("quote"))?;
            if let Some((sql, args)) = take {
                taken = number_taken(&tx.all(sql, args).await?)?;
            }
            let client = client_of_row(tx, &row, row.i64("client_id")?).await?;
            (row, client)
        } else {
            let lines = if sent { lines_column(tx, "quote", "q.id") } else { String::new() };
            let lock = format!(
                "SELECT q.*{lines}{} FROM quotes f JOIN quotes q ON q.family_id = f.id \
                 JOIN clients k ON k.id = q.client_id WHERE q.id = $1 \
                 AND ($2 IS NULL OR (q.client_id = $2 AND q.status <> 'draft')) FOR UPDATE OF f, q FOR SHARE OF k",
                client_column(tx, "q.client_id")
            );
            let lock_args = args![id, scope_client(scope)];
            let rows = match (sent, take) {
                (true, None) => tx.all(&lock, lock_args).await?,
                (true, Some(take)) => {
                    let [rows, number] = tx.all_together([(lock.as_str(), lock_args), take]).await?;
                    taken = number_taken(&number)?;
                    rows
                }
                (false, take) => {
                    let then = format!(
                        "SELECT COALESCE((SELECT json_agg(c ORDER BY c.position) FROM document_lines c \
                         WHERE c.doc_kind = $1 AND c.doc_id = $2), '[]')::text AS lines_rows, {}",
                        FAMILY_ACCEPTED.replace("$3", "(SELECT family_id FROM quotes WHERE id = $2)")
                    );
                    let (lock, then) = ((lock.as_str(), lock_args), (then.as_str(), args!["quote", id]));
                    let (rows, then) = match take {
                        None => {
                            let [rows, then] = tx.all_together([lock, then]).await?;
                            (rows, then)
                        }
                        Some(take) => {
                            let [rows, then, number] = tx.all_together([lock, then, take]).await?;
                            taken = number_taken(&number)?;
                            (rows, then)
                        }
                    };
                    after = then.into_iter().next();
                    rows
                }
            };
            let row = rows.into_iter().next().ok_or_else(|| not_found("quote"))?;
            let client = client_of_row(tx, &row, row.i64("client_id")?).await?;
            (row, client)
        };
        let family = row.i64("family_id")?;
        let (lines, family_accepted) = if sent {
            (lines_of_row(tx, &row, "quote", id).await?, false)
        } else if round_trips {
            let after = match after {
                Some(row) => row,
                None => {
                    let sql = format!(
                        "SELECT COALESCE((SELECT json_agg(c ORDER BY c.position) FROM document_lines c \
                         WHERE c.doc_kind = $1 AND c.doc_id = $2), '[]')::text AS lines_rows, {FAMILY_ACCEPTED}"
                    );
                    tx.one(&sql, args!["quote", id, family]).await?
                }
            };
            (lines_of_row(tx, &after, "quote", id).await?, after.i64("accepted")? > 0)
        } else {
            let after = tx.one(&format!("SELECT {}", FAMILY_ACCEPTED.replace("$3", "$1")), args![family]).await?;
            (load_lines(tx, "quote", id).await?, after.i64("accepted")? > 0)
        };
        let quote = quote_from_row(&row, lines, self.today())?;
        Ok(LockedQuote { quote, client, family_accepted, number_taken: taken })
    }

    /// Loads a quote version, locking its row when `lock` (the caller will change it).
    pub(crate) async fn load_quote(&self, tx: &mut Tx, scope: Scope, id: Id, lock: bool) -> Result<Quote> {
        let sql =
            format!("SELECT * FROM quotes WHERE id = $1 AND {QUOTE_SCOPE}{}", if lock { tx.for_update() } else { "" });
        let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("quote"))?;
        let lines = load_lines(tx, "quote", id).await?;
        quote_from_row(&row, lines, self.today())
    }
}

/// The statement that inserts the purchase order of an accepted quote (then see
/// [`purchase_order_inserted`]); a unique violation when the quote has one already.
fn purchase_order_insert(number: &str, q: &Quote, at: Timestamp) -> Result<(&'static str, Vec<V>)> {
    let quote_number = q.number.as_deref().ok_or_else(|| DomainError::internal("sent quote without number"))?;
    Ok((
        "INSERT INTO purchase_orders (number, quote_id, quote_number, quote_version, client_id, status, total_excl_vat, total_vat, total_incl_vat, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9) RETURNING *",
        args![
            number,
            q.id,
            quote_number,
            q.version,
            q.client_id,
            q.totals.total_excl_vat,
            q.totals.total_vat,
            q.totals.total_incl_vat,
            at
        ],
    ))
}

/// The purchase order [`purchase_order_insert`] inserted (`row`), with its lines, which are
/// the quote's: written, and indexed.
async fn purchase_order_inserted(tx: &mut Tx, row: Row, number: &str, q: &Quote) -> Result<PurchaseOrder> {
    let id = row.i64("id")?;
    append_lines(tx, "purchase_order", id, &q.lines).await?;
    let quote_number = q.number.as_deref().unwrap_or_default();
    search::index(tx, Kind::PurchaseOrder, id, [number, quote_number], false).await?;
    // As inserted: pending, no order yet.
    let row = row.with("order_id", V::I(None)).with("order_status", V::T(None));
    po_from_parts(&row, q.lines.clone())
}

#[async_trait]
impl QuoteRepo for SqlTx {
    async fn request_client(&mut self, request_id: Id) -> Result<Option<Id>> {
        let row = self.tx.opt("SELECT client_id FROM quote_requests WHERE id = $1", args![request_id]).await?;
        row.map(|r| r.i64("client_id")).transpose()
    }

    async fn client_exists(&mut self, client_id: Id) -> Result<bool> {
        Ok(self.tx.opt("SELECT id FROM clients WHERE id = $1", args![client_id]).await?.is_some())
    }

    async fn mark_request_quoted(&mut self, request_id: Id) -> Result<()> {
        self.tx.exec("UPDATE quote_requests SET status = 'quoted' WHERE id = $1", args![request_id]).await?;
        Ok(())
    }

    async fn insert_quote(
        &mut self,
        client_id: Id,
        request_id: Option<Id>,
        f: &QuoteFields<'_>,
        lines: Vec<Line>,
        at: Timestamp,
    ) -> Result<Option<Quote>> {
        let tx = &mut self.tx;
        // A first version is its own family: on PostgreSQL its id is taken first and written in
        // both columns at once; on SQLite (no round trip to save) set after the insert. Nothing
        // is inserted for a client that does not exist. The row as stored is what the caller gets.
        let (id_cols, id_values, from) = if tx.round_trips() {
            ("id, family_id, ", "n, n, ", " FROM (SELECT nextval(pg_get_serial_sequence('quotes', 'id')) AS n) AS next")
        } else {
            ("", "", "")
        };
        let t = f.totals;
        // The client row shared until commit: an erasure (which locks it) waits, or is waited for.
        let share = tx.for_share();
        let inserted = tx
            .opt(
                &format!(
                    "INSERT INTO quotes ({id_cols}version, client_id, request_id, status, title, notes, valid_until, \
                     total_excl_vat, total_vat, total_incl_vat, created_at) \
                     SELECT {id_values}1, $1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9{from} \
                     WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1 AND erased_at IS NULL{share}) RETURNING *"
                ),
                args![
                    client_id,
                    request_id,
                    f.title,
                    f.notes,
                    f.valid_until,
                    t.total_excl_vat,
                    t.total_vat,
                    t.total_incl_vat,
                    at
                ],
            )
            .await?;
        let Some(inserted) = inserted else { return Ok(None) };
        let id = inserted.i64("id")?;
        let row = match inserted.opt_i64("family_id")? {
            Some(_) => inserted,
            None => tx.one("UPDATE quotes SET family_id = id WHERE id = $1 RETURNING *", args![id]).await?,
        };
        // The quote is built from these lines, not read back.
        append_lines(tx, "quote", id, &lines).await?;
        search::index(tx, Kind::Quote, id, [f.title], false).await?;
        quote_from_row(&row, lines, self.store.today()).map(Some)
    }

    async fn lock_quote(&mut self, scope: Scope, id: Id, lock: QuoteLock, take: TakeNumber<'_>) -> Result<LockedQuote> {
        self.store.lock_quote_in_family(&mut self.tx, scope, id, lock == QuoteLock::Sent, take).await
    }

    async fn lock_quote_alone(&mut self, scope: Scope, id: Id) -> Result<Quote> {
        self.store.load_quote(&mut self.tx, scope, id, true).await
    }

    async fn lock_quote_status(&mut self, id: Id) -> Result<QuoteStatus> {
        let sql = format!("SELECT status FROM quotes WHERE id = $1{}", self.tx.for_update());
        let row = self.tx.opt(&sql, args![id]).await?.ok_or_else(|| not_found("quote"))?;
        QuoteStatus::parse(&row.text("status")?)
    }

    async fn update_draft(&mut self, draft: &Quote, f: &QuoteFields<'_>, lines: &[Line]) -> Result<Quote> {
        let tx = &mut self.tx;
        let t = f.totals;
        tx.exec(
            "UPDATE quotes SET title = $2, notes = $3, valid_until = $4, total_excl_vat = $5, total_vat = $6, total_incl_vat = $7 WHERE id = $1",
            args![draft.id, f.title, f.notes, f.valid_until, t.total_excl_vat, t.total_vat, t.total_incl_vat],
        )
        .await?;
        save_lines(tx, "quote", draft.id, lines).await?;
        let number = draft.number.as_deref().unwrap_or("");
        search::index(tx, Kind::Quote, draft.id, [f.title, number], true).await?;
        self.store.load_quote(&mut self.tx, Scope::Staff, draft.id, false).await
    }

    async fn mark_sent(&mut self, q: &Quote, number: &str, at: Timestamp) -> Result<(Quote, u64)> {
        // Both in one round trip on PostgreSQL, in this order.
        let [superseded, rows] = self
            .tx
            .all_together([
                (
                    "UPDATE quotes SET status = 'superseded' WHERE family_id = $1 AND id <> $2 \
                     AND status IN ('sent', 'refused') RETURNING id",
                    args![q.family_id, q.id],
                ),
                (
                    "UPDATE quotes SET status = 'sent', number = $2, sent_at = $3 WHERE id = $1 RETURNING *",
                    args![q.id, number, at],
                ),
            ])
            .await?;
        let row = rows.into_iter().next().ok_or_else(|| not_found("quote"))?;
        search::index(&mut self.tx, Kind::Quote, q.id, [number, q.title.as_str()], true).await?;
        // The lines did not change: the row as updated is the quote sent.
        Ok((quote_from_row(&row, q.lines.clone(), self.store.today())?, superseded.len() as u64))
    }

    async fn accept_into_order(
        &mut self,
        q: &Quote,
        a: &Acceptance,
        po_number: &str,
        at: Timestamp,
    ) -> Result<Option<(Quote, PurchaseOrder)>> {
        let e = a.evidence.as_ref();
        let (insert, insert_args) = purchase_order_insert(po_number, q, at)?;
        // Both in one round trip on PostgreSQL: the version is locked and was sent, so the
        // purchase order need not wait for the update's answer (when the update finds it no
        // longer sent, the caller rolls both back).
        let [accepted, inserted] = self
            .tx
            .all_together([
                (
                    "UPDATE quotes SET status = 'accepted', signer_name = $2, consent = 1, terms_accepted = 1, accepted_at = $3, \
                     accept_ip = $4, accept_user_agent = $5, content_sha256 = $6, accept_channel = $7, accept_signed_on = $8, \
                     accept_recorded_by = $9, accept_evidence_filename = $10, accept_evidence_content_type = $11, \
                     accept_evidence_size = $12, accept_evidence_sha256 = $13, accept_evidence_key = $14, \
                     accept_terms_version = $15, accept_link_sent_at = $16, accept_early_start = $17 \
                     WHERE id = $1 AND status = 'sent' RETURNING *",
                    args![
                        q.id,
                        &a.signer_name,
                        a.accepted_at,
                        a.ip.clone(),
                        a.user_agent.clone(),
                        &a.content_sha256,
                        a.channel.as_str(),
                        a.signed_on,
                        a.recorded_by.clone(),
                        e.map(|e| e.filename.clone()),
                        e.map(|e| e.content_type.clone()),
                        e.map(|e| e.size_bytes),
                        e.map(|e| e.sha256.clone()),
                        e.map(|e| e.storage_key.clone()),
                        a.terms_version,
                        a.link_sent_at,
                        a.early_start
                    ],
                ),
                (insert, insert_args),
            ])
            .await
            // (Another version of its family accepted, or this quote's purchase order there already.)
            .map_err(|e| e.unique_as(DomainError::QuoteAlreadyAccepted))?;
        let (Some(row), Some(po)) = (accepted.into_iter().next(), inserted.into_iter().next()) else {
            return Ok(None);
        };
        // The lines are the quote's, unchanged.
        let quote = quote_from_row(&row, q.lines.clone(), self.store.today())?;
        let po = purchase_order_inserted(&mut self.tx, po, po_number, q).await?;
        Ok(Some((quote, po)))
    }

    async fn mark_refused(&mut self, q: &Quote, r: &Refusal) -> Result<Quote> {
        let row = self
            .tx
            .one(
                "UPDATE quotes SET status = 'refused', refusal_kind = $2, refusal_comment = $3, refused_at = $4 WHERE id = $1 RETURNING *",
                args![q.id, r.kind.as_str(), r.comment.clone(), r.refused_at],
            )
            .await?;
        quote_from_row(&row, q.lines.clone(), self.store.today())
    }

    async fn has_newer_version(&mut self, q: &Quote) -> Result<bool> {
        let newer = self
            .tx
            .opt("SELECT id FROM quotes WHERE family_id = $1 AND version > $2", args![q.family_id, q.version])
            .await?;
        Ok(newer.is_some())
    }

    async fn insert_revision(&mut self, q: &Quote, valid_until: Date, at: Timestamp) -> Result<Quote> {
        let tx = &mut self.tx;
        let row = tx
            .one(
                "INSERT INTO quotes (family_id, number, version, client_id, request_id, status, title, notes, valid_until, \
                 total_excl_vat, total_vat, total_incl_vat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12) RETURNING *",
                args![q.family_id, q.number.clone(), q.version + 1, q.client_id, q.request_id, &q.title, q.notes.clone(), valid_until,
                    q.totals.total_excl_vat, q.totals.total_vat, q.totals.total_incl_vat, at],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::QuoteRevisionExists))?;
        let id = row.i64("id")?;
        insert_lines(tx, "quote", id, &q.lines).await?;
        search::index(tx, Kind::Quote, id, [q.title.as_str(), q.number.as_deref().unwrap_or("")], false).await?;
        quote_from_row(&row, q.lines.clone(), self.store.today())
    }

    async fn set_valid_until(&mut self, id: Id, valid_until: Date) -> Result<Quote> {
        self.tx.exec("UPDATE quotes SET valid_until = $2 WHERE id = $1", args![id, valid_until]).await?;
        self.store.load_quote(&mut self.tx, Scope::Staff, id, false).await
    }

    async fn quotes_expiring(&mut self, from: Date, to: Date) -> Result<Vec<ExpiringQuote>> {
        let rows = self
            .tx
            .all(
                "SELECT id, client_id, number, valid_until, total_incl_vat FROM quotes \
                 WHERE status = 'sent' AND valid_until >= $1 AND valid_until <= $2",
                args![from, to],
            )
            .await?;
        rows.iter()
            .map(|q| {
                Ok(ExpiringQuote {
                    id: q.i64("id")?,
                    client_id: q.i64("client_id")?,
                    number: q.opt_text("number")?,
                    valid_until: q.date("valid_until")?,
                    total_incl_vat: q.dec("total_incl_vat")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl QuoteQueries for SqlStore {
    async fn quotes(&self, scope: Scope, list: &ListQuery) -> Result<Page<Quote>> {
        self.quotes_page(scope, list).await
    }

    async fn quote(&self, scope: Scope, id: Id) -> Result<Quote> {
        let mut tx = self.db.read().await?;
        self.load_quote(&mut tx, scope, id, false).await
    }

    async fn quote_versions(&self, scope: Scope, family_id: Id) -> Result<Vec<Quote>> {
        let mut tx = self.db.read().await?;
        let sql = format!("SELECT * FROM quotes WHERE family_id = $1 AND {QUOTE_SCOPE} ORDER BY version DESC");
        let rows = tx.all(&sql, args![family_id, scope_client(scope)]).await?;
        // Their lines in one statement, not one per version.
        self.quotes_from_rows(&mut tx, &rows).await
    }
}

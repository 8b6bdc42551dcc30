//! Quotes and their versions: draft, send, accept (with its purchase order, in one transaction),
//! refuse, revise, extend.

use immovr_core::model::*;
use immovr_core::money::{build_lines, totals};
use immovr_core::notification::{self, Notification};
use immovr_core::ports::*;
use immovr_core::rules::{self, check_answerable, check_draft, check_revisable, effective_quote_status};
use immovr_core::{DomainError, Result};
use jiff::civil::Date;
use serde_json::json;

use crate::db::{Row, Tx, V, args};
use crate::documents::{Issue, issue_document_for};
use crate::orders::{create_order, po_from_parts, reload_purchase_order};
use crate::search::{self, Kind};
use crate::support::{
    append_lines, audit, check_opt_text, check_text, client_column, client_of_row, company, insert_lines,
    lines_and_totals, lines_column, lines_of_row, load_lines, next_number, notify_client, notify_client_at,
    notify_staff, notify_staff_at, save_lines,
};
use crate::{SqlStore, not_found, scope_client};

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

/// A quote version locked to be changed (see `SqlStore::lock_quote_in_family`).
struct Locked {
    quote: Quote,
    client: Client,
    /// Another version of its family is accepted (only looked at when sending a draft).
    family_accepted: bool,
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
    async fn lock_quote_in_family(&self, tx: &mut Tx, scope: Scope, id: Id, sent: bool) -> Result<Locked> {
        let round_trips = tx.round_trips();
        let (row, client) = if tx.for_update().is_empty() {
            let sql = format!("SELECT * FROM quotes WHERE id = $1 AND {QUOTE_SCOPE}");
            let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("quote"))?;
            let client = client_of_row(tx, &row, row.i64("client_id")?).await?;
            (row, client)
        } else {
            let lines = if sent { lines_column(tx, "quote", "q.id") } else { String::new() };
            let row = tx
                .opt(
                    &format!(
                        "SELECT q.*{lines}{} FROM quotes f JOIN quotes q ON q.family_id = f.id WHERE q.id = $1 \
                         AND ($2 IS NULL OR (q.client_id = $2 AND q.status <> 'draft')) FOR UPDATE OF f, q",
                        client_column(tx, "q.client_id")
                    ),
                    args![id, scope_client(scope)],
                )
                .await?
                .ok_or_else(|| not_found("quote"))?;
            let client = client_of_row(tx, &row, row.i64("client_id")?).await?;
            (row, client)
        };
        let family = row.i64("family_id")?;
        let (lines, family_accepted) = if sent {
            (lines_of_row(tx, &row, "quote", id).await?, false)
        } else if round_trips {
            let after = tx
                .one(
                    &format!(
                        "SELECT COALESCE((SELECT json_agg(c ORDER BY c.position) FROM document_lines c \
                         WHERE c.doc_kind = $1 AND c.doc_id = $2), '[]')::text AS lines_rows, {FAMILY_ACCEPTED}"
                    ),
                    args!["quote", id, family],
                )
                .await?;
            (lines_of_row(tx, &after, "quote", id).await?, after.i64("accepted")? > 0)
        } else {
            let after = tx.one(&format!("SELECT {}", FAMILY_ACCEPTED.replace("$3", "$1")), args![family]).await?;
            (load_lines(tx, "quote", id).await?, after.i64("accepted")? > 0)
        };
        Ok(Locked { quote: quote_from_row(&row, lines, self.today())?, client, family_accepted })
    }

    /// Loads a quote version, locking its row when `lock` (the caller will change it).
    pub(crate) async fn load_quote(&self, tx: &mut Tx, scope: Scope, id: Id, lock: bool) -> Result<Quote> {
        let sql =
            format!("SELECT * FROM quotes WHERE id = $1 AND {QUOTE_SCOPE}{}", if lock { tx.for_update() } else { "" });
        let row = tx.opt(&sql, args![id, scope_client(scope)]).await?.ok_or_else(|| not_found("quote"))?;
        let lines = load_lines(tx, "quote", id).await?;
        quote_from_row(&row, lines, self.today())
    }

    pub(crate) async fn quote_versions_q(&self, scope: Scope, family_id: Id) -> Result<Vec<Quote>> {
        let mut tx = self.db.read().await?;
        let sql = format!("SELECT * FROM quotes WHERE family_id = $1 AND {QUOTE_SCOPE} ORDER BY version DESC");
        let rows = tx.all(&sql, args![family_id, scope_client(scope)]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let lines = load_lines(&mut tx, "quote", r.i64("id")?).await?;
            out.push(quote_from_row(r, lines, self.today())?);
        }
        Ok(out)
    }

    fn check_draft_content(
        &self,
        draft: &QuoteDraft,
        company: &CompanySettings,
    ) -> Result<(String, Option<String>, Date, Vec<immovr_core::money::Line>)> {
        let title = check_text("title", &draft.title, 300)?;
        let notes = check_opt_text("notes", draft.notes.clone(), 5000)?;
        let today = self.today();
        let valid_until = draft.valid_until.unwrap_or_else(|| add_days(today, company.quote_validity_days));
        if valid_until < today {
            return Err(DomainError::validation("valid_until", "must not be in the past"));
        }
        let lines = build_lines(&draft.lines, &company.vat_rates)?;
        Ok((title, notes, valid_until, lines))
    }

    pub(crate) async fn create_quote_tx(&self, actor: &Actor, q: NewQuote) -> Result<Quote> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let (title, notes, valid_until, lines) = self.check_draft_content(&q.draft(), &company)?;
        // (That the client exists is checked by the INSERT below; a request is its client's.)
        if let Some(request_id) = q.request_id {
            let req = tx.opt("SELECT client_id FROM quote_requests WHERE id = $1", args![request_id]).await?;
            if req.map(|r| r.i64("client_id")).transpose()? != Some(q.client_id) {
                // Say which is wrong: a client that does not exist has no requests either.
                let client = tx.opt("SELECT id FROM clients WHERE id = $1", args![q.client_id]).await?;
                return Err(match client {
                    Some(_) => DomainError::validation("request_id", "no such request for this client"),
                    None => DomainError::validation("client_id", "no such client"),
                });
            }
            tx.exec("UPDATE quote_requests SET status = 'quoted' WHERE id = $1", args![request_id]).await?;
        }
        let t = totals(&lines);
        // A first version is its own family: on PostgreSQL its id is taken first and written in
        // both columns at once; on SQLite (no round trip to save) set after the insert. Nothing
        // is inserted for a client that does not exist. The row as stored is what the caller gets.
        let (id_cols, id_values, from) = if tx.round_trips() {
            ("id, family_id, ", "n, n, ", " FROM (SELECT nextval(pg_get_serial_sequence('quotes', 'id')) AS n) AS next")
        } else {
            ("", "", "")
        };
        let inserted = tx
            .opt(
                &format!(
                    "INSERT INTO quotes ({id_cols}version, client_id, request_id, status, title, notes, valid_until, \
                     total_excl_vat, total_vat, total_incl_vat, created_at) \
                     SELECT {id_values}1, $1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9{from} \
                     WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1) RETURNING *"
                ),
                args![
                    q.client_id,
                    q.request_id,
                    &title,
                    notes,
                    valid_until,
                    t.total_excl_vat,
                    t.total_vat,
                    t.total_incl_vat,
                    now
                ],
            )
            .await?
            .ok_or_else(|| DomainError::validation("client_id", "no such client"))?;
        let id = inserted.i64("id")?;
        let row = match inserted.opt_i64("family_id")? {
            Some(_) => inserted,
            None => tx.one("UPDATE quotes SET family_id = id WHERE id = $1 RETURNING *", args![id]).await?,
        };
        // The quote is built from these lines, not read back.
        append_lines(&mut tx, "quote", id, &lines).await?;
        search::index(&mut tx, Kind::Quote, id, [title.as_str()], false).await?;
        audit(
            &mut tx,
            now,
            actor,
            "quote.created",
            ("quote", id),
            json!({"client_id": q.client_id, "total_incl_vat": t.total_incl_vat}),
        )
        .await?;
        let quote = quote_from_row(&row, lines, self.today())?;
        self.commit(tx).await?;
        Ok(quote)
    }

    pub(crate) async fn update_quote_tx(&self, actor: &Actor, id: Id, draft: QuoteDraft) -> Result<Quote> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let current = self.load_quote(&mut tx, Scope::Staff, id, true).await?;
        check_draft(current.status)?;
        let (title, notes, valid_until, lines) = self.check_draft_content(&draft, &company)?;
        let t = totals(&lines);
        tx.exec(
            "UPDATE quotes SET title = $2, notes = $3, valid_until = $4, total_excl_vat = $5, total_vat = $6, total_incl_vat = $7 WHERE id = $1",
            args![id, &title, notes, valid_until, t.total_excl_vat, t.total_vat, t.total_incl_vat],
        )
        .await?;
        save_lines(&mut tx, "quote", id, &lines).await?;
        let number = current.number.as_deref().unwrap_or("");
        search::index(&mut tx, Kind::Quote, id, [title.as_str(), number], true).await?;
        audit(&mut tx, now, actor, "quote.updated", ("quote", id), json!({"total_incl_vat": t.total_incl_vat})).await?;
        let quote = self.load_quote(&mut tx, Scope::Staff, id, false).await?;
        self.commit(tx).await?;
        Ok(quote)
    }

    pub(crate) async fn send_quote_tx(&self, actor: &Actor, id: Id) -> Result<Quote> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let Locked { quote: q, client, family_accepted } =
            self.lock_quote_in_family(&mut tx, Scope::Staff, id, false).await?;
        check_draft(q.status)?;
        if q.lines.is_empty() {
            return Err(DomainError::QuoteEmpty);
        }
        if q.valid_until < today {
            return Err(DomainError::validation(
                "valid_until",
                "the validity date has passed: change it before sending",
            ));
        }
        if family_accepted {
            return Err(DomainError::QuoteAlreadyAccepted);
        }
        let number = match q.number.clone() {
            Some(n) => n,
            None => next_number(&mut tx, &company.quote_prefix, today).await?,
        };
        // v2 supersedes v1: earlier versions can no longer be answered.
        let superseded = tx
            .exec(
                "UPDATE quotes SET status = 'superseded' WHERE family_id = $1 AND id <> $2 AND status IN ('sent', 'refused')",
                args![q.family_id, id],
            )
            .await?;
        let row = tx
            .one(
                "UPDATE quotes SET status = 'sent', number = $2, sent_at = $3 WHERE id = $1 RETURNING *",
                args![id, &number, now],
            )
            .await?;
        search::index(&mut tx, Kind::Quote, id, [number.as_str(), q.title.as_str()], true).await?;
        audit(
            &mut tx,
            now,
            actor,
            "quote.sent",
            ("quote", id),
            json!({"number": number, "version": q.version, "superseded": superseded}),
        )
        .await?;
        // The lines did not change: the row as updated is the quote sent.
        let quote = quote_from_row(&row, q.lines.clone(), today)?;
        let mut issue = Issue::new(DocumentKind::Quote, id, q.client_id, &number);
        issue.quote = Some(quote.clone());
        issue_document_for(&mut tx, now, &company, issue, &client).await?;
        notify_client_at(
            &mut tx,
            now,
            q.client_id,
            (&client.email, client.language),
            Notification::QuoteSent {
                quote_id: id,
                number: number.clone(),
                version: q.version,
                valid_until: q.valid_until,
                total_incl_vat: q.totals.total_incl_vat,
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(quote)
    }

    pub(crate) async fn accept_quote_tx(&self, actor: &Actor, id: Id, a: AcceptQuote) -> Result<Accepted> {
        let signer = rules::check_acceptance(&a.signer_name, a.consent, a.terms_accepted)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        // The row locks make concurrent answers (and the sending of a newer version) queue here;
        // the loser sees the winner's status.
        let Locked { quote: q, client, .. } = self.lock_quote_in_family(&mut tx, actor.scope(), id, true).await?;
        check_answerable(q.status)?;
        let hash = rules::quote_content_hash(&q);
        let accepted_row = tx
            .opt(
                "UPDATE quotes SET status = 'accepted', signer_name = $2, consent = 1, terms_accepted = 1, accepted_at = $3, \
                 accept_ip = $4, accept_user_agent = $5, content_sha256 = $6 WHERE id = $1 AND status = 'sent' RETURNING *",
                args![id, &signer, now, actor.ip.clone(), actor.user_agent.clone(), &hash],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::QuoteAlreadyAccepted))?
            .ok_or(DomainError::QuoteAlreadyAccepted)?;
        let quote_number = q.number.clone().ok_or_else(|| DomainError::internal("sent quote without number"))?;
        let po_number = next_number(&mut tx, &company.purchase_order_prefix, today).await?;
        let po_row = tx
            .one(
                "INSERT INTO purchase_orders (number, quote_id, quote_number, quote_version, client_id, status, total_excl_vat, total_vat, total_incl_vat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9) RETURNING *",
                args![&po_number, id, &quote_number, q.version, q.client_id, q.totals.total_excl_vat, q.totals.total_vat, q.totals.total_incl_vat, now],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::QuoteAlreadyAccepted))?;
        let po_id = po_row.i64("id")?;
        // The purchase order is built from the quote's lines, not read back.
        append_lines(&mut tx, "purchase_order", po_id, &q.lines).await?;
        search::index(&mut tx, Kind::PurchaseOrder, po_id, [po_number.as_str(), quote_number.as_str()], false).await?;
        audit(
            &mut tx,
            now,
            actor,
            "quote.accepted",
            ("quote", id),
            json!({"signer": signer, "content_sha256": hash, "user_agent": actor.user_agent}),
        )
        .await?;
        audit(
            &mut tx,
            now,
            actor,
            "purchase_order.created",
            ("purchase_order", po_id),
            json!({"number": po_number, "quote": quote_number, "version": q.version}),
        )
        .await?;
        let accepted = notification::Accepted {
            quote_id: id,
            quote_number: quote_number.clone(),
            purchase_order_id: po_id,
            purchase_order_number: po_number.clone(),
            total_incl_vat: q.totals.total_incl_vat,
        };

        // The client, read with the quote: the notification and both documents need it.
        notify_client_at(
            &mut tx,
            now,
            q.client_id,
            (&client.email, client.language),
            Notification::PurchaseOrderCreated(accepted.clone()),
        )
        .await?;
        notify_staff_at(&mut tx, now, &company.email, Notification::QuoteAccepted(accepted)).await?;
        if company.auto_validate_purchase_orders {
            tx.exec(
                "UPDATE purchase_orders SET status = 'validated', validated_at = $2 WHERE id = $1",
                args![po_id, now],
            )
            .await?;
            create_order(&mut tx, now, &Actor::system(), &company, po_id, &po_number, q.client_id).await?;
        }
        // The lines are the quote's, unchanged, and now the purchase order's too.
        let quote = quote_from_row(&accepted_row, q.lines.clone(), today)?;
        let purchase_order = if company.auto_validate_purchase_orders {
            // Validated, with its order: as it is now.
            reload_purchase_order(&mut tx, po_id, q.lines.clone()).await?
        } else {
            // As inserted: pending, no order yet.
            let row = po_row.with("order_id", V::I(None)).with("order_status", V::T(None));
            po_from_parts(&row, q.lines.clone())?
        };
        let mut signed = Issue::new(DocumentKind::SignedQuote, id, q.client_id, &quote_number);
        signed.quote = Some(quote.clone());
        issue_document_for(&mut tx, now, &company, signed, &client).await?;
        let mut po = Issue::new(DocumentKind::PurchaseOrder, po_id, q.client_id, &po_number);
        po.quote = Some(quote.clone());
        po.purchase_order = Some(purchase_order.clone());
        issue_document_for(&mut tx, now, &company, po, &client).await?;
        self.commit(tx).await?;
        Ok(Accepted { quote, purchase_order })
    }

    pub(crate) async fn refuse_quote_tx(&self, actor: &Actor, id: Id, r: RefuseQuote) -> Result<Quote> {
        let comment = check_opt_text("comment", r.comment, 5000)?;
        if r.kind == RefusalKind::ChangesRequested && comment.is_none() {
            return Err(DomainError::validation("comment", "say what should change"));
        }
        let now = self.now();
        let mut tx = self.db.write().await?;
        let q = self.load_quote(&mut tx, actor.scope(), id, true).await?;
        check_answerable(q.status)?;
        tx.exec(
            "UPDATE quotes SET status = 'refused', refusal_kind = $2, refusal_comment = $3, refused_at = $4 WHERE id = $1 AND status = 'sent'",
            args![id, r.kind.as_str(), comment.clone(), now],
        )
        .await?;
        audit(
            &mut tx,
            now,
            actor,
            "quote.refused",
            ("quote", id),
            json!({"kind": r.kind.as_str(), "comment": comment}),
        )
        .await?;
        notify_staff(
            &mut tx,
            now,
            Notification::QuoteRefused {
                quote_id: id,
                number: q.number.clone(),
                version: q.version,
                kind: r.kind,
                comment,
            },
        )
        .await?;
        let quote = self.load_quote(&mut tx, Scope::Staff, id, false).await?;
        self.commit(tx).await?;
        Ok(quote)
    }

    pub(crate) async fn revise_quote_tx(&self, actor: &Actor, id: Id) -> Result<Quote> {
        let now = self.now();
        let mut tx = self.db.write().await?;
        let company = company(&mut tx).await?;
        let q = self.load_quote(&mut tx, Scope::Staff, id, true).await?;
        check_revisable(q.status)?;
        let newer = tx
            .opt("SELECT id FROM quotes WHERE family_id = $1 AND version > $2", args![q.family_id, q.version])
            .await?;
        if newer.is_some() {
            return Err(DomainError::QuoteRevisionExists);
        }
        let valid_until = add_days(self.today(), company.quote_validity_days);
        let new_id = tx
            .insert(
                "INSERT INTO quotes (family_id, number, version, client_id, request_id, status, title, notes, valid_until, \
                 total_excl_vat, total_vat, total_incl_vat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                args![q.family_id, q.number.clone(), q.version + 1, q.client_id, q.request_id, &q.title, q.notes.clone(), valid_until,
                    q.totals.total_excl_vat, q.totals.total_vat, q.totals.total_incl_vat, now],
            )
            .await
            .map_err(|e| e.unique_as(DomainError::QuoteRevisionExists))?;
        insert_lines(&mut tx, "quote", new_id, &q.lines).await?;
        search::index(&mut tx, Kind::Quote, new_id, [q.title.as_str(), q.number.as_deref().unwrap_or("")], false)
            .await?;
        audit(
            &mut tx,
            now,
            actor,
            "quote.revised",
            ("quote", new_id),
            json!({"from_quote_id": id, "version": q.version + 1}),
        )
        .await?;
        let quote = self.load_quote(&mut tx, Scope::Staff, new_id, false).await?;
        self.commit(tx).await?;
        Ok(quote)
    }

    pub(crate) async fn extend_quote_tx(&self, actor: &Actor, id: Id, valid_until: Date) -> Result<Quote> {
        let now = self.now();
        if valid_until < self.today() {
            return Err(DomainError::validation("valid_until", "must not be in the past"));
        }
        let mut tx = self.db.write().await?;
        let row = tx
            .opt(&format!("SELECT status FROM quotes WHERE id = $1{}", tx.for_update()), args![id])
            .await?
            .ok_or_else(|| not_found("quote"))?;
        let stored = QuoteStatus::parse(&row.text("status")?)?;
        if stored != QuoteStatus::Draft {
            check_answerable(stored)?;
        }
        tx.exec("UPDATE quotes SET valid_until = $2 WHERE id = $1", args![id, valid_until]).await?;
        audit(&mut tx, now, actor, "quote.extended", ("quote", id), json!({"valid_until": valid_until})).await?;
        let quote = self.load_quote(&mut tx, Scope::Staff, id, false).await?;
        if stored == QuoteStatus::Sent {
            notify_client(
                &mut tx,
                now,
                quote.client_id,
                Notification::QuoteExtended { quote_id: id, number: quote.number.clone(), valid_until },
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(quote)
    }
}

//! Quotes and their versions: draft, send, accept (with its purchase order, in one
//! transaction), refuse, revise, extend; and reading them.

use crate::idempotency::Outcome;
use immovr_core::listing::{ListQuery, Page};
use immovr_core::model::{
    Acceptance, AcceptanceChannel, Attachment, ClientKind, CompanySettings, DocumentKind, Id, LegalKind, Quote,
    QuoteStatus, Refusal, RefusalKind, Role, Withdrawal, withdrawal_deadline,
};
use immovr_core::money::{Line, check_lines, totals};
use immovr_core::notification::{self, Notification};
use immovr_core::ports::{
    AcceptQuote, Accepted, NewAttachment, NewQuote, OfflineAcceptance, QuoteDraft, RefuseQuote, add_days,
    studio_timezone,
};
use immovr_core::rules::{self, check_answerable, check_draft, check_revisable, document_number, number_series};
use immovr_core::{Actor, Checks, DomainError, Result, Scope, text};
use jiff::civil::Date;
use serde_json::json;

use crate::App;
use crate::ports::{LockedQuote, QuoteFields, QuoteLock, TakeNumber};
use crate::support::{Shown, audit, check_opt_paragraph, check_text, issue, notify, notify_staff};

/// Who accepted, and how: from the client in the portal, or recorded by staff.
struct Given {
    signer_name: String,
    channel: AcceptanceChannel,
    signed_on: Option<Date>,
    recorded_by: Option<String>,
    evidence: Option<Attachment>,
    /// A private client asks for the work to start within its withdrawal period.
    early_start: bool,
    /// Signed at the studio's premises: no right of withdrawal.
    on_premises: bool,
}

/// A draft's content, checked.
struct Content {
    title: String,
    notes: Option<String>,
    valid_until: Date,
    lines: Vec<Line>,
}

impl App {
    /// Checks a draft's content: title, notes, a validity date not past (by default the
    /// studio's validity period from today), lines priced with the studio's VAT rates.
    /// Every refusal is given at once, with those in `checks` (what the page could not read).
    fn draft_content(&self, mut checks: Checks, draft: &QuoteDraft, company: &CompanySettings) -> Result<Content> {
        let title = checks.check(check_text("title", &draft.title, 300));
        let notes = checks.check(check_opt_paragraph("notes", draft.notes.clone(), 5000));
        let today = self.today();
        let valid_until = draft.valid_until.unwrap_or_else(|| add_days(today, company.quote_validity_days));
        if valid_until < today {
            checks.refuse("valid_until", "must not be in the past");
        }
        let lines = check_lines(&draft.lines, &company.vat_rates, &mut checks);
        checks.done().map(|()| Content { title, notes, valid_until, lines })
    }

    /// Checks a draft as the builder sends it, with the refusals the page found already (values
    /// it could not read): every refusal at once, nothing recorded.
    pub async fn check_draft_form(&self, checks: Checks, draft: &QuoteDraft) -> Result<()> {
        let company = self.company().await?;
        self.draft_content(checks, draft, &company).map(|_| ())
    }

    /// Drafts a quote (sales), from a client's request or from scratch.
    #[tracing::instrument(skip_all, fields(client_id = new.client_id), err(level = "info"))]
    pub async fn create_quote(&self, actor: &Actor, new: NewQuote) -> Result<Quote> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let c = self.draft_content(Checks::new(), &new.draft(), &company)?;
        if let Some(request_id) = new.request_id {
            if tx.request_client(request_id).await? != Some(new.client_id) {
                // Say which is wrong: a client that does not exist has no requests either.
                return Err(match tx.client_exists(new.client_id).await? {
                    true => DomainError::validation("request_id", "no such request for this client"),
                    false => DomainError::validation("client_id", "no such client"),
                });
            }
            tx.mark_request_quoted(request_id).await?;
        }
        let t = totals(&c.lines);
        let fields = QuoteFields { title: &c.title, notes: c.notes.as_deref(), valid_until: c.valid_until, totals: &t };
        let quote = tx.insert_quote(new.client_id, new.request_id, &fields, c.lines, now).await?;
        let Some(quote) = quote else {
            // No such client, or one whose data was erased.
            return Err(match tx.client_exists(new.client_id).await? {
                true => DomainError::ClientErased,
                false => DomainError::validation("client_id", "no such client"),
            });
        };
        let detail = json!({"client_id": new.client_id, "total_incl_vat": t.total_incl_vat});
        audit(tx.as_mut(), now, actor, "quote.created", ("quote", quote.id), detail).await?;
        self.answer(tx, Outcome::Created, quote).await
    }

    /// Replaces a draft's content (sales).
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn update_quote(&self, actor: &Actor, id: Id, draft: QuoteDraft) -> Result<Quote> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let current = tx.lock_quote_alone(Scope::Staff, id).await?;
        check_draft(current.status)?;
        let c = self.draft_content(Checks::new(), &draft, &company)?;
        let t = totals(&c.lines);
        let fields = QuoteFields { title: &c.title, notes: c.notes.as_deref(), valid_until: c.valid_until, totals: &t };
        let quote = tx.update_draft(&current, &fields, &c.lines).await?;
        audit(tx.as_mut(), now, actor, "quote.updated", ("quote", id), json!({"total_incl_vat": t.total_incl_vat}))
            .await?;
        self.answer(tx, Outcome::Done, quote).await
    }

    /// Sends a draft to its client (sales): it takes its number (a revision keeps its family's),
    /// earlier versions can no longer be answered, the PDF is issued and the client emailed.
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn send_quote(&self, actor: &Actor, id: Id) -> Result<Quote> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        // A first version takes its number with the lock (one round trip); a revision keeps
        // its family's.
        let series = number_series(&company.quote_prefix, today.year());
        let take = TakeNumber::IfUnnumbered(&series);
        let LockedQuote { quote: q, client, family_accepted, number_taken } =
            tx.lock_quote(Scope::Staff, id, QuoteLock::Draft, take).await?;
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
        let number = match (&q.number, number_taken) {
            (Some(number), None) => number.clone(),
            (None, Some(n)) => document_number(&company.quote_prefix, today.year(), n),
            _ => return Err(DomainError::internal("a quote's number taken with one already, or not taken")),
        };
        // v2 supersedes v1: earlier versions can no longer be answered.
        let (quote, superseded) = tx.mark_sent(&q, &number, now).await?;
        let detail = json!({"number": number, "version": q.version, "superseded": superseded});
        audit(tx.as_mut(), now, actor, "quote.sent", ("quote", id), detail).await?;
        let shown = Shown { quote: Some(quote.clone()), ..Shown::default() };
        issue(tx.as_mut(), now, &company, &client, DocumentKind::Quote, id, &number, shown).await?;
        // A revision tells what changed since the version before (sent, so no longer changing).
        let changes = match q.version {
            1 => None,
            v => self
                .db
                .quote_versions(Scope::Staff, q.family_id)
                .await?
                .iter()
                .find(|before| before.version == v - 1)
                .map(|before| Box::new(notification::QuoteChanges::between(before, &q))),
        };
        let sent = Notification::QuoteSent {
            quote_id: id,
            number,
            version: q.version,
            valid_until: q.valid_until,
            total_incl_vat: q.totals.total_incl_vat,
            changes,
        };
        notify(tx.as_mut(), now, &client, sent).await?;
        self.answer(tx, Outcome::Done, quote).await
    }

    /// The client accepts a sent quote ("bon pour accord": typed name, consent, terms): in the
    /// same transaction its purchase order is generated (exactly one, whatever the clicks,
    /// retries or races), both documents issued, the client and the studio notified; with the
    /// studio's setting, the purchase order is validated and the order registered at once.
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn accept_quote(&self, actor: &Actor, id: Id, a: AcceptQuote) -> Result<Accepted> {
        let signer = rules::check_acceptance(&a.signer_name, a.consent, a.terms_accepted)?;
        let given = Given {
            signer_name: signer,
            channel: AcceptanceChannel::Online,
            signed_on: None,
            recorded_by: None,
            evidence: None,
            early_start: a.early_start,
            on_premises: false,
        };
        self.accept(actor, id, given).await
    }

    /// Staff record an acceptance the client gave offline — a signed paper copy, or a signed
    /// email — with who signed, on which day, and the signed document (already in the file
    /// store, see `save_evidence`): the purchase order is generated exactly as for an online
    /// acceptance, and the audit names the staff member. A quote whose validity has passed
    /// since can still be recorded if the client signed in time.
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn record_offline_acceptance(
        &self,
        actor: &Actor,
        id: Id,
        a: OfflineAcceptance,
        evidence: NewAttachment,
    ) -> Result<Accepted> {
        actor.require(Role::Sales)?;
        let signer_name = text::line("signer_name", &a.signer_name, 200)?;
        if a.channel == AcceptanceChannel::Online {
            return Err(DomainError::validation("channel", "paper or email: an online acceptance is the client's"));
        }
        if a.signed_on > self.today() {
            return Err(DomainError::validation("signed_on", "must not be in the future"));
        }
        let evidence = Attachment {
            id,
            filename: evidence.filename,
            content_type: evidence.content_type,
            size_bytes: evidence.size_bytes,
            sha256: evidence.sha256,
            storage_key: evidence.storage_key,
        };
        let given = Given {
            signer_name,
            channel: a.channel,
            signed_on: Some(a.signed_on),
            recorded_by: Some(actor.name().to_string()),
            evidence: Some(evidence),
            early_start: a.early_start,
            on_premises: a.on_premises,
        };
        self.accept(actor, id, given).await
    }

    async fn accept(&self, actor: &Actor, id: Id, given: Given) -> Result<Accepted> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        // The row locks make concurrent answers (and the sending of a newer version) queue here;
        // the loser sees the winner's status.
        let scope = if given.signed_on.is_some() { Scope::Staff } else { actor.scope() };
        // The purchase order's number taken with the lock (one round trip).
        let series = number_series(&company.purchase_order_prefix, today.year());
        let LockedQuote { quote: q, client, number_taken, .. } =
            tx.lock_quote(scope, id, QuoteLock::Sent, TakeNumber::Next(&series)).await?;
        if client.erased_at.is_some() {
            return Err(DomainError::ClientErased);
        }
        match given.signed_on {
            None => check_answerable(q.status)?,
            Some(signed_on) => {
                // Signed before the validity ended, and not before the quote was sent.
                if q.status != QuoteStatus::Expired {
                    check_answerable(q.status)?;
                }
                if signed_on > q.valid_until {
                    return Err(DomainError::validation("signed_on", "after the quote's validity date"));
                }
                let sent_on = q.sent_at.map(|t| t.to_zoned(studio_timezone()).date());
                if sent_on.is_some_and(|d| signed_on < d) {
                    return Err(DomainError::validation("signed_on", "before the quote was sent"));
                }
            }
        }
        let hash = rules::quote_content_hash(&q);
        let online = given.channel == AcceptanceChannel::Online;
        // The terms in force as the client accepts (0: immovr's model, the studio has published none).
        let terms_version = tx.legal_texts(LegalKind::Terms).await?.last().map_or(0, |t| t.version);
        // A private client concludes at a distance (the portal, an email) or off premises: it
        // may withdraw within 14 days (consumer code L221-18); a business may not.
        let consumer = client.kind == ClientKind::Person && !given.on_premises;
        let acceptance = Acceptance {
            signer_name: given.signer_name.clone(),
            consent: true,
            terms_accepted: true,
            accepted_at: now,
            ip: if online { actor.ip.clone() } else { None },
            user_agent: if online { actor.user_agent.clone() } else { None },
            content_sha256: hash.clone(),
            channel: given.channel,
            signed_on: given.signed_on,
            recorded_by: given.recorded_by,
            evidence: given.evidence,
            terms_version: Some(terms_version),
            link_sent_at: if online { actor.via_link } else { None },
            early_start: consumer && given.early_start,
        };
        let n = number_taken.ok_or_else(|| DomainError::internal("a purchase order's number not taken"))?;
        let po_number = document_number(&company.purchase_order_prefix, today.year(), n);
        let quote_number = q.number.clone().ok_or_else(|| DomainError::internal("sent quote without number"))?;
        let (quote, mut po) =
            tx.accept_into_order(&q, &acceptance, &po_number, now).await?.ok_or(DomainError::QuoteAlreadyAccepted)?;
        if consumer {
            let ends_on = withdrawal_deadline(given.signed_on.unwrap_or(today));
            tx.set_withdrawal(po.id, ends_on, acceptance.early_start).await?;
            po.withdrawal =
                Some(Withdrawal { ends_on, early_start: acceptance.early_start, withdrawn_at: None, amount_due: None });
        }
        let detail = if online {
            json!({"signer": given.signer_name, "content_sha256": hash, "user_agent": actor.user_agent,
                "terms_version": terms_version, "email_link_sent_at": acceptance.link_sent_at,
                "early_start": acceptance.early_start, "withdrawal_ends_on": po.withdrawal.as_ref().map(|w| w.ends_on)})
        } else {
            let e = acceptance.evidence.as_ref();
            json!({
                "signer": given.signer_name,
                "content_sha256": hash,
                "terms_version": terms_version,
                "channel": acceptance.channel.as_str(),
                "signed_on": acceptance.signed_on,
                "evidence_sha256": e.map(|e| e.sha256.clone()),
                "evidence_bytes": e.map(|e| e.size_bytes),
                "early_start": acceptance.early_start,
                "on_premises": given.on_premises,
                "withdrawal_ends_on": po.withdrawal.as_ref().map(|w| w.ends_on),
            })
        };
        audit(tx.as_mut(), now, actor, "quote.accepted", ("quote", id), detail).await?;
        let detail = json!({"number": po_number, "quote": quote_number, "version": q.version});
        audit(tx.as_mut(), now, actor, "purchase_order.created", ("purchase_order", po.id), detail).await?;
        let accepted = notification::Accepted {
            quote_id: id,
            quote_number: quote_number.clone(),
            purchase_order_id: po.id,
            purchase_order_number: po_number.clone(),
            total_incl_vat: q.totals.total_incl_vat,
        };
        notify(tx.as_mut(), now, &client, Notification::PurchaseOrderCreated(accepted.clone())).await?;
        notify_staff(tx.as_mut(), now, &company, Notification::QuoteAccepted(accepted)).await?;
        let purchase_order = if company.auto_validate_purchase_orders {
            let validated_at = tx.mark_purchase_order_validated(po.id, now).await?;
            self.register_order(tx.as_mut(), now, &Actor::system(), &company, &po).await?;
            // Validated, with its order: as it is now.
            let lines = po.lines.clone();
            let mut po = tx.purchase_order_now(po.id, lines).await?;
            po.validated_at = po.validated_at.or(validated_at);
            po
        } else {
            po
        };
        // (With its purchase order: the accepted copy states the withdrawal period.)
        let shown =
            Shown { quote: Some(quote.clone()), purchase_order: Some(purchase_order.clone()), ..Shown::default() };
        issue(tx.as_mut(), now, &company, &client, DocumentKind::SignedQuote, id, &quote_number, shown).await?;
        let shown =
            Shown { quote: Some(quote.clone()), purchase_order: Some(purchase_order.clone()), ..Shown::default() };
        let po_id = purchase_order.id;
        issue(tx.as_mut(), now, &company, &client, DocumentKind::PurchaseOrder, po_id, &po_number, shown).await?;
        self.answer(tx, Outcome::Created, Accepted { quote, purchase_order }).await
    }

    /// The client declines a sent quote, or asks for changes (saying which); the studio is told.
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn refuse_quote(&self, actor: &Actor, id: Id, r: RefuseQuote) -> Result<Quote> {
        let comment = check_opt_paragraph("comment", r.comment, 5000)?;
        if r.kind == RefusalKind::ChangesRequested && comment.is_none() {
            return Err(DomainError::validation("comment", "say what should change"));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let q = tx.lock_quote_alone(actor.scope(), id).await?;
        check_answerable(q.status)?;
        let refusal = Refusal { kind: r.kind, comment: comment.clone(), refused_at: now };
        let quote = tx.mark_refused(&q, &refusal).await?;
        let detail = json!({"kind": r.kind.as_str(), "comment": comment, "email_link_sent_at": actor.via_link});
        audit(tx.as_mut(), now, actor, "quote.refused", ("quote", id), detail).await?;
        let company = tx.company().await?;
        let refused = Notification::QuoteRefused {
            quote_id: id,
            number: q.number.clone(),
            version: q.version,
            kind: r.kind,
            comment,
        };
        notify_staff(tx.as_mut(), now, &company, refused).await?;
        self.answer(tx, Outcome::Done, quote).await
    }

    /// Drafts the next version from a sent, refused or expired one (sales).
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn revise_quote(&self, actor: &Actor, id: Id) -> Result<Quote> {
        actor.require(Role::Sales)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let company = tx.company().await?;
        let q = tx.lock_quote_alone(Scope::Staff, id).await?;
        check_revisable(q.status)?;
        if tx.has_newer_version(&q).await? {
            return Err(DomainError::QuoteRevisionExists);
        }
        // The revision keeps the validity the client was given, unless it has passed (staff
        // move it with `extend_quote`).
        let today = self.today();
        let valid_until =
            if q.valid_until >= today { q.valid_until } else { add_days(today, company.quote_validity_days) };
        let revision = tx.insert_revision(&q, valid_until, now).await?;
        let detail = json!({"from_quote_id": id, "version": q.version + 1});
        audit(tx.as_mut(), now, actor, "quote.revised", ("quote", revision.id), detail).await?;
        self.answer(tx, Outcome::Created, revision).await
    }

    /// Moves the validity date of a draft or of a quote still awaiting an answer (sales); the
    /// client of a sent quote is told.
    #[tracing::instrument(skip_all, fields(quote_id = id), err(level = "info"))]
    pub async fn extend_quote(&self, actor: &Actor, id: Id, valid_until: Date) -> Result<Quote> {
        actor.require(Role::Sales)?;
        let now = self.now();
        if valid_until < self.today() {
            return Err(DomainError::validation("valid_until", "must not be in the past"));
        }
        let mut tx = self.begin().await?;
        let stored = tx.lock_quote_status(id).await?;
        if stored != QuoteStatus::Draft {
            check_answerable(stored)?;
        }
        let quote = tx.set_valid_until(id, valid_until).await?;
        audit(tx.as_mut(), now, actor, "quote.extended", ("quote", id), json!({"valid_until": valid_until})).await?;
        if stored == QuoteStatus::Sent {
            let client = tx.client_now(quote.client_id).await?;
            let extended = Notification::QuoteExtended { quote_id: id, number: quote.number.clone(), valid_until };
            notify(tx.as_mut(), now, &client, extended).await?;
        }
        self.answer(tx, Outcome::Done, quote).await
    }

    /// Quote versions, newest first: a client's own (never drafts), or all for staff.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quotes(&self, actor: &Actor, list: &ListQuery) -> Result<Page<Quote>> {
        self.db.quotes(actor.scope(), list).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quote(&self, actor: &Actor, id: Id) -> Result<Quote> {
        self.db.quote(actor.scope(), id).await
    }

    /// The signed document of an acceptance received offline, as the actor may see it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn acceptance_evidence(&self, actor: &Actor, id: Id) -> Result<Attachment> {
        let quote = self.db.quote(actor.scope(), id).await?;
        quote.acceptance.and_then(|a| a.evidence).ok_or_else(|| DomainError::not_found("evidence"))
    }

    /// Every version of one quote that the actor may see, newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quote_versions(&self, actor: &Actor, family_id: Id) -> Result<Vec<Quote>> {
        self.db.quote_versions(actor.scope(), family_id).await
    }
}

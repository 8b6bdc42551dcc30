//! Issued documents' PDFs. The store freezes a document's content when it is issued; here it is
//! rendered **once**, written to the file store with its SHA-256, and from then on served
//! byte-identical.
//!
//! Once, whoever asks first: a background renderer takes new documents an email will attach as
//! soon as they are issued (on a thread of its own that runs only when a core is free, so it
//! never delays a request; a request that needs a document still waiting for that thread
//! renders it itself); an accepted quote waits for its first download;
//! a download or an email that comes first renders it on the spot. Within a process every
//! render in progress is known, and whoever else needs that document waits for it; across
//! instances (PostgreSQL) a document is leased in the database before it is rendered, and the
//! others wait for the file to be recorded. Rendering is deterministic anyway: whoever renders,
//! the bytes are the same.
//!
//! The record of a document (its snapshot, committed with the business change that issued it)
//! is what must survive a crash; its PDF can be made again from it. So the PDF is written
//! without waiting for the disk, and checked against its recorded SHA-256 whenever it is read:
//! a file lost or cut short in a crash is rendered again, the same bytes, and written back.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashlink::LruCache;
use immovr_core::model::{DocumentFile, DocumentKind, DocumentRecord, ISSUED_HELD, Id, IssuedId};
use immovr_core::{Clock, Context, DomainError, Result, Scope};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, OnceCell};

use crate::ports::{DocumentRenderer, DocumentRepo, Executor, FileStore, Job, Lane, Logo, run_on};

/// How many document records [`Documents::find`] keeps (a few KiB each: the snapshot).
const KNOWN: usize = 64;

/// How long a lease on a document being rendered lasts (a render takes milliseconds).
const LEASE: SignedDuration = SignedDuration::from_secs(30);

pub struct Documents {
    renderer: Arc<dyn DocumentRenderer>,
    store: Arc<dyn DocumentRepo>,
    files: Arc<dyn FileStore>,
    clock: Arc<dyn Clock>,
    executor: Arc<dyn Executor>,
    inflight: Mutex<Inflight>,
    /// Documents this process issued, claimed or served lately, by kind and record, so that an
    /// email's attachment or a download right after the render does not look its record up
    /// again (four statements per flow on PostgreSQL). A rendered document's record never
    /// changes; one not rendered yet is only a starting point ([`Documents::ensure`] finds out
    /// whether another instance recorded it since).
    known: Mutex<LruCache<(DocumentKind, Id), DocumentRecord>>,
    /// Signalled when this process leases documents or records a render: whoever waits for a
    /// lease held here looks again at once rather than at the end of its pause.
    changed: Notify,
    /// Signalled when documents issued here wait for the background renderer (taken over from
    /// the store by whoever came first: the renderer, a download, an email).
    issued_ready: Notify,
    rendered: AtomicU64,
}

/// What this process is rendering.
#[derive(Default)]
struct Inflight {
    /// Renders in progress, by document id: whoever else asks for one waits for it.
    cells: HashMap<Id, Arc<OnceCell<DocumentFile>>>,
    /// Documents this process has leased in the database and not rendered yet.
    leased: HashSet<Id>,
    /// Documents this process issued (leased to it as they were), for the background renderer.
    issued: Vec<DocumentRecord>,
    /// The same, past [`ISSUED_HELD`] records: which documents, their records left in the database.
    issued_later: Vec<IssuedId>,
    /// Renders handed to the background thread and not started yet: a request that waits for
    /// one runs it at its own priority instead (see [`Documents::render_in_lane`]).
    queued: HashMap<Id, Arc<Claimable>>,
    /// Documents a request waits for: a render of one that starts later runs at the requests'
    /// priority.
    wanted: HashSet<Id>,
}

/// A job run once, by whichever thread takes it first.
struct Claimable(Mutex<Option<Job>>);

impl Claimable {
    fn run(&self) {
        let job = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(job) = job {
            job();
        }
    }
}

/// A rendered document, ready to serve or attach.
pub struct Pdf {
    pub file: DocumentFile,
    pub file_name: String,
}

impl Documents {
    pub fn new(
        renderer: Arc<dyn DocumentRenderer>,
        store: Arc<dyn DocumentRepo>,
        files: Arc<dyn FileStore>,
        clock: Arc<dyn Clock>,
        executor: Arc<dyn Executor>,
    ) -> Documents {
        Documents {
            renderer,
            store,
            files,
            clock,
            executor,
            inflight: Mutex::new(Inflight::default()),
            known: Mutex::new(LruCache::new(KNOWN)),
            changed: Notify::new(),
            issued_ready: Notify::new(),
            rendered: AtomicU64::new(0),
        }
    }

    /// How many PDFs this process has rendered since it started.
    pub fn renders(&self) -> u64 {
        self.rendered.load(Ordering::Relaxed)
    }

    /// The document of this kind for this record, if the scope may see it: from the records
    /// this process knows (see [`Documents::known`]), else from the store.
    pub async fn find(&self, scope: Scope, kind: DocumentKind, entity_id: Id) -> Result<Option<DocumentRecord>> {
        let known = self.known().get(&(kind, entity_id)).cloned();
        if let Some(doc) = known {
            let visible = match scope {
                Scope::Staff => true,
                Scope::Client(client) => doc.client_id == client,
                Scope::Nobody => false,
            };
            return Ok(visible.then_some(doc));
        }
        let doc = self.store.document(scope, kind, entity_id).await?;
        if let Some(doc) = &doc {
            self.remember(doc.clone());
        }
        Ok(doc)
    }

    fn known(&self) -> std::sync::MutexGuard<'_, LruCache<(DocumentKind, Id), DocumentRecord>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets what is known here of a client's documents (an erasure withdrew some).
    pub fn forget_client(&self, client_id: Id) {
        let mut known = self.known();
        let theirs: Vec<(DocumentKind, Id)> =
            known.iter().filter(|(_, d)| d.client_id == client_id).map(|(k, _)| *k).collect();
        for key in theirs {
            known.remove(&key);
        }
    }

    /// Keeps a record for [`Documents::find`]; a rendered one is never replaced by one without
    /// its file.
    fn remember(&self, doc: DocumentRecord) {
        let mut known = self.known();
        let key = (doc.kind, doc.entity_id);
        if doc.file.is_none() && known.get(&key).is_some_and(|d| d.file.is_some()) {
            return;
        }
        known.insert(key, doc);
    }

    /// The PDF of an issued document, rendered and stored now if it was not yet.
    pub async fn ensure(&self, doc: &DocumentRecord) -> Result<Pdf> {
        let pdf = self.ensure_in(doc, Lane::Now).await?;
        pdf.ok_or_else(|| DomainError::internal("a document neither rendered nor leased"))
    }

    /// `None` only in the background: the document it leased was rendered meanwhile, here, by a
    /// download or an email that came first.
    async fn ensure_in(&self, doc: &DocumentRecord, lane: Lane) -> Result<Option<Pdf>> {
        let file_name = doc.file_name();
        if let Some(file) = &doc.file {
            return Ok(Some(Pdf { file: file.clone(), file_name }));
        }
        // A document issued here a moment ago is leased to this process already.
        self.absorb_issued();
        let (cell, leased, claimed) = {
            let mut inflight = self.inflight();
            let leased = inflight.leased.contains(&doc.id);
            if lane == Lane::Background && !leased && !inflight.cells.contains_key(&doc.id) {
                return Ok(None);
            }
            // A request waits for this document: its render, queued behind the background
            // thread (which runs only when a core is free), runs here and now instead.
            let claimed = match lane {
                Lane::Now => {
                    inflight.wanted.insert(doc.id);
                    inflight.queued.remove(&doc.id)
                }
                Lane::Background => None,
            };
            (inflight.cells.entry(doc.id).or_default().clone(), leased, claimed)
        };
        if let Some(job) = claimed {
            self.executor.spawn(Lane::Now, Box::new(move || job.run())).map_err(DomainError::internal)?;
        }
        let outcome = cell.get_or_try_init(|| self.render_and_record(doc, lane, leased)).await.cloned();
        if lane == Lane::Now {
            self.inflight().wanted.remove(&doc.id);
        }
        if let Ok(file) = &outcome {
            self.remember(DocumentRecord { file: Some(file.clone()), ..doc.clone() });
            self.changed.notify_waiters();
            // Done: later callers find the file in the database.
            let mut inflight = self.inflight();
            inflight.leased.remove(&doc.id);
            inflight.wanted.remove(&doc.id);
            if inflight.cells.get(&doc.id).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inflight.cells.remove(&doc.id);
            }
        }
        Ok(Some(Pdf { file: outcome?, file_name }))
    }

    /// Takes in the documents this process issued since last asked (see
    /// `Store::lease_issued`): leased here, known, and waiting for the background renderer.
    fn absorb_issued(&self) {
        let issued = self.store.take_issued();
        if issued.is_empty() {
            return;
        }
        {
            let mut inflight = self.inflight();
            inflight.leased.extend(issued.records.iter().map(|d| d.id).chain(issued.ids_only.iter().map(|i| i.id)));
            // At most a few hundred records wait here for the background renderer; past them,
            // and past what the store holds, ids only: rendered when an email or a download
            // asks (leased here: at once, no wait), or by a sweep once their lease has run out.
            let room = ISSUED_HELD.saturating_sub(inflight.issued.len());
            let later: Vec<IssuedId> = issued.records.iter().skip(room).map(IssuedId::from).collect();
            inflight.issued.extend(issued.records.iter().take(room).cloned());
            inflight.issued_later.extend(later.into_iter().chain(issued.ids_only));
        }
        for doc in issued.records {
            self.remember(doc);
        }
        self.changed.notify_waiters();
        // Whoever took them (a download, an email), the background renderer renders them.
        self.issued_ready.notify_one();
    }

    /// Renders the documents this process issued (leased to it as they were), until none is
    /// left, those issued meanwhile included; returns how many.
    pub async fn render_issued(&self) -> usize {
        let mut done = 0;
        loop {
            self.absorb_issued();
            let (docs, later) = {
                let mut inflight = self.inflight();
                (std::mem::take(&mut inflight.issued), std::mem::take(&mut inflight.issued_later))
            };
            if docs.is_empty() && later.is_empty() {
                return done;
            }
            for doc in &docs {
                done += self.render_in_background(doc).await;
            }
            // Past what was held: their records read back, one by one.
            for i in later {
                match self.find(Scope::Staff, i.kind, i.entity_id).await {
                    Ok(Some(doc)) => done += self.render_in_background(&doc).await,
                    Ok(None) => {
                        self.inflight().leased.remove(&i.id);
                    }
                    Err(e) => {
                        // Its lease runs out, then a sweep (here or elsewhere) takes it again.
                        tracing::error!(error = %e, "reading issued document {}", i.id);
                        self.inflight().leased.remove(&i.id);
                    }
                }
            }
        }
    }

    /// Renders a document this process leased, in the background; 1 if done (here or by
    /// whoever came first), 0 if it failed.
    async fn render_in_background(&self, doc: &DocumentRecord) -> usize {
        match self.ensure_in(doc, Lane::Background).await {
            Ok(_) => 1,
            Err(e) => {
                // Its lease runs out, then a sweep (here or elsewhere) takes it again.
                tracing::error!(error = %e, "document {} not rendered", doc.number);
                self.inflight().leased.remove(&doc.id);
                0
            }
        }
    }

    fn inflight(&self) -> std::sync::MutexGuard<'_, Inflight> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the document's lease (unless already held), renders, stores and records it; or,
    /// when another instance holds the lease, waits for the file it records.
    async fn render_and_record(&self, doc: &DocumentRecord, lane: Lane, leased: bool) -> Result<DocumentFile> {
        if !leased {
            loop {
                let now = self.clock.now();
                // Registered before looking, so that a change made meanwhile is not missed.
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                // The lease may be this process's own (the background renderer took it a
                // moment ago): then render here rather than wait for it.
                if self.inflight().leased.contains(&doc.id)
                    || self.store.claim_document(doc.id, now, now + LEASE).await?
                {
                    break;
                }
                // Another instance's lease, or this process's background renderer between its
                // claim and noting it (a download right after delivery met it: 20 ms more).
                let _ = tokio::time::timeout(Duration::from_millis(20), changed).await;
                if let Some(file) =
                    self.store.document(Scope::Staff, doc.kind, doc.entity_id).await?.and_then(|d| d.file)
                {
                    return Ok(file);
                }
            }
        }
        let pdf = self.render_bytes(doc, lane).await?;
        let sha256 = hex::encode(Sha256::digest(&pdf));
        let key = format!("documents/{}/{}-{}.pdf", doc.kind.as_str(), doc.id, sha256.get(..16).unwrap_or(""));
        let size = pdf.len() as i64;
        self.files.put_rebuildable(&key, pdf).await.context("writing a rendered PDF")?;
        let file = self
            .store
            .set_document_file(doc.id, DocumentFile { key: key.clone(), sha256, size }, self.clock.now())
            .await?;
        if file.key != key {
            // Recorded by someone else whose lease had run out: theirs is in force.
            self.files.delete(&key).await;
        }
        Ok(file)
    }

    /// Renders a document's PDF on the given lane's threads.
    async fn render_bytes(&self, doc: &DocumentRecord, lane: Lane) -> Result<Vec<u8>> {
        let logo = match (&doc.snapshot.company.logo_key, &doc.snapshot.company.logo_content_type) {
            (Some(key), Some(content_type)) => match self.files.get(key).await {
                Ok(Some(bytes)) => Some(Logo { bytes, content_type: content_type.clone() }),
                Ok(None) => {
                    tracing::warn!("logo {key} missing: document {} rendered without it", doc.number);
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "logo {key} unreadable: document {} rendered without it", doc.number);
                    None
                }
            },
            _ => None,
        };
        let renderer = self.renderer.clone();
        let snapshot = doc.snapshot.clone();
        let render = move || renderer.render(&snapshot, logo.as_ref());
        let pdf = self
            .render_in_lane(doc.id, lane, render)
            .await?
            .map_err(|e| DomainError::internal(format!("rendering {} {}: {e}", doc.kind.as_str(), doc.number)))?;
        self.rendered.fetch_add(1, Ordering::Relaxed);
        Ok(pdf)
    }

    /// Runs a render on `lane`. On the background thread it may wait a while (it runs only
    /// when a core is free): until it starts, a request that waits for the same document takes
    /// it and runs it at once on the requests' threads (see [`Documents::ensure_in`]); one
    /// rendered after such a request arrived goes there directly. Either way it runs once.
    async fn render_in_lane<T: Send + 'static>(
        &self,
        id: Id,
        lane: Lane,
        render: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        if lane == Lane::Now {
            return run_on(self.executor.as_ref(), lane, render).await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Arc::new(Claimable(Mutex::new(Some(Box::new(move || {
            let _ = tx.send(render());
        })))));
        let lane = {
            let mut inflight = self.inflight();
            if inflight.wanted.contains(&id) {
                Lane::Now
            } else {
                inflight.queued.insert(id, job.clone());
                Lane::Background
            }
        };
        let runner = job.clone();
        let spawned = self.executor.spawn(lane, Box::new(move || runner.run()));
        let out = match spawned {
            Ok(()) => rx.await.map_err(|_| DomainError::internal("a job on a CPU thread was abandoned")),
            Err(e) => Err(DomainError::internal(e)),
        };
        let mut inflight = self.inflight();
        if inflight.queued.get(&id).is_some_and(|q| Arc::ptr_eq(q, &job)) {
            inflight.queued.remove(&id);
        }
        out
    }

    /// A rendered document's bytes, checked against the SHA-256 recorded with it. The file is
    /// written without syncing it (it can be made again), so after a crash it may be missing or
    /// incomplete: then it is rendered again — rendering is deterministic, the same bytes — and
    /// written back. Gives the bytes and their SHA-256.
    pub async fn load(&self, doc: &DocumentRecord, file: &DocumentFile) -> Result<(Vec<u8>, String)> {
        if let Some(bytes) = self.files.get(&file.key).await.context("reading a rendered PDF")?
            && hex::encode(Sha256::digest(&bytes)) == file.sha256
        {
            return Ok((bytes, file.sha256.clone()));
        }
        // A record known here may have been withdrawn since (an erasure removes the quotes a
        // client never accepted): never made again from what was known of it.
        if self.store.document(Scope::Staff, doc.kind, doc.entity_id).await?.is_none() {
            self.known().remove(&(doc.kind, doc.entity_id));
            return Err(DomainError::not_found("document"));
        }
        tracing::warn!("the PDF of {} {} is missing or damaged: rendered again", doc.kind.as_str(), doc.number);
        let bytes = self.render_bytes(doc, Lane::Now).await?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if sha256 == file.sha256 {
            self.files.put_rebuildable(&file.key, bytes.clone()).await.context("writing a rendered PDF back")?;
        } else {
            // Only if the renderer changed since it was recorded: what it gives now is served,
            // and the record is left as it is.
            tracing::error!(
                "{} {} renders differently than when it was recorded ({} ≠ {}): served as rendered now",
                doc.kind.as_str(),
                doc.number,
                sha256,
                file.sha256
            );
        }
        Ok((bytes, sha256))
    }

    /// The bytes of a document's PDF (email attachments).
    pub async fn bytes(&self, doc: &DocumentRecord) -> Result<(Pdf, Vec<u8>)> {
        let pdf = self.ensure(doc).await?;
        let (bytes, _) = self.load(doc, &pdf.file).await?;
        Ok((pdf, bytes))
    }

    /// The document of this kind for this record, if the scope may see it, rendered (now, if it
    /// was not yet): its record and its PDF's file (read it with [`Documents::load`]).
    pub async fn rendered(&self, scope: Scope, kind: DocumentKind, entity_id: Id) -> Result<(DocumentRecord, Pdf)> {
        let doc = self.find(scope, kind, entity_id).await?.ok_or_else(|| DomainError::not_found("document"))?;
        let pdf = self.ensure(&doc).await?;
        Ok((doc, pdf))
    }

    /// Renders every issued document that has no PDF yet; returns how many.
    pub async fn render_pending(&self) -> usize {
        let mut done = self.render_issued().await;
        done += self.render_claimed().await;
        // What this process committed meanwhile: the notification of a commit can come back
        // from PostgreSQL before the commit's own answer has handed its documents over.
        done + self.render_issued().await
    }

    /// Claims and renders the documents nobody holds a lease on; returns how many.
    async fn render_claimed(&self) -> usize {
        let mut done = 0;
        loop {
            let now = self.clock.now();
            let docs = match self.store.claim_documents(now, now + LEASE, 20).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "listing documents to render");
                    return done;
                }
            };
            if docs.is_empty() {
                return done;
            }
            // Leased for this process: a download here meanwhile renders it rather than
            // waiting for the lease to end.
            self.inflight().leased.extend(docs.iter().map(|d| d.id));
            self.changed.notify_waiters();
            for doc in &docs {
                self.remember(doc.clone());
            }
            let before = done;
            for doc in &docs {
                done += self.render_in_background(doc).await;
            }
            if done == before || docs.len() < 20 {
                // All failed (try again on the next change), or nothing more is waiting.
                return done;
            }
        }
    }

    /// From now on this process renders, in the background, the documents it issues: they are
    /// leased to it in the transaction that issues them (see [`DocumentRepo::lease_issued`]).
    pub fn render_in_this_process(&self) {
        self.store.lease_issued(LEASE);
    }

    /// Resolves when documents issued here wait for the background renderer.
    pub async fn issued(&self) {
        tokio::select! {
            () = self.store.issued() => {}
            () = self.issued_ready.notified() => {}
        }
    }
}

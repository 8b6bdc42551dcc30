//! Issued documents' PDFs. The store freezes a document's content when it is issued; here it is
//! rendered **once**, written to the file store with its SHA-256, and from then on served
//! byte-identical.
//!
//! Once, whoever asks first: a background renderer takes new documents an email will attach as
//! soon as they are issued (on a thread of its own, at a lower priority than requests, so it
//! never delays one); an accepted quote waits for its first download;
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

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use immovr_core::model::{DocumentFile, DocumentKind, DocumentRecord, ISSUED_HELD, Id, IssuedId};
use immovr_core::ports::Scope;
use immovr_core::{Clock, Context, DomainError, DynStore, Result};
use immovr_documents::{Logo, Renderer};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, OnceCell};

use crate::files::Files;

/// How many document records [`Documents::find`] keeps (a few KiB each: the snapshot).
const KNOWN: usize = 64;

/// How long a lease on a document being rendered lasts (a render takes milliseconds).
const LEASE: SignedDuration = SignedDuration::from_secs(30);

pub struct Documents {
    renderer: Arc<Renderer>,
    store: DynStore,
    files: Files,
    clock: Arc<dyn Clock>,
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
    /// Renders someone waits for (a download, an email), at most one per core.
    now: RenderThreads,
    /// The background renderer's thread, at a lower priority.
    background: RenderThreads,
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
}

/// A rendered document, ready to serve or attach.
pub struct Pdf {
    pub file: DocumentFile,
    pub file_name: String,
}

/// Where a render runs: on the spot (someone waits: a render thread at normal priority) or in
/// the background (the renderer's own low-priority thread).
#[derive(Clone, Copy, PartialEq)]
enum Lane {
    Now,
    Background,
}

type Job = Box<dyn FnOnce() + Send>;

/// A few threads that run renders: rendering is CPU work, so more at once than there are cores
/// only adds memory (each render holds a few MiB while it runs).
struct RenderThreads {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl RenderThreads {
    /// `threads` threads; `background` ones are niced below the request threads.
    fn start(name: &str, threads: usize, background: bool) -> RenderThreads {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("{name}-{i}")).spawn(move || {
                if background {
                    lower_priority();
                }
                loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        // A panic loses that job only (its caller gets an error), not the thread:
                        // the background one also composes every email.
                        Ok(job) => {
                            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                                tracing::error!("a job on a render thread panicked");
                            }
                        }
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "starting a render thread");
            }
        }
        RenderThreads { jobs }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| DomainError::internal("the render threads have stopped"))?;
        rx.await.map_err(|_| DomainError::internal("a render was abandoned"))
    }
}

/// Background work yields the CPU to requests: this thread's nice value goes up by 10.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread; a failure only leaves the priority.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            if libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
                tracing::debug!("could not lower the render thread's priority");
            }
        }
    }
}

impl Documents {
    pub fn new(renderer: Renderer, store: DynStore, files: Files, clock: Arc<dyn Clock>) -> Documents {
        Documents {
            renderer: Arc::new(renderer),
            store,
            files,
            clock,
            inflight: Mutex::new(Inflight::default()),
            known: Mutex::new(LruCache::new(KNOWN)),
            changed: Notify::new(),
            issued_ready: Notify::new(),
            now: RenderThreads::start(
                "immovr-render",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
                false,
            ),
            background: RenderThreads::start("immovr-render-bg", 1, true),
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

    /// Runs `f` on the background renderer's thread, below the requests' priority: background
    /// work that is CPU (the email worker composes its messages there).
    pub async fn in_background<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        self.background.run(f).await
    }

    /// The PDF of an issued document, rendered and stored now if it was not yet.
    pub async fn ensure(&self, doc: &DocumentRecord) -> Result<Pdf> {
        let pdf = self.ensure_in(doc, Lane::Now).await?;
        pdf.ok_or_else(|| DomainError::internal("a document neither rendered nor leased"))
    }

    /// `None` only in the background: the document it leased was rendered meanwhile, here, by a
    /// download or an email that came first.
    async fn ensure_in(&self, doc: &DocumentRecord, lane: Lane) -> Result<Option<Pdf>> {
        let file_name = immovr_documents::render::file_name(doc.kind, &doc.number, doc.snapshot.language);
        if let Some(file) = &doc.file {
            return Ok(Some(Pdf { file: file.clone(), file_name }));
        }
        // A document issued here a moment ago is leased to this process already.
        self.absorb_issued();
        let (cell, leased) = {
            let mut inflight = self.inflight();
            let leased = inflight.leased.contains(&doc.id);
            if lane == Lane::Background && !leased && !inflight.cells.contains_key(&doc.id) {
                return Ok(None);
            }
            (inflight.cells.entry(doc.id).or_default().clone(), leased)
        };
        let outcome = cell.get_or_try_init(|| self.render_and_record(doc, lane, leased)).await.cloned();
        if let Ok(file) = &outcome {
            self.remember(DocumentRecord { file: Some(file.clone()), ..doc.clone() });
            self.changed.notify_waiters();
            // Done: later callers find the file in the database.
            let mut inflight = self.inflight();
            inflight.leased.remove(&doc.id);
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
    async fn render_issued(&self) -> usize {
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
                Ok(bytes) => Some(Logo { bytes, content_type: content_type.clone() }),
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
        let pdf = match lane {
            Lane::Now => self.now.run(render).await?,
            Lane::Background => self.background.run(render).await?,
        }
        .map_err(|e| DomainError::internal(format!("rendering {} {}: {e}", doc.kind.as_str(), doc.number)))?;
        self.rendered.fetch_add(1, Ordering::Relaxed);
        Ok(pdf)
    }

    /// A rendered document's bytes, checked against the SHA-256 recorded with it. The file is
    /// written without syncing it (it can be made again), so after a crash it may be missing or
    /// incomplete: then it is rendered again — rendering is deterministic, the same bytes — and
    /// written back. Gives the bytes and their SHA-256.
    async fn load(&self, doc: &DocumentRecord, file: &DocumentFile) -> Result<(Vec<u8>, String)> {
        if let Some(bytes) = self.files.get_opt(&file.key).await.context("reading a rendered PDF")?
            && hex::encode(Sha256::digest(&bytes)) == file.sha256
        {
            return Ok((bytes, file.sha256.clone()));
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

    /// Serves the document of this kind for this record, if the scope may see it.
    pub async fn serve(
        &self,
        scope: Scope,
        kind: DocumentKind,
        entity_id: Id,
        headers: &HeaderMap,
    ) -> Result<Response> {
        let doc = self.find(scope, kind, entity_id).await?.ok_or_else(|| DomainError::not_found("document"))?;
        let pdf = self.ensure(&doc).await?;
        let etag = format!("\"{}\"", pdf.file.sha256);
        if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag || v == "*") {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
        let (bytes, sha256) = self.load(&doc, &pdf.file).await?;
        let mut response = Files::serve_bytes(bytes, headers, &pdf.file_name, "application/pdf");
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
            h.insert(header::ETAG, v);
        }
        // The whole file's SHA-256 (RFC 9530).
        if let Ok(raw) = hex::decode(&sha256) {
            use base64::Engine;
            let v = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(raw));
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert("repr-digest", v);
            }
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
        Ok(response)
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

    /// Renders documents as they are issued: those this process issues as soon as they commit
    /// (leased to it as they were issued, handed over in-process: no claim, no read, and no
    /// wait for the change's notification); at start and every minute, whatever else waits —
    /// issued before, by an instance that renders nothing in the background (its emails and
    /// downloads render on demand meanwhile), or leased by an instance that stopped.
    pub async fn run(self: Arc<Self>) {
        const SWEEP: Duration = Duration::from_secs(60);
        self.store.lease_issued(LEASE);
        let mut sweep = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= sweep {
                self.render_pending().await;
                sweep = tokio::time::Instant::now() + SWEEP;
            }
            tokio::select! {
                () = self.store.issued() => {
                    self.render_issued().await;
                }
                () = self.issued_ready.notified() => {
                    self.render_issued().await;
                }
                () = tokio::time::sleep_until(sweep) => {}
            }
        }
    }
}

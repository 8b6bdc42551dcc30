//! immovr's application layer: the use cases of the quote-to-cash journey. Each validates its
//! input, applies `immovr_core::rules`, calls the ports it needs and commits once; the web layer
//! (API and pages) and the workers call them, never the adapters.

pub mod documents;
pub mod live;
pub mod ports;
pub mod tokens;
pub mod uploads;

use std::sync::Arc;

use immovr_core::{Clock, DynStore};

pub use documents::{Documents, Pdf};

/// The application: its ports, wired once by the binary. Cheap to share (`Arc<App>`).
pub struct App {
    store: DynStore,
    files: Arc<dyn ports::FileStore>,
    clock: Arc<dyn Clock>,
    executor: Arc<dyn ports::Executor>,
    documents: Arc<Documents>,
}

/// The adapters an [`App`] runs on.
pub struct Adapters {
    pub store: DynStore,
    pub documents: Arc<dyn ports::DocumentRepo>,
    pub files: Arc<dyn ports::FileStore>,
    pub renderer: Arc<dyn ports::DocumentRenderer>,
    pub executor: Arc<dyn ports::Executor>,
    pub clock: Arc<dyn Clock>,
}

impl App {
    pub fn new(a: Adapters) -> App {
        let documents =
            Arc::new(Documents::new(a.renderer, a.documents, a.files.clone(), a.clock.clone(), a.executor.clone()));
        App { store: a.store, files: a.files, clock: a.clock, executor: a.executor, documents }
    }

    /// The store (being replaced by the per-area ports).
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    pub fn files(&self) -> &Arc<dyn ports::FileStore> {
        &self.files
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Where CPU work runs (rendering, composing emails).
    pub fn executor(&self) -> &Arc<dyn ports::Executor> {
        &self.executor
    }

    /// Issued documents' PDFs, rendered once.
    pub fn documents(&self) -> &Arc<Documents> {
        &self.documents
    }
}

//! The ports: what the use cases need from the outside world, as small traits per area,
//! implemented by the adapters (`immovr-store` for the database, `immovr-files` for files,
//! `immovr-documents` for PDFs, `immovr-worker` for threads).

mod documents;
mod files;

pub use documents::*;
pub use files::*;

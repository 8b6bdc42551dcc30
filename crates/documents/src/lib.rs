//! Documents: the quote, signed quote, purchase order, invoice and credit note PDFs, laid out
//! and written in-process with krilla (PDF/A-3b, fonts subset and embedded, colours and typeface a
//! studio can set) from an issued document's snapshot; invoices and credit notes are Factur-X
//! (EN 16931 CII XML attached, XMP declared), invoices carry a SEPA credit-transfer QR code.
//!
//! `layout` turns a snapshot into the texts a page shows, `compose` places them on pages
//! (`canvas` is the small layout toolkit underneath, `fonts` measures text), `render` writes the
//! PDF.

pub mod canvas;
pub mod cdar;
pub mod compose;
pub mod ereporting;
pub mod facturx;
pub mod fonts;
pub mod layout;
pub mod qr;
pub mod render;
pub mod samples;
mod texts;
mod withdrawal;
pub mod xmp;

pub use ereporting::Reform;
pub use render::{Logo, RenderError, Renderer};

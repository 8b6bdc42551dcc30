//! Documents: the quote, signed quote, purchase order, invoice and credit note PDFs, rendered
//! in-process with typst (PDF/A-3b, fonts embedded, a template a studio can restyle) from an
//! issued document's snapshot; invoices and credit notes are Factur-X (EN 16931 CII XML attached,
//! XMP declared), invoices carry a SEPA credit-transfer QR code.

pub mod facturx;
pub mod layout;
pub mod pdf;
pub mod qr;
pub mod render;
pub mod samples;
pub mod xmp;

pub use pdf::RenderError;
pub use render::{Logo, Renderer};

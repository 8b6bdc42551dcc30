//! Documents: the Factur-X / EN 16931 CII XML of invoices and credit notes (`facturx::cii_xml`,
//! validated in the tests against the official XSD and schematrons) and in-process PDF
//! rendering with typst (`pdf::render`, PDF/A-3b, fonts embedded, a restylable template).
//! Still to come: the documents' data from the domain, the Factur-X attachment and XMP, the
//! SEPA QR code, storage at issue and the routes that serve them.

pub mod facturx;
pub mod pdf;

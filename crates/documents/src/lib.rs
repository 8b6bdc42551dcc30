//! Documents. For now: the Factur-X / EN 16931 CII XML of invoices and credit notes
//! (`facturx::cii_xml`), validated in the tests against the official XSD and schematrons.
//! PDF rendering (quote, purchase order, invoice, credit note) is the next part of this crate.

pub mod facturx;

-- The background renderer's queue leaves out the documents rendered on their first download
-- (a signed quote): they stay unrendered for good, and with them in the index each scan of it
-- (the claims, and on a PostgreSQL never analysed the statements on one document's render)
-- read every one of the last days' signed quotes, and its row (1,271 a scan on average over
-- 2,500 flows of the load generator). Keep the predicate in step with `EAGER_KINDS` in
-- src/documents.rs, or the claims stop using this index.
-- (SQLite's indexes end with the rowid, the id.)
DROP INDEX documents_unrendered;
CREATE INDEX documents_unrendered ON documents (issued_at) WHERE sha256 IS NULL AND kind <> 'signed_quote';

-- Lookups by a foreign key that had no index: an invoice's credit notes (read with every
-- invoice), and a client's documents, login and credit notes (the erasure, the export).
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id);
CREATE INDEX credit_notes_client ON credit_notes (client_id);
CREATE INDEX documents_client ON documents (client_id);
CREATE INDEX users_client ON users (client_id);

-- Lists over years of records: the words each record is found by (text search, kept by the
-- use cases), and the indexes the lists and the dashboard read through (chosen from EXPLAIN
-- on a ten-year history; see BENCHMARKS.md). Terms compare byte by byte (COLLATE "C"): a
-- prefix is a range of them.
CREATE TABLE search_terms (
    kind TEXT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    entity_id BIGINT NOT NULL,
    PRIMARY KEY (kind, term, entity_id)
);
CREATE INDEX search_terms_entity ON search_terms (kind, entity_id);

-- The background renderer takes the documents issued in the last days; older ones never
-- rendered (imported history) are rendered when first asked for.
DROP INDEX documents_unrendered;
CREATE INDEX documents_unrendered ON documents (issued_at) WHERE sha256 IS NULL;

-- The dashboard and the status filters (EXPLAIN plans on a ten-year history in BENCHMARKS.md):
-- each "to do" count reads a covering range of one index instead of a table.
CREATE INDEX quote_requests_status ON quote_requests (status, id);
CREATE INDEX quotes_status ON quotes (status, id);
CREATE INDEX quotes_validity ON quotes (status, valid_until);
CREATE INDEX quotes_refusals ON quotes (status, refusal_kind, refused_at);
CREATE INDEX purchase_orders_status ON purchase_orders (status, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX invoices_status ON invoices (status, due_date);

-- A client's lists, newest first, straight from an index (SQLite's indexes end with the rowid).
DROP INDEX quote_requests_client;
CREATE INDEX quote_requests_client ON quote_requests (client_id, id);
DROP INDEX quotes_client;
CREATE INDEX quotes_client ON quotes (client_id, id);
DROP INDEX purchase_orders_client;
CREATE INDEX purchase_orders_client ON purchase_orders (client_id, id);
DROP INDEX orders_client;
CREATE INDEX orders_client ON orders (client_id, id);
DROP INDEX invoices_client;
CREATE INDEX invoices_client ON invoices (client_id, id);

-- Periods (lists filtered from/to): a short one reads these.
CREATE INDEX quote_requests_created ON quote_requests (created_at);
CREATE INDEX quotes_created ON quotes (created_at);
CREATE INDEX purchase_orders_created ON purchase_orders (created_at);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX invoices_issued ON invoices (issue_date);
CREATE INDEX audit_events_at ON audit_events (at);

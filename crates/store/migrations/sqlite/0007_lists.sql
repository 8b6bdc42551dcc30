-- Lists over years of records: the words each record is found by (text search, kept by the
-- use cases), and the indexes the lists and the dashboard read through (chosen from EXPLAIN
-- QUERY PLAN on a ten-year history; see BENCHMARKS.md).
CREATE TABLE search_terms (
    kind TEXT NOT NULL,
    term TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    PRIMARY KEY (kind, term, entity_id)
) WITHOUT ROWID;
CREATE INDEX search_terms_entity ON search_terms (kind, entity_id);

-- The background renderer takes the documents issued in the last days; older ones never
-- rendered (imported history) are rendered when first asked for.
DROP INDEX documents_unrendered;
CREATE INDEX documents_unrendered ON documents (issued_at) WHERE sha256 IS NULL;

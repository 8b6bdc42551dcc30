-- Issued documents (quotes, signed quotes, purchase orders, invoices, credit notes). The row is
-- written in the transaction that issues the document, with a frozen copy of everything it shows
-- (snapshot, JSON); the PDF rendered from it is stored once, with its SHA-256, and never changes.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    number TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    file_key TEXT,
    sha256 TEXT,
    size BIGINT,
    rendered_at TEXT,
    UNIQUE (kind, entity_id)
);
CREATE INDEX documents_unrendered ON documents (id) WHERE sha256 IS NULL;

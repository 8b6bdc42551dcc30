-- immovr schema. Money, quantities and rates are exact decimals stored as text (parsed with
-- rust_decimal); dates as 'YYYY-MM-DD'; timestamps as RFC 3339 UTC; flags as 0/1.
-- SQLite flavour of migrations/postgres/0001_initial.sql: only the identity column differs.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Gapless numbering: one row per series (prefix + year), incremented inside the transaction
-- that issues the document, so a rollback gives the number back.
CREATE TABLE counters (
    series TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT,
    company_name TEXT,
    siren TEXT,
    siret TEXT,
    vat_number TEXT,
    billing_address TEXT,
    language TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    roles TEXT NOT NULL DEFAULT '',
    client_id BIGINT REFERENCES clients (id),
    language TEXT NOT NULL DEFAULT 'fr',
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    revoked BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE catalogue_items (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('service', 'option')),
    label_fr TEXT NOT NULL,
    label_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE quote_requests (
    id INTEGER PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL,
    property_type TEXT NOT NULL,
    property_address TEXT NOT NULL,
    surface_m2 TEXT,
    rooms BIGINT,
    wanted TEXT NOT NULL,
    wished_date TEXT,
    notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX quote_requests_client ON quote_requests (client_id);

-- One row per version; versions of one quote share family_id (the first version's id) and number.
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    family_id BIGINT,
    number TEXT,
    version BIGINT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    request_id BIGINT REFERENCES quote_requests (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'refused', 'superseded')),
    title TEXT NOT NULL,
    notes TEXT,
    valid_until TEXT NOT NULL,
    sent_at TEXT,
    total_excl_vat TEXT NOT NULL,
    total_vat TEXT NOT NULL,
    total_incl_vat TEXT NOT NULL,
    signer_name TEXT,
    consent BIGINT,
    terms_accepted BIGINT,
    accepted_at TEXT,
    accept_ip TEXT,
    accept_user_agent TEXT,
    content_sha256 TEXT,
    refusal_kind TEXT,
    refusal_comment TEXT,
    refused_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (family_id, version)
);
CREATE INDEX quotes_client ON quotes (client_id);
-- At most one accepted version per quote, whatever the races.
CREATE UNIQUE INDEX quotes_one_accepted ON quotes (family_id) WHERE status = 'accepted';

-- Lines of every document kind ('quote', 'purchase_order', 'invoice', 'credit_note').
CREATE TABLE document_lines (
    doc_kind TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    code TEXT,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    discount TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    total_excl_vat TEXT NOT NULL,
    PRIMARY KEY (doc_kind, doc_id, position)
);

CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    -- Exactly one purchase order per accepted quote version.
    quote_id BIGINT NOT NULL UNIQUE REFERENCES quotes (id),
    quote_number TEXT NOT NULL,
    quote_version BIGINT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'validated', 'cancelled')),
    cancel_reason TEXT,
    total_excl_vat TEXT NOT NULL,
    total_vat TEXT NOT NULL,
    total_incl_vat TEXT NOT NULL,
    created_at TEXT NOT NULL,
    validated_at TEXT
);
CREATE INDEX purchase_orders_client ON purchase_orders (client_id);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    purchase_order_id BIGINT NOT NULL UNIQUE REFERENCES purchase_orders (id),
    client_id BIGINT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('registered', 'in_progress', 'delivered', 'cancelled')),
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX orders_client ON orders (client_id);

CREATE TABLE stages (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    position BIGINT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'planned', 'done')),
    planned_date TEXT,
    assignee TEXT,
    notes TEXT,
    done_at TEXT,
    UNIQUE (order_id, position)
);

CREATE TABLE deliverables (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX deliverables_order ON deliverables (order_id);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    client_id BIGINT NOT NULL REFERENCES clients (id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'partially_paid', 'paid', 'cancelled')),
    issue_date TEXT NOT NULL,
    service_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    payment_reference TEXT NOT NULL,
    total_excl_vat TEXT NOT NULL,
    total_vat TEXT NOT NULL,
    total_incl_vat TEXT NOT NULL,
    amount_paid TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX invoices_client ON invoices (client_id);
-- At most one invoice in force per order; a credit note cancels one before another is issued.
CREATE UNIQUE INDEX invoices_one_in_force ON invoices (order_id) WHERE status <> 'cancelled';

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    method TEXT NOT NULL CHECK (method IN ('transfer', 'cheque')),
    amount TEXT NOT NULL,
    date TEXT NOT NULL,
    reference TEXT,
    cheque_number TEXT,
    bank TEXT,
    deposit_date TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id);

CREATE TABLE credit_notes (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    client_id BIGINT NOT NULL REFERENCES clients (id),
    reason TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    total_excl_vat TEXT NOT NULL,
    total_vat TEXT NOT NULL,
    total_incl_vat TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    thread_kind TEXT NOT NULL CHECK (thread_kind IN ('quote', 'order')),
    thread_id BIGINT NOT NULL,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    author_user_id BIGINT REFERENCES users (id),
    author_name TEXT NOT NULL,
    from_staff BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_kind, thread_id);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_kind, entity_id);

-- Notifications queued in the transaction of the change they report; a worker sends them.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_pending ON outbox (status, id);

CREATE TABLE idempotency_keys (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner, key)
);

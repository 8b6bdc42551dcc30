-- The French e-invoicing reform beyond invoices: a payment's 212 Encaissée status (CDAR) and
-- the e-reporting reports (FRR) go to the approved platform through the same queue as invoices,
-- written when queued (so a retry sends the same bytes); each invoice's lifecycle statuses
-- (200 Déposée, 213 Rejetée, 212 Encaissée…) are kept; e-reporting reports are recorded once
-- per period. SQLite cannot change a CHECK constraint: the queue's table is rebuilt.
CREATE TABLE platform_flows_new (
    id INTEGER PRIMARY KEY,
    document_kind TEXT NOT NULL CHECK (document_kind IN ('invoice', 'credit_note', 'payment', 'ereport')),
    document_id BIGINT NOT NULL,
    tracking_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'submitted', 'deposited', 'rejected', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    flow_id TEXT,
    reason TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    flow_syntax TEXT NOT NULL DEFAULT 'Factur-X' CHECK (flow_syntax IN ('Factur-X', 'CDAR', 'FRR')),
    processing_rule TEXT NOT NULL DEFAULT 'B2B' CHECK (processing_rule IN ('B2B', 'B2C')),
    file_name TEXT,
    payload TEXT,
    UNIQUE (document_kind, document_id)
);
INSERT INTO platform_flows_new (id, document_kind, document_id, tracking_id, status, attempts, next_attempt_at,
    locked_until, flow_id, reason, last_error, created_at, updated_at)
SELECT id, document_kind, document_id, tracking_id, status, attempts, next_attempt_at, locked_until, flow_id,
    reason, last_error, created_at, updated_at FROM platform_flows;
DROP TABLE platform_flows;
ALTER TABLE platform_flows_new RENAME TO platform_flows;
CREATE INDEX platform_flows_due ON platform_flows (status, next_attempt_at);
CREATE INDEX platform_flows_unaccepted ON platform_flows (id) WHERE status <> 'deposited';

CREATE TABLE lifecycle_statuses (
    id INTEGER PRIMARY KEY,
    document_kind TEXT NOT NULL CHECK (document_kind IN ('invoice', 'credit_note')),
    document_id BIGINT NOT NULL,
    code BIGINT NOT NULL,
    reason TEXT,
    source TEXT NOT NULL CHECK (source IN ('platform', 'studio', 'buyer')),
    at TEXT NOT NULL,
    -- 212 Encaissée: the amount received.
    amount TEXT,
    -- A received message's flow: recorded once per document, however often it is read.
    message_id TEXT
);
CREATE INDEX lifecycle_statuses_document ON lifecycle_statuses (document_kind, document_id, id);
CREATE UNIQUE INDEX lifecycle_statuses_message ON lifecycle_statuses (message_id, document_kind, document_id);

CREATE TABLE ereports (
    id INTEGER PRIMARY KEY,
    report TEXT NOT NULL CHECK (report IN ('sales', 'payments')),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    days BIGINT NOT NULL,
    total TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (report, period_start)
);

-- What each e-reporting report covered, so that a payment recorded late (dated back) or a
-- document committed after its period's report is reported with the next one, never twice.
ALTER TABLE invoices ADD COLUMN ereport_id BIGINT;
ALTER TABLE credit_notes ADD COLUMN ereport_id BIGINT;
ALTER TABLE payments ADD COLUMN ereport_id BIGINT;

-- The acknowledgements already read become the start of their documents' lifecycles.
INSERT INTO lifecycle_statuses (document_kind, document_id, code, reason, source, at)
SELECT document_kind, document_id, CASE status WHEN 'deposited' THEN 200 ELSE 213 END, reason, 'platform', updated_at
FROM platform_flows WHERE status IN ('deposited', 'rejected') AND document_kind IN ('invoice', 'credit_note');

-- Invoices and credit notes to French companies, transmitted to the studio's approved platform
-- (PA) through the AFNOR XP Z12-013 Flow Service: queued in the transaction that issues them
-- (tracked by their number), sent by a worker (retried with backoff, parked after repeated
-- failures), then followed through the platform's acknowledgement (déposée / rejetée).
CREATE TABLE platform_flows (
    id INTEGER PRIMARY KEY,
    document_kind TEXT NOT NULL CHECK (document_kind IN ('invoice', 'credit_note')),
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
    UNIQUE (document_kind, document_id)
);
CREATE INDEX platform_flows_due ON platform_flows (status, next_attempt_at);

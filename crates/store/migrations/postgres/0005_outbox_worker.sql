-- The email worker leases the rows it is sending (another worker or instance skips them until
-- the lease ends: after a crash they are sent again, with the same Message-ID).
ALTER TABLE outbox ADD COLUMN locked_until TEXT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
-- Time-based notifications (quote about to expire, invoice overdue) are queued once per step.
CREATE TABLE reminders (
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    step TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id, step)
);

-- Single-use login links: magic links (15 minutes) and password resets. Only the token's
-- SHA-256 is stored.
CREATE TABLE login_links (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('magic_link', 'password_reset')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);

-- Notification preferences of a client (JSON), editable in the portal.
ALTER TABLE clients ADD COLUMN notify_email BIGINT NOT NULL DEFAULT 1;

-- Files attached to a quote request (plans, photos), kept in the file store.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES quote_requests (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_request ON attachments (request_id);

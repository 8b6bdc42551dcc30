-- The team's contact log on an order ("called the client about the shoot date").
CREATE TABLE contact_log (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contact_log_order ON contact_log (order_id);

-- Optional second factor for staff: a TOTP secret (base32), and logins waiting for their code.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
CREATE TABLE totp_pending (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL
);

-- Read receipts: when the other side (team or client) has seen a message.
ALTER TABLE messages ADD COLUMN read_at TEXT;

-- Sign-ups waiting for their address to be confirmed: nothing (client, login, request) is
-- created until the emailed link is opened, so a sign-up is answered the same whether or not
-- the address has an account. `details` is the sign-up as sent (JSON: the client, the request
-- and its stored attachments). Forgotten, with their files, a day after they end.
CREATE TABLE pending_signups (
    token_sha256 TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    details TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX pending_signups_expiry ON pending_signups (expires_at);

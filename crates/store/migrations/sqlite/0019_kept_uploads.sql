-- Files accepted with a form refused for another reason (a request, a sign-up), kept so the
-- client need not send them again: the form carries them back as a signed token. A request
-- that takes them deletes their row; a day later the rest are forgotten and their files removed.
CREATE TABLE kept_uploads (
    storage_key TEXT PRIMARY KEY,
    kept_at TEXT NOT NULL
);
CREATE INDEX kept_uploads_kept_at ON kept_uploads (kept_at);

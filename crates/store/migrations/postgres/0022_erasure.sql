-- Erasure (GDPR art. 17). An audit event's personal data (who acted, by email; addresses, user
-- agents, names, comments) lives in its personal part, JSON; the hash chain covers the part's
-- salted digest, so erasing the part and its salt keeps the chain whole.
ALTER TABLE audit_events ADD COLUMN personal TEXT;
ALTER TABLE audit_events ADD COLUMN personal_salt TEXT;
ALTER TABLE audit_events ADD COLUMN personal_digest TEXT;

-- A client asks for its data to be erased (Mon Compte); staff confirm, and it is erased.
ALTER TABLE clients ADD COLUMN erasure_requested_at TEXT;
ALTER TABLE clients ADD COLUMN erased_at TEXT;

-- Files to remove from the file store, written in the transaction that lets them go (an
-- erasure): removed after it commits, and again by the hourly job until the store confirms.
CREATE TABLE file_removals (
    storage_key TEXT PRIMARY KEY,
    queued_at TEXT NOT NULL
);

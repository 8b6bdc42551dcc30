-- An acceptance received offline (a signed paper copy or a signed email), recorded by staff:
-- how it came, the day the client signed, who recorded it, and the signed document as
-- received (kept in the file store). An acceptance signed in the portal leaves them empty
-- (channel 'online' is read for NULL).
ALTER TABLE quotes ADD COLUMN accept_channel TEXT CHECK (accept_channel IN ('online', 'paper', 'email'));
ALTER TABLE quotes ADD COLUMN accept_signed_on TEXT;
ALTER TABLE quotes ADD COLUMN accept_recorded_by TEXT;
ALTER TABLE quotes ADD COLUMN accept_evidence_filename TEXT;
ALTER TABLE quotes ADD COLUMN accept_evidence_content_type TEXT;
ALTER TABLE quotes ADD COLUMN accept_evidence_size BIGINT;
ALTER TABLE quotes ADD COLUMN accept_evidence_sha256 TEXT;
ALTER TABLE quotes ADD COLUMN accept_evidence_key TEXT;

-- A stage's plan carries a time (the studio's clock, HH:MM) and a place (for the on-site
-- shoot: the property's address), which the calendar invitation uses.
ALTER TABLE stages ADD COLUMN planned_time TEXT;
ALTER TABLE stages ADD COLUMN place TEXT;
-- The client's contact person at the studio for an order (a staff member): the one who
-- validated its purchase order, until staff choose another.
ALTER TABLE orders ADD COLUMN contact_user_id BIGINT REFERENCES users (id);
-- Notifications that gather into one email while they wait (stages planned one after the
-- other: one digest): the key they gather under, while pending.
ALTER TABLE outbox ADD COLUMN digest_key TEXT;
CREATE INDEX outbox_digest ON outbox (digest_key) WHERE status = 'pending' AND digest_key IS NOT NULL;

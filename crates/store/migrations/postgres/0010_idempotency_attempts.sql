-- An idempotency key is held by one run at a time, as an attempt with a lease: a retry after
-- the lease (the process died, the client hung up) takes the key as the next attempt. The run
-- that commits an effect stores its answer in that same transaction, naming its attempt.
ALTER TABLE idempotency_keys ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1;
ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
-- Old keys are forgotten by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

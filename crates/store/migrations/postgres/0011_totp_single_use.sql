-- A second-factor code is good once: the time step of the last code accepted for the user, so
-- the same code (or an older one still in its window) is refused next time.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- The version of the studio's general terms of sale (CGV) in force when a quote was accepted,
-- kept with the rest of the acceptance's evidence (the versions live in `settings`,
-- under `legal.cgv`).
ALTER TABLE quotes ADD COLUMN accept_terms_version BIGINT;

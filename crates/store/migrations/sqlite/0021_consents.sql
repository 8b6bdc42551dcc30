-- What a client was shown and when (GDPR art. 7 and 13): the privacy policy presented with the
-- sign-up form, by version (published versions never change; 0 is immovr's model as the
-- settings gave it then), in the form's language.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES clients (id),
    kind TEXT NOT NULL CHECK (kind IN ('privacy_policy')),
    version BIGINT NOT NULL,
    language TEXT NOT NULL,
    shown_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX consents_client ON consents (client_id, id);

-- Links to a document sent by email (signed, see immovr-app's `access`): a user's links hold
-- while `link_epoch` is the one they were signed with; "sign out everywhere" and a new
-- password move it on, which voids every link already sent.
ALTER TABLE users ADD COLUMN link_epoch BIGINT NOT NULL DEFAULT 0;
-- A session opened by such a link reaches one document's pages only (`scope`, a path), and
-- remembers when the email carrying the link was queued (kept with an acceptance's evidence).
ALTER TABLE sessions ADD COLUMN scope TEXT;
ALTER TABLE sessions ADD COLUMN link_sent_at TEXT;
-- An acceptance signed in a session opened from the email's link: when that email was queued.
ALTER TABLE quotes ADD COLUMN accept_link_sent_at TEXT;

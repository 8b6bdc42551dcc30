-- A document being rendered is leased (PostgreSQL: another instance waits for that render
-- instead of rendering it too; after a crash the lease ends and it is rendered again).
ALTER TABLE documents ADD COLUMN render_lease_until TEXT;

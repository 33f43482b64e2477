-- Incremental exports. `change_seq` comes from the 'changes' counter, taken inside each write
-- transaction: the counter's row lock (PostgreSQL) or the single writer (SQLite) makes the
-- sequence follow commit order, so a cursor on it never skips a change committed late nor
-- repeats one. Rows written before this migration keep 0 and are ordered by id.
ALTER TABLE tickets ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_by_change ON tickets (change_seq, id);
CREATE INDEX users_by_change ON users (change_seq, id);
CREATE INDEX organizations_by_change ON organizations (change_seq, id);
CREATE INDEX users_by_updated_at ON users (updated_at, id);
CREATE INDEX organizations_by_updated_at ON organizations (updated_at, id);
CREATE INDEX ticket_audits_by_created_at ON ticket_audits (created_at, id);
-- Pages of broad views and searches walk live tickets in time order (see server/src/counts.rs).
CREATE INDEX tickets_by_updated_at ON tickets (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_by_created_at ON tickets (created_at, id) WHERE deleted_at IS NULL;
-- `requester:Ana` finds people by name, ignoring case.
CREATE INDEX users_by_lower_name ON users (LOWER(name));

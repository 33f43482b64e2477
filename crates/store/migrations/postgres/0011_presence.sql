-- Who has a ticket open in the agent workspace, and whether they are typing. A row is kept
-- fresh by the page while it is open (`seen_at`, `typing_at` in milliseconds); rows older than
-- a few seconds mean nobody is there.
CREATE TABLE presence (
    ticket_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    typing_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, user_id)
);

-- One-time password links: an admin makes one for a user (until email delivers them). `id` is
-- the SHA-256 of the link's secret.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_by BIGINT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

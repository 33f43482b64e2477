-- Proactive campaigns: one ticket per customer of a segment. `audience` and `ticket` are the
-- JSON the API took; the recipients are fixed when the campaign is made, each a row whose key
-- (campaign, customer) and whose move from pending to created in the same transaction as the
-- ticket's insert make "one ticket per customer per campaign" a property of the data.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    tag TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    audience TEXT NOT NULL,
    ticket TEXT NOT NULL,
    macro_id BIGINT,
    override_frequency_cap BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    view_id BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    completed_at BIGINT
);

-- `state`: pending, created (with its ticket), skipped or failed (with the reason).
CREATE TABLE campaign_recipients (
    campaign_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    ticket_id BIGINT UNIQUE,
    reason TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX campaign_recipients_by_state ON campaign_recipients (campaign_id, state, user_id);
-- The frequency cap: when a customer last got a campaign ticket.
CREATE INDEX campaign_recipients_by_user ON campaign_recipients (user_id, state, updated_at);

-- Permissions an admin grants an agent beyond the role (`run_campaigns`).
CREATE TABLE user_permissions (
    user_id BIGINT NOT NULL,
    permission TEXT NOT NULL,
    PRIMARY KEY (user_id, permission)
);

-- The least days between two campaign tickets to one customer.
ALTER TABLE account ADD COLUMN campaign_interval_days BIGINT NOT NULL DEFAULT 7;

-- Business rules: triggers, automations and macros in one table (one condition language, one
-- action vocabulary). `conditions` is the JSON {all, any} the API takes, `actions` the JSON
-- [{field, value}]; both are checked on save and compiled when used.
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    position BIGINT NOT NULL DEFAULT 0,
    category_id BIGINT,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    restriction TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rules_by_kind ON rules (kind, position, id);

-- A ticket an automation acted on. The row stays while the ticket keeps matching, so the
-- automation acts once per matching period; a pass removes the rows of tickets that stopped
-- matching. The key makes two servers' passes act once between them.
CREATE TABLE automation_firings (
    rule_id BIGINT NOT NULL,
    ticket_id BIGINT NOT NULL,
    fired_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, ticket_id)
);

-- Where round-robin assignment in a group left off.
CREATE TABLE group_rotations (
    group_id BIGINT PRIMARY KEY,
    last_user_id BIGINT NOT NULL
);

-- Webhooks rules call: a signed request, delivered by a job with retries.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    http_method TEXT NOT NULL,
    request_format TEXT NOT NULL,
    status TEXT NOT NULL,
    signing_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Bumped by every rule write, so servers can keep compiled rules until it moves; `instance`
-- tells databases apart.
CREATE TABLE rules_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    instance TEXT NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO rules_version (id, instance, version) VALUES (1, lower(hex(randomblob(16))), 0);

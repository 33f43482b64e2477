-- Foundation: the account, people, organizations, groups, tickets with their comments and
-- audits, API tokens and background jobs.
-- Column types are the same on both databases (BIGINT, TEXT); flags are BIGINT 0/1 and times
-- are Unix seconds (jobs schedule in milliseconds). A test checks the two schemas match.

CREATE TABLE account (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    locale TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    external_id TEXT UNIQUE,
    details TEXT,
    notes TEXT,
    group_id BIGINT,
    shared_tickets BIGINT NOT NULL DEFAULT 0,
    shared_comments BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organization_domains (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    PRIMARY KEY (organization_id, domain)
);
CREATE INDEX organization_domains_by_domain ON organization_domains (domain);

CREATE TABLE organization_tags (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (organization_id, tag)
);
CREATE INDEX organization_tags_by_tag ON organization_tags (tag);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    default_group_id BIGINT,
    phone TEXT,
    external_id TEXT UNIQUE,
    alias TEXT,
    details TEXT,
    notes TEXT,
    signature TEXT,
    locale TEXT,
    time_zone TEXT,
    verified BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    suspended BIGINT NOT NULL DEFAULT 0,
    shared_phone_number BIGINT NOT NULL DEFAULT 0,
    ticket_restriction TEXT,
    password_hash TEXT,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_by_email ON users (email);
CREATE INDEX users_by_organization ON users (organization_id);
CREATE INDEX users_by_role ON users (role);

CREATE TABLE user_identities (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    verified BIGINT NOT NULL DEFAULT 0,
    is_primary BIGINT NOT NULL DEFAULT 0,
    undeliverable_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);

CREATE TABLE user_tags (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX user_tags_by_tag ON user_tags (tag);

CREATE TABLE organization_memberships (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, organization_id)
);
CREATE INDEX organization_memberships_by_org ON organization_memberships (organization_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_public BIGINT NOT NULL DEFAULT 1,
    is_default BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE group_memberships (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, group_id)
);
CREATE INDEX group_memberships_by_group ON group_memberships (group_id);

-- Ticket ids come from counters ('tickets'), so they stay small, sequential and gap-free
-- even with several servers on one database.
-- On SQLite `id INTEGER PRIMARY KEY` makes the id the rowid (one b-tree, not two).
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    external_id TEXT,
    via_channel TEXT NOT NULL,
    via_source TEXT,
    ticket_type TEXT,
    subject TEXT,
    description TEXT NOT NULL,
    priority TEXT,
    status TEXT NOT NULL,
    recipient TEXT,
    requester_id BIGINT NOT NULL REFERENCES users (id),
    submitter_id BIGINT NOT NULL REFERENCES users (id),
    assignee_id BIGINT REFERENCES users (id),
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    group_id BIGINT REFERENCES groups (id),
    original_group_id BIGINT,
    brand_id BIGINT,
    problem_id BIGINT,
    is_public BIGINT NOT NULL DEFAULT 1,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    generated_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    assigned_at BIGINT,
    solved_at BIGINT,
    requester_updated_at BIGINT,
    assignee_updated_at BIGINT,
    deleted_at BIGINT,
    deleted_by BIGINT
);
CREATE INDEX tickets_by_requester ON tickets (requester_id);
CREATE INDEX tickets_by_assignee ON tickets (assignee_id);
CREATE INDEX tickets_by_organization ON tickets (organization_id);
CREATE INDEX tickets_by_group ON tickets (group_id);
CREATE INDEX tickets_by_status ON tickets (status);
CREATE INDEX tickets_by_external_id ON tickets (external_id);
CREATE INDEX tickets_by_generated_at ON tickets (generated_at);
-- Only deleted tickets are looked up by deletion; live ones are found by id.
CREATE INDEX tickets_by_deleted_at ON tickets (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_by_tag ON ticket_tags (tag);

-- kind: 'collaborator', 'email_cc' or 'follower'.
CREATE TABLE ticket_collaborators (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (ticket_id, user_id, kind)
);

-- An audit is one change to a ticket; its events are a JSON array. The Comment event's body
-- lives in ticket_comments (joined on audit_id) so text is stored once.
CREATE TABLE ticket_audits (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,
    via_channel TEXT NOT NULL,
    via_source TEXT,
    metadata TEXT,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_audits_by_ticket ON ticket_audits (ticket_id, id);

CREATE TABLE ticket_comments (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    audit_id BIGINT NOT NULL REFERENCES ticket_audits (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,
    body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    plain_body TEXT NOT NULL,
    public BIGINT NOT NULL,
    via_channel TEXT NOT NULL,
    metadata TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_comments_by_ticket ON ticket_comments (ticket_id, id);
CREATE INDEX ticket_comments_by_audit ON ticket_comments (audit_id);

-- Background jobs are rows: enqueued in the transaction that causes them, claimed with a
-- lease. Jobs with a public_id are the API's job_statuses.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    public_id TEXT UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    last_error TEXT,
    total BIGINT,
    progress BIGINT,
    message TEXT,
    results TEXT,
    requested_by BIGINT,
    unique_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at_ms);

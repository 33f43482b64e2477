-- Custom ticket statuses: each maps to one category (new, open, pending, hold, solved). Every
-- category has one default status, seeded here; tickets carry the custom status they are in,
-- and `tickets.status` always equals its category (closed tickets keep their solved status).
CREATE TABLE custom_statuses (
    id INTEGER PRIMARY KEY,
    status_category TEXT NOT NULL,
    agent_label TEXT NOT NULL,
    end_user_label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    end_user_description TEXT NOT NULL DEFAULT '',
    active BIGINT NOT NULL DEFAULT 1,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX custom_statuses_by_category ON custom_statuses (status_category);

INSERT INTO custom_statuses (id, status_category, agent_label, end_user_label, description, end_user_description, active, is_default, created_at, updated_at) VALUES
    (1, 'new', 'New', 'Open', 'Ticket is awaiting assignment to an agent', 'We are working on a response for you', 1, 1, 0, 0),
    (2, 'open', 'Open', 'Open', 'Staff is working on the ticket', 'We are working on a response for you', 1, 1, 0, 0),
    (3, 'pending', 'Pending', 'Awaiting your reply', 'Staff is waiting for the requester to reply', 'We are waiting for you to respond', 1, 1, 0, 0),
    (4, 'hold', 'On-hold', 'Open', 'Staff is waiting for a third party', 'We are working on a response for you', 1, 1, 0, 0),
    (5, 'solved', 'Solved', 'Solved', 'The ticket has been solved', 'This request has been solved', 1, 1, 0, 0);

ALTER TABLE tickets ADD COLUMN custom_status_id BIGINT REFERENCES custom_statuses (id);
UPDATE tickets SET custom_status_id = CASE status
    WHEN 'new' THEN 1 WHEN 'open' THEN 2 WHEN 'pending' THEN 3 WHEN 'hold' THEN 4 ELSE 5 END;
CREATE INDEX tickets_by_custom_status ON tickets (custom_status_id);

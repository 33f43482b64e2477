-- Support addresses: mail to any of them opens or continues tickets, routed to its group.
CREATE TABLE recipient_addresses (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    brand_name TEXT,
    group_id BIGINT,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every message that came in, with what became of it and why. `message_id` is unique, so
-- one message that reaches two support addresses makes one ticket; `raw` keeps the original
-- (viewable, and kept for an admin when it could not be parsed).
CREATE TABLE inbound_messages (
    id INTEGER PRIMARY KEY,
    message_id TEXT UNIQUE,
    sender TEXT,
    recipient TEXT,
    subject TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    ticket_id BIGINT,
    -- Outlook's conversation (the first 22 bytes of Thread-Index, in hex).
    thread_key TEXT,
    size BIGINT NOT NULL,
    raw BLOB,
    created_at BIGINT NOT NULL
);
CREATE INDEX inbound_messages_by_ticket ON inbound_messages (ticket_id);
CREATE INDEX inbound_messages_by_thread ON inbound_messages (thread_key);

-- A ticket's reply token: in the Message-ID of the mail we send about it, so a reply that
-- names that id threads to the ticket (a guessed ticket number without the token does not).
CREATE TABLE ticket_mail_tokens (
    ticket_id BIGINT PRIMARY KEY,
    token TEXT NOT NULL
);

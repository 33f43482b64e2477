-- Every automatic mail sent (notifications, acknowledgements), so one address gets at most so
-- many an hour: a customer's auto-responder and ours can never ping-pong for long.
CREATE TABLE mail_log (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_log_by_address ON mail_log (address, created_at);

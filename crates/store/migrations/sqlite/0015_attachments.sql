-- Files on comments: uploaded through the API (pending under an upload token until a comment
-- takes them) or taken from inbound mail. The bytes live in the database, beside the row,
-- so every server sharing the database serves them; `access_token` is the secret in their
-- content URL. A redacted file keeps its row (deleted = 1) and loses its bytes.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    upload_token TEXT,
    upload_expires_at BIGINT,
    ticket_id BIGINT,
    comment_id BIGINT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    inline BIGINT NOT NULL DEFAULT 0,
    content_id TEXT,
    access_token TEXT NOT NULL UNIQUE,
    deleted BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_by_upload ON attachments (upload_token);
CREATE INDEX attachments_by_comment ON attachments (comment_id);

CREATE TABLE attachment_contents (
    attachment_id BIGINT PRIMARY KEY,
    content BLOB NOT NULL
);

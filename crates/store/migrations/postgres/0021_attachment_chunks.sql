-- A file's bytes in rows of at most 1 MiB (`seq` from 0), so no file is ever held whole in
-- memory to be stored or sent.
CREATE TABLE attachment_chunks (
    attachment_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
INSERT INTO attachment_chunks (attachment_id, seq, content) SELECT attachment_id, 0, content FROM attachment_contents;
DROP TABLE attachment_contents;

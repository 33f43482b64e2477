-- Users' and organizations' search documents get their own table, so a free-text search of
-- people does not walk the index entries of every ticket and comment (and the reverse).
CREATE TABLE people_documents (
    rowid BIGINT PRIMARY KEY,
    record_kind TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX people_documents_body ON people_documents USING gin (body gin_trgm_ops);
CREATE INDEX people_documents_record ON people_documents (record_kind, record_id);
INSERT INTO people_documents (rowid, record_kind, record_id, section, body)
    SELECT rowid, record_kind, record_id, section, body FROM search_documents
    WHERE record_kind IN ('user', 'organization');
DELETE FROM search_documents WHERE record_kind IN ('user', 'organization');

-- Users' and organizations' search documents get their own table, so a free-text search of
-- people does not walk the index entries of every ticket and comment (and the reverse).
CREATE VIRTUAL TABLE people_documents USING fts5(
    record_kind UNINDEXED,
    record_id UNINDEXED,
    section UNINDEXED,
    body,
    tokenize = 'trigram',
    detail = none,
    columnsize = 0
);
INSERT INTO people_documents (rowid, record_kind, record_id, section, body)
    SELECT rowid, record_kind, record_id, section, body FROM search_documents
    WHERE record_kind IN ('user', 'organization');
DELETE FROM search_documents WHERE record_kind IN ('user', 'organization');

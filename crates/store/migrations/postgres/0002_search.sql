-- Free-text search, current in the same transaction as every write. Each searchable piece (a
-- ticket's subject, each comment, a user, an organization) is one document whose body the
-- server has already lowercased and stripped of accents; queries match it with LIKE '%…%'.
-- SQLite keeps it in an FTS5 table with the trigram tokenizer, which answers LIKE from its
-- index; PostgreSQL in a table with a pg_trgm GIN index. The same statements serve both.
-- rowid: ticket id * 4 (subject), comment id * 4 + 1, user id * 4 + 2, organization id * 4 + 3.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE search_documents (
    rowid BIGINT PRIMARY KEY,
    record_kind TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX search_documents_body ON search_documents USING gin (body gin_trgm_ops);
CREATE INDEX search_documents_record ON search_documents (record_kind, record_id);

-- Free-text search, current in the same transaction as every write. Each searchable piece (a
-- ticket's subject, each comment, a user, an organization) is one document whose body the
-- server has already lowercased and stripped of accents; queries match it with LIKE '%…%'.
-- SQLite keeps it in an FTS5 table with the trigram tokenizer, which answers LIKE from its
-- index; PostgreSQL in a table with a pg_trgm GIN index. The same statements serve both.
-- rowid: ticket id * 4 (subject), comment id * 4 + 1, user id * 4 + 2, organization id * 4 + 3.
CREATE VIRTUAL TABLE search_documents USING fts5(
    record_kind UNINDEXED,
    record_id UNINDEXED,
    section UNINDEXED,
    body,
    tokenize = 'trigram',
    -- LIKE re-reads the text to confirm a match, so no positions or sizes need keeping:
    -- a smaller index and cheaper writes.
    detail = none,
    columnsize = 0
);

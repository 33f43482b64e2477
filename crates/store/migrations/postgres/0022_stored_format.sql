-- The format of each record's stored JSON (rule conditions, actions and restrictions; view
-- definitions and restrictions; audit events; campaign audiences and templates; job payloads
-- and results). A version of Frontdesk reads the formats it knows (store::stored::FORMAT) and
-- reports any other, or JSON that does not parse, as unreadable: never as an empty default.
ALTER TABLE rules ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE views ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE ticket_audits ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN format BIGINT NOT NULL DEFAULT 1;

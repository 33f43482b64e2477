-- Custom fields on tickets, users and organizations (record_kind). A drop-down's or
-- multi-select's choices are a JSON array of {id, name, value, position} in `options`.
CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY,
    record_kind TEXT NOT NULL,
    field_type TEXT NOT NULL,
    field_key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    agent_description TEXT,
    title_in_portal TEXT,
    position BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    required BIGINT NOT NULL DEFAULT 0,
    visible_in_portal BIGINT NOT NULL DEFAULT 0,
    editable_in_portal BIGINT NOT NULL DEFAULT 0,
    required_in_portal BIGINT NOT NULL DEFAULT 0,
    regexp_for_validation TEXT,
    tag TEXT,
    options TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (record_kind, field_key)
);

-- A record's value for a field: one row, or one per choice of a multi-select. `value` is the
-- canonical text, `search_key` the same normalised for search, `number` the numeric value of
-- integer, decimal and checkbox fields. record_id is a ticket, user or organization id, as the
-- field's record_kind says.
CREATE TABLE custom_field_values (
    field_id BIGINT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    record_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    search_key TEXT NOT NULL,
    number DOUBLE PRECISION,
    PRIMARY KEY (field_id, record_id, value)
);
CREATE INDEX custom_field_values_by_record ON custom_field_values (record_id);
CREATE INDEX custom_field_values_by_key ON custom_field_values (field_id, search_key);
CREATE INDEX custom_field_values_by_number ON custom_field_values (field_id, number);

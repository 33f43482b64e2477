-- Views: saved ticket queues. `conditions` is the JSON {all, any} the API takes (compiled
-- through the search language on every read, so a view is never stale), `output` the JSON
-- {columns, group_by, group_order, sort_by, sort_order}, `restriction` null (everyone) or
-- JSON {type: User|Group, id}.
CREATE TABLE views (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    position BIGINT NOT NULL DEFAULT 0,
    conditions TEXT NOT NULL,
    output TEXT NOT NULL,
    restriction TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX views_by_position ON views (position, id);

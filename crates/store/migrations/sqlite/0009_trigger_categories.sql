-- Trigger categories: named groups triggers are listed in (a trigger's category_id).
CREATE TABLE trigger_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Web sessions. `id` is the SHA-256 of the cookie's secret (a stolen table holds no usable
-- cookie); `csrf` is the token every form of the session carries.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

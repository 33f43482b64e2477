-- One-time links serve two purposes: setting a password ('reset') and signing in from an
-- emailed link ('sign_in'). `created_at` lets a user be sent only so many links an hour.
ALTER TABLE password_resets ADD COLUMN purpose TEXT NOT NULL DEFAULT 'reset';
ALTER TABLE password_resets ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

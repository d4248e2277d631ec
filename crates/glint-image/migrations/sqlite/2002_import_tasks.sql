-- Interoperable import: staged data and the tasks that import it.
ALTER TABLE images ADD COLUMN staged_size INTEGER;

CREATE TABLE IF NOT EXISTS tasks (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    status     TEXT NOT NULL,
    owner      TEXT,
    image_id   TEXT,
    request_id TEXT,
    user_id    TEXT,
    input      TEXT NOT NULL DEFAULT '{}',
    result     TEXT,
    message    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT
);
CREATE INDEX IF NOT EXISTS tasks_image ON tasks (image_id);

-- PostgreSQL twin of ../sqlite/2002_import_tasks.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Interoperable import: staged data and the tasks that import it.
ALTER TABLE images ADD COLUMN staged_size BIGINT;

CREATE TABLE IF NOT EXISTS tasks (
    id         TEXT COLLATE "C" PRIMARY KEY,
    type       TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    owner      TEXT COLLATE "C",
    image_id   TEXT COLLATE "C",
    request_id TEXT COLLATE "C",
    user_id    TEXT COLLATE "C",
    input      TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    result     TEXT COLLATE "C",
    message    TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS tasks_image ON tasks (image_id);

-- Identity administration: groups, extra attributes, tags, application
-- credentials, unified limits and revocation events.
ALTER TABLE users ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE projects ADD COLUMN is_domain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE roles ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE regions ADD COLUMN parent_region_id TEXT;

CREATE TABLE IF NOT EXISTS project_tags (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE IF NOT EXISTS groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    domain_id   TEXT NOT NULL REFERENCES domains(id),
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS group_members_user ON group_members (user_id);

CREATE TABLE IF NOT EXISTS application_credentials (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id   TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER,
    unrestricted INTEGER NOT NULL DEFAULT 0,
    -- JSON arrays: role ids; access rules objects.
    roles        TEXT NOT NULL,
    access_rules TEXT NOT NULL DEFAULT '[]',
    UNIQUE (user_id, name)
);

CREATE TABLE IF NOT EXISTS registered_limits (
    id            TEXT PRIMARY KEY,
    service_id    TEXT NOT NULL,
    region_id     TEXT,
    resource_name TEXT NOT NULL,
    default_limit INTEGER NOT NULL,
    description   TEXT,
    UNIQUE (service_id, region_id, resource_name)
);

CREATE TABLE IF NOT EXISTS limits (
    id             TEXT PRIMARY KEY,
    project_id     TEXT,
    domain_id      TEXT,
    service_id     TEXT NOT NULL,
    region_id      TEXT,
    resource_name  TEXT NOT NULL,
    resource_limit INTEGER NOT NULL,
    description    TEXT,
    UNIQUE (project_id, domain_id, service_id, region_id, resource_name)
);

-- Tokens of `subject_id` (a user or a project) issued before `issued_before`
-- are invalid: disabling, deleting or changing a password revokes.
CREATE TABLE IF NOT EXISTS revocation_events (
    subject_kind  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    issued_before INTEGER NOT NULL,
    PRIMARY KEY (subject_kind, subject_id)
);

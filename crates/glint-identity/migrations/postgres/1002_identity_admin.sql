-- PostgreSQL twin of ../sqlite/1002_identity_admin.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Identity administration: groups, extra attributes, tags, application
-- credentials, unified limits and revocation events.
ALTER TABLE users ADD COLUMN extra TEXT COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN password_changed_at TEXT COLLATE "C";
ALTER TABLE projects ADD COLUMN is_domain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE roles ADD COLUMN description TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE regions ADD COLUMN parent_region_id TEXT COLLATE "C";

CREATE TABLE IF NOT EXISTS project_tags (
    project_id TEXT COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE IF NOT EXISTS groups (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    domain_id   TEXT COLLATE "C" NOT NULL REFERENCES domains(id),
    description TEXT COLLATE "C" NOT NULL DEFAULT '',
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS group_members_user ON group_members (user_id);

CREATE TABLE IF NOT EXISTS application_credentials (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id   TEXT COLLATE "C" NOT NULL,
    secret_hash  TEXT COLLATE "C" NOT NULL,
    description  TEXT COLLATE "C" NOT NULL DEFAULT '',
    expires_at   BIGINT,
    unrestricted BIGINT NOT NULL DEFAULT 0,
    -- JSON arrays: role ids; access rules objects.
    roles        TEXT COLLATE "C" NOT NULL,
    access_rules TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    UNIQUE (user_id, name)
);

CREATE TABLE IF NOT EXISTS registered_limits (
    id            TEXT COLLATE "C" PRIMARY KEY,
    service_id    TEXT COLLATE "C" NOT NULL,
    region_id     TEXT COLLATE "C",
    resource_name TEXT COLLATE "C" NOT NULL,
    default_limit BIGINT NOT NULL,
    description   TEXT COLLATE "C",
    UNIQUE (service_id, region_id, resource_name)
);

CREATE TABLE IF NOT EXISTS limits (
    id             TEXT COLLATE "C" PRIMARY KEY,
    project_id     TEXT COLLATE "C",
    domain_id      TEXT COLLATE "C",
    service_id     TEXT COLLATE "C" NOT NULL,
    region_id      TEXT COLLATE "C",
    resource_name  TEXT COLLATE "C" NOT NULL,
    resource_limit BIGINT NOT NULL,
    description    TEXT COLLATE "C",
    UNIQUE (project_id, domain_id, service_id, region_id, resource_name)
);

-- Tokens of `subject_id` (a user or a project) issued before `issued_before`
-- are invalid: disabling, deleting or changing a password revokes.
CREATE TABLE IF NOT EXISTS revocation_events (
    subject_kind  TEXT COLLATE "C" NOT NULL,
    subject_id    TEXT COLLATE "C" NOT NULL,
    issued_before BIGINT NOT NULL,
    PRIMARY KEY (subject_kind, subject_id)
);

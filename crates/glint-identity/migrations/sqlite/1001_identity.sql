-- Identity schema. Ids are Keystone-style 32-hex strings except the
-- bootstrap domain, whose id is the literal "default" as in Keystone.
CREATE TABLE IF NOT EXISTS domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    domain_id   TEXT NOT NULL REFERENCES domains(id),
    parent_id   TEXT,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS users (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    domain_id          TEXT NOT NULL REFERENCES domains(id),
    password_hash      TEXT,
    enabled            INTEGER NOT NULL DEFAULT 1,
    default_project_id TEXT,
    created_at         TEXT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS roles (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS implied_roles (
    prior_role_id   TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    implied_role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

-- target_type is 'project', 'domain' or 'system' (target_id 'all').
CREATE TABLE IF NOT EXISTS role_assignments (
    actor_id    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    role_id     TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (actor_id, target_type, target_id, role_id)
);
CREATE INDEX IF NOT EXISTS role_assignments_target ON role_assignments (target_type, target_id);

CREATE TABLE IF NOT EXISTS regions (
    id          TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS services (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS endpoints (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    interface  TEXT NOT NULL,
    region_id  TEXT REFERENCES regions(id),
    url        TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1
);

-- Revoked token audit ids; rows can be dropped once expires_at has passed.
CREATE TABLE IF NOT EXISTS revoked_audit_ids (
    audit_id   TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

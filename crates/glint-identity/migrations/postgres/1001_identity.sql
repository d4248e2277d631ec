-- PostgreSQL twin of ../sqlite/1001_identity.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Identity schema. Ids are Keystone-style 32-hex strings except the
-- bootstrap domain, whose id is the literal "default" as in Keystone.
CREATE TABLE IF NOT EXISTS domains (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    description TEXT COLLATE "C" NOT NULL DEFAULT '',
    enabled     BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS projects (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    domain_id   TEXT COLLATE "C" NOT NULL REFERENCES domains(id),
    parent_id   TEXT COLLATE "C",
    description TEXT COLLATE "C" NOT NULL DEFAULT '',
    enabled     BIGINT NOT NULL DEFAULT 1,
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS users (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    name               TEXT COLLATE "C" NOT NULL,
    domain_id          TEXT COLLATE "C" NOT NULL REFERENCES domains(id),
    password_hash      TEXT COLLATE "C",
    enabled            BIGINT NOT NULL DEFAULT 1,
    default_project_id TEXT COLLATE "C",
    created_at         TEXT COLLATE "C" NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE IF NOT EXISTS roles (
    id   TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS implied_roles (
    prior_role_id   TEXT COLLATE "C" NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    implied_role_id TEXT COLLATE "C" NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

-- target_type is 'project', 'domain' or 'system' (target_id 'all').
CREATE TABLE IF NOT EXISTS role_assignments (
    actor_id    TEXT COLLATE "C" NOT NULL,
    target_type TEXT COLLATE "C" NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    role_id     TEXT COLLATE "C" NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (actor_id, target_type, target_id, role_id)
);
CREATE INDEX IF NOT EXISTS role_assignments_target ON role_assignments (target_type, target_id);

CREATE TABLE IF NOT EXISTS regions (
    id          TEXT COLLATE "C" PRIMARY KEY,
    description TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS services (
    id          TEXT COLLATE "C" PRIMARY KEY,
    type        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL DEFAULT '',
    enabled     BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS endpoints (
    id         TEXT COLLATE "C" PRIMARY KEY,
    service_id TEXT COLLATE "C" NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    interface  TEXT COLLATE "C" NOT NULL,
    region_id  TEXT COLLATE "C" REFERENCES regions(id),
    url        TEXT COLLATE "C" NOT NULL,
    enabled    BIGINT NOT NULL DEFAULT 1
);

-- Revoked token audit ids; rows can be dropped once expires_at has passed.
CREATE TABLE IF NOT EXISTS revoked_audit_ids (
    audit_id   TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

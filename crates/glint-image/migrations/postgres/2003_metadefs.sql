-- PostgreSQL twin of ../sqlite/2003_metadefs.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Metadata definitions catalogue (Glance "metadefs"). Objects, properties
-- and tags keep their JSON documents whole: they are JSON-Schema fragments.
CREATE TABLE IF NOT EXISTS metadef_namespaces (
    namespace    TEXT COLLATE "C" PRIMARY KEY,
    display_name TEXT COLLATE "C",
    description  TEXT COLLATE "C",
    visibility   TEXT COLLATE "C" NOT NULL DEFAULT 'private',
    protected    BIGINT NOT NULL DEFAULT 0,
    owner        TEXT COLLATE "C",
    created_at   TEXT COLLATE "C" NOT NULL,
    updated_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS metadef_resource_types (
    name       TEXT COLLATE "C" PRIMARY KEY,
    protected  BIGINT NOT NULL DEFAULT 1,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS metadef_namespace_resource_types (
    namespace         TEXT COLLATE "C" NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    resource_type     TEXT COLLATE "C" NOT NULL REFERENCES metadef_resource_types(name),
    prefix            TEXT COLLATE "C",
    properties_target TEXT COLLATE "C",
    created_at        TEXT COLLATE "C" NOT NULL,
    updated_at        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (namespace, resource_type)
);

-- kind is 'object', 'property' or 'tag'; body is the JSON document.
CREATE TABLE IF NOT EXISTS metadef_items (
    namespace  TEXT COLLATE "C" NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    kind       TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    body       TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (namespace, kind, name)
);

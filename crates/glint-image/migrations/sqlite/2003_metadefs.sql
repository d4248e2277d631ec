-- Metadata definitions catalogue (Glance "metadefs"). Objects, properties
-- and tags keep their JSON documents whole: they are JSON-Schema fragments.
CREATE TABLE IF NOT EXISTS metadef_namespaces (
    namespace    TEXT PRIMARY KEY,
    display_name TEXT,
    description  TEXT,
    visibility   TEXT NOT NULL DEFAULT 'private',
    protected    INTEGER NOT NULL DEFAULT 0,
    owner        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS metadef_resource_types (
    name       TEXT PRIMARY KEY,
    protected  INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS metadef_namespace_resource_types (
    namespace         TEXT NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    resource_type     TEXT NOT NULL REFERENCES metadef_resource_types(name),
    prefix            TEXT,
    properties_target TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_type)
);

-- kind is 'object', 'property' or 'tag'; body is the JSON document.
CREATE TABLE IF NOT EXISTS metadef_items (
    namespace  TEXT NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, kind, name)
);

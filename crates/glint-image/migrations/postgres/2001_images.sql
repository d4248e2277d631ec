-- PostgreSQL twin of ../sqlite/2001_images.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Image schema. Timestamps are RFC 3339 UTC strings with seconds, which sort
-- the same as the instants they name.
CREATE TABLE IF NOT EXISTS images (
    id               TEXT COLLATE "C" PRIMARY KEY,
    name             TEXT COLLATE "C",
    status           TEXT COLLATE "C" NOT NULL,
    visibility       TEXT COLLATE "C" NOT NULL,
    disk_format      TEXT COLLATE "C",
    container_format TEXT COLLATE "C",
    size             BIGINT,
    virtual_size     BIGINT,
    checksum         TEXT COLLATE "C",
    os_hash_algo     TEXT COLLATE "C",
    os_hash_value    TEXT COLLATE "C",
    protected        BIGINT NOT NULL DEFAULT 0,
    os_hidden        BIGINT NOT NULL DEFAULT 0,
    min_disk         BIGINT NOT NULL DEFAULT 0,
    min_ram          BIGINT NOT NULL DEFAULT 0,
    owner            TEXT COLLATE "C",
    created_at       TEXT COLLATE "C" NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL,
    store_id         TEXT COLLATE "C",
    location         TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS images_name ON images (name);
CREATE INDEX IF NOT EXISTS images_owner ON images (owner);
CREATE INDEX IF NOT EXISTS images_created ON images (created_at, id);
CREATE INDEX IF NOT EXISTS images_status ON images (status);

CREATE TABLE IF NOT EXISTS image_properties (
    image_id TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    name     TEXT COLLATE "C" NOT NULL,
    value    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, name)
);

CREATE TABLE IF NOT EXISTS image_tags (
    image_id TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    value    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, value)
);
CREATE INDEX IF NOT EXISTS image_tags_value ON image_tags (value);

CREATE TABLE IF NOT EXISTS image_members (
    image_id   TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    member     TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE INDEX IF NOT EXISTS image_members_member ON image_members (member);

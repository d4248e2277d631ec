-- PostgreSQL twin of ../sqlite/2004_image_locations.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Several stores can hold copies of one image (multi-store, copy-image).
CREATE TABLE IF NOT EXISTS image_locations (
    image_id TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    store_id TEXT COLLATE "C" NOT NULL,
    location TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, store_id)
);
CREATE INDEX IF NOT EXISTS image_locations_store ON image_locations (store_id);
INSERT INTO image_locations (image_id, store_id, location)
    SELECT id, store_id, location FROM images WHERE location IS NOT NULL AND store_id IS NOT NULL
    ON CONFLICT DO NOTHING;
-- The columns stay (as in the SQLite schema) but are no longer used.
UPDATE images SET store_id = NULL, location = NULL;

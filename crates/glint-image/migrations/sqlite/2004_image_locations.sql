-- Several stores can hold copies of one image (multi-store, copy-image).
CREATE TABLE IF NOT EXISTS image_locations (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    store_id TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (image_id, store_id)
);
CREATE INDEX IF NOT EXISTS image_locations_store ON image_locations (store_id);
INSERT OR IGNORE INTO image_locations (image_id, store_id, location)
    SELECT id, store_id, location FROM images WHERE location IS NOT NULL AND store_id IS NOT NULL;
-- The columns stay (SQLite keeps them) but are no longer used.
UPDATE images SET store_id = NULL, location = NULL;

-- PostgreSQL twin of ../sqlite/2006_usage_index.sql.
-- Usage (quotas) per owner from one covering index: `copies` is how many
-- stores hold the image, kept with its locations.
ALTER TABLE images ADD COLUMN copies BIGINT NOT NULL DEFAULT 0;
UPDATE images SET copies = (SELECT COUNT(*) FROM image_locations l WHERE l.image_id = images.id);
CREATE INDEX IF NOT EXISTS images_owner_usage ON images (owner, status, size, staged_size, copies);

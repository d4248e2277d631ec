-- Glance lists resource types, a namespace's associations and its objects in
-- the order they were created, and its tags newest first; `position` keeps
-- that order (rows from before this migration keep 0 and fall back to names).
ALTER TABLE metadef_resource_types ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE metadef_namespace_resource_types ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE metadef_items ADD COLUMN position BIGINT NOT NULL DEFAULT 0;

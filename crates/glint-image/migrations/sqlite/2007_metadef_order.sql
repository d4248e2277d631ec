-- Glance lists resource types and a namespace's associations in the order they
-- were created, and its tags newest first; `position` keeps that order (rows from
-- before this migration keep 0 and fall back to names).
ALTER TABLE metadef_resource_types ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metadef_namespace_resource_types ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metadef_items ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

-- `updated_at` is now shown only where it was set ('' = never); rows from before
-- showed it only when it differed from `created_at`, so keep them that way.
UPDATE metadef_namespaces SET updated_at = '' WHERE updated_at = created_at;
UPDATE metadef_namespace_resource_types SET updated_at = '' WHERE updated_at = created_at;
UPDATE metadef_items SET updated_at = '' WHERE updated_at = created_at;

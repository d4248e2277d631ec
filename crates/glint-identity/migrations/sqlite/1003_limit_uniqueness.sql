-- NULLs never collide in UNIQUE constraints, so region-less and
-- domain/project limits need expression indexes to be unique.
CREATE UNIQUE INDEX IF NOT EXISTS registered_limits_unique
    ON registered_limits (service_id, COALESCE(region_id, ''), resource_name);
CREATE UNIQUE INDEX IF NOT EXISTS limits_unique
    ON limits (COALESCE(project_id, ''), COALESCE(domain_id, ''), service_id, COALESCE(region_id, ''), resource_name);

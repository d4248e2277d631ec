-- PostgreSQL twin of ../sqlite/2005_workers.sql.
-- The node doing an image's in-flight work (saving, importing, deleting) or
-- running a task: after a crash only that node recovers it, so nodes sharing
-- one database never reset each other's uploads.
ALTER TABLE images ADD COLUMN worker TEXT COLLATE "C";
ALTER TABLE tasks ADD COLUMN worker TEXT COLLATE "C";

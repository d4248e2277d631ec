-- PostgreSQL twin of ../sqlite/1004_app_cred_unrestricted_given.sql: INTEGER is BIGINT, text compares bytewise (C collation) as in SQLite.
-- Keystone echoes `unrestricted` only when the client sent it (null otherwise).
ALTER TABLE application_credentials ADD COLUMN unrestricted_given BIGINT NOT NULL DEFAULT 0;

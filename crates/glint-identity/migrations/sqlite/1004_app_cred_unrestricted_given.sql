-- Keystone echoes `unrestricted` only when the client sent it (null otherwise).
ALTER TABLE application_credentials ADD COLUMN unrestricted_given INTEGER NOT NULL DEFAULT 0;

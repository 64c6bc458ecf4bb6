-- 005_library_git: library items taken from a git repository.
--
-- An item whose source is 'git' follows source_url at source_ref ('' = the
-- remote's default branch), reading source_path (a file, or a role's
-- directory). source_commit is the commit last read (by the import or the
-- latest sync, changed or not); each version keeps the commit it came from.
-- source_host_key pins an ssh server's key ("SHA256:…") from the import on.
-- A credential that goes leaves the item without one (the next sync then
-- fails with an authentication error when the repository needs one).

ALTER TABLE library_items ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE library_items ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE library_items ADD COLUMN source_path TEXT NOT NULL DEFAULT '';
ALTER TABLE library_items ADD COLUMN source_credential_id BIGINT REFERENCES credentials(id) ON DELETE SET NULL;
ALTER TABLE library_items ADD COLUMN source_commit TEXT NOT NULL DEFAULT '';
ALTER TABLE library_items ADD COLUMN source_host_key TEXT NOT NULL DEFAULT '';
ALTER TABLE library_items ADD COLUMN synced_at BIGINT;
ALTER TABLE library_versions ADD COLUMN source_commit TEXT NOT NULL DEFAULT '';

-- 006_cache_gen: generation counters that tell a cairnd whether what it
-- remembers is still current, on this instance and on every other one
-- sharing the database.
--
-- cache_gen holds one counter per cache:
--   cmdb  every write to a table that a resource list shows (the resources,
--         their link tables, the rows whose names they display) adds one;
--         the list answer cache (src/cmdb/res_cache.c) keeps an answer only
--         while the counter it was built under is the current one;
--   auth  every change to users, roles, their permissions and host groups,
--         and API tokens (created, revoked, expiry, deleted) adds one; the
--         token cache (src/http/authcache.c) drops what it knows then.
-- Triggers do the counting, so every writer is covered (the resource layer,
-- an agent's fact merge, an enrollment, a CSV import) without its code
-- knowing about caches, and the counter moves in the same transaction as
-- the write: a reader that sees the new rows sees the new counter.
--
-- Exceptions, on purpose: an agent report's UPDATE of a host (it moves
-- last_seen_at and the agent's figures, every interval, for every host) does
-- not count unless it changes the agent version or interval; what it changes
-- may be up to the cache's age limit old (1 s by default). Recognised as an
-- UPDATE that moves last_seen_at: no other writer sets that column. A token's
-- last_used_at does not count either.
--
-- SQLite: row triggers (one writer at a time, no lock order to mind).
-- PostgreSQL: deferred constraint triggers that run at commit and add one at
-- most once per transaction (a transaction-local marker), so the counter's
-- row is the last lock a writer takes: writers queue on it briefly at commit
-- and can never deadlock on it.

CREATE TABLE cache_gen (
    name TEXT PRIMARY KEY,
    gen BIGINT NOT NULL
);
INSERT INTO cache_gen (name, gen) VALUES ('auth', 1), ('cmdb', 1);

-- @sqlite
CREATE TRIGGER asset_types_gen_insert AFTER INSERT ON asset_types BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER asset_types_gen_update AFTER UPDATE ON asset_types BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER asset_types_gen_delete AFTER DELETE ON asset_types BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER asset_statuses_gen_insert AFTER INSERT ON asset_statuses BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER asset_statuses_gen_update AFTER UPDATE ON asset_statuses BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER asset_statuses_gen_delete AFTER DELETE ON asset_statuses BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER owners_gen_insert AFTER INSERT ON owners BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER owners_gen_update AFTER UPDATE ON owners BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER owners_gen_delete AFTER DELETE ON owners BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER idcs_gen_insert AFTER INSERT ON idcs BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER idcs_gen_update AFTER UPDATE ON idcs BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER idcs_gen_delete AFTER DELETE ON idcs BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER cabinets_gen_insert AFTER INSERT ON cabinets BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER cabinets_gen_update AFTER UPDATE ON cabinets BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER cabinets_gen_delete AFTER DELETE ON cabinets BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER credentials_gen_insert AFTER INSERT ON credentials BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER credentials_gen_update AFTER UPDATE ON credentials BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER credentials_gen_delete AFTER DELETE ON credentials BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_groups_gen_insert AFTER INSERT ON host_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_groups_gen_update AFTER UPDATE ON host_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_groups_gen_delete AFTER DELETE ON host_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_group_members_gen_insert AFTER INSERT ON host_group_members BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_group_members_gen_update AFTER UPDATE ON host_group_members BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER host_group_members_gen_delete AFTER DELETE ON host_group_members BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER products_gen_insert AFTER INSERT ON products BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER products_gen_update AFTER UPDATE ON products BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER products_gen_delete AFTER DELETE ON products BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER projects_gen_insert AFTER INSERT ON projects BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER projects_gen_update AFTER UPDATE ON projects BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER projects_gen_delete AFTER DELETE ON projects BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER project_hosts_gen_insert AFTER INSERT ON project_hosts BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER project_hosts_gen_update AFTER UPDATE ON project_hosts BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER project_hosts_gen_delete AFTER DELETE ON project_hosts BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER regions_gen_insert AFTER INSERT ON regions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER regions_gen_update AFTER UPDATE ON regions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER regions_gen_delete AFTER DELETE ON regions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER branches_gen_insert AFTER INSERT ON branches BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER branches_gen_update AFTER UPDATE ON branches BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER branches_gen_delete AFTER DELETE ON branches BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER resources_gen_insert AFTER INSERT ON resources BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER resources_gen_update AFTER UPDATE ON resources BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER resources_gen_delete AFTER DELETE ON resources BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER nav_links_gen_insert AFTER INSERT ON nav_links BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER nav_links_gen_update AFTER UPDATE ON nav_links BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER nav_links_gen_delete AFTER DELETE ON nav_links BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER hosts_gen_insert AFTER INSERT ON hosts BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER hosts_gen_delete AFTER DELETE ON hosts BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER hosts_gen_update AFTER UPDATE ON hosts
WHEN new.last_seen_at IS old.last_seen_at OR new.agent_version IS NOT old.agent_version
     OR new.agent_interval IS NOT old.agent_interval
BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'cmdb'; END;
CREATE TRIGGER users_gen_insert AFTER INSERT ON users BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER users_gen_update AFTER UPDATE ON users BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER users_gen_delete AFTER DELETE ON users BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER roles_gen_insert AFTER INSERT ON roles BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER roles_gen_update AFTER UPDATE ON roles BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER roles_gen_delete AFTER DELETE ON roles BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_permissions_gen_insert AFTER INSERT ON role_permissions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_permissions_gen_update AFTER UPDATE ON role_permissions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_permissions_gen_delete AFTER DELETE ON role_permissions BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_groups_gen_insert AFTER INSERT ON role_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_groups_gen_update AFTER UPDATE ON role_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER role_groups_gen_delete AFTER DELETE ON role_groups BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER api_tokens_gen_insert AFTER INSERT ON api_tokens BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER api_tokens_gen_delete AFTER DELETE ON api_tokens BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;
CREATE TRIGGER api_tokens_gen_update AFTER UPDATE OF user_id, token_hash, expires_at, revoked_at ON api_tokens
BEGIN UPDATE cache_gen SET gen = gen + 1 WHERE name = 'auth'; END;

-- @postgresql
CREATE FUNCTION cache_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('cairn.gen_' || TG_ARGV[0], true) IS DISTINCT FROM txid_current()::text THEN
        UPDATE cache_gen SET gen = gen + 1 WHERE name = TG_ARGV[0];
        PERFORM set_config('cairn.gen_' || TG_ARGV[0], txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER asset_types_gen AFTER INSERT OR UPDATE OR DELETE ON asset_types DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER asset_statuses_gen AFTER INSERT OR UPDATE OR DELETE ON asset_statuses DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER owners_gen AFTER INSERT OR UPDATE OR DELETE ON owners DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER idcs_gen AFTER INSERT OR UPDATE OR DELETE ON idcs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER cabinets_gen AFTER INSERT OR UPDATE OR DELETE ON cabinets DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER credentials_gen AFTER INSERT OR UPDATE OR DELETE ON credentials DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER host_groups_gen AFTER INSERT OR UPDATE OR DELETE ON host_groups DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER host_group_members_gen AFTER INSERT OR UPDATE OR DELETE ON host_group_members DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER products_gen AFTER INSERT OR UPDATE OR DELETE ON products DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER projects_gen AFTER INSERT OR UPDATE OR DELETE ON projects DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER project_hosts_gen AFTER INSERT OR UPDATE OR DELETE ON project_hosts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER regions_gen AFTER INSERT OR UPDATE OR DELETE ON regions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER branches_gen AFTER INSERT OR UPDATE OR DELETE ON branches DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER resources_gen AFTER INSERT OR UPDATE OR DELETE ON resources DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER nav_links_gen AFTER INSERT OR UPDATE OR DELETE ON nav_links DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER hosts_gen_write AFTER INSERT OR DELETE ON hosts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER hosts_gen_update AFTER UPDATE ON hosts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (new.last_seen_at IS NOT DISTINCT FROM old.last_seen_at OR new.agent_version IS DISTINCT FROM old.agent_version
      OR new.agent_interval IS DISTINCT FROM old.agent_interval)
EXECUTE FUNCTION cache_gen_bump('cmdb');
CREATE CONSTRAINT TRIGGER users_gen AFTER INSERT OR UPDATE OR DELETE ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');
CREATE CONSTRAINT TRIGGER roles_gen AFTER INSERT OR UPDATE OR DELETE ON roles DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');
CREATE CONSTRAINT TRIGGER role_permissions_gen AFTER INSERT OR UPDATE OR DELETE ON role_permissions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');
CREATE CONSTRAINT TRIGGER role_groups_gen AFTER INSERT OR UPDATE OR DELETE ON role_groups DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');
CREATE CONSTRAINT TRIGGER api_tokens_gen_write AFTER INSERT OR DELETE ON api_tokens DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');
CREATE CONSTRAINT TRIGGER api_tokens_gen_update AFTER UPDATE OF user_id, token_hash, expires_at, revoked_at ON api_tokens DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_gen_bump('auth');

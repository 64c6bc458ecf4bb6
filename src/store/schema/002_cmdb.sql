-- 002_cmdb: the asset inventory and the application register.
--
-- Each table below is described once more, field by field, in
-- src/cmdb/resources.c; that description drives validation, SQL, JSON, CSV
-- and the console. Keep the two in step (tests/unit/test_resource.c checks
-- that every described column exists).
--
-- References: deleting a row that others still reference is refused
-- (RESTRICT) with a message naming what refers to it, except memberships
-- (hosts in groups and cabinets, servers of projects), which simply go away.
-- search_text holds the lower-cased searchable fields of a row, one per
-- line, written by the resource layer; every table is searched through a
-- trigram index on it (the last section). A host's cabinet is in the host's
-- IDC (the resource layer keeps them in step).
-- Lines between "-- @sqlite" / "-- @postgresql" and "-- @all" run only on
-- that backend.

CREATE TABLE asset_types (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO asset_types (code, name_en, name_zh, sort_order, search_text, created_at, updated_at) VALUES
    ('physical', 'Physical server', '物理机', 1, 'physical
physical server
物理机
', 0, 0),
    ('vm', 'Virtual machine', '虚拟机', 2, 'vm
virtual machine
虚拟机
', 0, 0),
    ('container', 'Container', '容器', 3, 'container
container
容器
', 0, 0),
    ('network', 'Network device', '网络设备', 4, 'network
network device
网络设备
', 0, 0),
    ('security', 'Security device', '安全设备', 5, 'security
security device
安全设备
', 0, 0),
    ('other', 'Other', '其他', 6, 'other
other
其他
', 0, 0);

CREATE TABLE asset_statuses (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO asset_statuses (code, name_en, name_zh, sort_order, search_text, created_at, updated_at) VALUES
    ('in_use', 'In use', '使用中', 1, 'in_use
in use
使用中
', 0, 0),
    ('unused', 'Unused', '未使用', 2, 'unused
unused
未使用
', 0, 0),
    ('faulty', 'Faulty', '故障', 3, 'faulty
faulty
故障
', 0, 0),
    ('other', 'Other', '其他', 4, 'other
other
其他
', 0, 0);

CREATE TABLE owners (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    wechat TEXT NOT NULL DEFAULT '',
    qq TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE idcs (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    ip_range TEXT NOT NULL DEFAULT '',
    bandwidth TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE cabinets (
    id @ID@,
    idc_id BIGINT NOT NULL REFERENCES idcs(id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (idc_id, name)
);

CREATE TABLE credentials (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    port BIGINT NOT NULL DEFAULT 22,
    password TEXT,
    private_key TEXT,
    passphrase TEXT,
    memo TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE hosts (
    id @ID@,
    hostname TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL,
    other_ips TEXT NOT NULL DEFAULT '',
    idc_id BIGINT REFERENCES idcs(id) ON DELETE RESTRICT,
    cabinet_id BIGINT REFERENCES cabinets(id) ON DELETE SET NULL,
    asset_no TEXT NOT NULL DEFAULT '',
    asset_type TEXT NOT NULL DEFAULT 'other' REFERENCES asset_types(code) ON UPDATE CASCADE ON DELETE RESTRICT,
    asset_status TEXT NOT NULL DEFAULT 'in_use' REFERENCES asset_statuses(code) ON UPDATE CASCADE ON DELETE RESTRICT,
    os TEXT NOT NULL DEFAULT '',
    kernel TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    sn TEXT NOT NULL DEFAULT '',
    cpu_model TEXT NOT NULL DEFAULT '',
    cpu_count BIGINT,
    memory_mb BIGINT,
    disks TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    racked_at TEXT,
    purchased_at TEXT,
    warranty_end TEXT,
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    credential_id BIGINT REFERENCES credentials(id) ON DELETE RESTRICT,
    ssh_port BIGINT,
    tags TEXT NOT NULL DEFAULT '[]',
    memo TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hosts_ip ON hosts(ip);
CREATE INDEX hosts_idc ON hosts(idc_id);
CREATE INDEX hosts_cabinet ON hosts(cabinet_id);
CREATE INDEX hosts_type ON hosts(asset_type);
CREATE INDEX hosts_status ON hosts(asset_status);
CREATE INDEX hosts_owner ON hosts(owner_id);
CREATE INDEX hosts_credential ON hosts(credential_id);

CREATE TABLE host_group_members (
    group_id BIGINT NOT NULL REFERENCES host_groups(id) ON DELETE CASCADE,
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, host_id)
);
CREATE INDEX host_group_members_host ON host_group_members(host_id);

ALTER TABLE host_groups ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE TABLE products (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'other',
    app_type TEXT NOT NULL DEFAULT 'backend',
    server_type TEXT NOT NULL DEFAULT 'other',
    framework TEXT NOT NULL DEFAULT 'other',
    source_type TEXT NOT NULL DEFAULT 'git',
    source_url TEXT NOT NULL DEFAULT '',
    deploy_path TEXT NOT NULL DEFAULT '',
    config_path TEXT NOT NULL DEFAULT '',
    product_id BIGINT REFERENCES products(id) ON DELETE RESTRICT,
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE project_hosts (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, host_id)
);
CREATE INDEX project_hosts_host ON project_hosts(host_id);

CREATE TABLE regions (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE branches (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    region_id BIGINT REFERENCES regions(id) ON DELETE RESTRICT,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE resources (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    budget TEXT,
    paid TEXT,
    contract_no TEXT NOT NULL DEFAULT '',
    contract_start TEXT,
    contract_end TEXT,
    supplier TEXT NOT NULL DEFAULT '',
    service_phone TEXT NOT NULL DEFAULT '',
    branch_id BIGINT REFERENCES branches(id) ON DELETE RESTRICT,
    owner_id BIGINT REFERENCES owners(id) ON DELETE RESTRICT,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE nav_links (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    icon TEXT NOT NULL DEFAULT '',
    sort_order BIGINT NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Search: a trigram index over search_text of every table, so that any
-- substring of three or more characters (Chinese included) is found without
-- reading every row. SQLite: an FTS5 table <table>_fts (external content,
-- kept in step by triggers) that the list query MATCHes; PostgreSQL: a GIN
-- pg_trgm index that serves the LIKE directly. Shorter queries have no
-- trigram to look up and use LIKE on both.
-- @sqlite
CREATE VIRTUAL TABLE asset_types_fts USING fts5(search_text, content='asset_types', content_rowid='id', tokenize='trigram');
CREATE TRIGGER asset_types_fts_insert AFTER INSERT ON asset_types BEGIN
    INSERT INTO asset_types_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER asset_types_fts_delete AFTER DELETE ON asset_types BEGIN
    INSERT INTO asset_types_fts (asset_types_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER asset_types_fts_update AFTER UPDATE OF search_text ON asset_types BEGIN
    INSERT INTO asset_types_fts (asset_types_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO asset_types_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE asset_statuses_fts USING fts5(search_text, content='asset_statuses', content_rowid='id', tokenize='trigram');
CREATE TRIGGER asset_statuses_fts_insert AFTER INSERT ON asset_statuses BEGIN
    INSERT INTO asset_statuses_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER asset_statuses_fts_delete AFTER DELETE ON asset_statuses BEGIN
    INSERT INTO asset_statuses_fts (asset_statuses_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER asset_statuses_fts_update AFTER UPDATE OF search_text ON asset_statuses BEGIN
    INSERT INTO asset_statuses_fts (asset_statuses_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO asset_statuses_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE owners_fts USING fts5(search_text, content='owners', content_rowid='id', tokenize='trigram');
CREATE TRIGGER owners_fts_insert AFTER INSERT ON owners BEGIN
    INSERT INTO owners_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER owners_fts_delete AFTER DELETE ON owners BEGIN
    INSERT INTO owners_fts (owners_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER owners_fts_update AFTER UPDATE OF search_text ON owners BEGIN
    INSERT INTO owners_fts (owners_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO owners_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE idcs_fts USING fts5(search_text, content='idcs', content_rowid='id', tokenize='trigram');
CREATE TRIGGER idcs_fts_insert AFTER INSERT ON idcs BEGIN
    INSERT INTO idcs_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER idcs_fts_delete AFTER DELETE ON idcs BEGIN
    INSERT INTO idcs_fts (idcs_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER idcs_fts_update AFTER UPDATE OF search_text ON idcs BEGIN
    INSERT INTO idcs_fts (idcs_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO idcs_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE cabinets_fts USING fts5(search_text, content='cabinets', content_rowid='id', tokenize='trigram');
CREATE TRIGGER cabinets_fts_insert AFTER INSERT ON cabinets BEGIN
    INSERT INTO cabinets_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER cabinets_fts_delete AFTER DELETE ON cabinets BEGIN
    INSERT INTO cabinets_fts (cabinets_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER cabinets_fts_update AFTER UPDATE OF search_text ON cabinets BEGIN
    INSERT INTO cabinets_fts (cabinets_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO cabinets_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE credentials_fts USING fts5(search_text, content='credentials', content_rowid='id', tokenize='trigram');
CREATE TRIGGER credentials_fts_insert AFTER INSERT ON credentials BEGIN
    INSERT INTO credentials_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER credentials_fts_delete AFTER DELETE ON credentials BEGIN
    INSERT INTO credentials_fts (credentials_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER credentials_fts_update AFTER UPDATE OF search_text ON credentials BEGIN
    INSERT INTO credentials_fts (credentials_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO credentials_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE hosts_fts USING fts5(search_text, content='hosts', content_rowid='id', tokenize='trigram');
CREATE TRIGGER hosts_fts_insert AFTER INSERT ON hosts BEGIN
    INSERT INTO hosts_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER hosts_fts_delete AFTER DELETE ON hosts BEGIN
    INSERT INTO hosts_fts (hosts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER hosts_fts_update AFTER UPDATE OF search_text ON hosts BEGIN
    INSERT INTO hosts_fts (hosts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO hosts_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE host_groups_fts USING fts5(search_text, content='host_groups', content_rowid='id', tokenize='trigram');
CREATE TRIGGER host_groups_fts_insert AFTER INSERT ON host_groups BEGIN
    INSERT INTO host_groups_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER host_groups_fts_delete AFTER DELETE ON host_groups BEGIN
    INSERT INTO host_groups_fts (host_groups_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER host_groups_fts_update AFTER UPDATE OF search_text ON host_groups BEGIN
    INSERT INTO host_groups_fts (host_groups_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO host_groups_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE products_fts USING fts5(search_text, content='products', content_rowid='id', tokenize='trigram');
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF search_text ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO products_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE projects_fts USING fts5(search_text, content='projects', content_rowid='id', tokenize='trigram');
CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects BEGIN
    INSERT INTO projects_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER projects_fts_delete AFTER DELETE ON projects BEGIN
    INSERT INTO projects_fts (projects_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER projects_fts_update AFTER UPDATE OF search_text ON projects BEGIN
    INSERT INTO projects_fts (projects_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO projects_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE regions_fts USING fts5(search_text, content='regions', content_rowid='id', tokenize='trigram');
CREATE TRIGGER regions_fts_insert AFTER INSERT ON regions BEGIN
    INSERT INTO regions_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER regions_fts_delete AFTER DELETE ON regions BEGIN
    INSERT INTO regions_fts (regions_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER regions_fts_update AFTER UPDATE OF search_text ON regions BEGIN
    INSERT INTO regions_fts (regions_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO regions_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE branches_fts USING fts5(search_text, content='branches', content_rowid='id', tokenize='trigram');
CREATE TRIGGER branches_fts_insert AFTER INSERT ON branches BEGIN
    INSERT INTO branches_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER branches_fts_delete AFTER DELETE ON branches BEGIN
    INSERT INTO branches_fts (branches_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER branches_fts_update AFTER UPDATE OF search_text ON branches BEGIN
    INSERT INTO branches_fts (branches_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO branches_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE resources_fts USING fts5(search_text, content='resources', content_rowid='id', tokenize='trigram');
CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resources_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN
    INSERT INTO resources_fts (resources_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER resources_fts_update AFTER UPDATE OF search_text ON resources BEGIN
    INSERT INTO resources_fts (resources_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO resources_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE VIRTUAL TABLE nav_links_fts USING fts5(search_text, content='nav_links', content_rowid='id', tokenize='trigram');
CREATE TRIGGER nav_links_fts_insert AFTER INSERT ON nav_links BEGIN
    INSERT INTO nav_links_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER nav_links_fts_delete AFTER DELETE ON nav_links BEGIN
    INSERT INTO nav_links_fts (nav_links_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER nav_links_fts_update AFTER UPDATE OF search_text ON nav_links BEGIN
    INSERT INTO nav_links_fts (nav_links_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO nav_links_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
INSERT INTO asset_types_fts (asset_types_fts) VALUES ('rebuild');
INSERT INTO asset_statuses_fts (asset_statuses_fts) VALUES ('rebuild');
-- @postgresql
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX asset_types_search_trgm ON asset_types USING gin (search_text gin_trgm_ops);
CREATE INDEX asset_statuses_search_trgm ON asset_statuses USING gin (search_text gin_trgm_ops);
CREATE INDEX owners_search_trgm ON owners USING gin (search_text gin_trgm_ops);
CREATE INDEX idcs_search_trgm ON idcs USING gin (search_text gin_trgm_ops);
CREATE INDEX cabinets_search_trgm ON cabinets USING gin (search_text gin_trgm_ops);
CREATE INDEX credentials_search_trgm ON credentials USING gin (search_text gin_trgm_ops);
CREATE INDEX hosts_search_trgm ON hosts USING gin (search_text gin_trgm_ops);
CREATE INDEX host_groups_search_trgm ON host_groups USING gin (search_text gin_trgm_ops);
CREATE INDEX products_search_trgm ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX projects_search_trgm ON projects USING gin (search_text gin_trgm_ops);
CREATE INDEX regions_search_trgm ON regions USING gin (search_text gin_trgm_ops);
CREATE INDEX branches_search_trgm ON branches USING gin (search_text gin_trgm_ops);
CREATE INDEX resources_search_trgm ON resources USING gin (search_text gin_trgm_ops);
CREATE INDEX nav_links_search_trgm ON nav_links USING gin (search_text gin_trgm_ops);
-- @all
-- Groups made before this migration get their search text.
UPDATE host_groups SET search_text = lower(name || '
' || description || '
');

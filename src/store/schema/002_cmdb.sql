-- 002_cmdb: the asset inventory and the application register.
--
-- Each table below is described once more, field by field, in
-- src/cmdb/resources.c; that description drives validation, SQL, JSON, CSV
-- and the console. Keep the two in step (tests/unit/test_resource.c checks
-- that every described column exists).
--
-- References: deleting a row that others still reference is refused
-- (RESTRICT) with a message naming what refers to it, except membership
-- links (hosts in groups, servers of projects), which simply go away.
-- search_text holds the lower-cased searchable fields of a row, written by
-- the resource layer; hosts are searched through a trigram index on it.
-- Lines between "-- @sqlite" / "-- @postgresql" and "-- @all" run only on
-- that backend.

CREATE TABLE asset_types (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO asset_types (code, name_en, name_zh, sort_order, created_at, updated_at) VALUES
    ('physical', 'Physical server', '物理机', 1, 0, 0),
    ('vm', 'Virtual machine', '虚拟机', 2, 0, 0),
    ('container', 'Container', '容器', 3, 0, 0),
    ('network', 'Network device', '网络设备', 4, 0, 0),
    ('security', 'Security device', '安全设备', 5, 0, 0),
    ('other', 'Other', '其他', 6, 0, 0);

CREATE TABLE asset_statuses (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO asset_statuses (code, name_en, name_zh, sort_order, created_at, updated_at) VALUES
    ('in_use', 'In use', '使用中', 1, 0, 0),
    ('unused', 'Unused', '未使用', 2, 0, 0),
    ('faulty', 'Faulty', '故障', 3, 0, 0),
    ('other', 'Other', '其他', 4, 0, 0);

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
    cabinet_id BIGINT REFERENCES cabinets(id) ON DELETE RESTRICT,
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

-- Host search: a trigram index over search_text, so that any substring of
-- three or more characters (Chinese included) is found without a scan.
-- @sqlite
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
-- @postgresql
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX hosts_search_trgm ON hosts USING gin (search_text gin_trgm_ops);
-- @all

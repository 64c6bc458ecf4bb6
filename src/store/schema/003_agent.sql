-- 003_agent: agents, their reports, and what they taught us about hosts.
--
-- A host's agent authenticates with its own token (only the SHA-256 is kept).
-- host_facts remembers the last value the agent wrote into each host field,
-- so a field a user later edits by hand (its value no longer equals what the
-- agent wrote) is left alone; host_fact_history keeps every change the agent
-- made ("memory_mb 8192 → 16384"). The latest metrics live on the host row
-- for the dashboard and the online dot; the series live in RRD files.

ALTER TABLE hosts ADD COLUMN machine_id TEXT;
ALTER TABLE hosts ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN agent_interval BIGINT;
ALTER TABLE hosts ADD COLUMN last_seen_at BIGINT;
ALTER TABLE hosts ADD COLUMN last_report_time BIGINT;
ALTER TABLE hosts ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN cpu_pct REAL;
ALTER TABLE hosts ADD COLUMN mem_pct REAL;
ALTER TABLE hosts ADD COLUMN disk_pct REAL;
ALTER TABLE hosts ADD COLUMN load1 REAL;
CREATE UNIQUE INDEX hosts_machine_id ON hosts(machine_id);

CREATE TABLE agent_tokens (
    id @ID@,
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX agent_tokens_host ON agent_tokens(host_id);

CREATE TABLE host_facts (
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (host_id, field)
);

CREATE TABLE host_fact_history (
    id @ID@,
    host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
    ts BIGINT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX host_fact_history_host ON host_fact_history(host_id, ts);

-- The full fact document of the last report, for the host page.
CREATE TABLE host_fact_docs (
    host_id BIGINT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
    facts TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

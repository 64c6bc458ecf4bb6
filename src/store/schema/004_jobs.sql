-- 004_jobs: the library (scripts, playbooks, roles with versions), jobs and
-- their per-host results, host keys, and scheduled tasks.
--
-- jobs is also the durable queue: a job is claimed by setting its status to
-- 'running' with a lease (lease_owner, lease_until) that the owning cairnd
-- renews while it works; a job whose lease ran out belonged to a cairnd that
-- died and is marked 'interrupted'. On PostgreSQL claims use
-- FOR UPDATE SKIP LOCKED so several cairnd share one queue.

CREATE TABLE library_items (
    id @ID@,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    interpreter TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    source_url TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE library_versions (
    id @ID@,
    item_id BIGINT NOT NULL REFERENCES library_items(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, version)
);

CREATE TABLE host_keys (
    host_id BIGINT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    pending_fingerprint TEXT
);

CREATE TABLE tasks (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    spec TEXT NOT NULL,
    schedule TEXT NOT NULL,
    anchor BIGINT NOT NULL,
    created_by_id BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    expires_at BIGINT,
    next_run_at BIGINT,
    last_run_at BIGINT,
    last_job_id BIGINT,
    last_status TEXT NOT NULL DEFAULT '',
    run_count BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_next ON tasks(enabled, next_run_at);

CREATE TABLE jobs (
    id @ID@,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    host_count BIGINT NOT NULL DEFAULT 0,
    ok_count BIGINT NOT NULL DEFAULT 0,
    failed_count BIGINT NOT NULL DEFAULT 0,
    unreachable_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_by_name TEXT NOT NULL DEFAULT '',
    task_id BIGINT REFERENCES tasks(id) ON DELETE SET NULL,
    rerun_of BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX jobs_status ON jobs(status, id);
CREATE INDEX jobs_task ON jobs(task_id);

CREATE TABLE job_results (
    id @ID@,
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    host_id BIGINT,
    hostname TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    exit_code BIGINT,
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    changed BIGINT,
    truncated BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT,
    finished_at BIGINT,
    UNIQUE (job_id, host_id)
);
CREATE INDEX job_results_job ON job_results(job_id);

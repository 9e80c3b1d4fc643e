-- The job queue (see the PostgreSQL migration; SQLite has no row-level security, and a
-- single process claims jobs).

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id        INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('sync', 'derive')),
    integration_id   INTEGER,
    schedule_id      INTEGER,
    state            TEXT NOT NULL CHECK (state IN ('PENDING', 'ACTIVE', 'FINISHED', 'PAUSED', 'FAILED', 'CANCELLED')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_after        TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    pause_requested  INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress         TEXT,
    error            TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (client_id, id),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'sync') = (integration_id IS NOT NULL))
) STRICT;

CREATE INDEX jobs_claimable ON jobs (state, run_after);
CREATE INDEX jobs_by_client ON jobs (client_id, state);

CREATE TABLE job_transitions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  INTEGER NOT NULL,
    job_id     INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    FOREIGN KEY (client_id, job_id) REFERENCES jobs (client_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX job_transitions_by_job ON job_transitions (client_id, job_id, id);

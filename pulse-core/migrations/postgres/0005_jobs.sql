-- The job queue. Jobs belong to clients like every other row, but workers claim them
-- across clients (fairly), so the policy also admits a transaction that declared itself
-- the scheduler (`pulse.scheduler = 'on'`, set only by the queue's own operations).

CREATE TABLE jobs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id        BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('sync', 'derive')),
    integration_id   BIGINT,
    schedule_id      BIGINT,
    state            TEXT NOT NULL CHECK (state IN ('PENDING', 'ACTIVE', 'FINISHED', 'PAUSED', 'FAILED', 'CANCELLED')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    max_attempts     BIGINT NOT NULL,
    run_after        TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    pause_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    progress         JSONB,
    error            TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (client_id, id),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'sync') = (integration_id IS NOT NULL))
);

CREATE INDEX jobs_claimable ON jobs (state, run_after);
CREATE INDEX jobs_by_client ON jobs (client_id, state);

CREATE TABLE job_transitions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id  BIGINT NOT NULL,
    job_id     BIGINT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (client_id, job_id) REFERENCES jobs (client_id, id) ON DELETE CASCADE
);

CREATE INDEX job_transitions_by_job ON job_transitions (client_id, job_id, id);

CREATE FUNCTION pulse_is_scheduler() RETURNS BOOLEAN
    LANGUAGE sql STABLE
    AS $$ SELECT current_setting('pulse.scheduler', true) = 'on' $$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['jobs', 'job_transitions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (client_id = pulse_current_client() OR pulse_is_scheduler()) '
            'WITH CHECK (client_id = pulse_current_client() OR pulse_is_scheduler())', t);
    END LOOP;
END
$$;

-- Due schedules are found across clients by the scheduler too.
DROP POLICY tenant_isolation ON job_schedules;
CREATE POLICY tenant_isolation ON job_schedules
    USING (client_id = pulse_current_client() OR pulse_is_scheduler())
    WITH CHECK (client_id = pulse_current_client() OR pulse_is_scheduler());

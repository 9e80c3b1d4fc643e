-- Derived facts of the metric engine (metric spec §2), per client, and the versions
-- that say whether they are up to date with the data they were derived from.

CREATE TABLE facts_state (
    client_id     BIGINT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    -- Bumped by every transaction that changes data the metrics read.
    data_version  BIGINT NOT NULL DEFAULT 0,
    -- The data_version the stored facts were derived from (-1: never derived).
    facts_version BIGINT NOT NULL DEFAULT -1,
    derived_at    TIMESTAMPTZ
);

CREATE TABLE deployment_facts (
    client_id     BIGINT NOT NULL,
    repo          TEXT NOT NULL,
    id            TEXT NOT NULL,
    sha           TEXT NOT NULL,
    environment   TEXT NOT NULL,
    result        TEXT NOT NULL,
    source        TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    production    BOOLEAN NOT NULL,
    previous      TEXT,
    previous_sha  TEXT,
    attribution   TEXT,
    changes       TEXT[] NOT NULL,
    pull_requests TEXT[] NOT NULL,
    rework        JSONB NOT NULL,
    PRIMARY KEY (client_id, repo, id)
);

CREATE TABLE pr_facts (
    client_id           BIGINT NOT NULL,
    repo                TEXT NOT NULL,
    number              BIGINT NOT NULL,
    author              TEXT NOT NULL,
    title               TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    merged_at           TIMESTAMPTZ NOT NULL,
    size                BIGINT,
    first_commit_sha    TEXT,
    first_commit_at     TIMESTAMPTZ,
    first_review_id     TEXT,
    first_review_at     TIMESTAMPTZ,
    coding              BIGINT,
    pickup              BIGINT,
    review              BIGINT,
    deploy              BIGINT,
    lead_time           BIGINT NOT NULL,
    deployment_repo     TEXT,
    deployment_id       TEXT,
    deployed_at         TIMESTAMPTZ,
    attribution         TEXT,
    reviews             BIGINT NOT NULL,
    approved_first_time BOOLEAN NOT NULL,
    PRIMARY KEY (client_id, repo, number)
);

CREATE TABLE incident_facts (
    client_id              BIGINT NOT NULL,
    id                     TEXT NOT NULL,
    title                  TEXT,
    created_at             TIMESTAMPTZ NOT NULL,
    resolved_at            TIMESTAMPTZ,
    repo                   TEXT,
    project                TEXT,
    deployment_repo        TEXT,
    deployment_id          TEXT,
    deployment_finished_at TIMESTAMPTZ,
    method                 TEXT,
    unmatched_reference    TEXT,
    PRIMARY KEY (client_id, id)
);

CREATE TABLE issue_facts (
    client_id      BIGINT NOT NULL,
    key            TEXT NOT NULL,
    project        TEXT NOT NULL,
    issue_type     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    statuses       JSONB NOT NULL,
    active_seconds BIGINT,
    pull_requests  TEXT[] NOT NULL,
    PRIMARY KEY (client_id, key)
);

-- Incremental derivation looks up pull requests by their merge commit.
CREATE INDEX pull_requests_merge_commit ON pull_requests (client_id, merge_commit_sha);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['facts_state', 'deployment_facts', 'pr_facts', 'incident_facts', 'issue_facts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (client_id = pulse_current_client()) '
            'WITH CHECK (client_id = pulse_current_client())', t);
    END LOOP;
END
$$;

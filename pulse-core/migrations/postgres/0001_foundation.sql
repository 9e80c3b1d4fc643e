-- Pulse foundation schema (PostgreSQL).
-- Every tenant table carries client_id; row-level security keyed on the transaction-local
-- setting `pulse.client_id` backs the application's own filter. The application must
-- connect as an ordinary role: superusers and BYPASSRLS roles skip these policies.

CREATE TABLE clients (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    logo_url      TEXT,
    primary_color TEXT,
    accent_color  TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
    password_hash TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, email)
);

CREATE TABLE projects (
    client_id               BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    production_pattern      TEXT NOT NULL,
    deploy_workflow_pattern TEXT,
    incident_types          TEXT[] NOT NULL,
    incident_label          TEXT NOT NULL,
    hotfix_label            TEXT NOT NULL,
    bots                    TEXT[] NOT NULL,
    PRIMARY KEY (client_id, name)
);

CREATE TABLE project_repos (
    client_id BIGINT NOT NULL,
    project   TEXT NOT NULL,
    repo      TEXT NOT NULL,
    PRIMARY KEY (client_id, project, repo),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
);

CREATE TABLE project_jira_projects (
    client_id    BIGINT NOT NULL,
    project      TEXT NOT NULL,
    jira_project TEXT NOT NULL,
    PRIMARY KEY (client_id, project, jira_project),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
);

CREATE TABLE project_team_members (
    client_id BIGINT NOT NULL,
    project   TEXT NOT NULL,
    team      TEXT NOT NULL,
    login     TEXT NOT NULL,
    PRIMARY KEY (client_id, project, team, login),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
);

CREATE TABLE integrations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('github', 'jira')),
    base_url    TEXT NOT NULL,
    credentials BYTEA NOT NULL,
    settings    JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, name),
    UNIQUE (client_id, id)
);

CREATE TABLE job_schedules (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id        BIGINT NOT NULL,
    integration_id   BIGINT NOT NULL,
    job              TEXT NOT NULL,
    interval_seconds BIGINT,
    cron             TEXT,
    state            TEXT NOT NULL CHECK (state IN ('PENDING', 'ACTIVE', 'FINISHED', 'PAUSED', 'FAILED')),
    next_run_at      TIMESTAMPTZ,
    last_run_at      TIMESTAMPTZ,
    last_error       TEXT,
    UNIQUE (client_id, integration_id, job),
    -- The composite key makes a schedule pointing at another client's integration impossible.
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE,
    CHECK ((interval_seconds IS NULL) <> (cron IS NULL))
);

CREATE TABLE repositories (
    client_id      BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    source         TEXT NOT NULL,
    PRIMARY KEY (client_id, name)
);

CREATE TABLE commits (
    client_id    BIGINT NOT NULL,
    repo         TEXT NOT NULL,
    sha          TEXT NOT NULL,
    parents      TEXT[] NOT NULL,
    authored_at  TIMESTAMPTZ NOT NULL,
    committed_at TIMESTAMPTZ,
    author       TEXT,
    message      TEXT,
    source       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, sha)
);

CREATE TABLE pull_requests (
    client_id        BIGINT NOT NULL,
    repo             TEXT NOT NULL,
    number           BIGINT NOT NULL,
    author           TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    merged_at        TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    merge_commit_sha TEXT,
    title            TEXT,
    base             TEXT,
    head             TEXT,
    additions        BIGINT,
    deletions        BIGINT,
    draft            BOOLEAN NOT NULL,
    labels           TEXT[] NOT NULL,
    is_revert        BOOLEAN NOT NULL,
    source           TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, number)
);

CREATE TABLE pull_request_commits (
    client_id BIGINT NOT NULL,
    repo      TEXT NOT NULL,
    pr        BIGINT NOT NULL,
    sha       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, pr, sha)
);

CREATE TABLE reviews (
    client_id    BIGINT NOT NULL,
    repo         TEXT NOT NULL,
    pr           BIGINT NOT NULL,
    id           TEXT NOT NULL,
    author       TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    state        TEXT,
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, pr, id)
);

CREATE TABLE deployments (
    client_id   BIGINT NOT NULL,
    repo        TEXT NOT NULL,
    id          TEXT NOT NULL,
    sha         TEXT NOT NULL,
    environment TEXT NOT NULL,
    result      TEXT NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, id)
);

CREATE TABLE incidents (
    client_id     BIGINT NOT NULL,
    id            TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ,
    title         TEXT,
    repo          TEXT,
    project       TEXT,
    deployment_id TEXT,
    sha           TEXT,
    pr            BIGINT,
    severity      TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (client_id, id)
);

CREATE TABLE jira_projects (
    client_id BIGINT NOT NULL,
    key       TEXT NOT NULL,
    name      TEXT,
    source    TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
);

CREATE TABLE jira_issues (
    client_id       BIGINT NOT NULL,
    key             TEXT NOT NULL,
    project         TEXT NOT NULL,
    issue_type      TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_category TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    story_points    DOUBLE PRECISION,
    source          TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
);

CREATE TABLE jira_changelogs (
    client_id     BIGINT NOT NULL,
    issue         TEXT NOT NULL,
    id            TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    from_category TEXT,
    to_category   TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (client_id, issue, id)
);

CREATE TABLE jira_issue_pr_links (
    client_id BIGINT NOT NULL,
    issue     TEXT NOT NULL,
    repo      TEXT NOT NULL,
    pr        BIGINT NOT NULL,
    origin    TEXT NOT NULL,
    PRIMARY KEY (client_id, issue, repo, pr)
);

CREATE TABLE raw_payloads (
    client_id  BIGINT NOT NULL,
    source     TEXT NOT NULL,
    stream     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    -- TEXT, not JSONB: payloads are kept byte for byte (JSONB would reorder keys and
    -- reject \u0000 escapes that real APIs do send).
    body       TEXT NOT NULL,
    PRIMARY KEY (client_id, source, stream, scope, key)
);

-- The client whose rows this transaction may touch; NULL (no rows) when unset.
CREATE FUNCTION pulse_current_client() RETURNS BIGINT
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('pulse.client_id', true), '')::BIGINT $$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'projects', 'project_repos', 'project_jira_projects', 'project_team_members',
        'integrations', 'job_schedules', 'repositories', 'commits', 'pull_requests',
        'pull_request_commits', 'reviews', 'deployments', 'incidents', 'jira_projects',
        'jira_issues', 'jira_changelogs', 'jira_issue_pr_links', 'raw_payloads'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        -- FORCE: the owning role (the one that ran this migration) is bound too.
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (client_id = pulse_current_client()) '
            'WITH CHECK (client_id = pulse_current_client())', t);
    END LOOP;
END
$$;

-- Pulse foundation schema (SQLite, the embedded store).
-- Same tables and keys as the PostgreSQL schema. Timestamps are TEXT in one fixed,
-- sortable format (`YYYY-MM-DDTHH:MM:SS.ffffffZ`); lists are JSON arrays in TEXT.
-- SQLite has no row-level security: the single-process embedded store relies on the
-- client-scoped API, which puts `client_id` into every statement.

CREATE TABLE clients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    slug          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    logo_url      TEXT,
    primary_color TEXT,
    accent_color  TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id     INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
    password_hash TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (client_id, email)
) STRICT;

CREATE TABLE projects (
    client_id               INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    production_pattern      TEXT NOT NULL,
    deploy_workflow_pattern TEXT,
    incident_types          TEXT NOT NULL,
    incident_label          TEXT NOT NULL,
    hotfix_label            TEXT NOT NULL,
    bots                    TEXT NOT NULL,
    PRIMARY KEY (client_id, name)
) STRICT;

CREATE TABLE project_repos (
    client_id INTEGER NOT NULL,
    project   TEXT NOT NULL,
    repo      TEXT NOT NULL,
    PRIMARY KEY (client_id, project, repo),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE project_jira_projects (
    client_id    INTEGER NOT NULL,
    project      TEXT NOT NULL,
    jira_project TEXT NOT NULL,
    PRIMARY KEY (client_id, project, jira_project),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE project_team_members (
    client_id INTEGER NOT NULL,
    project   TEXT NOT NULL,
    team      TEXT NOT NULL,
    login     TEXT NOT NULL,
    PRIMARY KEY (client_id, project, team, login),
    FOREIGN KEY (client_id, project) REFERENCES projects (client_id, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE integrations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('github', 'jira')),
    base_url    TEXT NOT NULL,
    credentials BLOB NOT NULL,
    settings    TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (client_id, name),
    UNIQUE (client_id, id)
) STRICT;

CREATE TABLE job_schedules (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id        INTEGER NOT NULL,
    integration_id   INTEGER NOT NULL,
    job              TEXT NOT NULL,
    interval_seconds INTEGER,
    cron             TEXT,
    state            TEXT NOT NULL CHECK (state IN ('PENDING', 'ACTIVE', 'FINISHED', 'PAUSED', 'FAILED')),
    next_run_at      TEXT,
    last_run_at      TEXT,
    last_error       TEXT,
    UNIQUE (client_id, integration_id, job),
    -- The composite key makes a schedule pointing at another client's integration impossible.
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE,
    CHECK ((interval_seconds IS NULL) <> (cron IS NULL))
) STRICT;

CREATE TABLE repositories (
    client_id      INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    source         TEXT NOT NULL,
    PRIMARY KEY (client_id, name)
) STRICT;

CREATE TABLE commits (
    client_id    INTEGER NOT NULL,
    repo         TEXT NOT NULL,
    sha          TEXT NOT NULL,
    parents      TEXT NOT NULL,
    authored_at  TEXT NOT NULL,
    committed_at TEXT,
    author       TEXT,
    message      TEXT,
    source       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, sha)
) STRICT;

CREATE TABLE pull_requests (
    client_id        INTEGER NOT NULL,
    repo             TEXT NOT NULL,
    number           INTEGER NOT NULL,
    author           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    merged_at        TEXT,
    closed_at        TEXT,
    merge_commit_sha TEXT,
    title            TEXT,
    base             TEXT,
    head             TEXT,
    additions        INTEGER,
    deletions        INTEGER,
    draft            INTEGER NOT NULL,
    labels           TEXT NOT NULL,
    is_revert        INTEGER NOT NULL,
    source           TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, number)
) STRICT;

CREATE TABLE pull_request_commits (
    client_id INTEGER NOT NULL,
    repo      TEXT NOT NULL,
    pr        INTEGER NOT NULL,
    sha       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, pr, sha)
) STRICT;

CREATE TABLE reviews (
    client_id    INTEGER NOT NULL,
    repo         TEXT NOT NULL,
    pr           INTEGER NOT NULL,
    id           TEXT NOT NULL,
    author       TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    state        TEXT,
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, pr, id)
) STRICT;

CREATE TABLE deployments (
    client_id   INTEGER NOT NULL,
    repo        TEXT NOT NULL,
    id          TEXT NOT NULL,
    sha         TEXT NOT NULL,
    environment TEXT NOT NULL,
    result      TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, id)
) STRICT;

CREATE TABLE incidents (
    client_id     INTEGER NOT NULL,
    id            TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    resolved_at   TEXT,
    title         TEXT,
    repo          TEXT,
    project       TEXT,
    deployment_id TEXT,
    sha           TEXT,
    pr            INTEGER,
    severity      TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (client_id, id)
) STRICT;

CREATE TABLE jira_projects (
    client_id INTEGER NOT NULL,
    key       TEXT NOT NULL,
    name      TEXT,
    source    TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
) STRICT;

CREATE TABLE jira_issues (
    client_id       INTEGER NOT NULL,
    key             TEXT NOT NULL,
    project         TEXT NOT NULL,
    issue_type      TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_category TEXT,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    story_points    REAL,
    source          TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
) STRICT;

CREATE TABLE jira_changelogs (
    client_id     INTEGER NOT NULL,
    issue         TEXT NOT NULL,
    id            TEXT NOT NULL,
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    from_category TEXT,
    to_category   TEXT,
    source        TEXT NOT NULL,
    PRIMARY KEY (client_id, issue, id)
) STRICT;

CREATE TABLE jira_issue_pr_links (
    client_id INTEGER NOT NULL,
    issue     TEXT NOT NULL,
    repo      TEXT NOT NULL,
    pr        INTEGER NOT NULL,
    origin    TEXT NOT NULL,
    PRIMARY KEY (client_id, issue, repo, pr)
) STRICT;

CREATE TABLE raw_payloads (
    client_id  INTEGER NOT NULL,
    source     TEXT NOT NULL,
    stream     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (client_id, source, stream, scope, key)
) STRICT;


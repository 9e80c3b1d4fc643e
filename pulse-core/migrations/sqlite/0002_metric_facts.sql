-- Derived facts of the metric engine (metric spec §2), per client, and the versions
-- that say whether they are up to date with the data they were derived from.
-- (SQLite: the same tables as PostgreSQL; lists and JSON are TEXT.)

CREATE TABLE facts_state (
    client_id     INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    -- Bumped by every transaction that changes data the metrics read.
    data_version  INTEGER NOT NULL DEFAULT 0,
    -- The data_version the stored facts were derived from (-1: never derived).
    facts_version INTEGER NOT NULL DEFAULT -1,
    derived_at    TEXT
) STRICT;

CREATE TABLE deployment_facts (
    client_id     INTEGER NOT NULL,
    repo          TEXT NOT NULL,
    id            TEXT NOT NULL,
    sha           TEXT NOT NULL,
    environment   TEXT NOT NULL,
    result        TEXT NOT NULL,
    source        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    production    INTEGER NOT NULL,
    previous      TEXT,
    previous_sha  TEXT,
    attribution   TEXT,
    changes       TEXT NOT NULL,
    pull_requests TEXT NOT NULL,
    rework        TEXT NOT NULL,
    PRIMARY KEY (client_id, repo, id)
) STRICT;

CREATE TABLE pr_facts (
    client_id           INTEGER NOT NULL,
    repo                TEXT NOT NULL,
    number              INTEGER NOT NULL,
    author              TEXT NOT NULL,
    title               TEXT,
    created_at          TEXT NOT NULL,
    merged_at           TEXT NOT NULL,
    size                INTEGER,
    first_commit_sha    TEXT,
    first_commit_at     TEXT,
    first_review_id     TEXT,
    first_review_at     TEXT,
    coding              INTEGER,
    pickup              INTEGER,
    review              INTEGER,
    deploy              INTEGER,
    lead_time           INTEGER NOT NULL,
    deployment_repo     TEXT,
    deployment_id       TEXT,
    deployed_at         TEXT,
    attribution         TEXT,
    reviews             INTEGER NOT NULL,
    approved_first_time INTEGER NOT NULL,
    PRIMARY KEY (client_id, repo, number)
) STRICT;

CREATE TABLE incident_facts (
    client_id              INTEGER NOT NULL,
    id                     TEXT NOT NULL,
    title                  TEXT,
    created_at             TEXT NOT NULL,
    resolved_at            TEXT,
    repo                   TEXT,
    project                TEXT,
    deployment_repo        TEXT,
    deployment_id          TEXT,
    deployment_finished_at TEXT,
    method                 TEXT,
    unmatched_reference    TEXT,
    PRIMARY KEY (client_id, id)
) STRICT;

CREATE TABLE issue_facts (
    client_id      INTEGER NOT NULL,
    key            TEXT NOT NULL,
    project        TEXT NOT NULL,
    issue_type     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    resolved_at    TEXT,
    started_at     TEXT,
    statuses       TEXT NOT NULL,
    active_seconds INTEGER,
    pull_requests  TEXT NOT NULL,
    PRIMARY KEY (client_id, key)
) STRICT;

-- Incremental derivation looks up pull requests by their merge commit.
CREATE INDEX pull_requests_merge_commit ON pull_requests (client_id, merge_commit_sha);

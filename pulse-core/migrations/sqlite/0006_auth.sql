-- Authentication records (see the PostgreSQL migration; SQLite has no row-level
-- security). Only SHA-256 hashes of the secrets are stored.

-- Lets tokens refer to their user through (client_id, user_id), so that a token of
-- another client's user is impossible.
CREATE UNIQUE INDEX users_client_id_id ON users (client_id, id);

CREATE TABLE refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    family     TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    token_hash TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    spent_at   TEXT,
    revoked_at TEXT,
    UNIQUE (client_id, id),
    UNIQUE (client_id, token_hash),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (client_id, family);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (client_id, user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id    INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
    token_hash   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    UNIQUE (client_id, id),
    UNIQUE (client_id, name),
    UNIQUE (client_id, token_hash)
) STRICT;
